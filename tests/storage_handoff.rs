//! One spool directory, one client at a time ([`rejourney_core::storage_owner`]), against
//! the local ingest server (real HTTP on 127.0.0.1) and the spool's disk hook of the
//! `test-hooks` feature:
//!
//! - a second `Client::new` over a directory a live client owns returns while the old
//!   client's disk is held (it never waits for it); the old client is told to hand the
//!   directory over and answers `Closed` from then on; the new one opens the spool only
//!   once the old one's threads are gone, and delivers both clients' recordings: every
//!   artifact stored exactly once, the old session ended once (by the new store, as a next
//!   launch would), nothing left on disk;
//! - when the old client does not hand over within `handoff_wait`, the new one fails
//!   closed: it never touches the directory and drops what it records, counted.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use rejourney_core::client::{Client, ClientError, ClientOptions};
use rejourney_core::spool::test_hooks::{hold, release, DiskOp};
use rejourney_harness::{fast_retry_options, submit_window_frame, temp_path};
use rejourney_ingest::{IngestServer, ServerOptions};

const WAIT: Duration = Duration::from_secs(20);
const T0: u64 = 1_700_000_000_000;

fn tmp(name: &str) -> PathBuf {
    temp_path("handoff", name)
}

fn options(url: &str, spool: &Path) -> ClientOptions {
    let mut o = fast_retry_options(url, spool);
    o.anr_threshold_ms = 0;
    o.capture.batch_size = 1;
    o
}

/// A few events and frames of the running session.
fn record(c: &Client, t: u64) {
    c.screen_changed(t + 10, "Checkout").unwrap();
    c.log_event(t + 20, "paid", &[]).unwrap();
    for i in 0..3u8 {
        submit_window_frame(c, 40 * i + 10, t + 100 + i as u64 * 1_000);
    }
    c.tick(t + 5_000).unwrap();
}

/// Spool and buffer artifact files under `spool`.
fn left_on_disk(spool: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for dir in [spool.to_path_buf(), spool.join("buffer")] {
        let Ok(listing) = std::fs::read_dir(&dir) else {
            continue;
        };
        for p in listing.filter_map(|e| e.ok().map(|e| e.path())) {
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
            if ext == "rjs" || ext == "stage" {
                found.push(p);
            }
        }
    }
    found
}

/// Builds a client on another thread while `spool`'s writes are held; returns it if the
/// constructor came back before the disk was let go (then lets it go).
fn new_while_disk_held(opts: ClientOptions, spool: &Path) -> Option<Client> {
    hold(spool, DiskOp::Write);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(Client::new(opts));
    });
    // Not a speed bound: a constructor that waits on the old owner never returns while
    // the old owner's disk is held.
    let built = rx.recv_timeout(WAIT).ok().map(|r| r.unwrap());
    release(spool, DiskOp::Write);
    built
}

#[test]
fn a_second_client_over_one_directory_takes_it_over_and_delivers_everything_once() {
    let srv = IngestServer::start(ServerOptions::new(tmp("once-srv"))).unwrap();
    srv.set_down(true);
    let spool = tmp("once");
    let a = Client::new(options(&srv.url(), &spool)).unwrap();
    let a_id = a.start(T0).unwrap();
    record(&a, T0);
    assert!(a.persist(WAIT), "the old client's recording is on disk");
    record(&a, T0 + 6_000);

    let b = new_while_disk_held(options(&srv.url(), &spool), &spool)
        .expect("Client::new returns while the old owner's disk is held");
    // The old client was told to hand over: its calls are answered, typed.
    assert!(matches!(a.start(T0 + 20_000), Err(ClientError::Closed)));
    assert!(matches!(a.stop(T0 + 20_000), Err(ClientError::Closed)));
    assert!(matches!(a.tick(T0 + 20_000), Err(ClientError::Closed)));

    let b_id = b.start(T0 + 30_000).unwrap();
    record(&b, T0 + 30_000);
    b.stop(T0 + 40_000).unwrap();
    srv.set_down(false);
    assert!(b.flush(WAIT), "everything is delivered by the new owner");
    drop(a);
    b.shutdown(Duration::from_secs(2));

    let mut seen: HashMap<(String, String, String), u32> = HashMap::new();
    for art in srv.artifacts() {
        *seen
            .entry((
                art.session_id.clone(),
                art.kind.clone(),
                art.batch_id.clone(),
            ))
            .or_default() += 1;
    }
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "stored more than once: {twice:?}");
    for (id, who) in [(&a_id, "old"), (&b_id, "new")] {
        for kind in ["events", "screenshots"] {
            assert!(
                seen.keys().any(|(s, k, _)| s == id && k == kind),
                "the {who} client's {kind} are delivered"
            );
        }
    }
    let stats = srv.stats();
    assert_eq!(stats.puts_already_stored, 0, "no upload repeated");
    assert_eq!(stats.duplicates_suppressed, 0, "no completion repeated");
    assert_eq!(stats.session_end_repeats, 0, "no session ended twice");
    assert_eq!(stats.sessions_ended, 2, "both sessions ended, each once");
    assert!(left_on_disk(&spool).is_empty(), "nothing left behind");
}

