//! The backend's contract the server enforces, rule by rule, over real HTTP on 127.0.0.1:
//! fault shape and dedup, idempotency states, per-upload skipUpload, the kill switch, the
//! session end schema (unknown keys stripped), and what events count for.

use rejourney_ingest::{IngestServer, KeyState, ServerOptions};
use serde_json::{json, Value};

fn tmp() -> std::path::PathBuf {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    std::env::temp_dir().join(format!("rj-contract-{}-{n:x}", std::process::id()))
}

struct Api {
    srv: IngestServer,
    http: reqwest::blocking::Client,
    token: String,
}

impl Api {
    fn new() -> Self {
        let srv = IngestServer::start(ServerOptions::new(tmp())).unwrap();
        let mut api = Self {
            srv,
            http: reqwest::blocking::Client::new(),
            token: String::new(),
        };
        let (_, v) = api.post("/api/ingest/auth/device", json!({"deviceId": "d"}), &[]);
        api.token = v["uploadToken"].as_str().unwrap().to_owned();
        api
    }

    fn post(&self, path: &str, body: Value, headers: &[(&str, &str)]) -> (u16, Value) {
        let mut r = self
            .http
            .post(format!("{}{path}", self.srv.url()))
            .header("content-type", "application/json")
            .header("x-rejourney-key", "pk")
            .header("x-upload-token", &self.token)
            .body(body.to_string());
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        let resp = r.send().unwrap();
        let status = resp.status().as_u16();
        let v = serde_json::from_slice(&resp.bytes().unwrap_or_default()).unwrap_or(Value::Null);
        (status, v)
    }
}

fn segment(kind: &str) -> Value {
    json!({"sessionId": "session_1000_ab", "kind": kind, "sizeBytes": 10, "startTime": 1})
}

#[test]
fn faults_need_the_backends_fields_and_count_once_per_incident() {
    let api = Api::new();
    let (s, v) = api.post(
        "/api/ingest/fault",
        json!({"sessionId": "session_1000_ab", "type": "crash", "name": "E"}),
        &[],
    );
    assert_eq!(
        (s, v["message"].as_str()),
        (400, Some("Missing required fields: category, sessionId"))
    );
    let crash = json!({"incidentId": "i1", "sessionId": "session_1000_ab", "timestampMs": 5,
        "category": "exception", "identifier": "E", "detail": "boom", "frames": ["at a"]});
    assert_eq!(
        api.post("/api/ingest/fault", crash.clone(), &[]),
        (200, json!({"ok": true}))
    );
    assert_eq!(
        api.post("/api/ingest/fault", crash, &[]),
        (200, json!({"ok": true, "deduplicated": true}))
    );
    let anr = json!({"sessionId": "session_1000_ab", "category": "anr",
        "context": {"durationMs": 5200, "threadState": "blocked"}});
    assert_eq!(api.post("/api/ingest/fault", anr, &[]).0, 200);
    let bad_frames = json!({"sessionId": "s", "category": "exception", "frames": [{"f": 1}]});
    assert_eq!(api.post("/api/ingest/fault", bad_frames, &[]).0, 400);
    let summary = api.srv.session_summary("session_1000_ab").unwrap();
    assert_eq!((summary.crashes, summary.anrs), (1, 1));
    let stats = api.srv.stats();
    assert_eq!(
        (
            stats.faults_recorded,
            stats.faults_deduplicated,
            stats.faults_rejected
        ),
        (2, 1, 2)
    );
}

