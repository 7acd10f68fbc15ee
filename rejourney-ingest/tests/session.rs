//! The backend's contract, continued (rules 1–4 are in `contract.rs`): the session end's
//! schema (5); what events mean and where the platform comes from (6); bounded, robust
//! state (7, with the unit tests of `bounded.rs`). Real HTTP on 127.0.0.1.

mod common;

use common::{segment, Api};
use rejourney_ingest::KeyState;
use serde_json::{json, Value};

const S: &str = "session_1000_ab";

#[test]
fn rule5_the_session_end_is_validated_and_kept_like_the_backends_schema() {
    let api = Api::new();
    let (s, v) = api.post(
        "/api/ingest/session/end",
        json!({"sessionId": S, "endedAt": "soon", "endReason": "x".repeat(65),
            "metrics": {"touchCount": 1.5, "screensVisited": "Home"},
            "sdkTelemetry": {"uploadFailureCount": 0.5, "lastUploadTime": "now"}}),
        &[],
    );
    assert_eq!((s, v["error"].as_str()), (400, Some("Validation Error")));
    let paths: Vec<&str> = v["details"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["path"].as_str())
        .collect();
    assert_eq!(
        paths,
        [
            "endedAt",
            "endReason",
            "metrics.touchCount",
            "metrics.screensVisited",
            "sdkTelemetry.uploadFailureCount",
            "sdkTelemetry.lastUploadTime"
        ]
    );
    assert_eq!(
        v["details"][2]["message"],
        json!("Expected integer, received float")
    );
    assert_eq!(
        api.post("/api/ingest/session/end", json!({"endedAt": 5}), &[])
            .0,
        400
    );
    let end = json!({"sessionId": S, "endedAt": 91_000, "endReason": "user_initiated",
        "totalBackgroundTimeMs": 30_000, "isSampledIn": true, "sdkVersion": "0.1.0", "extra": 1,
        "metrics": {"touchCount": 3, "screensVisited": ["Home"], "durationSeconds": 9,
            "deadTapCount": 1, "uxScore": 71.5},
        "sdkTelemetry": {"uploadSuccessCount": 4, "lastRetryTime": null,
            "uploadSuccessRate": 1.0, "capture": {"frames": 1}}});
    let (s, v) = api.post("/api/ingest/session/end", end, &[]);
    assert_eq!(
        (s, v),
        (
            200,
            json!({"success": true, "durationSeconds": 60, "backgroundTimeSeconds": 30})
        )
    );
    let kept = json!({"sessionId": S, "endedAt": 91_000, "endReason": "user_initiated",
        "totalBackgroundTimeMs": 30_000, "isSampledIn": true, "sdkVersion": "0.1.0",
        "metrics": {"touchCount": 3, "screensVisited": ["Home"], "uxScore": 71.5},
        "sdkTelemetry": {"uploadSuccessCount": 4, "lastRetryTime": null,
            "uploadSuccessRate": 1.0}});
    let summary = api.srv.session_summary(S).unwrap();
    assert_eq!(
        summary.end.as_ref(),
        Some(&kept),
        "unknown keys are stripped"
    );
    let on_disk: Value =
        serde_json::from_slice(&std::fs::read(api.data.join(S).join("session-end.json")).unwrap())
            .unwrap();
    assert_eq!(on_disk, kept, "stored as the backend keeps it");
    // A repeat answers the first timing; a sampled-out end is ignored.
    let (_, again) = api.post(
        "/api/ingest/session/end",
        json!({"sessionId": S, "endedAt": 999_000}),
        &[],
    );
    assert_eq!(again["durationSeconds"], json!(60));
    assert_eq!(
        api.post(
            "/api/ingest/session/end",
            json!({"sessionId": "session_5_x", "isSampledIn": false}),
            &[]
        ),
        (
            200,
            json!({"success": true, "ignored": true, "reason": "client_sampled_out"})
        )
    );
    assert!(api.srv.session_summary("session_5_x").is_none());
    let stats = api.srv.stats();
    assert_eq!(
        (
            stats.sessions_ended,
            stats.session_end_repeats,
            stats.session_ends_ignored
        ),
        (1, 1, 1)
    );
}

