//! The SDK speaks the real backend's contract, one test per finding of a session recorded
//! into a self-hosted Rejourney backend, each against the local server that now enforces the
//! same rules (real HTTP on 127.0.0.1):
//!
//! 1. crashes and ANRs are accepted (category / identifier / frames / context, one incident);
//! 2. idempotency keys the backend can finish, and a 202 never holds back other artifacts;
//! 3. `skipUpload` is per upload: replay off still delivers events and the session end;
//! 4. the end call's `metrics` and `sdkTelemetry` survive the backend's schema;
//! 5. events mean what the backend counts (screens, taps, gestures, platform);
//! 6. a presign 403 "Rejourney is disabled" stops the SDK instead of re-authenticating.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rejourney_core::client::{Client, ClientOptions};
use rejourney_core::events::{Gesture, NetworkRequest};
use rejourney_core::policy::Action;
use rejourney_core::telemetry::SkipReason;
use rejourney_harness::{fast_retry_options, temp_path};
use rejourney_ingest::{Fault, IngestServer, KeyState, Route, ServerOptions};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(20);

fn tmp(name: &str) -> PathBuf {
    temp_path("contract", name)
}

fn options(url: &str, spool: &Path) -> ClientOptions {
    let mut o = fast_retry_options(url, spool);
    o.anr_threshold_ms = 0;
    o.device_info = json!({"platform": "ios", "model": "iPhone15,2", "osVersion": "17.5",
        "appVersion": "1.0.0", "screenWidth": 32, "screenHeight": 32, "pixelRatio": 1});
    o
}

fn client(srv: &IngestServer, name: &str) -> Client {
    Client::new(options(&srv.url(), &tmp(name))).unwrap()
}

fn frame(c: &Client, v: u8, ts: u64) {
    rejourney_harness::submit_window_frame(c, v, ts);
}

fn stored(srv: &IngestServer, kind: &str) -> usize {
    srv.artifacts().iter().filter(|a| a.kind == kind).count()
}

