//! The delivery behaviour matrix, against the real local ingest server on 127.0.0.1 (no HTTP
//! mocks): retries, back-off, Retry-After, idempotency, no duplicates, what is never retried,
//! and bad input from the network. Every loop is bounded in count and time.

use std::time::{Duration, Instant, SystemTime};

use rejourney_core::client::{Client, ClientOptions};
use rejourney_core::spool::{ArtifactKind, ArtifactMeta};
use rejourney_core::upload::{Artifact, DeliveryConfig, RetryPolicy, Timeouts};
use rejourney_core::{parse_bundle, FrameSpec, ParseLimits, PixelFormat};
use rejourney_ingest::{Fault, IngestServer, Route, ServerOptions};

const WAIT: Duration = Duration::from_secs(20);

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!(
        "rj-dm-{name}-{}-{:x}",
        std::process::id(),
        fastrand_u64()
    ));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn fastrand_u64() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(7)
}

fn server() -> IngestServer {
    IngestServer::start(ServerOptions::new(tmp("srv"))).expect("server starts")
}

fn policy() -> RetryPolicy {
    RetryPolicy {
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(300),
        max_attempts: 5,
        max_age: Duration::from_secs(3600),
    }
}

fn client_with(srv: &IngestServer, f: impl FnOnce(&mut ClientOptions)) -> Client {
    let mut d = DeliveryConfig::new(&srv.url(), "pk_test", "device-1", tmp("spool"));
    d.retry = policy();
    d.timeouts = Timeouts {
        connect: Duration::from_secs(2),
        request: Duration::from_secs(2),
        max_response_bytes: 64 * 1024,
    };
    let mut o = ClientOptions::new(d);
    f(&mut o);
    Client::new(o).expect("client")
}

fn client(srv: &IngestServer) -> Client {
    client_with(srv, |_| {})
}

/// Records `n` distinct 64×64 frames one second apart (bundles of 3) and seals them.
fn record(c: &Client, start_ms: u64, n: u32) -> String {
    let id = c.start(start_ms).unwrap();
    for i in 0..n {
        let mut px = vec![90u8; 64 * 64 * 4];
        px[..4].copy_from_slice(&i.to_le_bytes());
        px[4] = (start_ms % 251) as u8;
        c.submit_frame_with_masks(
            px,
            FrameSpec::packed(64, 64, PixelFormat::Rgba, 1.25),
            &[],
            start_ms + i as u64 * 1000,
        )
        .unwrap();
        assert!(c.sync_capture(WAIT));
    }
    id
}

fn count(srv: &IngestServer, route: Route) -> usize {
    srv.requests().iter().filter(|r| r.route == route).count()
}

fn screenshots(srv: &IngestServer) -> usize {
    srv.artifacts()
        .iter()
        .filter(|a| a.kind == "screenshots")
        .count()
}

/// One fault on presign, then normal service: exactly one artifact stored, two presigns.
fn retries_once_then_delivers(route: Route, fault: Fault) {
    let srv = server();
    srv.faults().push(route, fault);
    let c = client(&srv);
    record(&c, 1_000_000, 3);
    assert!(c.flush(WAIT), "delivered after the retry");
    assert_eq!(screenshots(&srv), 1, "exactly one stored artifact");
    let t = c.telemetry().delivery;
    assert!(t.retries >= 1, "{t:?}");
    assert_eq!(t.delivered["screenshots"], 1);
}

macro_rules! retry_rows {
    ($($name:ident: $route:expr, $fault:expr;)*) => {$(
        #[test]
        fn $name() {
            retries_once_then_delivers($route, $fault);
        }
    )*};
}

