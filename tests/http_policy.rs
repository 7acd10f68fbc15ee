//! The one HTTP policy (`rejourney_core::upload::url_policy`, `docs/PROTOCOL.md`) against
//! real servers on 127.0.0.1: the local ingest server answers a redirect on each route in
//! turn, pointing at a second server on another port that records whatever reaches it
//! (and would answer it with a token, a presigned URL or a 2xx). Nothing may reach it, no
//! redirect may count as a delivery, and everything is still delivered to the API itself
//! once the redirects stop. A presign answering an `http://` URL to a non-loopback host is
//! refused for its artifact and counted, and the body never travels there; an `http://`
//! API URL to a non-loopback host is a typed error at `Client::new`.

use std::path::Path;
use std::time::Duration;

use rejourney_core::client::{Client, ClientError, ClientOptions};
use rejourney_core::remote_config::RemoteStatus;
use rejourney_core::upload::DeliveryError;
use rejourney_harness::recorder::{non_loopback_ipv4, Recorder};
use rejourney_harness::{fast_retry_options, submit_window_frame, temp_path};
use rejourney_ingest::{Fault, IngestServer, Route, ServerOptions};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(20);
const T0: u64 = 1_700_000_000_000;

fn server(name: &str) -> IngestServer {
    IngestServer::start(ServerOptions::new(temp_path("http-policy", name))).unwrap()
}

fn options(url: &str, spool: &Path) -> ClientOptions {
    let mut o = fast_retry_options(url, spool);
    o.anr_threshold_ms = 0;
    o
}

fn count(srv: &IngestServer, route: Route, status: u16) -> usize {
    srv.requests()
        .iter()
        .filter(|r| r.route == route && r.status == Some(status))
        .count()
}

/// The ingest server redirects the first `n` requests of `route` with `status` to the
/// recorder (same path); the session then runs: three frames, a custom event, the end.
fn redirected(route: Route, status: u16, n: usize) {
    let name = format!("{route:?}-{status}");
    let srv = server(&name);
    let thief = Recorder::start("127.0.0.1:0").unwrap();
    let path = match route {
        Route::DeviceAuth => "/api/ingest/auth/device",
        Route::SegmentPresign => "/api/ingest/segment/presign",
        Route::SegmentPut => "/upload/segment/stolen",
        Route::SegmentComplete => "/api/ingest/segment/complete",
        Route::EventsPresign => "/api/ingest/presign",
        Route::BatchComplete => "/api/ingest/batch/complete",
        Route::SessionEnd => "/api/ingest/session/end",
        _ => "/elsewhere",
    };
    srv.faults().push_n(
        route,
        Fault::Redirect {
            status,
            location: format!("{}{path}", thief.loopback_url()),
        },
        n,
    );
    let c = Client::new(options(
        &srv.url(),
        &temp_path("http-policy", &format!("{name}-spool")),
    ))
    .unwrap();
    c.start(T0).unwrap();
    for i in 0..3u8 {
        submit_window_frame(&c, 40 + i * 60, T0 + i as u64 * 1_000);
    }
    c.log_event(T0 + 2_500, "checkout", &[]).unwrap();
    c.stop(T0 + 3_000).unwrap();
    assert!(c.flush(WAIT), "delivered once the redirects stopped");

    let stolen = thief.requests();
    assert!(
        stolen.is_empty(),
        "{route:?} {status}: nothing may follow a redirect, got {stolen:?}"
    );
    let t = c.telemetry().delivery;
    assert!(
        t.redirects >= n as u64,
        "{route:?} {status}: counted: {t:?}"
    );
    assert_eq!(
        count(&srv, route, status),
        n,
        "{route:?}: each redirect answered once"
    );
    // Delivered to the API itself, never counted on the strength of a redirect.
    let stored: Vec<String> = srv.artifacts().iter().map(|a| a.kind.clone()).collect();
    assert!(
        stored.iter().any(|k| k == "screenshots") && stored.iter().any(|k| k == "events"),
        "{route:?} {status}: stored {stored:?}"
    );
    assert_eq!(
        count(&srv, Route::SessionEnd, 200),
        1,
        "{route:?} {status}: the end call reached the API"
    );
    for r in srv.requests() {
        if let Some(token) = r.upload_token {
            assert_ne!(token, "stolen-token", "only the API's own token is used");
        }
    }
    c.shutdown(Duration::ZERO);
}

macro_rules! redirect_rows {
    ($($name:ident: $route:expr, $status:expr;)*) => {$(
        #[test]
        fn $name() {
            redirected($route, $status, 2);
        }
    )*};
}

