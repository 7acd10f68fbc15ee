//! What the SDK says about delivery is true, against the real local ingest server:
//! `persist` and `record_crash` answer true only when the bytes are on disk (a quota smaller
//! than the artifact fails like a full disk or an I/O error), and only the backend's exact
//! kill-switch answer stops uploading, without deleting other sessions' crash reports. A
//! recording a bound dropped before it reached the disk (full inbox) or evicted from it (the
//! spool's quota) makes the `persist` covering it false.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rejourney_core::client::{Client, ClientOptions};
use rejourney_harness::{fast_retry_options, submit_window_frame, temp_path};
use rejourney_ingest::{Fault, IngestServer, Route, ServerOptions};

const WAIT: Duration = Duration::from_secs(20);
const T0: u64 = 1_700_000_000_000;

fn tmp(name: &str) -> PathBuf {
    temp_path("truth", name)
}

/// A loopback URL nothing listens on: connection refused, the SDK's "offline".
fn offline_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    url
}

fn options(url: &str, spool: &Path) -> ClientOptions {
    let mut o = fast_retry_options(url, spool);
    o.anr_threshold_ms = 0;
    o
}

/// Spool files on disk (artifacts, not stage files or the buffer).
fn spooled(spool: &Path) -> usize {
    std::fs::read_dir(spool)
        .map(|d| {
            d.flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "rjs"))
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn record_crash_and_persist_say_on_disk_only_when_it_is() {
    // A quota smaller than any artifact: every write fails, as on a full disk.
    let spool = tmp("tiny");
    let mut o = options(&offline_url(), &spool);
    o.delivery.spool.quota_bytes = 100;
    let c = Client::new(o).unwrap();
    c.start(T0).unwrap();
    c.screen_changed(T0 + 1, "Home").unwrap();
    assert!(!c.persist(WAIT), "the events batch did not fit");
    let crash = c
        .record_crash(T0 + 2, "Boom", &"r".repeat(10_000), "at main", WAIT)
        .unwrap();
    assert!(!crash, "the crash report is not on disk");
    assert_eq!(spooled(&spool), 0);
    let d = c.telemetry().delivery;
    assert!(d.dropped["spool_write_failed"] >= 2, "{:?}", d.dropped);
    c.shutdown(Duration::ZERO);

    // The same calls with room: true, and the files are there.
    let spool = tmp("roomy");
    let c = Client::new(options(&offline_url(), &spool)).unwrap();
    c.start(T0).unwrap();
    c.screen_changed(T0 + 1, "Home").unwrap();
    assert!(c.persist(WAIT));
    let crash = c
        .record_crash(T0 + 2, "Boom", "reason", "at main", WAIT)
        .unwrap();
    assert!(crash);
    assert!(spooled(&spool) >= 2);
    c.shutdown(Duration::ZERO);
}

/// The inbox (artifacts waiting for the spooler) drops its oldest when full: a `persist`
/// covering that recording is false, and counted (`dropped.inbox_full`). Nothing lost since:
/// true again. The spooler is held inside a stalled write (`test-hooks`) so the inbox fills.
#[test]
fn persist_is_false_when_the_full_inbox_dropped_what_it_covers() {
    use rejourney_core::spool::test_hooks::stall_writes;
    let spool = tmp("inbox");
    let mut o = options(&offline_url(), &spool);
    o.delivery.max_inbox = 2;
    let c = Client::new(o).unwrap();
    c.start(T0).unwrap();
    assert!(c.persist(WAIT), "nothing lost yet");
    stall_writes(&spool, Duration::from_secs(2));
    // One write at a time, each sleeping 2 s: at most one of the six leaves the inbox of two
    // while the rest are handed over (microseconds), so at least three are dropped.
    for i in 0..6 {
        c.record_crash(T0 + 1 + i, "Boom", "reason", "at main", Duration::ZERO)
            .unwrap();
    }
    stall_writes(&spool, Duration::ZERO);
    let dropped = c.telemetry().delivery.dropped.get("inbox_full").copied();
    assert!(dropped.unwrap_or(0) >= 3, "counted: {dropped:?}");
    assert!(
        !c.persist(WAIT),
        "what the inbox dropped is not on disk: persist must not say it is"
    );
    assert!(c.persist(WAIT), "nothing lost since the last answer");
    c.shutdown(Duration::ZERO);
}

/// The spool's quota evicts its oldest artifact to make room (offline long enough): the
/// `persist` whose round evicted is false, the others true, and each eviction is counted
/// (`spool_evicted`).
#[test]
fn persist_is_false_when_the_spool_quota_evicted_a_recording() {
    let spool = tmp("quota");
    let mut o = options(&offline_url(), &spool);
    o.delivery.spool.max_files = 3;
    let c = Client::new(o).unwrap();
    c.start(T0).unwrap();
    let mut evictions = 0;
    for i in 0..6u64 {
        let before = c.telemetry().delivery.spool_evicted;
        c.log_event(T0 + 1 + i, "checkout", &[]).unwrap();
        let persisted = c.persist(WAIT);
        let evicted = c.telemetry().delivery.spool_evicted - before;
        evictions += evicted;
        assert_eq!(
            persisted,
            evicted == 0,
            "round {i}: persist {persisted} with {evicted} evicted"
        );
    }
    assert!(evictions >= 1, "the quota was reached");
    assert!(spooled(&spool) <= 3);
    c.shutdown(Duration::ZERO);
}

/// Launch 1, offline: session A recorded and ended, then session B crashed. Both stay
/// spooled; A's artifacts come first.
fn two_sessions_offline(spool: &Path) {
    let c = Client::new(options(&offline_url(), spool)).unwrap();
    c.start(T0).unwrap();
    for i in 0..3u64 {
        submit_window_frame(&c, i as u8 * 60, T0 + i * 1_000);
    }
    c.screen_changed(T0 + 3_000, "Home").unwrap();
    c.stop(T0 + 4_000).unwrap();
    c.start(T0 + 5_000).unwrap();
    assert!(c
        .record_crash(T0 + 6_000, "Boom", "reason", "at main", WAIT)
        .unwrap());
    assert!(c.persist(WAIT));
    c.shutdown(Duration::ZERO);
}

#[test]
fn the_kill_switch_keeps_other_sessions_crash_reports() {
    let spool = tmp("kill-spool");
    two_sessions_offline(&spool);
    // Launch 2: the project is disabled; session A's first presign is answered 403.
    let srv = IngestServer::start(ServerOptions::new(tmp("kill-srv"))).unwrap();
    srv.set_project_disabled(true);
    let c = Client::new(options(&srv.url(), &spool)).unwrap();
    assert!(c.flush(WAIT), "nothing more to do: waiters are not held up");
    let d = c.telemetry().delivery;
    assert!(d.project_disabled);
    assert!(d.dropped["project_disabled"] >= 1, "session A's artifacts");
    assert_eq!(srv.stats().faults_recorded, 0);
    c.shutdown(Duration::ZERO);
    drop(c);
    assert!(spooled(&spool) >= 1, "session B's crash report is kept");
    // Launch 3: the project is back on; the crash report of session B is delivered.
    srv.set_project_disabled(false);
    let c = Client::new(options(&srv.url(), &spool)).unwrap();
    assert!(c.flush(WAIT));
    assert_eq!(
        srv.stats().faults_recorded,
        1,
        "{:?}",
        c.telemetry().delivery
    );
}

#[test]
fn a_403_that_only_mentions_disabled_is_not_the_kill_switch() {
    let spool = tmp("words-spool");
    two_sessions_offline(&spool);
    let srv = IngestServer::start(ServerOptions::new(tmp("words-srv"))).unwrap();
    let words = Fault::StatusWithMessage(403, "Uploads disabled for this key".into());
    srv.faults().push(Route::SegmentPresign, words.clone());
    srv.faults().push(Route::EventsPresign, words);
    let c = Client::new(options(&srv.url(), &spool)).unwrap();
    assert!(c.flush(WAIT));
    let d = c.telemetry().delivery;
    assert!(!d.project_disabled, "{d:?}");
    assert!(!d.dropped.contains_key("project_disabled"), "{d:?}");
    assert!(d.auth_failures >= 1, "a 403 is a credentials problem");
    assert_eq!(srv.stats().faults_recorded, 1, "{d:?}");
    // Session A's end, and session B's: it was never stopped (a killed app), so this launch
    // ends it at its last activity.
    assert_eq!(srv.stats().sessions_ended, 2, "sessions A and B end");
    assert!(srv.artifacts().iter().any(|a| a.kind == "screenshots"));
    assert_eq!(d.spool_files, 0);
}
