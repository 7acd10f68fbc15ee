//! Exactly-once ingestion through kills, against the local ingest server, which ingests on
//! the PUT as the backend's upload relay does (a second presign and PUT of the same events
//! batch would store it twice, visibly).
//!
//! Each case: launch 1 records one session offline (frame bundles, hierarchy snapshots,
//! events, a crash, the session end) and leaves it spooled. Launch 2 is a child process
//! (this test binary, re-run as `child_delivers_until_killed`) that delivers until the
//! server has acted at the chosen stage of the chosen artifact kind, then is killed
//! (SIGKILL): the server stalls the request that would have followed, so the kill lands
//! exactly there, no timing involved. Launch 3 delivers the rest. The server must hold every
//! artifact exactly once.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use rejourney_core::client::{Client, ClientOptions};
use rejourney_core::spool::{ArtifactKind, Spool, SpoolLimits};
use rejourney_harness::{fast_retry_options, submit_window_frame, temp_path};
use rejourney_ingest::{Fault, IngestServer, Route, ServerOptions};

const WAIT: Duration = Duration::from_secs(30);
const T0: u64 = 1_700_000_000_000;
const STALL: Duration = Duration::from_secs(120);

fn tmp(name: &str) -> PathBuf {
    temp_path("once", name)
}

fn options(url: &str, spool: &Path) -> ClientOptions {
    let mut o = fast_retry_options(url, spool);
    o.anr_threshold_ms = 0;
    o
}

fn offline_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    url
}

/// Launch 1: one session of every artifact kind, spooled, nothing sent.
fn record_offline(spool: &Path) {
    let c = Client::new(options(&offline_url(), spool)).unwrap();
    c.start(T0).unwrap();
    for i in 0..6u64 {
        submit_window_frame(&c, i as u8 * 40, T0 + i * 1_000);
        c.screen_changed(T0 + i * 1_000, &format!("Screen{i}"))
            .unwrap();
    }
    assert!(c
        .record_crash(T0 + 6_500, "Boom", "reason", "at main", WAIT)
        .unwrap());
    c.stop(T0 + 7_000).unwrap();
    assert!(c.persist(WAIT));
    c.shutdown(Duration::ZERO);
}

/// The spooled artifacts' kinds, in the order they are delivered (oldest first).
fn spooled_kinds(spool: &Path) -> Vec<ArtifactKind> {
    let (s, _) = Spool::open(spool, SpoolLimits::default()).unwrap();
    s.entries().map(|e| e.meta.kind).collect()
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Stage {
    /// Presigned; killed while the PUT is in flight (not ingested).
    Presigned,
    /// The PUT was ingested but its answer lost; killed during the retry.
    PutIngested,
    /// The PUT answered 204; killed while the complete is in flight.
    PutDone,
    /// The complete was handled but its answer lost; killed during the retry.
    CompleteUnanswered,
    /// A JSON call (session end, fault) was handled but its answer lost.
    SentUnanswered,
}

/// The route a stage's fault goes on, for artifacts of `kind`.
fn route_of(kind: ArtifactKind, stage: Stage) -> Route {
    let segment = matches!(kind, ArtifactKind::Screenshots | ArtifactKind::Hierarchy);
    match (stage, kind) {
        (Stage::SentUnanswered, ArtifactKind::Fault) => Route::Fault,
        (Stage::SentUnanswered, _) => Route::SessionEnd,
        (Stage::Presigned | Stage::PutIngested, _) if segment => Route::SegmentPut,
        (Stage::Presigned | Stage::PutIngested, _) => Route::EventsPut,
        (_, _) if segment => Route::SegmentComplete,
        _ => Route::BatchComplete,
    }
}

fn spawn_child(url: &str, spool: &Path) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_delivers_until_killed",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("RJ_ONCE_CHILD_URL", url)
        .env("RJ_ONCE_CHILD_SPOOL", spool)
        .spawn()
        .unwrap()
}

/// Launch 2 of a case (run only as the child process of one).
#[test]
#[ignore = "the child process of the kill tests"]
fn child_delivers_until_killed() {
    let (Ok(url), Ok(spool)) = (
        std::env::var("RJ_ONCE_CHILD_URL"),
        std::env::var("RJ_ONCE_CHILD_SPOOL"),
    ) else {
        return;
    };
    let _c = Client::new(options(&url, Path::new(&spool))).unwrap();
    // Killed long before this ends.
    std::thread::sleep(STALL);
}

