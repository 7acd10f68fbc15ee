//! On-error buffer mode against the local ingest server (real HTTP on 127.0.0.1): a session
//! that is not sampled in but is buffered keeps only its last window on the device (sealed,
//! masked bundles in the buffer spool), uploads nothing while buffering, and on a trigger (a
//! reported error, a manual flush, an ANR, a crash) uploads that window with its original
//! timestamps and goes on as a recorded session under the same id. A crash while buffering
//! (the process really aborts) is uploaded on the next launch, linked to its session.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rejourney_core::client::{Client, ClientOptions};
use rejourney_core::remote_config::SessionMode;
use rejourney_harness::child::run_aborting_child;
use rejourney_harness::{fast_retry_options, temp_path};
use rejourney_ingest::{IngestServer, ServerOptions, StoredArtifact};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(20);
const T0: u64 = 1_700_000_000_000;

fn tmp(name: &str) -> PathBuf {
    temp_path("buffer", name)
}

/// Never sampled in, always buffered, a 3 s window, one frame per bundle.
fn options(url: &str, spool: &Path) -> ClientOptions {
    let mut o = fast_retry_options(url, spool);
    o.anr_threshold_ms = 0;
    o.session.sample_rate = 0.0;
    o.session.on_error_sample_rate = 1.0;
    o.delivery.buffer.window_ms = 3_000;
    o.capture.batch_size = 1;
    o.device_info = json!({"platform": "ios", "model": "iPhone15,2", "osVersion": "17.5",
        "appVersion": "1.0.0"});
    o
}

fn frame(c: &Client, v: u8, ts: u64) {
    rejourney_harness::submit_window_frame(c, v, ts);
}

/// Ten seconds of recording, one distinct frame a second.
fn record_ten_seconds(c: &Client) {
    for i in 0..10u64 {
        frame(c, i as u8 * 20, T0 + i * 1_000);
        c.screen_changed(T0 + i * 1_000, &format!("Screen{i}"))
            .unwrap();
    }
}

fn frames_of(srv: &IngestServer, id: &str) -> Vec<StoredArtifact> {
    let mut v: Vec<StoredArtifact> = srv
        .artifacts()
        .into_iter()
        .filter(|a| a.session_id == id && a.kind == "screenshots")
        .collect();
    v.sort_by_key(|a| a.start_time);
    v
}