retry_rows! {
    retries_on_500: Route::SegmentPresign, Fault::Status(500);
    retries_on_502: Route::SegmentPresign, Fault::Status(502);
    retries_on_503: Route::SegmentPresign, Fault::Status(503);
    retries_on_504: Route::SegmentPresign, Fault::Status(504);
    retries_on_408: Route::SegmentPresign, Fault::Status(408);
    retries_on_429: Route::SegmentPresign, Fault::Status(429);
    retries_on_reset_during_presign: Route::SegmentPresign, Fault::Reset;
    retries_on_reset_during_put: Route::SegmentPut, Fault::Reset;
    retries_on_500_during_put: Route::SegmentPut, Fault::Status(500);
    retries_on_503_during_complete: Route::SegmentComplete, Fault::Status(503);
    retries_on_reset_during_complete: Route::SegmentComplete, Fault::Reset;
    retries_on_garbage_presign_answer: Route::SegmentPresign, Fault::Garbage;
    retries_on_huge_presign_answer: Route::SegmentPresign, Fault::Huge(8 << 20);
    retries_on_device_auth_503: Route::DeviceAuth, Fault::Status(503);
}

/// Gap between the first two requests to `route`.
fn gap(srv: &IngestServer, route: Route) -> Duration {
    let times: Vec<Instant> = srv
        .requests()
        .iter()
        .filter(|r| r.route == route)
        .map(|r| r.received)
        .collect();
    assert!(times.len() >= 2, "at least two requests");
    times[1] - times[0]
}

#[test]
fn honours_retry_after_seconds() {
    let srv = server();
    srv.faults()
        .push(Route::SegmentPresign, Fault::RetryAfterSecs(429, 1));
    let c = client_with(&srv, |o| {
        o.delivery.retry.max_delay = Duration::from_secs(5)
    });
    record(&c, 2_000_000, 3);
    assert!(c.flush(WAIT));
    assert!(
        gap(&srv, Route::SegmentPresign) >= Duration::from_millis(950),
        "waited as told"
    );
    assert_eq!(screenshots(&srv), 1);
}

#[test]
fn honours_retry_after_http_date() {
    let srv = server();
    srv.faults().push(
        Route::SegmentPresign,
        Fault::RetryAfterDate(503, SystemTime::now() + Duration::from_secs(3)),
    );
    let c = client_with(&srv, |o| {
        o.delivery.retry.max_delay = Duration::from_secs(5)
    });
    record(&c, 3_000_000, 3);
    assert!(c.flush(WAIT));
    // HTTP dates have one-second resolution.
    assert!(gap(&srv, Route::SegmentPresign) >= Duration::from_millis(1_900));
    assert_eq!(screenshots(&srv), 1);
}

#[test]
fn honours_202_retry_after_without_charging_an_attempt() {
    let srv = server();
    srv.faults().push_n(
        Route::SegmentPresign,
        Fault::Accepted202 {
            retry_after_secs: 1,
        },
        1,
    );
    let c = client_with(&srv, |o| {
        o.delivery.retry.max_attempts = 1;
        o.delivery.retry.max_delay = Duration::from_secs(5);
    });
    record(&c, 4_000_000, 3);
    assert!(c.flush(WAIT));
    assert!(gap(&srv, Route::SegmentPresign) >= Duration::from_millis(950));
    assert_eq!(
        screenshots(&srv),
        1,
        "a 202 is not a failure: max_attempts 1 still delivers"
    );
}

#[test]
fn backs_off_exponentially_within_full_jitter_bounds() {
    let srv = server();
    srv.faults()
        .push_n(Route::SegmentPresign, Fault::Status(503), 5);
    let p = RetryPolicy {
        base_delay: Duration::from_millis(100),
        max_delay: Duration::from_secs(2),
        max_attempts: 10,
        max_age: Duration::from_secs(3600),
    };
    let c = client_with(&srv, |o| o.delivery.retry = p);
    record(&c, 5_000_000, 3);
    assert!(c.flush(WAIT));
    let times: Vec<Instant> = srv
        .requests()
        .iter()
        .filter(|r| r.route == Route::SegmentPresign)
        .map(|r| r.received)
        .collect();
    assert_eq!(times.len(), 6);
    let mut total = Duration::ZERO;
    let mut ceilings = Duration::ZERO;
    for (i, w) in times.windows(2).enumerate() {
        let g = w[1] - w[0];
        let ceiling = p.ceiling(i as u32 + 1);
        assert!(
            g <= ceiling + Duration::from_millis(250),
            "gap {i} = {g:?} over ceiling {ceiling:?}"
        );
        total += g;
        ceilings += ceiling;
    }
    // Full jitter draws each wait from [0, ceiling]; the sum of five draws under 10 % of the
    // ceilings' sum would mean no back-off at all.
    assert!(
        total >= ceilings / 10,
        "waited {total:?} of ceilings {ceilings:?}"
    );
}