#[test]
fn a_key_only_presigned_stays_processing_and_a_key_from_another_run_too() {
    let api = Api::new();
    let k = [("idempotency-key", "k-complete-elsewhere")];
    assert_eq!(
        api.post("/api/ingest/segment/presign", segment("screenshots"), &k)
            .0,
        200
    );
    assert_eq!(
        api.srv.idempotency("k-complete-elsewhere"),
        Some(KeyState::Processing)
    );
    // Completing under another key (what we used to do) never finishes this one.
    assert_eq!(
        api.post("/api/ingest/segment/presign", segment("screenshots"), &k)
            .0,
        202
    );
    api.srv.set_idempotency("left-over", KeyState::Processing);
    let (s, v) = api.post(
        "/api/ingest/presign",
        json!({"sessionId": "session_1000_ab", "contentType": "events", "batchNumber": 0, "sizeBytes": 5}),
        &[("idempotency-key", "left-over")],
    );
    assert_eq!(
        (s, v["retryAfter"].as_u64()),
        (202, Some(5)),
        "the key is per project, not per route"
    );
}

#[test]
fn replay_disabled_skips_frames_only_and_the_kill_switch_is_a_403() {
    let api = Api::new();
    api.srv.set_recording_enabled(false);
    let (s, v) = api.post("/api/ingest/segment/presign", segment("screenshots"), &[]);
    assert_eq!((s, v["skipUpload"].as_bool()), (200, Some(true)));
    assert_eq!(v["reason"], json!("Recording disabled for project"));
    assert!(v.get("deduplicated").is_none());
    let (s, v) = api.post("/api/ingest/segment/presign", segment("hierarchy"), &[]);
    assert!(s == 200 && v["presignedUrl"].is_string(), "{v}");
    api.srv.set_project_disabled(true);
    let (s, v) = api.post("/api/ingest/segment/presign", segment("hierarchy"), &[]);
    assert_eq!(s, 403);
    assert_eq!(
        v["message"],
        json!("Rejourney is disabled for this project")
    );
}

#[test]
fn session_end_keeps_what_the_backend_keeps() {
    let api = Api::new();
    let end = json!({"sessionId": "session_1000_ab", "endedAt": 61_000, "endReason": "stopped",
        "totalBackgroundTimeMs": 0, "isSampledIn": true,
        "metrics": {"touchCount": 3, "screensVisited": ["Home"], "custom": 1},
        "sdkTelemetry": {"uploadSuccessCount": 4, "capture": {"frames": 1}}, "extra": true});
    let (s, v) = api.post("/api/ingest/session/end", end, &[]);
    assert_eq!((s, v["durationSeconds"].as_u64()), (200, Some(60)), "{v}");
    let kept = api
        .srv
        .session_summary("session_1000_ab")
        .unwrap()
        .end
        .unwrap();
    assert_eq!(
        kept["metrics"],
        json!({"touchCount": 3, "screensVisited": ["Home"]})
    );
    assert_eq!(kept["sdkTelemetry"], json!({"uploadSuccessCount": 4}));
    assert!(kept.get("extra").is_none());
    let (s, v) = api.post(
        "/api/ingest/session/end",
        json!({"sessionId": "session_2000_cd", "isSampledIn": false}),
        &[],
    );
    assert_eq!((s, v["ignored"].as_bool()), (200, Some(true)));
}

#[test]
fn the_platform_comes_from_the_presign_or_the_user_agent() {
    let api = Api::new();
    let mut body = segment("hierarchy");
    body["sessionId"] = json!("session_3000_ef");
    let resp = api
        .http
        .post(format!("{}/api/ingest/segment/presign", api.srv.url()))
        .header("content-type", "application/json")
        .header("x-rejourney-key", "pk")
        .header("x-upload-token", &api.token)
        .header("user-agent", "Rejourney-SDK/0.1.0 (Android; Pixel 8; 14)")
        .body(body.to_string())
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let s = api.srv.session_summary("session_3000_ef").unwrap();
    assert_eq!(s.platform.as_deref(), Some("android"));
    let mut body = segment("hierarchy");
    body["sessionId"] = json!("session_4000_gh");
    body["platform"] = json!("ios");
    api.post("/api/ingest/segment/presign", body, &[]);
    let s = api.srv.session_summary("session_4000_gh").unwrap();
    assert_eq!(s.platform.as_deref(), Some("ios"));
}
