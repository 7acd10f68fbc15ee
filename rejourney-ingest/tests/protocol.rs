//! The server speaks the protocol and survives abuse: full upload flows, required fields,
//! tokens, strict body checks, the backend's body parser, every injected fault, and garbage
//! that must never break it. Real HTTP on 127.0.0.1. (The backend's contract, rule by rule,
//! is in `contract.rs`.)

mod common;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use common::{bundle, events_presign, gzip, segment, tmp, Api};
use rejourney_ingest::{Fault, PolicySkip, Route, ServerOptions};
use serde_json::{json, Value};

const S: &str = "session_1000_ab";

#[test]
fn full_segment_flow_stores_once_with_idempotency() {
    let api = Api::new();
    let key = [("idempotency-key", "k1")];
    let (s, a) = api.post(
        "/api/ingest/segment/presign",
        segment(S, "screenshots", 1000),
        &key,
    );
    assert_eq!(s, 200);
    // The backend's segment answer: segmentId (no batchId), the session, the storage key.
    assert!(
        a["segmentId"].is_string() && a.get("batchId").is_none(),
        "{a}"
    );
    assert_eq!(a["sessionId"], json!(S));
    assert!(a["s3Key"].is_string() && a["endpointId"].is_string());
    // A presigned key is `processing` until a complete carries it.
    let (s, again) = api.post(
        "/api/ingest/segment/presign",
        segment(S, "screenshots", 1000),
        &key,
    );
    assert_eq!(
        (s, again),
        (202, json!({"message": "Processing", "retryAfter": 5}))
    );
    assert_eq!(api.put(a["presignedUrl"].as_str().unwrap(), bundle(2)), 204);
    let done = json!({"segmentId": a["segmentId"], "sessionId": S});
    assert_eq!(
        api.post("/api/ingest/segment/complete", done.clone(), &key)
            .0,
        200
    );
    assert_eq!(api.post("/api/ingest/segment/complete", done, &key).0, 200);
    let (s, dup) = api.post(
        "/api/ingest/segment/presign",
        segment(S, "screenshots", 1000),
        &key,
    );
    assert_eq!(s, 200);
    assert_eq!(
        dup,
        json!({"skipUpload": true, "deduplicated": true, "sessionId": S,
            "reason": "Already processed"})
    );
    let arts = api.srv.artifacts();
    assert_eq!(arts.len(), 1);
    assert_eq!(arts[0].frame_count, 2);
    assert_eq!(arts[0].idempotency_key.as_deref(), Some("k1"));
    assert_eq!(std::fs::read(&arts[0].path).unwrap(), bundle(2));
    assert_eq!(api.srv.stats().duplicates_suppressed, 1);
}

#[test]
fn a_stored_segment_presigned_again_is_already_processed_and_an_unfinished_one_is_reused() {
    let api = Api::new();
    let id = api.upload_segment(
        segment(S, "hierarchy", 5000),
        gzip(&json!({"timestamp": 1,
        "root": {"frame": {"x": 0, "y": 0, "width": 1, "height": 1}}})),
        None,
    );
    // The backend's segment id is a function of the segment: the same one, fresh key, is a
    // duplicate carrying its id; the fresh key is finished with it.
    let (s, v) = api.post(
        "/api/ingest/segment/presign",
        segment(S, "hierarchy", 5000),
        &[("idempotency-key", "fresh")],
    );
    assert_eq!(s, 200);
    assert_eq!(
        (v["deduplicated"].as_bool(), v["segmentId"].as_str()),
        (Some(true), Some(id.as_str()))
    );
    assert_eq!(
        api.srv.idempotency("fresh"),
        Some(rejourney_ingest::KeyState::Done)
    );
    // Not yet stored: a second presign gets the same id and a URL that works.
    let (_, a) = api.post(
        "/api/ingest/segment/presign",
        segment(S, "screenshots", 9000),
        &[],
    );
    let (_, b) = api.post(
        "/api/ingest/segment/presign",
        segment(S, "screenshots", 9000),
        &[],
    );
    assert_eq!(a["segmentId"], b["segmentId"]);
    assert_eq!(api.put(b["presignedUrl"].as_str().unwrap(), bundle(1)), 204);
    assert_eq!(api.srv.stats().presign_skips["Already processed"], 1);
}