#[test]
fn respects_max_attempts_and_counts_the_drop() {
    let srv = server();
    srv.faults()
        .push_n(Route::SegmentPresign, Fault::Status(500), 50);
    let c = client_with(&srv, |o| o.delivery.retry.max_attempts = 3);
    record(&c, 6_000_000, 3);
    assert!(c.flush(WAIT));
    assert_eq!(count(&srv, Route::SegmentPresign), 3);
    let t = c.telemetry().delivery;
    assert_eq!(t.dropped["max_attempts"], 1);
    assert_eq!(t.spool_files, 0);
    assert_eq!(screenshots(&srv), 0);
}

fn never_retried(route: Route, status: u16) {
    let srv = server();
    srv.faults().push_n(route, Fault::Status(status), 10);
    let c = client(&srv);
    record(&c, 7_000_000 + status as u64, 3);
    assert!(c.flush(WAIT));
    assert_eq!(count(&srv, route), 1, "{status} is not retried");
    assert_eq!(c.telemetry().delivery.dropped["rejected"], 1);
    assert_eq!(c.telemetry().delivery.spool_files, 0);
}

#[test]
fn does_not_retry_400() {
    never_retried(Route::SegmentPresign, 400);
}

#[test]
fn does_not_retry_413() {
    never_retried(Route::SegmentPut, 413);
}

#[test]
fn does_not_retry_400_on_complete() {
    never_retried(Route::SegmentComplete, 400);
}

fn reauthenticates_after(status: u16) {
    let srv = server();
    srv.faults()
        .push(Route::SegmentPresign, Fault::Status(status));
    let c = client(&srv);
    record(&c, 8_000_000 + status as u64, 3);
    assert!(c.flush(WAIT));
    let routes: Vec<Route> = srv.requests().iter().map(|r| r.route).collect();
    let first_fail = routes
        .iter()
        .position(|r| *r == Route::SegmentPresign)
        .unwrap();
    assert_eq!(
        routes[first_fail + 1],
        Route::DeviceAuth,
        "{status}: re-auth before anything else"
    );
    assert_eq!(count(&srv, Route::DeviceAuth), 2);
    assert_eq!(c.telemetry().delivery.auth_failures, 1);
    assert_eq!(
        screenshots(&srv),
        1,
        "the artifact is kept and delivered after re-auth"
    );
}

#[test]
fn does_not_retry_401_but_reauthenticates() {
    reauthenticates_after(401);
}

#[test]
fn does_not_retry_403_but_reauthenticates() {
    reauthenticates_after(403);
}

#[test]
fn rejected_credentials_pause_uploads_and_keep_the_spool() {
    let srv = server();
    srv.faults()
        .push_n(Route::DeviceAuth, Fault::Status(401), 1000);
    let c = client(&srv);
    record(&c, 9_000_000, 3);
    assert!(
        !c.flush(Duration::from_millis(800)),
        "nothing can be delivered"
    );
    assert_eq!(
        count(&srv, Route::SegmentPresign),
        0,
        "no upload without credentials"
    );
    let t = c.telemetry().delivery;
    assert!(t.uploads_paused);
    assert_eq!(t.spool_files, 1, "kept for when credentials work again");
    assert!(count(&srv, Route::DeviceAuth) < 12, "auth retries back off");
}