#[test]
fn rule6_events_mean_what_the_backend_counts() {
    let api = Api::new();
    let tap = |ts: u64, x: u64| {
        json!({"type": "touch", "gestureType": "tap", "timestamp": ts, "x": x, "y": 10,
            "touches": [{"x": x, "y": 10, "timestamp": ts}]})
    };
    let events = json!([
        {"type": "screen_change", "timestamp": 1, "screenName": "Ignored"},
        {"type": "navigation", "timestamp": 2, "screen": "Home", "screenName": "Home"},
        {"type": "navigation", "timestamp": 3, "screenName": "Home"},
        tap(10, 10), tap(20, 300),
        {"type": "gesture", "gestureType": "swipe", "timestamp": 30, "x": 1, "y": 1},
        {"type": "gesture", "gestureType": "scroll", "timestamp": 31, "x": 1, "y": 1},
        {"type": "gesture", "gestureType": "pinch", "timestamp": 32, "x": 1, "y": 1},
        {"type": "gesture", "gestureType": "long_press", "timestamp": 33, "x": 500, "y": 500,
         "touches": [{"x": 500, "y": 500, "timestamp": 33}]},
        {"type": "gesture", "gestureType": "rage_tap", "frustrationKind": "rage_tap",
         "timestamp": 34, "x": 900, "y": 900},
        {"type": "gesture", "gestureType": "dead_tap", "frustrationKind": "dead_tap",
         "timestamp": 35, "x": 700, "y": 700},
        {"type": "navigation", "timestamp": 40, "screen": "Settings"},
        {"type": "network_request", "timestamp": 50, "url": "https://api.example.com/a", "statusCode": 200},
        {"type": "network_request", "timestamp": 51, "url": "https://api.example.com/b", "statusCode": 503},
        {"type": "network_request", "timestamp": 52, "url": "https://api.example.com/c", "success": false},
        {"type": "network_request", "timestamp": 53, "url": "https://cdn.example.com/logo.png", "statusCode": 200},
        {"type": "network_request", "timestamp": 54, "url": "https://api.rejourney.co/api/ingest/presign"},
        {"type": "custom", "timestamp": 60, "name": "buy", "properties": {"amount": 1}},
        {"type": "error", "timestamp": 61, "name": "TypeError", "message": "x"},
        {"type": "anr", "timestamp": 62, "durationMs": 5200, "incidentId": "a-9"},
        {"type": "keyboard_show", "timestamp": 63}, {"type": "keyboard_hide", "timestamp": 64},
        {"type": "log", "timestamp": 65, "level": "warn", "message": "m"},
        {"type": "app_state", "timestamp": 66}, {"type": "app_background", "timestamp": 67}
    ]);
    api.upload_events(
        S,
        json!({"events": events, "deviceInfo": {"platform": "ios",
        "model": "iPhone15,2", "osVersion": "17.5", "appVersion": "1.0.0"}}),
        &[],
    );
    let s = api.srv.session_summary(S).unwrap();
    assert_eq!(s.screens_visited, vec!["Home", "Settings"]);
    assert_eq!(
        s.touch_count, 5,
        "two taps, the long press, the rage and the dead tap"
    );
    assert_eq!((s.gesture_count, s.scroll_count), (6, 2));
    assert_eq!((s.rage_taps, s.dead_taps), (1, 1));
    assert_eq!(
        (s.api_total, s.api_success, s.api_error),
        (3, 1, 2),
        "assets and own calls dropped"
    );
    assert_eq!(
        (s.custom_count, s.error_count, s.anr_count, s.anrs),
        (1, 1, 1, 1)
    );
    assert_eq!(
        (s.input_count, s.uncounted),
        (2, 3),
        "screen_change, log, app_state"
    );
    assert_eq!(
        (
            s.platform.as_deref(),
            s.device_model.as_deref(),
            s.os_version.as_deref()
        ),
        (Some("ios"), Some("iPhone15,2"), Some("17.5"))
    );
    // Where the platform comes from: deviceInfo, else the presign's, else the user agent,
    // else "unknown" — and a session a fault created stays "unknown" until a batch says.
    let presign_with = |session: &str, extra: Value, ua: Option<&str>| {
        let mut body = segment(session, "hierarchy", 1);
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let headers: Vec<(&str, &str)> = ua.map(|u| ("user-agent", u)).into_iter().collect();
        api.post("/api/ingest/segment/presign", body, &headers).0
    };
    let platform = |id: &str| api.srv.session_summary(id).and_then(|s| s.platform);
    presign_with("session_1_a", json!({"platform": "android"}), None);
    presign_with(
        "session_1_b",
        json!({}),
        Some("Rejourney-SDK/0.1.0 (iOS; iPhone15,2; 17.5)"),
    );
    presign_with("session_1_c", json!({}), Some("okhttp/4.12.0"));
    presign_with(
        "session_1_d",
        json!({"deviceModel": "Pixel"}),
        Some("okhttp/4.12.0"),
    );
    assert_eq!(
        ["session_1_a", "session_1_b", "session_1_c", "session_1_d"].map(platform),
        [
            Some("android".into()),
            Some("ios".into()),
            Some("android".into()),
            Some("unknown".into())
        ]
    );
    api.post(
        "/api/ingest/fault",
        json!({"sessionId": "session_1_e", "category": "x"}),
        &[],
    );
    presign_with("session_1_e", json!({"platform": "ios"}), None);
    assert_eq!(platform("session_1_e").as_deref(), Some("unknown"));
    api.upload_events(
        "session_1_e",
        json!({"events": [], "deviceInfo": {"platform": "ios"}}),
        &[],
    );
    assert_eq!(platform("session_1_e").as_deref(), Some("ios"));
}

#[test]
fn rule7_state_is_bounded_and_the_server_stays_up() {
    let api = Api::new();
    // Many keys, tokens and sessions: each table keeps its bound (see bounded.rs); here,
    // a burst of distinct keys and sessions is served and remembered.
    for i in 0..300 {
        let key = format!("burst-{i}");
        let session = format!("session_1000_{i}");
        let (s, _) = api.post(
            "/api/ingest/segment/presign",
            segment(&session, "screenshots", 1000),
            &[("idempotency-key", &key)],
        );
        assert_eq!(s, 200);
    }
    assert_eq!(api.srv.idempotency("burst-0"), Some(KeyState::Processing));
    assert_eq!(api.srv.idempotency("burst-299"), Some(KeyState::Processing));
    assert!(api.srv.session_summary("session_1000_299").is_some());
    assert_eq!(api.srv.requests().len(), 301);
}