#[test]
fn events_flow_and_the_envelope_is_an_object() {
    let api = Api::new();
    let (s, a) = api.post("/api/ingest/presign", events_presign(S, 3), &[]);
    assert_eq!(s, 200);
    assert!(
        a["batchId"].is_string() && a["presignedUrl"].is_string(),
        "{a}"
    );
    let url = a["presignedUrl"].as_str().unwrap();
    // A bare array: the backend would read `payload.events` and find nothing.
    assert_eq!(
        api.put(url, gzip(&json!([{"type": "touch", "timestamp": 1}]))),
        400
    );
    assert_eq!(
        api.put(url, gzip(&json!({"events": []}))),
        400,
        "no deviceInfo"
    );
    let ok = json!({"events": [{"type": "touch", "timestamp": 1}], "deviceInfo": {}});
    assert_eq!(api.put(url, gzip(&ok)), 204);
    let done = json!({"batchId": a["batchId"], "sessionId": S});
    assert_eq!(
        api.post("/api/ingest/batch/complete", done.clone(), &[]).0,
        200
    );
    let wrong = json!({"segmentId": a["batchId"], "sessionId": S});
    assert_eq!(api.post("/api/ingest/segment/complete", wrong, &[]).0, 400);
    let other = json!({"batchId": a["batchId"], "sessionId": "session_9_zz"});
    assert_eq!(api.post("/api/ingest/batch/complete", other, &[]).0, 400);
    let arts = api.srv.artifacts();
    assert_eq!(
        (arts.len(), arts[0].kind.as_str(), arts[0].frame_count),
        (1, "events", 1)
    );
    assert_eq!(api.srv.session_summary(S).unwrap().events_received, 1);
}

#[test]
fn missing_fields_are_the_backends_400s_and_tokens_are_checked() {
    let api = Api::new();
    for field in ["sessionId", "kind", "sizeBytes", "startTime"] {
        let mut b = segment(S, "screenshots", 1000);
        b.as_object_mut().unwrap().remove(field);
        let (s, v) = api.post("/api/ingest/segment/presign", b, &[]);
        assert_eq!(
            (s, v["message"].as_str()),
            (
                400,
                Some("Missing required fields: sessionId, kind, startTime, sizeBytes")
            ),
            "{field}"
        );
    }
    let mut zero = segment(S, "screenshots", 1000);
    zero["sizeBytes"] = json!(0);
    assert_eq!(
        api.post("/api/ingest/segment/presign", zero, &[]).1["message"],
        json!("sizeBytes must be a positive number")
    );
    let (s, v) = api.post(
        "/api/ingest/presign",
        json!({"sessionId": S, "contentType": "events", "sizeBytes": 1}),
        &[],
    );
    assert_eq!(
        (s, v),
        (
            400,
            json!({"error": "BAD_REQUEST",
            "message": "Missing required fields: contentType, batchNumber, sizeBytes"})
        )
    );
    let mut no_session = events_presign(S, 0);
    no_session.as_object_mut().unwrap().remove("sessionId");
    assert_eq!(api.post("/api/ingest/presign", no_session, &[]).0, 400);
    let mut big = segment(S, "screenshots", 1000);
    big["sizeBytes"] = json!(26_214_401u64);
    let (s, v) = api.post("/api/ingest/segment/presign", big, &[]);
    assert_eq!(
        (s, v["details"]["maxObjectBytes"].as_u64()),
        (413, Some(26_214_400))
    );
    assert_eq!(
        api.post("/api/ingest/auth/device", json!({}), &[]).1["message"],
        json!("deviceId is required")
    );
    // No key: device auth refuses; a forged token cannot presign.
    let anon = api.send(
        "/api/ingest/auth/device",
        br#"{"deviceId":"d"}"#.to_vec(),
        false,
        &[],
    );
    assert_eq!(
        (anon.status, anon.body["message"].as_str()),
        (401, Some("Project key is required"))
    );
    let forged = api.send(
        "/api/ingest/segment/presign",
        segment(S, "screenshots", 1000).to_string().into_bytes(),
        false,
        &[("x-rejourney-key", "pk"), ("x-upload-token", "forged")],
    );
    assert_eq!(forged.status, 401);
    let keyed = Api::with(ServerOptions {
        api_key: Some("pk".into()),
        ..ServerOptions::new(tmp("keyed"))
    });
    let wrong = keyed.send(
        "/api/ingest/auth/device",
        br#"{"deviceId":"d"}"#.to_vec(),
        false,
        &[("x-rejourney-key", "other")],
    );
    assert_eq!(
        (wrong.status, wrong.body["message"].as_str()),
        (401, Some("Invalid project key"))
    );
}