fn requests_on(srv: &IngestServer, route: Route) -> usize {
    srv.requests().iter().filter(|r| r.route == route).count()
}

/// One case: a kill at `stage` of the first artifact of `kind`.
fn killed_at(kind: ArtifactKind, stage: Stage) {
    let name = format!("{}-{stage:?}", kind.as_str());
    let spool = tmp(&format!("{name}-spool"));
    record_offline(&spool);
    let kinds = spooled_kinds(&spool);
    let of_kind = kinds.iter().filter(|k| **k == kind).count();
    assert!(
        of_kind >= 1,
        "{name}: nothing of the kind spooled: {kinds:?}"
    );
    let route = route_of(kind, stage);
    let same_route = |k: &ArtifactKind| match route {
        Route::SegmentPut | Route::SegmentComplete => {
            matches!(k, ArtifactKind::Screenshots | ArtifactKind::Hierarchy)
        }
        Route::EventsPut | Route::BatchComplete => *k == ArtifactKind::Events,
        _ => *k == kind,
    };
    let first = kinds.iter().position(|k| *k == kind).unwrap();
    let before = kinds[..first].iter().filter(|k| same_route(k)).count();

    let srv = IngestServer::start(ServerOptions::new(tmp(&format!("{name}-srv")))).unwrap();
    srv.faults().push_n(route, Fault::Pass, before);
    let answered_lost = matches!(
        stage,
        Stage::PutIngested | Stage::CompleteUnanswered | Stage::SentUnanswered
    );
    if answered_lost {
        srv.faults().push(route, Fault::HangUpAfterHandling);
    }
    srv.faults().push(route, Fault::Stall(STALL));
    let kill_at = before + 1 + usize::from(answered_lost);
    let mut child = spawn_child(&srv.url(), &spool);
    let t = Instant::now();
    while requests_on(&srv, route) < kill_at {
        assert!(
            t.elapsed() < WAIT && child.try_wait().unwrap().is_none(),
            "{name}: the child never reached the stage: {:?}",
            srv.requests().iter().map(|r| r.route).collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap();
    let _ = child.wait();
    srv.faults().clear();

    // Launch 3: everything left is delivered, nothing twice.
    let c = Client::new(options(&srv.url(), &spool)).unwrap();
    assert!(c.flush(WAIT), "{name}: {:?}", c.telemetry().delivery);
    let stored = srv.artifacts();
    for (k, wire) in [
        (ArtifactKind::Screenshots, "screenshots"),
        (ArtifactKind::Hierarchy, "hierarchy"),
        (ArtifactKind::Events, "events"),
    ] {
        let spooled = kinds.iter().filter(|x| **x == k).count();
        // A duplicate is the same body stored again (under another batch id).
        let mut bodies: Vec<Vec<u8>> = stored
            .iter()
            .filter(|a| a.kind == wire)
            .map(|a| std::fs::read(&a.path).unwrap())
            .collect();
        let held = bodies.len();
        bodies.sort();
        bodies.dedup();
        assert_eq!(
            (held, bodies.len()),
            (spooled, spooled),
            "{name}: {wire} held exactly once each ({held} stored for {spooled} spooled)"
        );
    }
    let st = srv.stats();
    assert_eq!(st.sessions_ended, 1, "{name}");
    assert_eq!(st.faults_recorded, 1, "{name}");
    c.shutdown(Duration::ZERO);
}

fn every_upload_stage(kind: ArtifactKind) {
    for stage in [
        Stage::Presigned,
        Stage::PutIngested,
        Stage::PutDone,
        Stage::CompleteUnanswered,
    ] {
        killed_at(kind, stage);
    }
}

#[test]
fn screenshots_are_ingested_once_through_a_kill_at_every_stage() {
    every_upload_stage(ArtifactKind::Screenshots);
}

#[test]
fn hierarchy_snapshots_are_ingested_once_through_a_kill_at_every_stage() {
    every_upload_stage(ArtifactKind::Hierarchy);
}

#[test]
fn event_batches_are_ingested_once_through_a_kill_at_every_stage() {
    every_upload_stage(ArtifactKind::Events);
}

#[test]
fn a_crash_report_is_recorded_once_through_a_kill_after_it_was_sent() {
    killed_at(ArtifactKind::Fault, Stage::SentUnanswered);
}

#[test]
fn a_session_end_is_counted_once_through_a_kill_after_it_was_sent() {
    killed_at(ArtifactKind::SessionEnd, Stage::SentUnanswered);
}
