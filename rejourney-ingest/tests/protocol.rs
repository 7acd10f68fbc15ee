//! The server validates like the backend: required fields, tokens, idempotency, strict
//! bundle checks, and it never panics on garbage. Real HTTP on 127.0.0.1.

use std::io::Write;

use rejourney_core::bundle::BundleBuilder;
use rejourney_ingest::{IngestServer, Route, ServerOptions};
use serde_json::{json, Value};

fn tmp() -> std::path::PathBuf {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    std::env::temp_dir().join(format!("rj-ingest-test-{}-{n:x}", std::process::id()))
}

struct Api {
    srv: IngestServer,
    http: reqwest::blocking::Client,
    token: String,
}

impl Api {
    fn new(opts: ServerOptions) -> Self {
        let srv = IngestServer::start(opts).unwrap();
        let http = reqwest::blocking::Client::new();
        let mut api = Self {
            srv,
            http,
            token: String::new(),
        };
        let (s, v) = api.post("/api/ingest/auth/device", json!({"deviceId": "d1"}), &[]);
        assert_eq!(s, 200);
        api.token = v["uploadToken"].as_str().unwrap().to_owned();
        api
    }

    fn post(&self, path: &str, body: Value, headers: &[(&str, &str)]) -> (u16, Value) {
        let mut r = self
            .http
            .post(format!("{}{path}", self.srv.url()))
            .header("content-type", "application/json")
            .body(body.to_string())
            .header("x-rejourney-key", "pk");
        if !self.token.is_empty() {
            r = r.header("x-upload-token", &self.token);
        }
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        let resp = r.send().unwrap();
        let status = resp.status().as_u16();
        (
            status,
            serde_json::from_slice(&resp.bytes().unwrap_or_default()).unwrap_or(Value::Null),
        )
    }

    fn put(&self, url: &str, body: Vec<u8>) -> u16 {
        self.http
            .put(url)
            .header("content-type", "application/gzip")
            .body(body)
            .send()
            .unwrap()
            .status()
            .as_u16()
    }
}

fn bundle(frames: u8) -> Vec<u8> {
    let mut b = BundleBuilder::new("s1".into(), 0);
    for i in 0..frames {
        b.push(i as u64 * 1000, &[0xFF, 0xD8, i]);
    }
    b.seal(1).unwrap().gz
}

fn presign_body() -> Value {
    json!({"sessionId": "s1", "kind": "screenshots", "sizeBytes": 10, "startTime": 1, "endTime": 2, "frameCount": 2})
}

#[test]
fn full_segment_flow_stores_once_with_idempotency() {
    let api = Api::new(ServerOptions::new(tmp()));
    let key = [("idempotency-key", "k1")];
    let (s, a) = api.post("/api/ingest/segment/presign", presign_body(), &key);
    assert_eq!(s, 200);
    // The backend's states: a presigned key is `processing` until a complete carries it.
    let (s, again) = api.post("/api/ingest/segment/presign", presign_body(), &key);
    assert_eq!((s, again["retryAfter"].as_u64()), (202, Some(5)), "{again}");
    assert_eq!(api.put(a["presignedUrl"].as_str().unwrap(), bundle(2)), 200);
    let done = json!({"segmentId": a["batchId"], "sessionId": "s1"});
    assert_eq!(
        api.post("/api/ingest/segment/complete", done.clone(), &key)
            .0,
        200
    );
    assert_eq!(api.post("/api/ingest/segment/complete", done, &key).0, 200);
    let (s, dup) = api.post("/api/ingest/segment/presign", presign_body(), &key);
    assert_eq!(s, 200);
    assert_eq!(
        (dup["skipUpload"].as_bool(), dup["deduplicated"].as_bool()),
        (Some(true), Some(true)),
        "a finished key is a duplicate: {dup}"
    );
    let arts = api.srv.artifacts();
    assert_eq!(arts.len(), 1);
    assert_eq!(arts[0].frame_count, 2);
    assert_eq!(std::fs::read(&arts[0].path).unwrap(), bundle(2));
    assert_eq!(api.srv.stats().duplicates_suppressed, 1);
}

