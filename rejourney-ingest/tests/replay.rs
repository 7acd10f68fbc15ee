//! The replay page and the server's development pages, from what the protocol stored: the
//! replay file inlines exactly the stored artifacts and requests nothing; `/` lists sessions
//! with their figures; `/sessions/<id>` is the live player; bad files are reported, not fatal;
//! the `replay` command writes the file or says why not. (The page itself is tested in a real
//! browser by `scripts/test-viewer.sh`.)

mod common;

use std::path::Path;
use std::process::Command;

use base64::Engine as _;
use common::{bundle, gzip, segment, tmp, Api};
use rejourney_ingest::{
    list_sessions, load_session, session_ids, write_replay, ReplayOptions, StoredError,
};
use serde_json::{json, Value};

const SESSION: &str = "session_1000_00000000000000aa";

/// A session through the protocol: two frame bundles, a snapshot, an events batch, a fault
/// report and the end call.
fn record(api: &Api) {
    api.upload_segment(segment(SESSION, "screenshots", 1000), bundle(3), None);
    api.upload_segment(segment(SESSION, "screenshots", 5000), bundle(2), None);
    let snapshot = json!({"timestamp": 1500, "partial": false, "nodeCount": 2,
        "root": {"id": 1, "type": "container", "class": "UIView",
            "frame": {"x": 0, "y": 0, "width": 390, "height": 844}, "masked": false,
            "children": [{"id": 2, "type": "secure_input", "class": "UITextField",
                "frame": {"x": 20, "y": 100, "width": 350, "height": 44}, "masked": true,
                "textLength": 8, "children": []}]}});
    api.upload_segment(segment(SESSION, "hierarchy", 1500), gzip(&snapshot), None);
    let batch = json!({"deviceInfo": {"platform": "ios", "model": "iPhone15,2"}, "events": [
        {"type": "navigation", "timestamp": 1100, "screen": "Login"},
        {"type": "touch", "gestureType": "tap", "timestamp": 2000, "x": 10, "y": 20},
        {"type": "network_request", "timestamp": 2500, "method": "GET", "statusCode": 200,
            "duration": 12, "url": "https://api.example/v1/items?token=[REDACTED]"}]});
    api.upload_events(SESSION, batch, &[]);
    let (s, v) = api.post(
        "/api/ingest/fault",
        json!({"sessionId": SESSION, "category": "exception", "identifier": "Boom",
            "timestampMs": 7000, "frames": []}),
        &[],
    );
    assert_eq!(s, 200, "{v}");
    let (s, v) = api.post(
        "/api/ingest/session/end",
        json!({"sessionId": SESSION, "endedAt": 9000, "isSampledIn": true,
            "metrics": {"touchCount": 1}, "sdkTelemetry": {"uploadSuccessCount": 6}}),
        &[],
    );
    assert_eq!(s, 200, "{v}");
}

/// The page's data block.
fn page_data(html: &str) -> Value {
    let start = html
        .find(r#"<script type="application/json" id="rj-data">"#)
        .expect("data block")
        + r#"<script type="application/json" id="rj-data">"#.len();
    let len = html[start..]
        .find("</script>")
        .expect("end of the data block");
    serde_json::from_str(&html[start..start + len]).expect("the data block is JSON")
}

/// A `GET` sent as written (an HTTP client would normalise `..` away); the status.
fn raw_get(api: &Api, path: &str) -> u16 {
    use std::io::{Read, Write};
    let mut c = std::net::TcpStream::connect(api.srv.addr()).unwrap();
    write!(c, "GET {path} HTTP/1.1\r\nHost: local\r\n\r\n").unwrap();
    let mut answer = String::new();
    c.read_to_string(&mut answer).unwrap();
    answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn stored_files(dir: &Path) -> Vec<Vec<u8>> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect()
}

#[test]
fn the_replay_file_inlines_what_was_stored_and_requests_nothing() {
    let api = Api::new();
    record(&api);
    let out = tmp("replay").join("nested/replay.html");
    let r = write_replay(&api.data, None, &out, &ReplayOptions::default()).unwrap();
    assert_eq!(
        (
            r.session_id.as_str(),
            r.bundles,
            r.events,
            r.snapshots,
            r.faults
        ),
        (SESSION, 2, 3, 1, 1)
    );
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.contains("default-src 'none'") && html.contains("connect-src 'none'"));
    for external in ["src=\"", "href=\"", "<link", "@import", "url("] {
        assert!(!html.contains(external), "the page refers to {external}");
    }
    let d = page_data(&html);
    let b64 = base64::engine::general_purpose::STANDARD;
    let inlined: Vec<Vec<u8>> = d["bundles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b64.decode(b["gz"].as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(
        inlined,
        stored_files(&api.data.join(SESSION).join("screenshots")),
        "bundles inlined byte for byte, as stored"
    );
    assert_eq!(d["session"]["startMs"], 1000);
    assert_eq!(d["session"]["ended"], true);
    assert_eq!(d["session"]["end"]["sdkTelemetry"]["uploadSuccessCount"], 6);
    assert_eq!(d["events"].as_array().unwrap().len(), 3);
    assert_eq!(
        d["events"][2]["url"],
        "https://api.example/v1/items?token=[REDACTED]"
    );
    assert_eq!(d["hierarchy"][0]["root"]["children"][0]["masked"], true);
    assert_eq!(d["faults"][0]["identifier"], "Boom");
    assert_eq!(d["deviceInfo"]["model"], "iPhone15,2");
    assert_eq!(
        d["limits"],
        json!({"maxDecompressed": 64 << 20, "maxFrames": 1000, "maxFrameLen": 8 << 20})
    );
    assert_eq!(d["live"], false);
    assert!(d["problems"].as_array().unwrap().is_empty());
}

