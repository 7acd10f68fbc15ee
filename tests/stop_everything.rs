//! "Stop everything" against the real local server: an opt-out (and the kill switch) purges
//! everything of the session still on the phone — raw queue, open bundle, sealed bundles,
//! queued trees, spool and buffer entries, its metrics — abandons an upload in flight, and
//! nothing of it is uploaded afterwards. And a frame dropped because capture is stopped
//! (sampled out, held for the remote config) sends no hierarchy snapshot either.

use std::time::Duration;

use rejourney_core::client::{Client, ClientOptions};
use rejourney_core::session::SessionConfig;
use rejourney_core::{FrameSpec, PixelFormat};
use rejourney_harness::{fast_retry_options, submit_window_frame, temp_path};
use rejourney_ingest::{Fault, IngestServer, Route, ServerOptions};

const WAIT: Duration = Duration::from_secs(20);

fn tmp(name: &str) -> std::path::PathBuf {
    temp_path("stop", name)
}

fn client(opts: ClientOptions) -> Client {
    Client::new(opts).unwrap()
}

/// Requests `srv` received for `session` on `route`.
fn requests_of(srv: &IngestServer, route: Route, session: &str) -> usize {
    srv.requests()
        .iter()
        .filter(|r| r.route == route && r.session_id.as_deref() == Some(session))
        .count()
}

fn stored(srv: &IngestServer, session: &str, kind: &str) -> usize {
    srv.artifacts()
        .iter()
        .filter(|a| a.session_id == session && a.kind == kind)
        .count()
}

fn purged(c: &Client) -> u64 {
    c.telemetry()
        .delivery
        .dropped
        .get("purged")
        .copied()
        .unwrap_or(0)
}

#[test]
fn opt_out_sends_nothing_of_the_frames_recorded_just_before_it() {
    // The issue's repro: two frames (an open bundle), opt_out, app_backgrounded.
    let srv = IngestServer::start(ServerOptions::new(tmp("srv"))).unwrap();
    let c = client(fast_retry_options(&srv.url(), &tmp("spool")));
    let session = c.start(1_000_000).unwrap();
    submit_window_frame(&c, 10, 1_000_000);
    submit_window_frame(&c, 20, 1_001_000);
    c.opt_out(1_002_000);
    c.app_backgrounded(1_003_000);
    c.flush(WAIT);
    // A later session is recorded and delivered as usual: the uploader works, it just has
    // nothing of the opted-out session.
    let next = c.start(1_010_000).unwrap();
    submit_window_frame(&c, 30, 1_010_000);
    c.stop(1_011_000).unwrap();
    assert!(c.flush(WAIT));
    assert_eq!(
        stored(&srv, &next, "screenshots"),
        1,
        "the next session is delivered"
    );
    for route in [
        Route::SegmentPresign,
        Route::EventsPresign,
        Route::SessionEnd,
    ] {
        assert_eq!(
            requests_of(&srv, route, &session),
            0,
            "{route:?} of the opted-out session"
        );
    }
    assert!(srv.artifacts().iter().all(|a| a.session_id != session));
    let t = c.telemetry();
    assert!(t.capture.dropped["purged"] >= 2, "{:?}", t.capture.dropped);
}