#[test]
fn missing_fields_are_400_and_tokens_are_checked() {
    let api = Api::new(ServerOptions::new(tmp()));
    for field in ["sessionId", "kind", "sizeBytes", "startTime"] {
        let mut b = presign_body();
        b.as_object_mut().unwrap().remove(field);
        assert_eq!(
            api.post("/api/ingest/segment/presign", b, &[]).0,
            400,
            "{field}"
        );
    }
    assert_eq!(api.post("/api/ingest/auth/device", json!({}), &[]).0, 400);
    assert_eq!(api.post("/api/ingest/session/end", json!({}), &[]).0, 400);
    let (s, v) = api.post(
        "/api/ingest/session/end",
        json!({"sessionId": "s1", "metrics": {"touchCount": 1.5}}),
        &[],
    );
    assert_eq!(
        (s, v["details"][0]["path"].as_str()),
        (400, Some("metrics.touchCount"))
    );
    assert_eq!(
        api.post(
            "/api/ingest/fault",
            json!({"type": "crash", "sessionId": "s1"}),
            &[]
        )
        .1["message"],
        json!("Missing required fields: category, sessionId")
    );
    assert_eq!(
        api.post(
            "/api/ingest/presign",
            json!({"sessionId": "s1", "contentType": "events", "sizeBytes": 1}),
            &[]
        )
        .0,
        400
    );
    let anon = Api {
        token: "forged".into(),
        ..Api::new(ServerOptions::new(tmp()))
    };
    assert_eq!(
        anon.post("/api/ingest/segment/presign", presign_body(), &[])
            .0,
        401
    );
    let keyed = Api::new(ServerOptions {
        api_key: Some("pk".into()),
        ..ServerOptions::new(tmp())
    });
    let resp = keyed
        .http
        .post(format!("{}/api/ingest/auth/device", keyed.srv.url()))
        .header("content-type", "application/json")
        .body(json!({"deviceId": "d"}).to_string())
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401, "wrong project key");
}

#[test]
fn bad_bodies_are_rejected_not_stored() {
    let api = Api::new(ServerOptions::new(tmp()));
    let (_, a) = api.post("/api/ingest/segment/presign", presign_body(), &[]);
    let url = a["presignedUrl"].as_str().unwrap();
    assert_eq!(api.put(url, b"not gzip".to_vec()), 400);
    let mut truncated = bundle(3);
    truncated.truncate(truncated.len() - 6);
    assert_eq!(api.put(url, truncated), 400);
    let done = json!({"segmentId": a["batchId"], "sessionId": "s1"});
    assert_eq!(
        api.post("/api/ingest/segment/complete", done, &[]).0,
        400,
        "nothing valid was uploaded"
    );
    assert_eq!(api.srv.stats().bundles_rejected, 2);
    assert_eq!(
        api.put(&format!("{}/upload/segment/nope", api.srv.url()), bundle(1)),
        404
    );
    let (_, e) = api.post(
        "/api/ingest/presign",
        json!({"sessionId": "s1", "contentType": "events", "batchNumber": 1, "sizeBytes": 5}),
        &[],
    );
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(br#"{"noEvents": true}"#).unwrap();
    assert_eq!(
        api.put(e["presignedUrl"].as_str().unwrap(), gz.finish().unwrap()),
        400
    );
    assert!(api.srv.artifacts().is_empty());
}

#[test]
fn garbage_requests_never_break_the_server() {
    let api = Api::new(ServerOptions {
        max_body_bytes: 1024,
        ..ServerOptions::new(tmp())
    });
    let addr = api.srv.addr();
    for junk in [
        &b"\x00\x01\x02garbage\r\n\r\n"[..],
        b"GET\r\n\r\n",
        b"POST /api/ingest/fault HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n",
        b"POST /x HTTP/1.1\r\nContent-Length: nope\r\n\r\n",
    ] {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.write_all(junk).unwrap();
        let mut out = Vec::new();
        let _ = std::io::Read::read_to_end(&mut s, &mut out);
        assert!(
            out.starts_with(b"HTTP/1.1 4"),
            "{:?}",
            String::from_utf8_lossy(&out)
        );
    }
    let big = json!({"sessionId": "s", "x": "y".repeat(4096)});
    assert_eq!(api.post("/api/ingest/fault", big, &[]).0, 413);
    assert_eq!(
        api.post(
            "/api/ingest/fault",
            json!({"sessionId": "s", "category": "exception"}),
            &[]
        )
        .0,
        200,
        "still serving"
    );
    assert_eq!(
        api.srv
            .requests()
            .iter()
            .filter(|r| r.route == Route::Fault)
            .count(),
        1
    );
}
