//! A session whose app is killed still ends (against the local ingest server, real HTTP on
//! 127.0.0.1): the child process records, backgrounds and really aborts, with a dead server
//! so nothing leaves; the next launch's client ends that session at its last activity (the
//! moment it went to background) through the spool, with the crash it recorded, once.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rejourney_core::client::{Client, ClientOptions};
use rejourney_core::events::Gesture;
use rejourney_harness::child::run_aborting_child;
use rejourney_harness::{fast_retry_options, temp_path};
use rejourney_ingest::{IngestServer, ServerOptions};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(20);
const T0: u64 = 1_700_000_000_000;

fn tmp(name: &str) -> PathBuf {
    temp_path("killed", name)
}

fn options(url: &str, spool: &Path) -> ClientOptions {
    let mut o = fast_retry_options(url, spool);
    o.anr_threshold_ms = 0;
    o.device_info = json!({"platform": "android", "model": "Pixel 8", "osVersion": "14",
        "appVersion": "1.0.0"});
    o
}

/// The child: a minute of app use, a handled crash report, then background at T0 + 60 s;
/// ticks go on in background (no activity), then the OS kills it. Does nothing unless the
/// parent test started it.
#[test]
fn killed_child() {
    let Ok(spool) = std::env::var("RJ_KILLED_SPOOL") else {
        return;
    };
    let c = Client::new(options("http://127.0.0.1:9", Path::new(&spool))).unwrap();
    let id = c.start(T0).unwrap();
    c.screen_changed(T0 + 10, "Home").unwrap();
    for i in 1..=30u64 {
        c.tick(T0 + i * 2_000).unwrap();
        c.gesture(Gesture::Tap, T0 + i * 2_000, 10.0 * i as f32, 5.0, None)
            .unwrap();
    }
    c.record_crash(T0 + 30_000, "SIGABRT", "handled", "0 app", WAIT)
        .unwrap();
    c.app_backgrounded(T0 + 60_000);
    for i in 1..=10u64 {
        c.tick(T0 + 60_000 + i * 5_000).unwrap();
    }
    assert!(
        c.persist(WAIT),
        "everything, the session state too, on disk"
    );
    println!("SESSION={id}");
    std::process::abort();
}

#[test]
fn a_killed_apps_session_is_ended_by_the_next_launch_at_its_last_activity() {
    let spool = tmp("spool");
    let id = run_aborting_child("killed_child", "RJ_KILLED_SPOOL", &spool);
    // Next launch, the server reachable; this process records a session of its own.
    let srv = IngestServer::start(ServerOptions::new(tmp("srv"))).unwrap();
    let c = Client::new(options(&srv.url(), &spool)).unwrap();
    let now = c.start(T0 + 3_600_000).unwrap();
    assert!(c.flush(WAIT));
    let summary = srv
        .session_summary(&id)
        .expect("the killed session arrived");
    let end = summary.end.clone().expect("and was ended");
    assert_eq!(end["endReason"], "recovery_finalize");
    assert_eq!(
        end["endedAt"],
        json!(T0 + 60_000),
        "when the app went to background"
    );
    assert_eq!(end["totalBackgroundTimeMs"], 0);
    assert_eq!(end["isSampledIn"], true);
    assert_eq!(summary.duration_seconds, Some(60));
    assert_eq!(end["metrics"]["crashCount"], 1, "the crash it recorded");
    assert_eq!(summary.crashes, 1, "one crash, by maximum");
    assert_eq!(summary.touch_count, 30, "its events, once: {summary:?}");
    assert!(srv.session_summary(&now).is_none_or(|s| s.end.is_none()));
    assert_eq!(c.telemetry().session_store.recovered, 1);
    c.shutdown(WAIT);
    drop(c);
    // A third launch ends the second one (shut down, not stopped), and only that.
    let c = Client::new(options(&srv.url(), &spool)).unwrap();
    assert!(c.flush(WAIT));
    assert_eq!(c.telemetry().session_store.recovered, 1);
    let stats = srv.stats();
    assert_eq!(
        stats.session_end_repeats, 0,
        "the killed session ended once"
    );
    assert!(srv.session_summary(&now).and_then(|s| s.end).is_some());
}
