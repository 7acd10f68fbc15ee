//! Tracking consent against the real local server: pending sends nothing at all (not a
//! device auth, not a remote-config GET) while it records on the phone, granted then
//! delivers all of it exactly once, denied deletes everything of the user on the phone and
//! records nothing, and each answer survives a restart. The transitions of
//! `tests/conformance/consent.json` are replayed here end to end.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rejourney_core::client::{Client, ClientError, ClientOptions};
use rejourney_core::consent::Consent;
use rejourney_core::spool::{Spool, SpoolLimits};
use rejourney_harness::{fast_retry_options, submit_window_frame, temp_path};
use rejourney_ingest::{IngestServer, Route, ServerOptions};
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(20);
const T0: u64 = 1_700_000_000_000;

fn tmp(name: &str) -> PathBuf {
    temp_path("consent", name)
}

/// Remote config on (its GET must be held too), a short hold for the first capture.
fn options(srv: &IngestServer, dir: &Path, initial: Consent) -> ClientOptions {
    let mut o = fast_retry_options(&srv.url(), dir);
    o.remote.enabled = true;
    o.remote.hold_ms = 100;
    o.initial_consent = initial;
    o
}

/// A session's worth of recording: three frames (one bundle), a screen, a custom event.
fn record(c: &Client, t: u64, label: &str) {
    // Past the remote-config hold: the plan is made from the app's options.
    c.tick(t + 200).unwrap();
    c.screen_changed(t + 210, "Checkout").unwrap();
    c.log_event(t + 220, label, &[]).unwrap();
    for i in 0..3u8 {
        submit_window_frame(c, 40 * i + 10, t + 300 + i as u64 * 1_000);
    }
}

/// Custom event names in what the server stored.
fn uploaded_events(srv: &IngestServer) -> Vec<String> {
    let mut names = Vec::new();
    for a in srv.artifacts().into_iter().filter(|a| a.kind == "events") {
        let bytes = std::fs::read(&a.path).unwrap();
        names.extend(custom_names(&bytes));
    }
    names
}