#[test]
fn keeps_idempotency_key_and_timestamps_on_retry() {
    let srv = server();
    srv.faults()
        .push_n(Route::SegmentPresign, Fault::Status(500), 2);
    let c = client(&srv);
    record(&c, 10_000_000, 3);
    assert!(c.flush(WAIT));
    let presigns: Vec<_> = srv
        .requests()
        .into_iter()
        .filter(|r| r.route == Route::SegmentPresign)
        .collect();
    assert_eq!(presigns.len(), 3);
    let key = presigns[0]
        .idempotency_key
        .clone()
        .expect("Idempotency-Key sent");
    for p in &presigns {
        assert_eq!(p.idempotency_key.as_ref(), Some(&key));
        let body = p.json.as_ref().expect("json body");
        assert_eq!(
            body["startTime"],
            presigns[0].json.as_ref().unwrap()["startTime"]
        );
        assert_eq!(
            body["endTime"],
            presigns[0].json.as_ref().unwrap()["endTime"]
        );
        assert_eq!(p.session_id.as_deref(), body["sessionId"].as_str());
    }
}

#[test]
fn no_duplicates_after_retries_of_every_step() {
    let srv = server();
    srv.faults().push(Route::SegmentPresign, Fault::Reset);
    srv.faults().push(Route::SegmentPut, Fault::Status(503));
    srv.faults().push(Route::SegmentComplete, Fault::Reset);
    srv.faults()
        .push(Route::SegmentComplete, Fault::Status(500));
    let c = client(&srv);
    record(&c, 11_000_000, 9);
    assert!(c.flush(WAIT));
    let arts = srv.artifacts();
    let shots: Vec<_> = arts.iter().filter(|a| a.kind == "screenshots").collect();
    assert_eq!(shots.len(), 3, "three bundles, each stored once");
    let mut keys: Vec<_> = shots.iter().map(|a| a.batch_id.clone()).collect();
    keys.dedup();
    assert_eq!(keys.len(), 3);
}

#[test]
fn expired_presigned_url_is_presigned_again_not_retried() {
    let srv = server();
    srv.faults()
        .push(Route::SegmentPresign, Fault::ExpireNextPut);
    let c = client(&srv);
    record(&c, 12_000_000, 3);
    assert!(c.flush(WAIT));
    assert_eq!(count(&srv, Route::SegmentPresign), 2);
    assert_eq!(count(&srv, Route::SegmentPut), 2);
    assert_eq!(c.telemetry().delivery.presign_expired, 1);
    assert_eq!(screenshots(&srv), 1);
}

#[test]
fn skip_upload_drops_on_purpose_and_stops_the_session() {
    let srv = server();
    srv.faults().push(Route::SegmentPresign, Fault::SkipUpload);
    let c = client(&srv);
    record(&c, 13_000_000, 6);
    assert!(c.flush(WAIT));
    assert_eq!(screenshots(&srv), 0);
    assert_eq!(
        count(&srv, Route::SegmentPresign),
        1,
        "the session's later bundles are not even offered"
    );
    assert!(c.telemetry().delivery.dropped["skip_upload"] >= 2);
    let d = c.tick(13_100_000).unwrap();
    assert!(
        matches!(d.action, rejourney_core::Action::Skip(_)),
        "capture stops for a closed session"
    );
}

#[test]
fn payment_required_closes_the_session() {
    let srv = server();
    srv.faults()
        .push(Route::SegmentPresign, Fault::PaymentRequired);
    let c = client(&srv);
    record(&c, 14_000_000, 6);
    assert!(c.flush(WAIT));
    assert_eq!(count(&srv, Route::SegmentPresign), 1);
    assert!(c.telemetry().delivery.dropped["billing"] >= 1);
}