#[test]
fn a_directory_never_handed_over_is_never_opened_twice() {
    let srv = IngestServer::start(ServerOptions::new(tmp("busy-srv"))).unwrap();
    srv.set_down(true);
    let spool = tmp("busy");
    let a = Client::new(options(&srv.url(), &spool)).unwrap();
    a.start(T0).unwrap();
    record(&a, T0);
    assert!(a.persist(WAIT));
    let on_disk = left_on_disk(&spool);
    assert!(!on_disk.is_empty());

    // The old owner's spooler is stuck in a write it was handed before the hand-over.
    hold(&spool, DiskOp::Write);
    record(&a, T0 + 6_000);
    let mut o = options(&srv.url(), &spool);
    o.delivery.handoff_wait = Duration::ZERO;
    let b = Client::new(o).unwrap();
    b.start(T0 + 30_000).unwrap();
    record(&b, T0 + 30_000);
    assert!(!b.persist(WAIT), "nothing of the new client is on disk");
    let t = b.telemetry().delivery;
    assert_eq!(t.storage_wait_timeouts, 1);
    assert!(t.dropped.get("storage_busy").copied().unwrap_or(0) > 0);
    assert_eq!(
        t.resumed_from_spool, 0,
        "the new client never read the spool"
    );
    release(&spool, DiskOp::Write);
    drop(b);
    drop(a);
    for f in &on_disk {
        assert!(f.exists(), "the old owner's file {f:?} is kept");
    }
    // A next client delivers the old owner's recording, once.
    srv.set_down(false);
    let c = Client::new(options(&srv.url(), &spool)).unwrap();
    assert!(c.flush(WAIT));
    assert_eq!(srv.stats().puts_already_stored, 0);
    assert!(left_on_disk(&spool).is_empty());
}

#[test]
fn a_stop_right_before_a_restart_ends_the_old_session_once() {
    let srv = IngestServer::start(ServerOptions::new(tmp("restart-srv"))).unwrap();
    let spool = tmp("restart");
    let a = Client::new(options(&srv.url(), &spool)).unwrap();
    let a_id = a.start(T0).unwrap();
    record(&a, T0);
    // What a wrapper's restart does: stop the old core, build the new one at once.
    a.stop(T0 + 6_000).unwrap();
    let b = Client::new(options(&srv.url(), &spool)).unwrap();
    let b_id = b.start(T0 + 10_000).unwrap();
    record(&b, T0 + 10_000);
    b.stop(T0 + 16_000).unwrap();
    assert!(b.flush(WAIT));
    drop(a);
    let stats = srv.stats();
    assert_eq!(stats.sessions_ended, 2, "both sessions ended");
    assert_eq!(stats.session_end_repeats, 0, "each once");
    assert_eq!(stats.puts_already_stored, 0);
    assert_eq!(stats.duplicates_suppressed, 0);
    for id in [&a_id, &b_id] {
        assert!(srv.session_summary(id).is_some(), "session {id} delivered");
    }
    assert!(left_on_disk(&spool).is_empty());
}
