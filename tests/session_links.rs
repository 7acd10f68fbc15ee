//! Session links through the FFI object against the real local server: the current
//! session's replay URL, the tracing header on listed hosts only, and the listener hearing
//! every session's start and end (an opt-out's too).

use std::sync::{Arc, Mutex};

use rejourney_core::ffi::{Rejourney, RejourneyListener, RejourneyOptions};
use rejourney_harness::temp_path;
use rejourney_ingest::{IngestServer, ServerOptions};

#[derive(Default)]
struct Heard(Mutex<Vec<String>>);

impl RejourneyListener for Heard {
    fn on_session_started(&self, session_id: String) {
        self.0.lock().unwrap().push(format!("start {session_id}"));
    }
    fn on_session_ended(&self, session_id: String, reason: String) {
        self.0
            .lock()
            .unwrap()
            .push(format!("end {session_id} {reason}"));
    }
}

fn options(srv: &IngestServer, name: &str) -> RejourneyOptions {
    let dir = temp_path("links", name);
    let mut o =
        RejourneyOptions::with_defaults("pk_test", &srv.url(), "dev", dir.to_str().unwrap());
    o.remote_config = Some(false);
    o.anr_threshold_ms = Some(0);
    o.trace_hosts = vec!["api.example.com".into(), "*.shop.example.org".into()];
    o
}

#[test]
fn replay_url_and_tracing_headers_follow_the_current_session() {
    let srv = IngestServer::start(ServerOptions::new(temp_path("links", "srv"))).unwrap();
    let rj = Rejourney::new(options(&srv, "current")).unwrap();
    assert_eq!(rj.session_url(), None, "no session yet");
    assert!(rj
        .tracing_headers("https://api.example.com/x".into())
        .is_empty());
    let id = rj.start(1_000).unwrap();
    assert_eq!(
        rj.session_url(),
        Some(format!(
            "{}/dashboard/sessions/{id}",
            srv.url().trim_end_matches('/')
        ))
    );
    let h = rj.tracing_headers("https://api.example.com/v1/cart?x=1".into());
    assert_eq!(h.len(), 1);
    assert_eq!(h["x-rejourney-session-id"], id);
    assert_eq!(
        rj.tracing_headers("https://eu.shop.example.org/".into())["x-rejourney-session-id"],
        id
    );
    for other in [
        "https://example.com/",
        "https://api.example.com.attacker.io/",
        "https://shop.example.org/",
        &srv.url(),
        "garbage",
    ] {
        assert!(rj.tracing_headers(other.into()).is_empty(), "{other}");
    }
    rj.stop(2_000).unwrap();
    assert_eq!(rj.session_url(), None);
    assert!(rj
        .tracing_headers("https://api.example.com/".into())
        .is_empty());
    assert_eq!(
        rj.replay_url(id.clone()),
        Some(format!(
            "{}/dashboard/sessions/{id}",
            srv.url().trim_end_matches('/')
        ))
    );
    let next = rj.start(3_000).unwrap();
    rj.opt_out(4_000).unwrap();
    assert_eq!(rj.session_url(), None, "opted out: no link to {next}");
    assert!(rj
        .tracing_headers("https://api.example.com/".into())
        .is_empty());
    rj.shutdown(0).unwrap();
}

#[test]
fn a_sampled_out_session_has_no_link() {
    let srv = IngestServer::start(ServerOptions::new(temp_path("links", "srv"))).unwrap();
    let mut o = options(&srv, "sampled");
    o.session_sample_rate = Some(0.0);
    let rj = Rejourney::new(o).unwrap();
    rj.start(1_000).unwrap();
    rj.tick(1_000).unwrap();
    assert_eq!(rj.session_url(), None);
    assert!(rj
        .tracing_headers("https://api.example.com/".into())
        .is_empty());
    rj.shutdown(0).unwrap();
}

#[test]
fn the_listener_hears_every_start_and_end_an_opt_out_included() {
    let srv = IngestServer::start(ServerOptions::new(temp_path("links", "srv"))).unwrap();
    let rj = Rejourney::new(options(&srv, "listener")).unwrap();
    let heard = Arc::new(Heard::default());
    rj.set_listener(Some(heard.clone())).unwrap();
    let a = rj.start(1_000).unwrap();
    let b = rj.start(2_000).unwrap();
    rj.opt_out(3_000).unwrap();
    let got = heard.0.lock().unwrap().clone();
    assert_eq!(
        got,
        vec![
            format!("start {a}"),
            format!("end {a} stopped"),
            format!("start {b}"),
            format!("end {b} opt_out"),
        ]
    );
    rj.shutdown(0).unwrap();
}

/// Pending consent records on the phone only: the session id must not leave it either, not
/// in a tracing header nor as a replay link; granted gives both (issue 26, React Native).
#[test]
fn pending_consent_gives_no_link_and_no_header() {
    use rejourney_core::consent::Consent;
    let srv = IngestServer::start(ServerOptions::new(temp_path("links", "srv"))).unwrap();
    let mut o = options(&srv, "pending");
    o.initial_consent = Some(Consent::Pending);
    let rj = Rejourney::new(o).unwrap();
    let id = rj.start(1_000).unwrap();
    assert!(rj
        .tracing_headers("https://api.example.com/".into())
        .is_empty());
    assert_eq!(rj.session_url(), None);
    rj.set_consent(Consent::Granted, 2_000).unwrap();
    assert_eq!(
        rj.tracing_headers("https://api.example.com/".into())["x-rejourney-session-id"],
        id
    );
    assert!(rj.session_url().is_some());
    rj.set_consent(Consent::Denied, 3_000).unwrap();
    assert!(rj
        .tracing_headers("https://api.example.com/".into())
        .is_empty());
    rj.shutdown(0).unwrap();
}