#[test]
fn bad_bodies_are_rejected_not_stored() {
    let api = Api::new();
    let (_, a) = api.post(
        "/api/ingest/segment/presign",
        segment(S, "screenshots", 1000),
        &[],
    );
    let url = a["presignedUrl"].as_str().unwrap();
    assert_eq!(api.put(url, b"not gzip".to_vec()), 400);
    let mut truncated = bundle(3);
    truncated.truncate(truncated.len() - 6);
    assert_eq!(api.put(url, truncated), 400);
    let done = json!({"segmentId": a["segmentId"], "sessionId": S});
    let (s, v) = api.post("/api/ingest/segment/complete", done, &[]);
    assert_eq!(
        (s, v["message"].as_str()),
        (400, Some("nothing was uploaded for this batch"))
    );
    assert_eq!(api.srv.stats().bundles_rejected, 2);
    assert_eq!(
        api.put(&format!("{}/upload/segment/nope", api.srv.url()), bundle(1)),
        404
    );
    assert!(api.srv.artifacts().is_empty());
}

#[test]
fn json_bodies_are_parsed_like_the_backends_express() {
    let api = Api::new();
    // Malformed JSON, or over 5 MB: the backend's error handler answers 500.
    let bad = api.send("/api/ingest/session/end", b"{nope".to_vec(), true, &[]);
    assert_eq!(
        (bad.status, bad.body["error"].as_str()),
        (500, Some("Internal Server Error"))
    );
    let huge = format!(r#"{{"sessionId":"{S}","x":"{}"}}"#, "y".repeat(5 << 20));
    assert_eq!(
        api.send("/api/ingest/fault", huge.into_bytes(), true, &[])
            .status,
        500
    );
    // Without a JSON content type the body reads as {}: the route's own 400.
    let plain = api
        .http
        .post(format!("{}/api/ingest/fault", api.srv.url()))
        .header("x-rejourney-key", "pk")
        .header("content-type", "text/plain")
        .body(json!({"category": "exception", "sessionId": S}).to_string())
        .send()
        .unwrap();
    assert_eq!(plain.status().as_u16(), 400);
}

#[test]
fn injected_faults_answer_as_scripted() {
    let api = Api::new();
    let f = api.srv.faults();
    let p = "/api/ingest/segment/presign";
    let body = || segment(S, "screenshots", 1000).to_string().into_bytes();
    f.push(Route::SegmentPresign, Fault::Status(503));
    f.push(Route::SegmentPresign, Fault::RetryAfterSecs(429, 7));
    f.push(
        Route::SegmentPresign,
        Fault::Accepted202 {
            retry_after_secs: 9,
        },
    );
    f.push(Route::SegmentPresign, Fault::PaymentRequired);
    f.push(
        Route::SegmentPresign,
        Fault::RateLimited {
            retry_after_secs: 37,
        },
    );
    f.push(Route::SegmentPresign, Fault::Garbage);
    f.push(Route::SegmentPresign, Fault::Pass);
    f.push(
        Route::SegmentPresign,
        Fault::Skip(PolicySkip::RecordingLimit { minutes: 10 }),
    );
    let a = api.send(p, body(), true, &[]);
    assert_eq!(
        (a.status, a.body["error"].as_str()),
        (503, Some("SERVICE_UNAVAILABLE"))
    );
    let a = api.send(p, body(), true, &[]);
    assert_eq!((a.status, a.retry_after.as_deref()), (429, Some("7")));
    let a = api.send(p, body(), true, &[]);
    assert_eq!(
        (a.status, a.body),
        (202, json!({"message": "Processing", "retryAfter": 9}))
    );
    let a = api.send(p, body(), true, &[]);
    assert_eq!(
        (a.status, a.body["message"].as_str()),
        (
            402,
            Some("Payment failed - please update your payment method")
        )
    );
    // The backend's limiter puts the wait in the body only.
    let a = api.send(p, body(), true, &[]);
    assert_eq!(
        (a.status, a.retry_after, a.body["retryAfter"].as_u64()),
        (429, None, Some(37))
    );
    let a = api.send(p, body(), true, &[]);
    assert_eq!((a.status, a.body), (200, Value::Null));
    assert_eq!(
        api.send(p, body(), true, &[]).status,
        200,
        "Pass lets one through"
    );
    let a = api.send(p, body(), true, &[]);
    assert_eq!(
        a.body["reason"],
        json!("Recording limit exceeded (10 minutes max)")
    );
    assert_eq!(f.pending(), 0);
    // An expired URL: its PUT is a 403, and presigning again gives a working one.
    f.push(Route::SegmentPresign, Fault::ExpireNextPut);
    let (_, a) = api.post(p, segment(S, "screenshots", 7000), &[]);
    assert_eq!(api.put(a["presignedUrl"].as_str().unwrap(), bundle(1)), 403);
    let (_, b) = api.post(p, segment(S, "screenshots", 7000), &[]);
    assert_eq!(api.put(b["presignedUrl"].as_str().unwrap(), bundle(1)), 204);
    // Resets, stalls, huge and slow bodies deal with the connection themselves.
    f.push(Route::Fault, Fault::Reset);
    f.push(Route::Fault, Fault::Stall(Duration::from_millis(300)));
    f.push(Route::Fault, Fault::Huge(1 << 20));
    f.push(Route::Fault, Fault::SlowBody { bytes_per_sec: 400 });
    let fault = json!({"category": "exception", "sessionId": S}).to_string();
    let send = || {
        api.http
            .post(format!("{}/api/ingest/fault", api.srv.url()))
            .header("content-type", "application/json")
            .header("x-rejourney-key", "pk")
            .body(fault.clone())
            .send()
            .and_then(|r| r.bytes())
    };
    assert!(send().is_err(), "reset");
    let t = Instant::now();
    assert!(send().is_err(), "stall then close");
    assert!(t.elapsed() >= Duration::from_millis(250));
    assert_eq!(send().unwrap().len(), 1 << 20);
    let slow = send().unwrap();
    assert!(serde_json::from_slice::<Value>(&slow).unwrap()["slow"].is_string());
    assert_eq!(
        send().map(|b| !b.is_empty()).ok(),
        Some(true),
        "back to normal"
    );
}

#[test]
fn garbage_requests_never_break_the_server() {
    let api = Api::with(ServerOptions {
        max_body_bytes: 1024,
        ..ServerOptions::new(tmp("garbage"))
    });
    let addr = api.srv.addr();
    for junk in [
        &b"\x00\x01\x02garbage\r\n\r\n"[..],
        b"GET\r\n\r\n",
        b"POST /api/ingest/fault HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n",
        b"POST /x HTTP/1.1\r\nContent-Length: nope\r\n\r\n",
        b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
    ] {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.write_all(junk).unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        assert!(
            out.starts_with(b"HTTP/1.1 4"),
            "{:?}",
            String::from_utf8_lossy(&out)
        );
    }
    // A body announced within the limit but never sent: no answer, no harm.
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.write_all(b"POST /api/ingest/fault HTTP/1.1\r\nContent-Length: 1000\r\n\r\n{")
        .unwrap();
    drop(s);
    let big = json!({"sessionId": S, "x": "y".repeat(4096)});
    assert_eq!(api.post("/api/ingest/fault", big, &[]).0, 413);
    let ok = json!({"sessionId": S, "category": "exception"});
    assert_eq!(
        api.post("/api/ingest/fault", ok, &[]).0,
        200,
        "still serving"
    );
    let faults = api
        .srv
        .requests()
        .iter()
        .filter(|r| r.route == Route::Fault)
        .count();
    assert_eq!(
        faults, 1,
        "a request is recorded once it has been read whole"
    );
}

/// The backend's upload relay ingests on the PUT: the batch is stored (and its events
/// counted) before any complete call; the same URL PUT again stores nothing more; a second
/// presign of the same batch gets a fresh batch id, and its PUT is a visible duplicate.
#[test]
fn the_put_ingests_a_repeated_put_does_not_and_a_second_presign_duplicates() {
    let api = Api::new();
    let batch = json!({"events": [{"type": "touch", "timestamp": 1, "gestureType": "tap"}],
        "deviceInfo": {"platform": "ios"}});
    let (_, a) = api.post("/api/ingest/presign", events_presign(S, 0), &[]);
    let url = a["presignedUrl"].as_str().unwrap();
    assert_eq!(api.put(url, gzip(&batch)), 204);
    assert_eq!(api.srv.artifacts().len(), 1, "ingested by the PUT alone");
    assert_eq!(api.srv.session_summary(S).unwrap().touch_count, 1);
    assert_eq!(
        api.put(url, gzip(&batch)),
        204,
        "the relay's already stored"
    );
    assert_eq!(api.srv.artifacts().len(), 1);
    assert_eq!(api.srv.stats().puts_already_stored, 1);
    let done = json!({"batchId": a["batchId"], "sessionId": S});
    assert_eq!(api.post("/api/ingest/batch/complete", done, &[]).0, 200);
    assert_eq!(api.srv.artifacts().len(), 1, "complete only confirms");
    let (_, b) = api.post("/api/ingest/presign", events_presign(S, 0), &[]);
    assert_ne!(a["batchId"], b["batchId"]);
    assert_eq!(
        api.put(b["presignedUrl"].as_str().unwrap(), gzip(&batch)),
        204
    );
    assert_eq!(api.srv.artifacts().len(), 2, "the duplicate is visible");
}