fn waited_for(mut done: impl FnMut() -> bool) -> bool {
    let t = Instant::now();
    while t.elapsed() < WAIT {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    done()
}

#[test]
fn an_error_uploads_the_last_window_then_the_session_records_on() {
    let srv = IngestServer::start(ServerOptions::new(tmp("error"))).unwrap();
    let c = Client::new(options(&srv.url(), &tmp("error-spool"))).unwrap();
    let id = c.start(T0).unwrap();
    assert_eq!(c.session_plan().unwrap().mode, SessionMode::Buffer);
    record_ten_seconds(&c);
    assert!(c.persist(WAIT));
    assert!(c.flush(WAIT));
    // Nothing left the device while buffering; the window holds the last 3 s.
    assert!(frames_of(&srv, &id).is_empty());
    let t = c.telemetry();
    assert!(
        t.delivery.buffer.evicted_window >= 6,
        "{:?}",
        t.delivery.buffer
    );
    assert!(t.delivery.buffer_files >= 4);
    // A reported error triggers the upload.
    assert!(c
        .capture_error(
            T0 + 9_500,
            "TypeError",
            "x is undefined",
            "at render\nat App"
        )
        .unwrap());
    assert_eq!(c.session_plan().unwrap().mode, SessionMode::Record);
    assert!(!c.flush_buffer("again").unwrap(), "already recording");
    frame(&c, 250, T0 + 10_000);
    c.stop(T0 + 10_500).unwrap();
    assert!(c.flush(WAIT));
    let frames = frames_of(&srv, &id);
    let starts: Vec<u64> = frames.iter().map(|a| a.start_time - T0).collect();
    // The window (6..=9 s, original timestamps), then the session recorded on (10 s).
    assert_eq!(
        starts,
        vec![6_000, 7_000, 8_000, 9_000, 10_000],
        "{:#?}",
        c.telemetry().delivery
    );
    let summary = srv.session_summary(&id).unwrap();
    assert_eq!(summary.error_count, 1, "the error is in the event stream");
    // Events are kept per batch: the batch that covers the window is uploaded whole.
    assert!(summary.screens_visited.contains(&"Screen9".to_owned()));
    assert_eq!(srv.stats().session_ends_ignored, 0, "ended as sampled in");
    let t = c.telemetry();
    assert_eq!(t.delivery.buffer.triggers, 1);
    assert_eq!(t.delivery.buffer_files, 0);
}

#[test]
fn a_session_that_ends_untriggered_uploads_nothing() {
    let srv = IngestServer::start(ServerOptions::new(tmp("quiet"))).unwrap();
    let c = Client::new(options(&srv.url(), &tmp("quiet-spool"))).unwrap();
    let id = c.start(T0).unwrap();
    record_ten_seconds(&c);
    c.stop(T0 + 10_000).unwrap();
    assert!(c.flush(WAIT));
    assert!(frames_of(&srv, &id).is_empty());
    let t = c.telemetry();
    assert!(t.delivery.buffer.discarded >= 4, "{:?}", t.delivery.buffer);
    assert_eq!(t.delivery.buffer_files, 0);
    assert_eq!(
        srv.stats().session_ends_ignored,
        1,
        "its end says not sampled in"
    );
    // The byte bound: a tiny buffer evicts the oldest and counts it.
    let mut o = options(&srv.url(), &tmp("tiny-spool"));
    o.delivery.buffer.max_bytes = 2_000;
    let c = Client::new(o).unwrap();
    c.start(T0).unwrap();
    record_ten_seconds(&c);
    assert!(c.persist(WAIT));
    let t = c.telemetry();
    assert!(t.delivery.buffer_bytes <= 2_000);
    assert!(t.delivery.buffer_evicted_quota > 0, "{:?}", t.delivery);
}

#[test]
fn a_manual_flush_and_an_anr_trigger_too() {
    let srv = IngestServer::start(ServerOptions::new(tmp("manual"))).unwrap();
    let c = Client::new(options(&srv.url(), &tmp("manual-spool"))).unwrap();
    let id = c.start(T0).unwrap();
    frame(&c, 1, T0);
    assert!(c.flush_buffer("support ticket").unwrap());
    assert!(c.flush(WAIT));
    assert_eq!(
        frames_of(&srv, &id).len(),
        1,
        "{:#?}",
        c.telemetry().delivery
    );

    let mut o = options(&srv.url(), &tmp("anr-spool"));
    o.anr_threshold_ms = 200;
    let c = Client::new(o).unwrap();
    let id = c.start(T0).unwrap();
    frame(&c, 1, T0);
    c.heartbeat();
    // The main thread goes silent: the watchdog reports an ANR and triggers the buffer.
    assert!(waited_for(|| c.telemetry().anrs == 1));
    c.heartbeat();
    c.tick(T0 + 1_000).unwrap();
    assert_eq!(c.session_plan().unwrap().mode, SessionMode::Record);
    assert!(c.flush(WAIT));
    assert_eq!(frames_of(&srv, &id).len(), 1, "{:#?}", c.telemetry());
}

/// The child half of the crash test: records into a buffer that cannot be uploaded (a dead
/// server), records a crash, and aborts like a crashing app. Does nothing unless the parent
/// test started it.
#[test]
fn crash_child() {
    let Ok(spool) = std::env::var("RJ_BUFFER_CRASH_SPOOL") else {
        return;
    };
    let c = Client::new(options("http://127.0.0.1:9", Path::new(&spool))).unwrap();
    let id = c.start(T0).unwrap();
    record_ten_seconds(&c);
    // As in an app at one frame a second, the recording reached the buffer before the
    // crash (what is still on its way at a trigger is kept too, not windowed).
    assert!(c.persist(WAIT));
    println!("SESSION={id}");
    assert!(c
        .record_crash(T0 + 9_900, "SIGSEGV", "boom", "0 app\n1 libc", WAIT)
        .unwrap());
    std::process::abort();
}

#[test]
fn a_crash_while_buffering_is_uploaded_on_the_next_launch() {
    let spool = tmp("crash-spool");
    let id = run_aborting_child("crash_child", "RJ_BUFFER_CRASH_SPOOL", &spool);
    // Next launch, the server reachable: the crash and the window before it arrive.
    let srv = IngestServer::start(ServerOptions::new(tmp("crash"))).unwrap();
    let c = Client::new(options(&srv.url(), &spool)).unwrap();
    assert!(c.flush(WAIT));
    let starts: Vec<u64> = frames_of(&srv, &id)
        .iter()
        .map(|a| a.start_time - T0)
        .collect();
    assert_eq!(starts, vec![6_000, 7_000, 8_000, 9_000]);
    let summary = srv.session_summary(&id).expect("linked to its session");
    assert_eq!(summary.crashes, 1);
}