fn custom_names(gz: &[u8]) -> Vec<String> {
    let mut raw = Vec::new();
    if flate2::read::GzDecoder::new(gz)
        .read_to_end(&mut raw)
        .is_err()
    {
        return Vec::new();
    }
    let Ok(body) = serde_json::from_slice::<Value>(&raw) else {
        return Vec::new();
    };
    body["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["type"] == "custom")
        .filter_map(|e| e["name"].as_str().map(str::to_owned))
        .collect()
}

/// Custom event names still in the spool on disk (read after the client is shut down).
fn kept_events(dir: &Path) -> Vec<String> {
    let (mut spool, _) = Spool::open(dir, SpoolLimits::default()).unwrap();
    let ids: Vec<u64> = spool.entries().map(|e| e.id).collect();
    let mut names = Vec::new();
    for id in ids {
        if let Ok((_, body)) = spool.read(id) {
            names.extend(custom_names(&body));
        }
    }
    names
}

/// Every file under `dir`, relative.
fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

fn no_requests(srv: &IngestServer) {
    let got: Vec<_> = srv.requests().iter().map(|r| r.route).collect();
    assert!(got.is_empty(), "requests left the phone: {got:?}");
    assert!(srv.stats().requests.is_empty(), "{:?}", srv.stats());
}

#[test]
fn pending_sends_nothing_then_granted_delivers_all_of_it_once() {
    let srv = IngestServer::start(ServerOptions::new(tmp("srv"))).unwrap();
    let dir = tmp("pending-granted");
    let c = Client::new(options(&srv, &dir, Consent::Pending)).unwrap();
    let session = c.start(T0).unwrap();
    record(&c, T0, "while-pending");
    c.record_crash(T0 + 4_000, "IllegalState", "boom", "at x", WAIT)
        .unwrap();
    c.stop(T0 + 5_000).unwrap();
    assert!(c.persist(WAIT), "on the phone");
    // A held upload thread is not idle: a flush says so rather than pretending.
    assert!(!c.flush(Duration::from_millis(300)));
    no_requests(&srv);
    let t = c.telemetry();
    assert_eq!(t.consent.state, Consent::Pending);
    assert!(
        t.delivery.spool_files >= 4,
        "bundle, events, fault, end: {t:?}"
    );

    c.set_consent(Consent::Granted, T0 + 6_000).unwrap();
    assert!(c.flush(WAIT));
    let stats = srv.stats();
    assert_eq!(stats.frames_stored, 3, "{stats:?}");
    assert_eq!(stats.sessions_ended, 1);
    assert_eq!(stats.faults_recorded, 1);
    assert_eq!(stats.duplicates_suppressed, 0);
    assert_eq!(stats.puts_already_stored, 0);
    assert_eq!(uploaded_events(&srv), vec!["while-pending".to_owned()]);
    assert!(srv.artifacts().iter().all(|a| a.session_id == session));
    let ends = srv
        .requests()
        .iter()
        .filter(|r| r.route == Route::SessionEnd)
        .count();
    assert_eq!(ends, 1, "one end call");
    assert!(
        srv.requests().iter().any(|r| r.route == Route::SdkConfig),
        "the remote config is asked once consent allows it"
    );
    assert_eq!(c.telemetry().delivery.spool_files, 0);
}

#[test]
fn pending_then_denied_sends_nothing_ever_and_leaves_no_session_files() {
    let srv = IngestServer::start(ServerOptions::new(tmp("srv"))).unwrap();
    let dir = tmp("pending-denied");
    let c = Client::new(options(&srv, &dir, Consent::Pending)).unwrap();
    c.start(T0).unwrap();
    record(&c, T0, "secret");
    assert!(c.persist(WAIT));
    assert!(!files_under(&dir).iter().all(|f| f == "consent"));
    c.set_consent(Consent::Denied, T0 + 5_000).unwrap();
    // Nothing more is recorded.
    assert!(matches!(
        c.log_event(T0 + 5_100, "after", &[]),
        Err(ClientError::NotStarted)
    ));
    c.app_backgrounded(T0 + 5_200);
    // The spooler thread deletes (the host's call only flipped memory): wait for it.
    assert!(c.persist(WAIT));
    let t = c.telemetry();
    assert_eq!(t.consent.state, Consent::Denied);
    assert!(t.consent.deleted >= 3, "{:?}", t.consent);
    assert_eq!(t.session_id, None);
    c.shutdown(WAIT);
    no_requests(&srv);
    assert_eq!(files_under(&dir), vec!["consent".to_owned()]);

    // The next launch (the app's option says granted) keeps to the denial.
    let c = Client::new(options(&srv, &dir, Consent::Granted)).unwrap();
    assert_eq!(c.consent(), Consent::Denied);
    assert!(matches!(
        c.start(T0 + 60_000),
        Err(ClientError::ConsentDenied)
    ));
    assert!(c.log_event(T0 + 60_100, "relaunch", &[]).is_err());
    c.shutdown(WAIT);
    no_requests(&srv);
    assert_eq!(files_under(&dir), vec!["consent".to_owned()]);
}

#[test]
fn a_launch_with_pending_kept_sends_nothing_until_granted() {
    let srv = IngestServer::start(ServerOptions::new(tmp("srv"))).unwrap();
    let dir = tmp("restart");
    // First run: the app's option says granted; the user has not answered yet.
    let mut o = options(&srv, &dir, Consent::Granted);
    o.remote.enabled = false;
    let c = Client::new(o).unwrap();
    c.set_consent(Consent::Pending, T0).unwrap();
    let first = c.start(T0).unwrap();
    record(&c, T0, "first-run");
    // Killed in the background: not stopped, its end comes from the next launch.
    c.shutdown(Duration::ZERO);
    no_requests(&srv);

    // Second run, the same option: the kept pending wins, even for the remote config.
    let c = Client::new(options(&srv, &dir, Consent::Granted)).unwrap();
    assert_eq!(c.consent(), Consent::Pending);
    assert!(c.telemetry().consent.loaded);
    let second = c.start(T0 + 60_000).unwrap();
    record(&c, T0 + 60_000, "second-run");
    c.stop(T0 + 65_000).unwrap();
    assert!(c.persist(WAIT));
    no_requests(&srv);

    c.set_consent(Consent::Granted, T0 + 66_000).unwrap();
    assert!(c.flush(WAIT));
    let stats = srv.stats();
    assert_eq!(stats.frames_stored, 6, "{stats:?}");
    assert_eq!(stats.sessions_ended, 2, "the first run's end too");
    let mut names = uploaded_events(&srv);
    names.sort();
    assert_eq!(names, vec!["first-run".to_owned(), "second-run".to_owned()]);
    for s in [&first, &second] {
        let ends = srv
            .requests()
            .iter()
            .filter(|r| r.route == Route::SessionEnd && r.session_id.as_deref() == Some(s))
            .count();
        assert_eq!(ends, 1, "{s}");
    }
}

#[test]
fn a_denial_restarts_recording_only_when_granted() {
    let srv = IngestServer::start(ServerOptions::new(tmp("srv"))).unwrap();
    let dir = tmp("denied-granted");
    let c = Client::new(options(&srv, &dir, Consent::Denied)).unwrap();
    assert!(matches!(c.start(T0), Err(ClientError::ConsentDenied)));
    assert_eq!(c.session_id(), None);
    c.set_consent(Consent::Granted, T0 + 1_000).unwrap();
    let session = c
        .session_id()
        .expect("the app asked to record: it starts now");
    record(&c, T0 + 1_000, "granted");
    c.stop(T0 + 9_000).unwrap();
    assert!(c.flush(WAIT));
    assert_eq!(uploaded_events(&srv), vec!["granted".to_owned()]);
    assert!(srv.artifacts().iter().all(|a| a.session_id == session));
}

/// `consent.json`'s transitions: step 0 is the launch with `initial`; each later step sets
/// a consent (or restarts the app) and then records a labelled event. The expectation says
/// which labels reached the server, which are still on the phone, and which are gone (or
/// were never recorded).
#[test]
fn consent_transition_vectors() {
    let path = format!(
        "{}/tests/conformance/consent.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = v["transitions"].as_array().unwrap();
    assert!(cases.len() >= 8);
    for (n, case) in cases.iter().enumerate() {
        let name = case["name"].as_str().unwrap();
        let initial = Consent::parse(case["initial"].as_str().unwrap()).unwrap();
        let srv = IngestServer::start(ServerOptions::new(tmp("srv"))).unwrap();
        let dir = tmp(&format!("vector-{n}"));
        let mut o = options(&srv, &dir, initial);
        o.remote.enabled = false;
        let mut c = Client::new(o.clone()).unwrap();
        let t = |i: usize| T0 + i as u64 * 10_000;
        // What is recorded under granted is delivered before the next step, so "sent"
        // does not depend on the upload thread's timing.
        let chunk = |c: &Client, i: usize| {
            let _ = c.log_event(t(i) + 1, &format!("chunk-{i}"), &[]);
            if c.consent() == Consent::Granted {
                assert!(c.flush(WAIT), "{name}: chunk {i}");
            } else {
                c.persist(WAIT);
            }
        };
        let _ = c.start(t(0));
        chunk(&c, 0);
        for (i, step) in case["steps"].as_array().unwrap().iter().enumerate() {
            let i = i + 1;
            match step.as_str().unwrap() {
                "restart" => {
                    c.shutdown(Duration::ZERO);
                    c = Client::new(o.clone()).unwrap();
                    let _ = c.start(t(i));
                }
                other => {
                    let to = Consent::parse(other).unwrap();
                    c.set_consent(to, t(i)).unwrap();
                }
            }
            chunk(&c, i);
        }
        c.shutdown(Duration::from_secs(2));
        let uploaded = uploaded_events(&srv);
        let kept = kept_events(&dir);
        let labels = |key: &str| -> Vec<String> {
            case["expect"][key]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| format!("chunk-{}", i.as_u64().unwrap()))
                .collect()
        };
        let mut sorted = uploaded.clone();
        sorted.sort();
        assert_eq!(sorted, labels("uploaded"), "{name}: uploaded (once each)");
        let mut kept_sorted = kept.clone();
        kept_sorted.sort();
        assert_eq!(kept_sorted, labels("kept"), "{name}: kept on the phone");
        for gone in labels("deleted") {
            assert!(
                !uploaded.contains(&gone) && !kept.contains(&gone),
                "{name}: {gone} should be gone"
            );
        }
    }
}

/// A denial while an upload is in flight, then a grant: the new session recorded while
/// that request was still out is delivered (the denial deleted only what existed then).
#[test]
fn what_is_recorded_after_a_denial_and_a_grant_survives_an_upload_in_flight() {
    use rejourney_ingest::Fault;
    let srv = IngestServer::start(ServerOptions::new(tmp("srv"))).unwrap();
    srv.faults().push(
        Route::SegmentPut,
        Fault::Delay(Duration::from_millis(2_000)),
    );
    let dir = tmp("deny-in-flight");
    let mut o = options(&srv, &dir, Consent::Granted);
    o.remote.enabled = false;
    let c = Client::new(o).unwrap();
    let denied = c.start(T0).unwrap();
    record(&c, T0, "denied-later");
    let deadline = std::time::Instant::now() + WAIT;
    while !srv.requests().iter().any(|r| r.route == Route::SegmentPut) {
        assert!(std::time::Instant::now() < deadline, "no PUT");
        std::thread::sleep(Duration::from_millis(10));
    }
    c.set_consent(Consent::Denied, T0 + 5_000).unwrap();
    c.set_consent(Consent::Granted, T0 + 6_000).unwrap();
    let next = c.session_id().expect("recording resumes");
    record(&c, T0 + 6_000, "granted-again");
    c.stop(T0 + 12_000).unwrap();
    // On disk while the delayed PUT is still out.
    assert!(c.persist(WAIT));
    assert!(c.flush(WAIT));
    let stored = |s: &str, kind: &str| {
        srv.artifacts()
            .iter()
            .filter(|a| a.session_id == s && a.kind == kind)
            .count()
    };
    assert_eq!(stored(&next, "screenshots"), 1, "the new session's bundle");
    assert_eq!(uploaded_events(&srv), vec!["granted-again".to_owned()]);
    // The server ingests on the PUT (as the backend's relay does): the one PUT in flight at
    // the denial (a tree or the bundle, whichever was spooled first) may be stored; nothing
    // of the denied session is completed or PUT after it.
    let denied_segments = stored(&denied, "screenshots") + stored(&denied, "hierarchy");
    assert!(
        denied_segments <= 1,
        "only the PUT in flight: {denied_segments}"
    );
    let completes = srv
        .requests()
        .iter()
        .filter(|r| matches!(r.route, Route::SegmentComplete | Route::BatchComplete))
        .filter(|r| r.session_id.as_deref() == Some(denied.as_str()))
        .count();
    assert_eq!(completes, 0, "the denied one is not completed");
}
