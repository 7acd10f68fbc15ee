//! The backend's contract the server enforces, one test per rule, over real HTTP on
//! 127.0.0.1: fault shape, classification and dedup (1); `Idempotency-Key` states (2);
//! per-upload `skipUpload` with the backend's reasons (3); the kill switch (4). Rules 5–7
//! (session end, what events mean, bounded state) are in `session.rs`.

mod common;

use common::{bundle, events_presign, gzip, segment, Api};
use rejourney_ingest::{Fault, KeyState, PolicySkip, Route};
use serde_json::{json, Value};

const S: &str = "session_1000_ab";

fn fault(body: Value) -> Value {
    let mut b = json!({"sessionId": S, "timestampMs": 5_000, "identifier": "E",
        "detail": "boom", "frames": ["at a"], "context": {"threadName": "main"}});
    for (k, v) in body.as_object().unwrap() {
        b[k] = v.clone();
    }
    b
}

/// The fault reports the server stored.
fn stored_faults(api: &Api) -> Vec<Value> {
    std::fs::read_dir(api.data.join("faults"))
        .map(|d| {
            d.filter_map(|e| std::fs::read(e.ok()?.path()).ok())
                .filter_map(|b| serde_json::from_slice(&b).ok())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn rule1_faults_need_category_and_session_and_count_once_per_incident() {
    let api = Api::new();
    let missing = json!({"error": "BAD_REQUEST",
        "message": "Missing required fields: category, sessionId"});
    for body in [
        json!({"sessionId": S, "type": "crash", "name": "E"}),
        json!({"category": "exception"}),
        json!({"category": "", "sessionId": S}),
        json!({"category": "anr", "sessionId": 7}),
    ] {
        assert_eq!(
            api.post("/api/ingest/fault", body, &[]),
            (400, missing.clone())
        );
    }
    for bad in [
        json!({"category": "exception", "frames": [{"f": 1}]}),
        json!({"category": "exception", "frames": "at a"}),
        json!({"category": "exception", "context": "main"}),
        json!({"category": "exception", "timestampMs": "5000"}),
        json!({"category": "exception", "incidentId": 42}),
    ] {
        let (s, v) = api.post("/api/ingest/fault", fault(bad.clone()), &[]);
        assert_eq!(
            (s, v["error"].as_str()),
            (400, Some("BAD_REQUEST")),
            "{bad}"
        );
    }
    let crash = fault(json!({"incidentId": "i1", "category": "exception"}));
    assert_eq!(
        api.post("/api/ingest/fault", crash.clone(), &[]),
        (200, json!({"ok": true}))
    );
    assert_eq!(
        api.post("/api/ingest/fault", crash, &[]),
        (200, json!({"ok": true, "deduplicated": true}))
    );
    // Every ANR spelling is an ANR; any other category is a crash.
    for (i, c) in ["anr", "App_Not_Responding", "application_not_responding"]
        .iter()
        .enumerate()
    {
        let anr = fault(json!({"incidentId": format!("a{i}"), "category": c,
            "context": {"durationMs": "5200", "threadState": "blocked"}}));
        assert_eq!(api.post("/api/ingest/fault", anr, &[]).0, 200);
    }
    let signal = fault(json!({"incidentId": "i2", "category": "signal"}));
    assert_eq!(
        api.post("/api/ingest/fault", signal, &[]).1,
        json!({"ok": true})
    );
    // Without an incident id: the same crash within a second is the same incident.
    let bare = fault(json!({"category": "exception", "identifier": "X"}));
    assert_eq!(
        api.post("/api/ingest/fault", bare.clone(), &[]).1,
        json!({"ok": true})
    );
    let mut later = bare;
    later["timestampMs"] = json!(5_800);
    assert_eq!(
        api.post("/api/ingest/fault", later, &[]).1["deduplicated"],
        json!(true)
    );
    // The official SDKs send faults with the project key only: accepted, as the backend does.
    let key_only = api.send(
        "/api/ingest/fault",
        fault(json!({"incidentId": "i3", "category": "crash"}))
            .to_string()
            .into_bytes(),
        false,
        &[("x-rejourney-key", "pk")],
    );
    assert_eq!(key_only.status, 200);
    let anonymous = api.send(
        "/api/ingest/fault",
        fault(json!({"category": "crash"})).to_string().into_bytes(),
        false,
        &[],
    );
    assert_eq!(
        (anonymous.status, anonymous.body["message"].as_str()),
        (401, Some("Project key or upload token required"))
    );
    let summary = api.srv.session_summary(S).unwrap();
    assert_eq!((summary.crashes, summary.anrs), (4, 3));
    let stats = api.srv.stats();
    assert_eq!(
        (
            stats.faults_recorded,
            stats.faults_deduplicated,
            stats.faults_rejected
        ),
        (7, 2, 9)
    );
    assert_eq!((stats.crashes, stats.anrs), (4, 3));
    let stored = stored_faults(&api);
    assert_eq!(stored.len(), 7, "one file per incident");
    assert!(stored
        .iter()
        .any(|f| f["incidentId"] == json!("i1") && f["frames"] == json!(["at a"])));
}

#[test]
fn rule1_an_anr_event_and_its_fault_report_are_one_incident() {
    let api = Api::new();
    let batch = json!({"deviceInfo": {"platform": "android"}, "events": [
        {"type": "anr", "timestamp": 2_000, "durationMs": 5200, "threadState": "blocked",
         "incidentId": "anr-1"}]});
    api.upload_events(S, batch, &[]);
    assert_eq!(api.srv.session_summary(S).unwrap().anrs, 1);
    let report = fault(json!({"incidentId": "anr-1", "category": "anr"}));
    assert_eq!(
        api.post("/api/ingest/fault", report.clone(), &[]).1,
        json!({"ok": true, "deduplicated": true})
    );
    // The report is merged into the incident, not lost: its first copy is stored.
    assert_eq!(stored_faults(&api).len(), 1);
    assert_eq!(
        api.post("/api/ingest/fault", report, &[]).1["deduplicated"],
        json!(true)
    );
    assert_eq!(stored_faults(&api).len(), 1);
    let s = api.srv.session_summary(S).unwrap();
    assert_eq!((s.anrs, s.anr_count), (1, 1), "one incident, one event");
    let stats = api.srv.stats();
    assert_eq!(
        (stats.faults_recorded, stats.faults_deduplicated, stats.anrs),
        (1, 2, 1)
    );
}

#[test]
fn rule2_idempotency_keys_are_per_project_and_only_a_complete_finishes_them() {
    let api = Api::new();
    let k = [("idempotency-key", "k-seg")];
    let (s, a) = api.post(
        "/api/ingest/segment/presign",
        segment(S, "screenshots", 1000),
        &k,
    );
    assert_eq!(s, 200);
    assert_eq!(api.srv.idempotency("k-seg"), Some(KeyState::Processing));
    // The key is the project's, not the route's: the events presign sees it too.
    let (s, v) = api.post("/api/ingest/presign", events_presign(S, 0), &k);
    assert_eq!(
        (s, v),
        (202, json!({"message": "Processing", "retryAfter": 5}))
    );
    // Completed under another key (the trap): the presign's key stays processing.
    assert_eq!(api.put(a["presignedUrl"].as_str().unwrap(), bundle(1)), 204);
    let done = json!({"segmentId": a["segmentId"], "sessionId": S});
    assert_eq!(
        api.post(
            "/api/ingest/segment/complete",
            done.clone(),
            &[("idempotency-key", "other")]
        )
        .0,
        200
    );
    assert_eq!(api.srv.idempotency("k-seg"), Some(KeyState::Processing));
    assert_eq!(
        api.srv.idempotency("other"),
        Some(KeyState::Done),
        "set without being read"
    );
    assert_eq!(
        api.post(
            "/api/ingest/segment/presign",
            segment(S, "hierarchy", 1000),
            &k
        )
        .0,
        202,
        "for as long as the key lives"
    );
    // Session end, faults and device auth neither read nor write keys.
    for (path, body) in [
        (
            "/api/ingest/session/end",
            json!({"sessionId": S, "endedAt": 9000}),
        ),
        (
            "/api/ingest/fault",
            json!({"sessionId": S, "category": "exception"}),
        ),
        ("/api/ingest/auth/device", json!({"deviceId": "d2"})),
    ] {
        assert_eq!(api.post(path, body.clone(), &k).0, 200, "{path}");
        assert_eq!(
            api.post(path, body, &[("idempotency-key", "unused")]).0,
            200
        );
    }
    assert_eq!(api.srv.idempotency("k-seg"), Some(KeyState::Processing));
    assert_eq!(api.srv.idempotency("unused"), None);
    // The complete carrying the key finishes it; a presign repeating it is a duplicate.
    assert_eq!(api.post("/api/ingest/segment/complete", done, &k).0, 200);
    assert_eq!(api.srv.idempotency("k-seg"), Some(KeyState::Done));
    let (s, v) = api.post("/api/ingest/presign", events_presign(S, 1), &k);
    assert_eq!(
        (s, v),
        (
            200,
            json!({"skipUpload": true, "deduplicated": true, "sessionId": S,
            "reason": "Already processed"})
        )
    );
    // A key left by an earlier run.
    api.srv.set_idempotency("left-over", KeyState::Processing);
    let (s, _) = api.post(
        "/api/ingest/presign",
        events_presign(S, 2),
        &[("idempotency-key", "left-over")],
    );
    assert_eq!(s, 202);
    let stats = api.srv.stats();
    assert_eq!(
        (
            stats.idempotency_processing,
            stats.presign_skips["Already processed"]
        ),
        (3, 1)
    );
}

#[test]
fn rule3_skip_upload_is_per_upload_with_the_backends_reasons() {
    let api = Api::new();
    let f = api.srv.faults();
    let cases = [
        (
            Fault::SkipUpload,
            "Session sampled out - recording disabled for this session",
        ),
        (
            Fault::Skip(PolicySkip::SampledOut),
            "Session sampled out - recording disabled for this session",
        ),
        (
            Fault::Skip(PolicySkip::RecordingDisabled),
            "Recording disabled for project",
        ),
        (
            Fault::Skip(PolicySkip::ReplayQuota {
                used: 5000,
                limit: 5000,
            }),
            "Replay quota reached (5000/5000). Analytics will continue without replay.",
        ),
        (
            Fault::Skip(PolicySkip::ReplayQuotaReached),
            "Replay quota reached. Analytics will continue without replay.",
        ),
        (
            Fault::Skip(PolicySkip::RecordingLimit { minutes: 10 }),
            "Recording limit exceeded (10 minutes max)",
        ),
        (Fault::SkipWithReason("custom words".into()), "custom words"),
    ];
    for (fault, reason) in cases {
        f.push(Route::SegmentPresign, fault);
        let (s, v) = api.post(
            "/api/ingest/segment/presign",
            segment(S, "screenshots", 1000),
            &[],
        );
        assert_eq!(
            (s, v),
            (
                200,
                json!({"skipUpload": true, "sessionId": S, "reason": reason})
            )
        );
    }
    f.push(Route::EventsPresign, Fault::Duplicate);
    assert_eq!(
        api.post("/api/ingest/presign", events_presign(S, 0), &[]).1,
        json!({"skipUpload": true, "deduplicated": true, "sessionId": S,
            "reason": "Already processed"})
    );
    // A project with replay disabled: frames are declined, everything else goes on.
    api.srv.set_recording_enabled(false);
    let (s, v) = api.post(
        "/api/ingest/segment/presign",
        segment(S, "screenshots", 2000),
        &[],
    );
    assert_eq!(
        (s, v),
        (
            200,
            json!({"skipUpload": true, "sessionId": S,
            "reason": "Recording disabled for project"})
        )
    );
    api.upload_segment(
        segment(S, "hierarchy", 2000),
        gzip(&json!({"timestamp": 2000, "root": {}})),
        None,
    );
    api.upload_events(S, json!({"events": [], "deviceInfo": {}}), &[]);
    assert_eq!(
        api.post(
            "/api/ingest/fault",
            json!({"sessionId": S, "category": "x"}),
            &[]
        )
        .0,
        200
    );
    assert_eq!(
        api.post("/api/ingest/session/end", json!({"sessionId": S}), &[])
            .0,
        200
    );
    api.srv.set_recording_enabled(true);
    // The body's isSampledIn: false declines every presign (unless observe-only)...
    let mut unsampled = segment(S, "hierarchy", 3000);
    unsampled["isSampledIn"] = json!(false);
    assert_eq!(
        api.post("/api/ingest/segment/presign", unsampled.clone(), &[])
            .1["reason"],
        json!("Session sampled out - recording disabled for this session")
    );
    let observe = [("x-rj-observe-only", "1")];
    assert!(api
        .post("/api/ingest/segment/presign", unsampled, &observe)
        .1["presignedUrl"]
        .is_string());
    // ...and the project's recording limit (10 minutes by default, from the id's start)
    // declines late segments, hierarchy too.
    let late = segment(S, "hierarchy", 1000 + 10 * 60_000 + 1);
    assert_eq!(
        api.post("/api/ingest/segment/presign", late.clone(), &[]).1["reason"],
        json!("Recording limit exceeded (10 minutes max)")
    );
    let mut overrun = segment(S, "screenshots", 1000 + 9 * 60_000);
    overrun["endTime"] = json!(1000 + 12 * 60_000 + 1);
    assert_eq!(
        api.post("/api/ingest/segment/presign", overrun, &[]).1["skipUpload"],
        json!(true)
    );
    api.srv.set_max_recording_minutes(None);
    assert!(api.post("/api/ingest/segment/presign", late, &[]).1["presignedUrl"].is_string());
    let skips = api.srv.stats().presign_skips;
    assert_eq!(skips["Recording disabled for project"], 1);
    assert_eq!(skips["Recording limit exceeded (10 minutes max)"], 2);
}

#[test]
fn rule4_the_kill_switch_is_a_403_on_presigns_only() {
    let api = Api::new();
    api.srv
        .faults()
        .push(Route::SegmentPresign, Fault::Status(403));
    let (s, generic) = api.post(
        "/api/ingest/segment/presign",
        segment(S, "screenshots", 1000),
        &[],
    );
    assert_eq!(s, 403);
    assert!(
        !generic["message"]
            .as_str()
            .unwrap_or("")
            .contains("disabled"),
        "{generic}"
    );
    let disabled =
        json!({"error": "FORBIDDEN", "message": "Rejourney is disabled for this project"});
    api.srv
        .faults()
        .push(Route::EventsPresign, Fault::ProjectDisabled);
    assert_eq!(
        api.post("/api/ingest/presign", events_presign(S, 0), &[]),
        (403, disabled.clone())
    );
    api.srv.set_project_disabled(true);
    assert_eq!(
        api.post(
            "/api/ingest/segment/presign",
            segment(S, "hierarchy", 1000),
            &[]
        ),
        (403, disabled.clone())
    );
    assert_eq!(
        api.post("/api/ingest/presign", events_presign(S, 1), &[]),
        (403, disabled)
    );
    // Device auth, faults and the session end still answer; the config says why.
    assert_eq!(
        api.post("/api/ingest/auth/device", json!({"deviceId": "d9"}), &[])
            .0,
        200
    );
    assert_eq!(
        api.post(
            "/api/ingest/fault",
            json!({"sessionId": S, "category": "x"}),
            &[]
        )
        .0,
        200
    );
    assert_eq!(
        api.post("/api/ingest/session/end", json!({"sessionId": S}), &[])
            .0,
        200
    );
    let config = api.get("/api/sdk/config", &[("x-public-key", "pk")]);
    assert_eq!(
        (
            config.status,
            &config.body["rejourneyEnabled"],
            &config.body["disabled"]
        ),
        (200, &json!(false), &json!(true))
    );
    assert_eq!(
        api.get("/api/sdk/config", &[]).status,
        400,
        "x-public-key is required"
    );
    api.srv.set_project_disabled(false);
    assert_eq!(
        api.post("/api/ingest/presign", events_presign(S, 2), &[]).0,
        200
    );
}
