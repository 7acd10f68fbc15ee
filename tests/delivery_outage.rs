//! Outage and crash: the server down for a simulated 10 minutes at 1 fps, and a process
//! killed with SIGKILL mid-upload. Memory stays flat, the spool stays within its quota, and
//! everything within the caps is delivered exactly once. Real server on 127.0.0.1 only.

use std::process::Command;
use std::time::{Duration, Instant};

use rejourney_core::client::{Client, ClientOptions};
use rejourney_core::spool::{Spool, SpoolLimits};
use rejourney_core::upload::{DeliveryConfig, RetryPolicy, Timeouts};
use rejourney_core::{FrameSpec, PixelFormat};
use rejourney_ingest::{Fault, IngestServer, Route, ServerOptions};

fn tmp(name: &str) -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let d = std::env::temp_dir().join(format!("rj-out-{name}-{}-{nanos:x}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse::<u64>().ok())
        .unwrap_or(0)
        * 4096
}

fn options(url: &str, spool: &std::path::Path, quota: u64) -> ClientOptions {
    let mut d = DeliveryConfig::new(url, "pk_test", "device-outage", spool);
    d.retry = RetryPolicy {
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
        max_attempts: 5,
        max_age: Duration::from_secs(3600),
    };
    d.timeouts = Timeouts {
        connect: Duration::from_secs(1),
        request: Duration::from_secs(3),
        max_response_bytes: 64 * 1024,
    };
    d.spool = SpoolLimits {
        quota_bytes: quota,
        max_files: 10_000,
    };
    ClientOptions::new(d)
}

/// A distinct 96×96 frame (noise so JPEGs have realistic size variation).
fn frame(i: u32) -> Vec<u8> {
    let mut px = vec![0u8; 96 * 96 * 4];
    let mut x = i.wrapping_mul(2_654_435_761).max(1);
    for b in px.iter_mut() {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = (x & 0xFF) as u8;
    }
    px
}

fn submit(c: &Client, i: u32, ts: u64) {
    c.submit_frame_with_masks(
        frame(i),
        FrameSpec::packed(96, 96, PixelFormat::Rgba, 1.25),
        &[],
        ts,
    )
    .unwrap();
    assert!(c.sync_capture(Duration::from_secs(10)));
}

/// `persist` is true when everything is on disk and nothing recorded since its last answer
/// was lost; false when the quota evicted something to make room (counted as
/// `spool_evicted`): the outage fills the quota on purpose. `seen`: the evictions counted at
/// the last answer.
fn persisted_or_evicted(c: &Client, seen: &mut u64) {
    let persisted = c.persist(Duration::from_secs(10));
    let now = c.telemetry().delivery.spool_evicted;
    assert_eq!(
        persisted,
        now == *seen,
        "persist {persisted}, evicted {seen} -> {now}"
    );
    *seen = now;
}

#[test]
fn ten_minute_outage_is_bounded_and_delivered_exactly_once_after() {
    let data = tmp("srv");
    let srv = IngestServer::start(ServerOptions::new(&data)).unwrap();
    let url = srv.url();
    let addr = srv.addr();
    srv.shutdown(); // connection refused from now on: the outage
    let spool = tmp("spool");
    let quota = 400 * 1024;
    let c = Client::new(options(&url, &spool, quota)).unwrap();
    let start = 50_000_000;
    c.start(start).unwrap();
    let rss_before = rss_bytes();
    let mut evicted = 0;
    // 10 simulated minutes at 1 fps = 600 frames = 200 bundles, more than the quota holds.
    for i in 0..600u32 {
        submit(&c, i, start + i as u64 * 1000);
        // At 1 fps the disk has a second per frame; a burst would outrun it and drop
        // bundles (bounded and counted: `pending_batches_full`). Telemetry no longer waits
        // behind the spool's writes, so the loop is paced here, on the disk, explicitly.
        if i % 3 == 2 {
            persisted_or_evicted(&c, &mut evicted);
        }
        let t = c.telemetry().delivery;
        assert!(
            t.spool_bytes <= quota,
            "spool {} over quota {quota}",
            t.spool_bytes
        );
    }
    persisted_or_evicted(&c, &mut evicted);
    let grown = rss_bytes().saturating_sub(rss_before);
    assert!(
        grown < 64 << 20,
        "memory grew {} MB during the outage",
        grown >> 20
    );
    let t = c.telemetry();
    assert_eq!(t.capture.bundles, 200);
    assert_eq!(t.capture.frames_dropped, 0, "{:?}", t.capture);
    assert!(t.delivery.connect_errors > 0, "the uploader kept trying");
    assert!(t.delivery.spool_evicted > 0, "the quota forced evictions");
    assert_eq!(
        t.delivery.dropped.get("max_attempts"),
        None,
        "an outage burns no attempts"
    );
    let waiting = t.delivery.spool_files;
    assert_eq!(
        waiting + t.delivery.spool_evicted,
        200,
        "every bundle is spooled or counted as evicted"
    );

    // The server returns on the same address.
    let srv = IngestServer::start(ServerOptions {
        bind: addr,
        ..ServerOptions::new(tmp("srv2"))
    })
    .unwrap();
    assert!(
        c.flush(Duration::from_secs(60)),
        "delivered after the outage"
    );
    let shots: Vec<_> = srv
        .artifacts()
        .into_iter()
        .filter(|a| a.kind == "screenshots")
        .collect();
    assert_eq!(
        shots.len() as u64,
        waiting,
        "everything within the caps, once"
    );
    let mut ids: Vec<_> = shots.iter().map(|a| a.idempotency_key.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len() as u64, waiting, "no duplicates");
    // The newest bundles survived (eviction drops the oldest).
    let newest = shots.iter().map(|a| a.end_time).max().unwrap_or(0);
    assert_eq!(newest, start + 599_000);
}

/// Child process body for the kill test; runs only when the parent starts it.
#[test]
#[ignore = "child process of kill_mid_upload_and_resume_from_the_spool"]
fn kill_child_records_and_uploads() {
    let (Ok(url), Ok(spool)) = (
        std::env::var("RJ_CHILD_URL"),
        std::env::var("RJ_CHILD_SPOOL"),
    ) else {
        return;
    };
    let c = Client::new(options(&url, std::path::Path::new(&spool), 50 << 20)).unwrap();
    let start = 60_000_000;
    c.start(start).unwrap();
    for i in 0..30u32 {
        submit(&c, i, start + i as u64 * 1000);
    }
    println!("CHILD-RECORDED");
    // Keep uploading until killed.
    std::thread::sleep(Duration::from_secs(120));
}

#[test]
fn kill_mid_upload_and_resume_from_the_spool() {
    let srv = IngestServer::start(ServerOptions::new(tmp("ksrv"))).unwrap();
    let spool = tmp("kspool");
    // Two PUTs go through, the third stalls: the child will be mid-upload when it dies.
    // Queued before the child starts, so a fast child cannot slip past the fault.
    srv.faults().push_n(Route::SegmentPut, Fault::Pass, 2);
    srv.faults()
        .push(Route::SegmentPut, Fault::Stall(Duration::from_secs(60)));
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "kill_child_records_and_uploads",
            "--nocapture",
        ])
        .env("RJ_CHILD_URL", srv.url())
        .env("RJ_CHILD_SPOOL", &spool)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    // Wait until the stalled PUT is in flight and every bundle is spooled or delivered.
    loop {
        assert!(
            Instant::now() < deadline,
            "child never reached the stalled PUT"
        );
        let stalled = srv.faults().pending() == 0;
        let spooled = std::fs::read_dir(&spool)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .filter(|e| e.path().extension().is_some_and(|x| x == "rjs"))
                    .count()
            })
            .unwrap_or(0);
        let delivered = srv
            .artifacts()
            .iter()
            .filter(|a| a.kind == "screenshots")
            .count();
        if stalled && spooled + delivered >= 10 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let delivered_before = srv
        .artifacts()
        .iter()
        .filter(|a| a.kind == "screenshots")
        .count();
    let (probe, report) = Spool::open(&spool, SpoolLimits::default()).unwrap();
    let left = probe.len();
    drop(probe);
    assert_eq!(report.quarantined, 0, "fsync + rename leaves no torn files");
    assert!(left >= 1, "the stalled artifact is still spooled");
    assert_eq!(
        delivered_before + left,
        10,
        "every bundle was either delivered or spooled"
    );

    // A new process (here: a new client on the same spool) resumes.
    srv.faults().clear();
    let c = Client::new(options(&srv.url(), &spool, 50 << 20)).unwrap();
    // The spooler thread reads the spool (not `Client::new`): counted once it has.
    assert!(c.persist(Duration::from_secs(10)));
    assert_eq!(c.telemetry().delivery.resumed_from_spool, left as u64);
    assert!(c.flush(Duration::from_secs(30)));
    let shots: Vec<_> = srv
        .artifacts()
        .into_iter()
        .filter(|a| a.kind == "screenshots")
        .collect();
    assert_eq!(shots.len(), 10, "every spooled artifact exactly once");
    let mut keys: Vec<_> = shots.iter().map(|a| a.idempotency_key.clone()).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 10);
}
