//! Session lifecycle through the client against the real local server: background timeout
//! rotation with an end call for the old session, sampling, identity, opt-out deleting the
//! spool, and event/hierarchy artifacts through their own endpoints.

use std::io::Write;
use std::time::Duration;

use rejourney_core::client::{Client, ClientOptions, SessionObserver};
use rejourney_core::session::SessionConfig;
use rejourney_core::spool::{ArtifactKind, ArtifactMeta};
use rejourney_core::upload::{
    idempotency_key, wall_clock_ms, Artifact, DeliveryConfig, RetryPolicy,
};
use rejourney_core::{Action, FrameSpec, PixelFormat};
use rejourney_ingest::{IngestServer, Route, ServerOptions};

const WAIT: Duration = Duration::from_secs(20);

fn tmp(name: &str) -> std::path::PathBuf {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    std::env::temp_dir().join(format!("rj-life-{name}-{}-{n:x}", std::process::id()))
}

fn client(srv_url: &str, spool: &std::path::Path, session: SessionConfig) -> Client {
    let mut d = DeliveryConfig::new(srv_url, "pk", "dev", spool);
    d.retry = RetryPolicy {
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
        ..RetryPolicy::default()
    };
    let mut o = ClientOptions::new(d);
    o.session = session;
    Client::new(o).unwrap()
}

fn frame(c: &Client, v: u8, ts: u64) {
    c.submit_frame_with_masks(
        vec![v; 32 * 32 * 4],
        FrameSpec::packed(32, 32, PixelFormat::Rgba, 1.25),
        &[],
        ts,
    )
    .unwrap();
    assert!(c.sync_capture(WAIT));
}

#[derive(Default)]
struct Log(std::sync::Mutex<Vec<String>>);
impl SessionObserver for Log {
    fn session_started(&self, id: &str) {
        self.0.lock().unwrap().push(format!("start {id}"));
    }
    fn session_ended(&self, id: &str, reason: &str) {
        self.0.lock().unwrap().push(format!("end {id} {reason}"));
    }
}

#[test]
fn long_background_rotates_the_session_and_ends_the_old_one() {
    let srv = IngestServer::start(ServerOptions::new(tmp("srv"))).unwrap();
    let c = client(
        &srv.url(),
        &tmp("spool"),
        SessionConfig {
            background_timeout_ms: 30_000,
            ..SessionConfig::default()
        },
    );
    let log = std::sync::Arc::new(Log::default());
    c.set_observer(Some(log.clone()));
    let first = c.start(1_000_000).unwrap();
    frame(&c, 1, 1_000_000);
    c.app_backgrounded(1_001_000);
    assert!(
        matches!(c.tick(1_002_000).unwrap().action, Action::Skip(_)),
        "no capture in background"
    );
    c.app_foregrounded(1_010_000);
    assert_eq!(
        c.session_id().as_deref(),
        Some(first.as_str()),
        "a short absence continues the session"
    );
    c.app_backgrounded(1_020_000);
    c.app_foregrounded(1_100_000);
    let second = c.session_id().unwrap();
    assert_ne!(second, first, "a long absence starts a new session");
    frame(&c, 2, 1_100_500);
    c.stop(1_101_000).unwrap();
    assert!(c.flush(WAIT));
    let ends: Vec<_> = srv
        .requests()
        .into_iter()
        .filter(|r| r.route == Route::SessionEnd)
        .filter_map(|r| r.json)
        .collect();
    assert_eq!(ends.len(), 2);
    let old = ends
        .iter()
        .find(|e| e["sessionId"] == first.as_str())
        .expect("old session ended");
    assert_eq!(old["endReason"], "background_timeout");
    assert_eq!(old["endedAt"], 1_050_000, "ended when the timeout expired");
    assert_eq!(old["totalBackgroundTimeMs"], 9_000 + 30_000);
    // Telemetry and metrics in the backend's shape (integers; only keys it keeps).
    for k in ["uploadSuccessCount", "sessionStartCount"] {
        assert!(
            old["sdkTelemetry"][k].is_u64(),
            "{k}: {}",
            old["sdkTelemetry"]
        );
    }
    assert!(old["sdkTelemetry"].get("capture").is_none());
    assert!(old["metrics"]["crashCount"].is_u64());
    assert!(
        old["metrics"].get("touchCount").is_none(),
        "rebuilt by the backend"
    );
    let shots: Vec<_> = srv
        .artifacts()
        .into_iter()
        .filter(|a| a.kind == "screenshots")
        .map(|a| a.session_id)
        .collect();
    assert!(
        shots.contains(&first) && shots.contains(&second),
        "each session's frames under its own id"
    );
    let log = log.0.lock().unwrap().clone();
    assert_eq!(
        log,
        vec![
            format!("start {first}"),
            format!("end {first} background_timeout"),
            format!("start {second}"),
            format!("end {second} stopped")
        ]
    );
}

