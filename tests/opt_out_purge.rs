//! An opt-out (or a consent denial) never deletes on the caller's thread, and what it
//! deletes stays deleted through a kill (against the local ingest server, real HTTP on
//! 127.0.0.1, and the spool's disk hook of the `test-hooks` feature):
//!
//! - with the spool's disk held (no write or deletion finishes until the test lets it),
//!   `opt_out` and `set_consent(Denied)` return; once the disk answers, everything is gone
//!   and nothing of it is ever sent;
//! - a child process opts out (or denies consent) while its disk holds every deletion, and
//!   really aborts once the spooler has written its durable purge marker: the next launch
//!   over the same directory sends nothing of the old spool and deletes it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use rejourney_core::client::{Client, ClientOptions};
use rejourney_core::consent::Consent;
use rejourney_core::spool::test_hooks::{hold, release, DiskOp};
use rejourney_harness::{fast_retry_options, submit_window_frame, temp_path};
use rejourney_ingest::{IngestServer, ServerOptions};

const WAIT: Duration = Duration::from_secs(20);
const T0: u64 = 1_700_000_000_000;

fn tmp(name: &str) -> PathBuf {
    temp_path("optout", name)
}

fn options(url: &str, spool: &Path) -> ClientOptions {
    let mut o = fast_retry_options(url, spool);
    o.anr_threshold_ms = 0;
    o.capture.batch_size = 1;
    o
}

/// A session's worth of recording, all of it on disk (the server is unreachable).
fn record(c: &Client, t: u64) -> String {
    let id = c.start(t).unwrap();
    c.screen_changed(t + 10, "Checkout").unwrap();
    c.log_event(t + 20, "paid", &[]).unwrap();
    for i in 0..3u8 {
        submit_window_frame(c, 40 * i + 10, t + 100 + i as u64 * 1_000);
    }
    c.tick(t + 5_000).unwrap();
    assert!(c.persist(WAIT));
    id
}

/// Spool and buffer artifact files under `spool` (the purge marker included).
fn left_on_disk(spool: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for dir in [spool.to_path_buf(), spool.join("buffer")] {
        let Ok(listing) = std::fs::read_dir(&dir) else {
            continue;
        };
        for p in listing.filter_map(|e| e.ok().map(|e| e.path())) {
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
            let marker = p.file_name().is_some_and(|n| n == "purge-pending");
            if ext == "rjs" || ext == "stage" || marker {
                found.push(p);
            }
        }
    }
    found
}

/// Runs `call` on another thread while `spool`'s disk holds every write and deletion;
/// returns whether the call came back before the disk was let go.
fn returns_while_disk_held(c: &Client, spool: &Path, call: impl FnOnce(&Client) + Send) -> bool {
    hold(spool, DiskOp::Write);
    hold(spool, DiskOp::Delete);
    std::thread::scope(|s| {
        let (tx, rx) = mpsc::channel();
        s.spawn(move || {
            call(c);
            let _ = tx.send(());
        });
        // Not a speed bound: a call that waits on the disk never comes back while it is held.
        let returned = rx.recv_timeout(WAIT).is_ok();
        release(spool, DiskOp::Write);
        release(spool, DiskOp::Delete);
        returned
    })
}

fn stop_everything_while_the_disk_is_held(deny: bool) {
    let srv = IngestServer::start(ServerOptions::new(tmp("held-srv"))).unwrap();
    srv.set_down(true);
    let spool = tmp(if deny { "held-deny" } else { "held-optout" });
    let c = Client::new(options(&srv.url(), &spool)).unwrap();
    let id = record(&c, T0);
    assert!(
        c.telemetry().delivery.spool_files > 0,
        "the recording waits"
    );
    let returned = returns_while_disk_held(&c, &spool, |c| {
        if deny {
            c.set_consent(Consent::Denied, T0 + 6_000).unwrap();
        } else {
            c.opt_out(T0 + 6_000);
        }
    });
    assert!(returned, "the host call waited on the held disk");
    // The disk answers again: the spooler finishes the deletion.
    assert!(c.persist(WAIT));
    assert_eq!(c.telemetry().delivery.spool_files, 0);
    assert_eq!(left_on_disk(&spool), Vec::<PathBuf>::new());
    srv.set_down(false);
    assert!(c.flush(WAIT));
    assert!(
        srv.session_summary(&id).is_none(),
        "nothing of {id} was sent"
    );
    assert!(srv.artifacts().is_empty());
    c.shutdown(WAIT);
}