fn waited_for(mut done: impl FnMut() -> bool, limit: Duration) -> bool {
    let t = Instant::now();
    while t.elapsed() < limit {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    done()
}

#[test]
fn crashes_and_anrs_are_accepted_once() {
    let srv = IngestServer::start(ServerOptions::new(tmp("fsrv"))).unwrap();
    let c = client(&srv, "fspool");
    let session = c.start(1_700_000_000_000).unwrap();
    assert!(c
        .record_crash(
            1_700_000_001_000,
            "SIGSEGV",
            "bad access",
            "0 app\n1 libc",
            WAIT
        )
        .unwrap());
    assert!(c.flush(WAIT));
    let s = srv.stats();
    assert_eq!((s.faults_recorded, s.faults_rejected), (1, 0));
    assert_eq!(srv.session_summary(&session).unwrap().crashes, 1);
    assert!(c.telemetry().delivery.dropped.is_empty(), "nothing refused");
}

#[test]
fn a_key_left_processing_by_a_lost_presign_answer_does_not_block_delivery() {
    let srv = IngestServer::start(ServerOptions::new(tmp("isrv"))).unwrap();
    let spool = tmp("ispool");
    // The first presign's answer is lost (the server acted), its retry stalls and the app
    // is killed: the key stays `processing`, and no URL reached the SDK. (A lost PUT answer
    // is another case: the SDK kept the URL with the artifact and PUTs it again.)
    srv.faults()
        .push(Route::SegmentPresign, Fault::HangUpAfterHandling);
    srv.faults()
        .push(Route::SegmentPresign, Fault::Stall(Duration::from_secs(30)));
    let c = Client::new(options(&srv.url(), &spool)).unwrap();
    let session = c.start(1_700_000_000_000).unwrap();
    for i in 0..3u64 {
        frame(&c, i as u8 * 60, 1_700_000_000_000 + i * 1000);
    }
    assert!(c.flush_capture(WAIT));
    assert!(waited_for(
        || {
            let requests = srv.requests();
            requests
                .iter()
                .filter(|r| r.route == Route::SegmentPresign)
                .count()
                >= 2
        },
        WAIT
    ));
    let key = srv
        .requests()
        .iter()
        .find(|r| r.route == Route::SegmentPresign)
        .and_then(|r| r.idempotency_key.clone())
        .unwrap();
    assert_eq!(srv.idempotency(&key), Some(KeyState::Processing));
    c.shutdown(Duration::ZERO);
    drop(c);
    // The next launch resumes the same artifact with its persisted key: 202, then a fresh key.
    srv.faults().clear();
    let next = Client::new(options(&srv.url(), &spool)).unwrap();
    assert!(next.flush(WAIT), "{:?}", next.telemetry().delivery);
    assert_eq!(stored(&srv, "screenshots"), 1);
    let presigns: Vec<_> = srv
        .requests()
        .into_iter()
        .filter(|r| r.route == Route::SegmentPresign)
        .collect();
    assert_eq!(presigns.iter().filter(|r| r.status == Some(202)).count(), 1);
    let fresh = presigns
        .last()
        .and_then(|r| r.idempotency_key.clone())
        .unwrap();
    assert_ne!(fresh, key);
    // Presign and complete carry the same key, so the backend can finish it.
    assert_eq!(srv.idempotency(&fresh), Some(KeyState::Done));
    let _ = session;
}

#[test]
fn a_202_holds_back_only_its_own_artifact() {
    let srv = IngestServer::start(ServerOptions::new(tmp("hsrv"))).unwrap();
    srv.faults().push(
        Route::SegmentPresign,
        Fault::Accepted202 {
            retry_after_secs: 30,
        },
    );
    // Hierarchy snapshots share the segment presign route: off here, so the 202 lands on the
    // frame bundle.
    let mut o = options(&srv.url(), &tmp("hspool"));
    o.hierarchy.enabled = false;
    let c = Client::new(o).unwrap();
    let session = c.start(1_700_000_000_000).unwrap();
    for i in 0..3u64 {
        frame(&c, i as u8 * 60, 1_700_000_000_000 + i * 1000);
    }
    c.screen_changed(1_700_000_003_000, "Home").unwrap();
    c.stop(1_700_000_004_000).unwrap();
    // The events and hierarchy go through while the bundle waits out its 30 s; the session
    // end waits for its own bundle.
    assert!(waited_for(
        || stored(&srv, "events") >= 1,
        Duration::from_secs(5)
    ));
    assert_eq!(stored(&srv, "screenshots"), 0);
    assert!(srv
        .session_summary(&session)
        .is_none_or(|s| s.end.is_none()));
}

#[test]
fn replay_disabled_still_delivers_events_and_the_session_end() {
    let srv = IngestServer::start(ServerOptions::new(tmp("rsrv"))).unwrap();
    srv.set_recording_enabled(false);
    let c = client(&srv, "rspool");
    let session = c.start(1_700_000_000_000).unwrap();
    for i in 0..4u64 {
        frame(&c, i as u8 * 50, 1_700_000_000_000 + i * 1000);
    }
    c.screen_changed(1_700_000_004_000, "Checkout").unwrap();
    c.gesture(Gesture::Tap, 1_700_000_004_100, 5.0, 5.0, Some("Pay"))
        .unwrap();
    assert!(c.flush(WAIT));
    // Replay declined for this session: no more frames are captured for it.
    let d = c.tick(1_700_000_005_000).unwrap();
    assert_eq!(d.action, Action::Skip(SkipReason::Stopped));
    c.stop(1_700_000_006_000).unwrap();
    assert!(c.flush(WAIT));
    assert_eq!(stored(&srv, "screenshots"), 0);
    assert!(stored(&srv, "events") >= 1, "events keep flowing");
    let summary = srv.session_summary(&session).unwrap();
    assert!(
        summary.end.is_some(),
        "the session is ended, not left processing"
    );
    let t = c.telemetry().delivery;
    assert!(t.skipped["Recording disabled for project"] >= 1, "{t:?}");
    assert!(
        !t.dropped.values().all(|n| *n == 0),
        "declined uploads are not reported as delivered"
    );
}

#[test]
fn a_duplicate_is_delivered_not_dropped() {
    let srv = IngestServer::start(ServerOptions::new(tmp("dsrv"))).unwrap();
    srv.faults().push(Route::SegmentPresign, Fault::Duplicate);
    let c = client(&srv, "dspool");
    c.start(1_700_000_000_000).unwrap();
    for i in 0..3u64 {
        frame(&c, i as u8 * 60, 1_700_000_000_000 + i * 1000);
    }
    assert!(c.flush(WAIT));
    let d = c.telemetry().delivery;
    assert_eq!(d.deduplicated, 1);
    assert_eq!(d.delivered["screenshots"], 1);
    assert!(d.dropped.is_empty(), "{d:?}");
}

#[test]
fn the_end_call_survives_the_backends_schema() {
    let srv = IngestServer::start(ServerOptions::new(tmp("esrv"))).unwrap();
    let c = client(&srv, "espool");
    let session = c.start(1_700_000_000_000).unwrap();
    frame(&c, 10, 1_700_000_000_000);
    c.gesture(Gesture::Tap, 1_700_000_000_500, 3.0, 3.0, None)
        .unwrap();
    c.network_request(
        1_700_000_000_600,
        &NetworkRequest {
            method: "GET".into(),
            url: "https://api.example.com/items".into(),
            status: Some(200),
            duration_ms: 12.0,
            request_bytes: None,
            response_bytes: None,
            error: None,
        },
    )
    .unwrap();
    c.stop(1_700_000_002_000).unwrap();
    assert!(c.flush(WAIT));
    let summary = srv.session_summary(&session).unwrap();
    // The backend rebuilds these from the events and adds them after the end call: sent
    // in `metrics` too, they would count twice.
    assert_eq!(summary.touch_count, 1, "the tap, once");
    assert_eq!(summary.api_success, 1, "the request, once");
    let end = summary.end.unwrap();
    assert_eq!(end["metrics"], json!({"crashCount": 0, "anrCount": 0}));
    assert_eq!(end["sdkTelemetry"]["sessionStartCount"], json!(1));
    assert!(end["sdkTelemetry"]["uploadSuccessCount"].is_u64(), "{end}");
}

#[test]
fn events_mean_what_the_backend_counts() {
    let srv = IngestServer::start(ServerOptions::new(tmp("vsrv"))).unwrap();
    let c = client(&srv, "vspool");
    let session = c.start(1_700_000_000_000).unwrap();
    let t0 = 1_700_000_000_000;
    c.screen_changed(t0 + 100, "Home").unwrap();
    c.gesture(Gesture::Tap, t0 + 200, 10.0, 10.0, Some("Row"))
        .unwrap();
    c.screen_changed(t0 + 300, "Detail").unwrap();
    c.gesture(Gesture::Swipe, t0 + 400, 10.0, 10.0, None)
        .unwrap();
    c.gesture(Gesture::Pinch, t0 + 500, 10.0, 10.0, None)
        .unwrap();
    c.gesture(Gesture::LongPress, t0 + 600, 10.0, 10.0, None)
        .unwrap();
    c.stop(t0 + 5_000).unwrap();
    assert!(c.flush(WAIT));
    let s = srv.session_summary(&session).unwrap();
    assert_eq!(s.screens_visited, vec!["Home", "Detail"]);
    assert_eq!(s.touch_count, 2, "the tap and the long press");
    assert_eq!(
        (s.gesture_count, s.scroll_count),
        (3, 1),
        "swipe, pinch, long press"
    );
    assert_eq!(s.platform.as_deref(), Some("ios"));
}

#[test]
fn a_disabled_project_stops_the_sdk() {
    let srv = IngestServer::start(ServerOptions::new(tmp("ksrv"))).unwrap();
    srv.set_project_disabled(true);
    let c = client(&srv, "kspool");
    c.start(1_700_000_000_000).unwrap();
    for i in 0..3u64 {
        frame(&c, i as u8 * 60, 1_700_000_000_000 + i * 1000);
    }
    c.screen_changed(1_700_000_003_000, "Home").unwrap();
    assert!(c.flush(WAIT));
    let d = c.telemetry().delivery;
    assert!(d.project_disabled);
    assert_eq!(d.auth_failures, 0, "not treated as bad credentials");
    let presigns = srv
        .requests()
        .iter()
        .filter(|r| matches!(r.route, Route::SegmentPresign | Route::EventsPresign))
        .count();
    assert_eq!(presigns, 1, "one answer is enough");
    let t = c.tick(1_700_000_010_000).unwrap();
    assert_eq!(
        t.action,
        Action::Skip(SkipReason::Stopped),
        "recording stops"
    );
    assert!(d.dropped["project_disabled"] >= 1);
}

#[test]
fn an_unknown_skip_reason_on_events_does_not_decline_the_replay() {
    let data = tmp("usrv");
    let srv = IngestServer::start(ServerOptions::new(&data)).unwrap();
    srv.faults().push(
        Route::EventsPresign,
        Fault::SkipWithReason("Some reason a newer backend gives".into()),
    );
    let c = client(&srv, "uspool");
    let t0 = 1_700_000_000_000;
    let session = c.start(t0).unwrap();
    c.screen_changed(t0 + 1, "Home").unwrap();
    assert!(c.flush(WAIT), "the events batch is declined, alone");
    c.capture_error(t0 + 2, "TypeError", "x is undefined", "at a\nat b")
        .unwrap();
    frame(&c, 10, t0 + 1_000);
    frame(&c, 90, t0 + 2_000);
    c.stop(t0 + 3_000).unwrap();
    assert!(c.flush(WAIT));
    assert!(stored(&srv, "screenshots") > 0, "the replay goes on");
    let summary = srv.session_summary(&session).unwrap();
    assert!(summary.end.is_some());
    let error = rejourney_ingest::load_session(&data, &session)
        .unwrap()
        .events
        .into_iter()
        .find(|e| e["type"] == "error")
        .expect("the error event");
    assert_eq!(error["stack"], json!("at a\nat b"), "a stack is text");
}