#[test]
fn gzip_bodies_decode_and_bundles_are_exact() {
    let srv = server();
    let c = client(&srv);
    let session = record(&c, 15_000_000, 7);
    c.stop(15_010_000).unwrap();
    assert!(c.flush(WAIT));
    let shots: Vec<_> = srv
        .artifacts()
        .into_iter()
        .filter(|a| a.kind == "screenshots")
        .collect();
    assert_eq!(shots.len(), 3, "3 + 3 + 1 frames");
    let mut offsets = Vec::new();
    for a in &shots {
        assert_eq!(a.session_id, session);
        let gz = std::fs::read(&a.path).unwrap();
        let frames = parse_bundle(&gz, ParseLimits::default()).unwrap();
        assert_eq!(frames.len() as u64, a.frame_count);
        offsets.extend(frames.iter().map(|f| f.offset_ms));
    }
    offsets.sort();
    assert_eq!(offsets, (0..7).map(|i| i * 1000).collect::<Vec<u64>>());
    let end = srv
        .requests()
        .into_iter()
        .find(|r| r.route == Route::SessionEnd)
        .expect("session end sent");
    assert_eq!(end.json.as_ref().unwrap()["sessionId"], session.as_str());
    let last_complete = srv
        .requests()
        .iter()
        .rposition(|r| r.route == Route::SegmentComplete)
        .unwrap();
    let end_pos = srv
        .requests()
        .iter()
        .position(|r| r.route == Route::SessionEnd)
        .unwrap();
    assert!(
        end_pos > last_complete,
        "the end call comes after the session's frames"
    );
}

#[test]
fn the_server_rejects_a_corrupt_bundle_and_the_client_drops_it() {
    let srv = server();
    let c = client(&srv);
    c.start(16_000_000).unwrap();
    let meta = ArtifactMeta {
        kind: ArtifactKind::Screenshots,
        session_id: c.session_id().unwrap(),
        start_ms: 16_000_000,
        end_ms: 16_000_000,
        item_count: 1,
        batch_number: 0,
        idempotency_key: "corrupt-1".into(),
        created_ms: SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64,
        is_sampled_in: true,
    };
    c.enqueue(Artifact {
        meta,
        body: b"definitely not a gzip bundle".to_vec(),
    })
    .unwrap();
    assert!(c.flush(WAIT));
    assert_eq!(c.telemetry().delivery.dropped["rejected"], 1);
    assert!(srv.stats().bundles_rejected >= 1);
    assert_eq!(screenshots(&srv), 0);
}

#[test]
fn flush_with_nothing_pending_sends_nothing() {
    let srv = server();
    let c = client(&srv);
    assert!(c.flush(WAIT));
    c.start(17_000_000).unwrap();
    assert!(c.flush(WAIT));
    assert_eq!(srv.requests().len(), 0);
}

#[test]
fn stalled_and_slow_responses_cost_bounded_time() {
    let srv = server();
    srv.faults()
        .push(Route::SegmentPresign, Fault::Stall(Duration::from_secs(30)));
    srv.faults()
        .push(Route::SegmentPresign, Fault::SlowBody { bytes_per_sec: 10 });
    let c = client(&srv);
    let start = Instant::now();
    record(&c, 18_000_000, 3);
    assert!(c.flush(WAIT));
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "the 2 s request timeout bounds each stall"
    );
    let t = c.telemetry().delivery;
    assert!(
        t.timeouts >= 2,
        "the stall and the slow drip both time out: {t:?}"
    );
    assert_eq!(screenshots(&srv), 1);
}

#[test]
fn bad_api_urls_are_typed_errors() {
    for url in [
        "",
        "not a url",
        "ftp://host/x",
        "http://",
        "file:///etc/passwd",
    ] {
        let d = DeliveryConfig::new(url, "k", "d", tmp("badurl"));
        let err = Client::new(ClientOptions::new(d)).expect_err(url);
        assert!(
            matches!(
                err,
                rejourney_core::ClientError::Delivery(rejourney_core::upload::DeliveryError::Url(
                    _
                ))
            ),
            "{url}: {err:?}"
        );
    }
    let d = DeliveryConfig::new("http://127.0.0.1:9", "", "d", tmp("nokey"));
    assert!(Client::new(ClientOptions::new(d)).is_err());
}