redirect_rows! {
    device_auth_302_is_not_followed: Route::DeviceAuth, 302;
    device_auth_307_is_not_followed: Route::DeviceAuth, 307;
    segment_presign_307_is_not_followed: Route::SegmentPresign, 307;
    events_presign_308_is_not_followed: Route::EventsPresign, 308;
    presigned_put_307_is_not_followed: Route::SegmentPut, 307;
    segment_complete_303_is_not_a_delivery: Route::SegmentComplete, 303;
    batch_complete_302_is_not_a_delivery: Route::BatchComplete, 302;
    session_end_301_is_not_a_delivery: Route::SessionEnd, 301;
}

#[test]
fn the_remote_config_get_does_not_follow_a_redirect_with_the_key() {
    let srv = server("config-302");
    let thief = Recorder::start("127.0.0.1:0").unwrap();
    srv.faults().push(
        Route::SdkConfig,
        Fault::Redirect {
            status: 302,
            location: format!("{}/api/sdk/config", thief.loopback_url()),
        },
    );
    let mut o = options(&srv.url(), &temp_path("http-policy", "config-spool"));
    o.remote.enabled = true;
    o.device_info = json!({"platform": "ios", "appId": "com.example"});
    let c = Client::new(o).unwrap();
    assert!(c.wait_remote_config(WAIT));
    let st = c.remote_state().unwrap();
    assert_eq!(st.status, RemoteStatus::Unavailable, "{st:?}");
    assert!(
        st.error.as_deref().is_some_and(|e| e.contains("redirect")),
        "{st:?}"
    );
    assert!(
        thief.requests().is_empty(),
        "x-public-key never left the API origin: {:?}",
        thief.requests()
    );
    c.shutdown(Duration::ZERO);
}

#[test]
fn an_http_presigned_url_to_another_host_is_refused_and_never_sent() {
    let srv = server("insecure-presign");
    // A recorder reachable by this machine's own non-loopback address, when it has one: the
    // proof that nothing travelled there. Without one, a `.invalid` host (the count still
    // tells a refused URL from a failed connection).
    let thief = Recorder::start("0.0.0.0:0").unwrap();
    let host = match non_loopback_ipv4() {
        Some(ip) => format!("{ip}:{}", thief.addr.port()),
        None => "insecure-presign.invalid".to_owned(),
    };
    let body = format!(
        r#"{{"presignedUrl":"http://{host}/upload/segment/x?X-Amz-Signature=abc","segmentId":"seg-1"}}"#
    );
    srv.faults().push(
        Route::SegmentPresign,
        Fault::Raw {
            status: 200,
            body: body.into_bytes(),
        },
    );
    let c = Client::new(options(
        &srv.url(),
        &temp_path("http-policy", "insecure-spool"),
    ))
    .unwrap();
    c.start(T0).unwrap();
    for i in 0..3u8 {
        submit_window_frame(&c, 40 + i * 60, T0 + i as u64 * 1_000);
    }
    assert!(c.flush(WAIT));
    let t = c.telemetry().delivery;
    assert_eq!(
        t.dropped.get("insecure_url"),
        Some(&1),
        "refused, counted: {t:?}"
    );
    assert!(
        thief.requests().is_empty(),
        "no byte went out in clear: {:?}",
        thief.requests()
    );
    let segments = srv
        .artifacts()
        .iter()
        .filter(|a| a.kind != "events")
        .count();
    assert_eq!(
        count(&srv, Route::SegmentPresign, 200),
        segments + 1,
        "the refused artifact was not presigned again; the others went"
    );
    c.shutdown(Duration::ZERO);
}

#[test]
fn an_http_api_url_to_another_host_is_a_typed_error_at_client_new() {
    for url in [
        "http://api.rejourney.co",
        "http://192.168.1.20:8787",
        "http://localhost.example.com",
    ] {
        match Client::new(options(url, &temp_path("http-policy", "cleartext"))) {
            Err(ClientError::Delivery(DeliveryError::Cleartext(_))) => {}
            other => panic!("{url}: {:?}", other.map(|_| "a client")),
        }
    }
    for url in ["http://127.0.0.1:9", "http://localhost:9", "http://[::1]:9"] {
        let c = Client::new(options(url, &temp_path("http-policy", "loopback")));
        assert!(c.is_ok(), "{url}: loopback http stays allowed");
        if let Ok(c) = c {
            c.shutdown(Duration::ZERO);
        }
    }
}