#[test]
fn opt_out_abandons_an_upload_in_flight() {
    let srv = IngestServer::start(ServerOptions::new(tmp("srv"))).unwrap();
    // The first frame PUT is held by the server, then succeeds.
    srv.faults().push(
        Route::SegmentPut,
        Fault::Delay(Duration::from_millis(1_500)),
    );
    let c = client(fast_retry_options(&srv.url(), &tmp("spool")));
    let session = c.start(2_000_000).unwrap();
    for i in 0..3u8 {
        submit_window_frame(&c, i * 40, 2_000_000 + i as u64 * 1_000);
    }
    // The bundle is sealed (3 frames) and on its way: wait until its PUT reached the server.
    let deadline = std::time::Instant::now() + WAIT;
    while !srv.requests().iter().any(|r| r.route == Route::SegmentPut) {
        assert!(std::time::Instant::now() < deadline, "no PUT");
        std::thread::sleep(Duration::from_millis(10));
    }
    c.opt_out(2_004_000);
    assert!(c.flush(WAIT), "nothing of the session is waiting any more");
    // The held PUT is answered (the server ingests its body then, on the PUT: what reached
    // the server before the opt-out cannot be recalled). Then a later session is recorded
    // and delivered: the upload thread is sequential, so by then it has come back from the
    // held PUT and settled it. Nothing follows it: no complete, no PUT again.
    let held = srv
        .requests()
        .into_iter()
        .find(|r| r.route == Route::SegmentPut)
        .map(|r| r.path)
        .unwrap_or_default();
    let answered = |srv: &IngestServer| {
        srv.requests()
            .iter()
            .any(|r| r.path == held && r.status.is_some())
    };
    while !answered(&srv) {
        assert!(
            std::time::Instant::now() < deadline,
            "the held PUT never ended"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let next = c.start(2_010_000).unwrap();
    submit_window_frame(&c, 200, 2_010_000);
    c.stop(2_011_000).unwrap();
    assert!(c.flush(WAIT));
    assert_eq!(stored(&srv, &next, "screenshots"), 1, "the uploader works");
    assert_eq!(requests_of(&srv, Route::SegmentComplete, &session), 0);
    let puts = srv.requests().iter().filter(|r| r.path == held).count();
    assert_eq!(puts, 1, "nothing of it is uploaded again");
    let t = c.telemetry();
    assert_eq!(
        t.delivery.delivered.get("screenshots"),
        Some(&1),
        "only the later session's bundle counts as delivered: {t:?}"
    );
    assert!(purged(&c) >= 1, "{:?}", t.delivery.dropped);
}

#[test]
fn an_opted_out_sessions_screens_do_not_go_out_with_the_next_sessions_end() {
    let srv = IngestServer::start(ServerOptions::new(tmp("srv"))).unwrap();
    let c = client(fast_retry_options(&srv.url(), &tmp("spool")));
    c.start(3_000_000).unwrap();
    c.screen_changed(3_000_100, "PrivateInbox").unwrap();
    c.opt_out(3_001_000);
    let next = c.start(3_010_000).unwrap();
    c.screen_changed(3_010_100, "Home").unwrap();
    c.stop(3_011_000).unwrap();
    assert!(c.flush(WAIT));
    let end = srv
        .requests()
        .into_iter()
        .find(|r| r.route == Route::SessionEnd && r.session_id.as_deref() == Some(&next))
        .and_then(|r| r.json)
        .expect("the next session's end call");
    // The end call carries only what the backend does not rebuild from events; whatever
    // it carries, nothing of the opted-out session is in it.
    assert!(
        !end.to_string().contains("PrivateInbox"),
        "the opted-out session's screen went out: {end}"
    );
    let leaked = srv
        .requests()
        .into_iter()
        .filter(|r| r.session_id.as_deref() == Some(&next))
        .any(|r| {
            r.json
                .is_some_and(|j| j.to_string().contains("PrivateInbox"))
        });
    assert!(
        !leaked,
        "an upload of the next session names the opted-out screen"
    );
}

#[test]
fn the_kill_switch_deletes_the_on_error_buffer() {
    let srv = IngestServer::start(ServerOptions::new(tmp("srv"))).unwrap();
    let spool = tmp("spool");
    let mut o = fast_retry_options(&srv.url(), &spool);
    o.session = SessionConfig {
        sample_rate: 0.0,
        on_error_sample_rate: 1.0,
        ..SessionConfig::default()
    };
    let c = client(o);
    let buffered = c.start(4_000_000).unwrap();
    for i in 0..3u8 {
        submit_window_frame(&c, i * 40, 4_000_000 + i as u64 * 1_000);
    }
    assert!(c.persist(WAIT));
    assert!(
        c.telemetry().delivery.buffer_files > 0,
        "the window is buffered"
    );
    // Another artifact's presign is answered with the kill switch.
    srv.faults()
        .push(Route::EventsPresign, Fault::ProjectDisabled);
    let other = rejourney_core::upload::Artifact::new(
        rejourney_core::spool::ArtifactKind::Events,
        "session_1_00000000000000aa",
        true,
        1,
        1,
        1,
        0,
        rejourney_core::artifact::gzip(br#"{"events":[],"deviceInfo":{}}"#),
    );
    c.enqueue(other).unwrap();
    c.flush(WAIT);
    assert!(c.telemetry().delivery.project_disabled);
    assert_eq!(
        c.telemetry().delivery.buffer_files,
        0,
        "nothing buffered is kept"
    );
    // A trigger afterwards finds nothing to send.
    let _ = c.capture_error(4_004_000, "Error", "boom", "");
    c.flush(WAIT);
    assert_eq!(stored(&srv, &buffered, "screenshots"), 0);
    assert_eq!(requests_of(&srv, Route::SegmentPresign, &buffered), 0);
}

#[test]
fn a_frame_dropped_while_capture_is_stopped_sends_no_hierarchy() {
    let srv = IngestServer::start(ServerOptions::new(tmp("srv"))).unwrap();
    let mut o = fast_retry_options(&srv.url(), &tmp("spool"));
    // Sampled out: the session's events and end call go, its capture does not.
    o.session = SessionConfig {
        sample_rate: 0.0,
        ..SessionConfig::default()
    };
    let c = client(o);
    let session = c.start(5_000_000).unwrap();
    submit_window_frame(&c, 10, 5_000_000);
    submit_window_frame(&c, 20, 5_001_000);
    c.stop(5_002_000).unwrap();
    assert!(c.flush(WAIT));
    assert_eq!(c.telemetry().capture.dropped["stopped"], 2);
    assert_eq!(requests_of(&srv, Route::SegmentPresign, &session), 0);
    assert_eq!(stored(&srv, &session, "hierarchy"), 0);
    assert_eq!(c.telemetry().hierarchy.snapshots, 0);
    assert_eq!(
        requests_of(&srv, Route::SessionEnd, &session),
        1,
        "the end call goes"
    );
}

#[test]
fn a_frame_held_for_the_remote_config_sends_no_hierarchy() {
    let srv = IngestServer::start(ServerOptions::new(tmp("srv"))).unwrap();
    // The config answer takes longer than the whole test's frames.
    srv.faults()
        .push(Route::SdkConfig, Fault::Delay(Duration::from_millis(1_500)));
    let mut o = fast_retry_options(&srv.url(), &tmp("spool"));
    o.remote.enabled = true;
    o.remote.hold_ms = 60_000;
    let c = client(o);
    let session = c.start(6_000_000).unwrap();
    submit_window_frame(&c, 10, 6_000_000);
    let spec = FrameSpec::packed(2, 2, PixelFormat::Rgba, 1.0);
    c.submit_frame_with_masks(vec![0; 16], spec, &[], 6_000_500)
        .unwrap();
    assert!(c.persist(WAIT));
    assert_eq!(c.telemetry().hierarchy.snapshots, 0);
    c.shutdown(Duration::ZERO);
    assert_eq!(requests_of(&srv, Route::SegmentPresign, &session), 0);
}

/// The spooler thread reads what earlier runs left after `Client::new` returned: an opt-out
/// made before it has (the disk stalls the read here, `test-hooks`) still deletes all of it,
/// and none of it is uploaded.
#[test]
fn an_opt_out_before_the_spool_is_read_deletes_what_earlier_runs_left() {
    use rejourney_core::spool::test_hooks::stall_writes;
    let srv = IngestServer::start(ServerOptions::new(tmp("early-srv"))).unwrap();
    let spool = tmp("early-spool");
    // Launch 1, offline: a session stays spooled.
    let earlier = {
        let c = client(fast_retry_options("http://127.0.0.1:9", &spool));
        let id = c.start(3_000_000).unwrap();
        for i in 0..3u8 {
            submit_window_frame(&c, i * 30, 3_000_000 + i as u64 * 1_000);
        }
        c.stop(3_004_000).unwrap();
        assert!(c.persist(WAIT));
        c.shutdown(Duration::ZERO);
        id
    };
    // Launch 2: the spool's read is stalled; the user opts out before it ends.
    stall_writes(&spool, Duration::from_secs(1));
    let c = client(fast_retry_options(&srv.url(), &spool));
    c.opt_out(3_010_000);
    c.flush(WAIT);
    assert!(c.persist(WAIT), "the read is over");
    stall_writes(&spool, Duration::ZERO);
    assert_eq!(c.telemetry().delivery.spool_files, 0, "nothing left");
    assert!(
        srv.requests()
            .iter()
            .all(|r| r.session_id.as_deref() != Some(earlier.as_str())),
        "nothing of the earlier session went out: {:?}",
        srv.requests()
            .iter()
            .map(|r| (r.route, r.session_id.clone(), r.status))
            .collect::<Vec<_>>()
    );
    assert!(srv.artifacts().is_empty());
    assert!(purged(&c) >= 1, "counted");
    c.shutdown(Duration::ZERO);
}