#[test]
fn opt_out_returns_while_the_disk_is_held() {
    stop_everything_while_the_disk_is_held(false);
}

#[test]
fn a_consent_denial_returns_while_the_disk_is_held() {
    stop_everything_while_the_disk_is_held(true);
}

/// The child: records a session with the server unreachable (everything stays in the spool),
/// then opts out (or denies consent) while the disk holds every deletion, and aborts as
/// soon as the purge marker is on disk (a kill between the marker and the deletions). With
/// `RJ_OPTOUT_DENY` the consent file cannot be written (a directory is where its temp file
/// goes), so the next launch does not know of the denial: only the marker tells it.
/// Does nothing unless the parent test started it.
#[test]
fn stop_everything_child() {
    let Ok(spool) = std::env::var("RJ_OPTOUT_SPOOL") else {
        return;
    };
    let spool = PathBuf::from(spool);
    let deny = std::env::var("RJ_OPTOUT_DENY").is_ok();
    let c = Client::new(options("http://127.0.0.1:9", &spool)).unwrap();
    let id = record(&c, T0);
    println!("SESSION={id}");
    if deny {
        std::fs::create_dir_all(spool.join("consent.partial")).unwrap();
    }
    hold(&spool, DiskOp::Delete);
    let c = std::sync::Arc::new(c);
    let stopper = c.clone();
    // On its own thread: a call that deletes on its caller's thread never returns here.
    std::thread::spawn(move || {
        if deny {
            stopper.set_consent(Consent::Denied, T0 + 6_000).unwrap();
        } else {
            stopper.opt_out(T0 + 6_000);
        }
    });
    let marker = spool.join("purge-pending");
    let deadline = std::time::Instant::now() + WAIT;
    while !marker.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    println!("MARKER={}", marker.exists());
    std::process::abort();
}