#[test]
fn the_server_lists_sessions_and_serves_the_live_player() {
    let api = Api::new();
    record(&api);
    let before = api.srv.requests().len();
    let list = api.http.get(format!("{}/", api.srv.url())).send().unwrap();
    assert_eq!(list.status(), 200);
    assert!(list.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let text = list.text().unwrap();
    assert!(text.contains(&format!("href=\"/sessions/{SESSION}\"")));
    for (k, v) in [("frames", "5"), ("events", "3"), ("faults", "1")] {
        assert!(
            text.contains(&format!("data-k=\"{k}\">{v}<")),
            "{k} = {v} in {text}"
        );
    }
    assert!(
        text.contains("<td class=\"n\">8.0 s</td>"),
        "duration from the end call"
    );

    let page = api
        .http
        .get(format!("{}/sessions/{SESSION}", api.srv.url()))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(page.contains("connect-src 'self'"));
    let d = page_data(&page);
    assert_eq!(
        (d["live"].clone(), d["dataUrl"].clone()),
        (json!(true), json!(format!("/sessions/{SESSION}/data.json")))
    );
    let data = api.get(&format!("/sessions/{SESSION}/data.json"), &[]);
    assert_eq!(data.status, 200);
    assert_eq!(data.body["signature"], d["signature"]);
    assert_eq!(data.body["bundles"].as_array().unwrap().len(), 2);

    for missing in [
        "/sessions/session_2_nope",
        "/sessions/..",
        "/sessions/../faults",
        "/sessions/%2e%2e",
        "/sessions/faults",
        "/sessions/a/b",
        "/sessions/",
    ] {
        assert_eq!(raw_get(&api, missing), 404, "{missing}");
    }
    assert_eq!(
        api.srv.requests().len(),
        before,
        "pages are not protocol requests"
    );
}

#[test]
fn unreadable_files_are_reported_and_the_rest_still_replays() {
    let api = Api::new();
    record(&api);
    let dir = api.data.join(SESSION);
    std::fs::write(dir.join("screenshots/seg_corrupt.gz"), b"not a bundle").unwrap();
    std::fs::write(dir.join("events/batch_999999_corrupt.gz"), b"not gzip").unwrap();
    std::fs::write(dir.join("events/half-written.tmp"), b"ignored").unwrap();
    let s = load_session(&api.data, SESSION).unwrap();
    assert_eq!(
        s.bundles.len(),
        3,
        "a bad bundle is kept for the player to refuse"
    );
    assert_eq!(s.events.len(), 3);
    assert_eq!(s.problems.len(), 1, "{:?}", s.problems);
    assert!(s.problems[0].contains("batch_999999_corrupt.gz"));
    let rows = list_sessions(&api.data).unwrap();
    assert_eq!(
        (rows[0].frames, rows[0].bundles_refused),
        (5, 1),
        "counted with the core's strict parser"
    );
}

#[test]
fn sessions_are_found_newest_first() {
    let data = tmp("ids");
    for id in [
        "session_2000_b",
        "session_3000_a",
        "custom-id",
        "faults",
        "empty_dir",
    ] {
        std::fs::create_dir_all(data.join(id)).unwrap();
    }
    for id in ["session_2000_b", "session_3000_a", "custom-id"] {
        std::fs::create_dir_all(data.join(id).join("events")).unwrap();
    }
    std::fs::write(data.join("stray-file"), b"x").unwrap();
    assert_eq!(
        session_ids(&data).unwrap(),
        ["session_3000_a", "session_2000_b", "custom-id"]
    );
    assert!(matches!(
        load_session(&data, "session_9_missing"),
        Err(StoredError::NoSuchSession { .. })
    ));
    assert!(matches!(
        write_replay(
            &tmp("none"),
            None,
            &data.join("x.html"),
            &ReplayOptions::default()
        ),
        Err(rejourney_ingest::ReplayError::Stored(
            StoredError::Io { .. }
        ))
    ));
    let empty = tmp("empty");
    std::fs::create_dir_all(&empty).unwrap();
    assert!(matches!(
        write_replay(
            &empty,
            None,
            &data.join("x.html"),
            &ReplayOptions::default()
        ),
        Err(rejourney_ingest::ReplayError::Stored(
            StoredError::NoSessions(_)
        ))
    ));
}

#[test]
fn the_replay_command_writes_the_file_or_says_why_not() {
    let api = Api::new();
    record(&api);
    let bin = env!("CARGO_BIN_EXE_rejourney-ingest");
    let out = tmp("cli").join("r.html");
    let telemetry = tmp("cli-telemetry.json");
    std::fs::write(&telemetry, br#"{"frames_captured": 5, "dropped": {}}"#).unwrap();
    let run = Command::new(bin)
        .args(["replay", "--data"])
        .arg(&api.data)
        .args(["--session", SESSION, "--telemetry"])
        .arg(&telemetry)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(run.status.success(), "{run:?}");
    let said = String::from_utf8_lossy(&run.stdout);
    assert!(said.contains(&out.display().to_string()), "{said}");
    let d = page_data(&std::fs::read_to_string(&out).unwrap());
    assert_eq!(d["clientTelemetry"]["frames_captured"], 5);
    let missing = Command::new(bin)
        .args(["replay", "--data"])
        .arg(&api.data)
        .args(["--session", "session_5_gone", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no session session_5_gone"));
    let usage = Command::new(bin)
        .args(["replay", "--data"])
        .arg(&api.data)
        .output()
        .unwrap();
    assert_eq!(usage.status.code(), Some(2), "no --out");
}