#[test]
fn unsampled_sessions_capture_nothing_but_still_end() {
    let srv = IngestServer::start(ServerOptions::new(tmp("srv"))).unwrap();
    let c = client(
        &srv.url(),
        &tmp("spool"),
        SessionConfig {
            sample_rate: 0.0,
            ..SessionConfig::default()
        },
    );
    c.start(5_000).unwrap();
    assert!(matches!(c.tick(5_000).unwrap().action, Action::Skip(_)));
    c.stop(6_000).unwrap();
    assert!(c.flush(WAIT));
    let end = srv
        .requests()
        .into_iter()
        .find(|r| r.route == Route::SessionEnd)
        .and_then(|r| r.json)
        .unwrap();
    assert_eq!(end["isSampledIn"], false);
    assert_eq!(srv.artifacts().len(), 0);
}

#[test]
fn opt_out_stops_capture_and_deletes_the_spool() {
    let spool = tmp("spool");
    // Unreachable server: everything stays spooled until the opt-out.
    let c = client("http://127.0.0.1:9", &spool, SessionConfig::default());
    c.start(1_000).unwrap();
    for i in 0..6u8 {
        frame(&c, i, 1_000 + i as u64 * 1000);
    }
    assert!(c.persist(WAIT));
    assert_eq!(c.telemetry().delivery.spool_files, 2);
    c.opt_out(10_000);
    assert!(matches!(
        c.submit_frame_with_masks(
            vec![0; 16],
            FrameSpec::packed(2, 2, PixelFormat::Rgba, 1.0),
            &[],
            11_000
        ),
        Err(rejourney_core::ClientError::NotStarted)
    ));
    let deadline = std::time::Instant::now() + WAIT;
    while c.telemetry().delivery.spool_files > 0 {
        assert!(std::time::Instant::now() < deadline, "spool not purged");
        std::thread::sleep(Duration::from_millis(10));
    }
    let left = std::fs::read_dir(&spool)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "rjs"))
        .count();
    assert_eq!(left, 0, "no artifact left on disk");
}

fn gz(json: &serde_json::Value) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(json.to_string().as_bytes()).unwrap();
    e.finish().unwrap()
}

#[test]
fn events_and_hierarchy_artifacts_use_their_endpoints() {
    let srv = IngestServer::start(ServerOptions::new(tmp("srv"))).unwrap();
    let c = client(&srv.url(), &tmp("spool"), SessionConfig::default());
    let session = c.start(7_000).unwrap();
    let meta = |kind, n| ArtifactMeta {
        kind,
        session_id: session.clone(),
        start_ms: 7_000,
        end_ms: 7_500,
        item_count: n,
        batch_number: 1,
        idempotency_key: idempotency_key(&session, kind, 7_000),
        created_ms: wall_clock_ms(),
        is_sampled_in: true,
    };
    let events = serde_json::json!({"events": [{"type": "custom", "timestamp": 7_100, "name": "purchase"}], "deviceInfo": {"platform": "test"}});
    c.enqueue(Artifact {
        meta: meta(ArtifactKind::Events, 1),
        body: gz(&events),
    })
    .unwrap();
    let tree = serde_json::json!({"timestamp": 7_200, "root": {"type": "View", "frame": {"x": 0, "y": 0, "width": 10, "height": 10}}});
    c.enqueue(Artifact {
        meta: meta(ArtifactKind::Hierarchy, 1),
        body: gz(&tree),
    })
    .unwrap();
    assert!(c.flush(WAIT));
    let kinds: Vec<String> = srv.artifacts().into_iter().map(|a| a.kind).collect();
    assert!(
        kinds.contains(&"events".to_owned()) && kinds.contains(&"hierarchy".to_owned()),
        "{kinds:?}"
    );
    let routes: Vec<Route> = srv.requests().into_iter().map(|r| r.route).collect();
    assert!(routes.contains(&Route::EventsPresign) && routes.contains(&Route::BatchComplete));
    let complete = srv
        .requests()
        .into_iter()
        .find(|r| r.route == Route::BatchComplete)
        .and_then(|r| r.json)
        .unwrap();
    assert_eq!(complete["eventCount"], 1);
}