fn killed_after_stop_everything(deny: bool) {
    let spool = tmp(if deny { "killed-deny" } else { "killed-optout" });
    let mut child = Command::new(std::env::current_exe().unwrap());
    child
        .args([
            "--exact",
            "stop_everything_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("RJ_OPTOUT_SPOOL", &spool);
    if deny {
        child.env("RJ_OPTOUT_DENY", "1");
    }
    let out = child.output().unwrap();
    assert!(!out.status.success(), "the child aborts");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let id = stdout
        .lines()
        .find_map(|l| l.split("SESSION=").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no session id: {stdout}"))
        .to_owned();
    assert!(
        !left_on_disk(&spool).is_empty(),
        "killed before its deletions: the old spool is still on disk"
    );
    // Next launch, the server reachable.
    let srv = IngestServer::start(ServerOptions::new(tmp("killed-srv"))).unwrap();
    let c = Client::new(options(&srv.url(), &spool)).unwrap();
    assert!(c.persist(WAIT));
    assert!(c.flush(WAIT));
    assert!(
        srv.session_summary(&id).is_none(),
        "nothing of the opted-out session {id} was sent: {:?}",
        srv.session_summary(&id)
    );
    assert!(srv.artifacts().is_empty(), "{:?}", srv.artifacts());
    assert_eq!(
        left_on_disk(&spool),
        Vec::<PathBuf>::new(),
        "and it is gone"
    );
    assert!(
        stdout.contains("MARKER=true"),
        "the kill came between the marker and the deletions: {stdout}"
    );
    // The next launch records and delivers as usual.
    let next = c.start(T0 + 3_600_000).unwrap();
    c.log_event(T0 + 3_600_010, "after", &[]).unwrap();
    c.stop(T0 + 3_600_020).unwrap();
    assert!(c.flush(WAIT));
    assert!(srv.session_summary(&next).is_some_and(|s| s.end.is_some()));
    c.shutdown(WAIT);
}

#[test]
fn an_app_killed_right_after_opt_out_never_sends_the_old_spool() {
    killed_after_stop_everything(false);
}

#[test]
fn an_app_killed_right_after_a_consent_denial_never_sends_the_old_spool() {
    killed_after_stop_everything(true);
}

/// An upload in flight at the opt-out is abandoned when its request returns: deleted and
/// counted `purged` once, with the rest of the spool (it was counted a second time when the
/// upload thread dropped it after the purge had).
#[test]
fn an_upload_in_flight_at_the_opt_out_is_counted_purged_once() {
    use rejourney_ingest::{Fault, Route};
    let srv = IngestServer::start(ServerOptions::new(tmp("inflight-srv"))).unwrap();
    srv.faults().push(
        Route::SegmentPut,
        Fault::Delay(Duration::from_millis(1_500)),
    );
    let spool = tmp("inflight");
    let c = Client::new(options(&srv.url(), &spool)).unwrap();
    record(&c, T0);
    let deadline = std::time::Instant::now() + WAIT;
    while !srv.requests().iter().any(|r| r.route == Route::SegmentPut) {
        assert!(std::time::Instant::now() < deadline, "no PUT");
        std::thread::sleep(Duration::from_millis(5));
    }
    // The upload thread is inside the delayed PUT: nothing else leaves the spool meanwhile.
    let spooled = c.telemetry().delivery.spool_files;
    assert!(spooled > 0);
    c.opt_out(T0 + 6_000);
    assert!(c.flush(WAIT), "the PUT came back and was abandoned");
    let t = c.telemetry().delivery;
    assert_eq!(t.spool_files, 0);
    assert_eq!(
        t.dropped.get("purged").copied(),
        Some(spooled),
        "each spooled artifact counted once: {:?}",
        t.dropped
    );
    c.shutdown(WAIT);
}

/// A remote answer that stops everything for the running session (billing blocked) deletes
/// what it buffered while it waited for that answer, off the host's thread: the `tick` that
/// applies the answer returns while the disk holds every deletion.
#[test]
fn a_remote_stop_everything_deletes_off_the_ticking_thread() {
    use rejourney_ingest::{Fault, Route};
    let srv = IngestServer::start(ServerOptions::new(tmp("remote-srv"))).unwrap();
    srv.set_sdk_config_fields(serde_json::json!({"billingBlocked": true}));
    srv.faults()
        .push(Route::SdkConfig, Fault::Delay(Duration::from_millis(300)));
    let spool = tmp("remote");
    let mut o = options(&srv.url(), &spool);
    o.remote.enabled = true;
    o.remote.hold_ms = 60_000;
    o.session.on_error_sample_rate = 1.0;
    let c = Client::new(o).unwrap();
    let id = c.start(T0).unwrap();
    // Held for the answer: the session's events wait in the on-error buffer.
    c.screen_changed(T0 + 10, "Checkout").unwrap();
    c.log_event(T0 + 20, "paid", &[]).unwrap();
    assert!(c.persist(WAIT));
    assert!(
        c.telemetry().delivery.buffer_files > 0,
        "buffered meanwhile"
    );
    assert!(c.wait_remote_config(WAIT));
    let returned = returns_while_disk_held(&c, &spool, |c| {
        c.tick(T0 + 1_000).unwrap();
    });
    assert!(returned, "the tick waited on the held disk");
    assert_eq!(
        c.session_plan().and_then(|p| p.off_reason),
        Some("remote_billing_blocked")
    );
    assert!(c.persist(WAIT));
    assert_eq!(c.telemetry().delivery.buffer_files, 0, "deleted");
    assert!(c.flush(WAIT));
    assert!(srv.artifacts().iter().all(|a| a.session_id != id));
    c.shutdown(WAIT);
}
