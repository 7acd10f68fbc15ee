//! No host call blocks the app: with the ingest server stalling every route for 60 s (and the
//! client's default 60 s request timeout), every call a host makes on its main thread returns
//! at once, and the calls that take a timeout honour it as a total, abandoning the request in
//! flight. Behaviour, not speed: the bounds are a small fraction of the stall, so a call that
//! waits for the network fails them by tens of seconds. Speed is in
//! `cargo bench --bench host_stall` (p50/p99/max per call, `benches/RESULTS.md`).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use rejourney_core::client::{Client, ClientOptions};
use rejourney_core::events::{Gesture, NetworkRequest, PropValue};
use rejourney_core::masks::{NodeKind, ViewNode};
use rejourney_core::strings::Sym;
use rejourney_core::upload::DeliveryConfig;
use rejourney_core::{FrameSpec, PixelFormat, Rect};
use rejourney_harness::{fresh_strings, stall_every_route, temp_path};
use rejourney_ingest::{IngestServer, ServerOptions};

const STALL: Duration = Duration::from_secs(60);
/// Far below the stall: a call that waited for a request would take ~60 s.
const PROMPT: Duration = Duration::from_secs(2);

fn tmp(name: &str) -> PathBuf {
    temp_path("stall", name)
}

fn stall_everything(srv: &IngestServer) {
    stall_every_route(srv, STALL, 10_000);
}

fn tree(w: f32, h: f32) -> Vec<ViewNode> {
    let mut nodes = vec![ViewNode {
        frame: Rect::new(0.0, 0.0, w, h),
        ..ViewNode::default()
    }];
    for i in 0..40 {
        nodes.push(ViewNode {
            parent: Some(0),
            // Every node's class is the table's first string, "Label" (the table every frame sends).
            class_name: Sym(0),
            frame: Rect::new(4.0, i as f32 * 6.0, w - 8.0, 5.0),
            kind: if i % 7 == 0 {
                NodeKind::TextInput
            } else {
                NodeKind::Text
            },
            ..ViewNode::default()
        });
    }
    nodes
}

/// Runs `f` and returns how long it took, failing if it took longer than `bound`.
fn timed<R>(what: &str, bound: Duration, f: impl FnOnce() -> R) -> R {
    let t = Instant::now();
    let r = f();
    let took = t.elapsed();
    assert!(took < bound, "{what} took {took:?} with the server stalled");
    r
}

#[test]
fn every_host_call_returns_promptly_while_the_server_stalls() {
    let srv = IngestServer::start(ServerOptions::new(tmp("srv"))).unwrap();
    stall_everything(&srv);
    let o = ClientOptions::new(DeliveryConfig::new(
        &srv.url(),
        "pk_stall",
        "device-stall",
        tmp("spool"),
    ));
    let c = timed("new", PROMPT, || Client::new(o).unwrap());
    let t0 = 1_700_000_000_000u64;
    timed("start", PROMPT, || c.start(t0).unwrap());
    let spec = FrameSpec::packed(240, 400, PixelFormat::Rgba, 1.0);
    let nodes = tree(240.0, 400.0);
    // Long enough for the uploader to be stuck in requests (device auth first).
    for i in 0..30u64 {
        let now = t0 + i * 1_000;
        timed("tick", PROMPT, || c.tick(now).unwrap());
        timed("heartbeat", PROMPT, || c.heartbeat());
        let px = vec![(i * 8) as u8; 240 * 400 * 4];
        timed("submit_frame", PROMPT, || {
            c.submit_frame(px, spec, &nodes, fresh_strings(&["Label"]), now)
                .unwrap()
        });
        timed("gesture", PROMPT, || {
            c.gesture(Gesture::Tap, now, 10.0, 10.0, Some("Buy"))
                .unwrap()
        });
        timed("screen", PROMPT, || c.screen_changed(now, "Home").unwrap());
        timed("event", PROMPT, || {
            c.log_event(now, "tick", &[("n".into(), PropValue::Num(i as f64))])
                .unwrap()
        });
        timed("network", PROMPT, || {
            c.network_request(
                now,
                &NetworkRequest {
                    method: "GET".into(),
                    url: "https://api.example.com/items".into(),
                    status: Some(200),
                    duration_ms: 12.0,
                    request_bytes: None,
                    response_bytes: Some(100),
                    error: None,
                },
            )
            .unwrap()
        });
        timed("keyboard", PROMPT, || {
            c.keyboard(now, i % 2 == 0, 300.0).unwrap()
        });
        timed("touch", PROMPT, || {
            c.touch_began();
            c.touch_ended(now);
        });
        timed("telemetry", PROMPT, || c.telemetry());
        if i % 10 == 5 {
            timed("background", PROMPT, || c.app_backgrounded(now + 1));
            timed("foreground", PROMPT, || c.app_foregrounded(now + 2));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let asked: u64 = srv.stats().requests.values().sum();
    assert!(asked >= 1, "the uploader is stuck in a request");
    // A session change on the host's thread: the end call queues behind the last frames
    // without anyone waiting for the encoder or the network.
    timed("stop", PROMPT, || c.stop(t0 + 31_000).unwrap());
    timed("start again", PROMPT, || c.start(t0 + 32_000).unwrap());
    // Consent changes hold or release the stalled uploader; none waits for it.
    use rejourney_core::consent::Consent;
    timed("set_consent(pending)", PROMPT, || {
        c.set_consent(Consent::Pending, t0 + 32_100).unwrap()
    });
    timed("set_consent(granted)", PROMPT, || {
        c.set_consent(Consent::Granted, t0 + 32_200).unwrap()
    });

    // Calls with a timeout: the timeout is the total, however many stages they have.
    let flushed = timed("flush(1 s)", Duration::from_millis(2500), || {
        c.flush(Duration::from_secs(1))
    });
    assert!(!flushed, "nothing can be delivered to a stalled server");
    let persisted = timed("persist(1 s)", Duration::from_millis(2500), || {
        c.persist(Duration::from_secs(1))
    });
    assert!(persisted, "persisting needs the disk, not the network");
    let crashed = timed("record_crash(1 s)", Duration::from_millis(2500), || {
        c.record_crash(
            t0 + 33_000,
            "Boom",
            "test",
            "at main",
            Duration::from_secs(1),
        )
        .unwrap()
    });
    assert!(crashed, "the crash is on disk");
    timed("shutdown(1 s)", Duration::from_millis(2500), || {
        c.shutdown(Duration::from_secs(1))
    });
}

/// The flush-like calls with a zero timeout return at once too.
#[test]
fn zero_timeouts_return_at_once_and_lose_nothing_recorded() {
    let srv = IngestServer::start(ServerOptions::new(tmp("zsrv"))).unwrap();
    stall_everything(&srv);
    let spool = tmp("zspool");
    let c = Client::new(ClientOptions::new(DeliveryConfig::new(
        &srv.url(),
        "pk_stall",
        "device-stall",
        &spool,
    )))
    .unwrap();
    let t0 = 1_700_000_000_000u64;
    c.start(t0).unwrap();
    let spec = FrameSpec::packed(64, 64, PixelFormat::Rgba, 1.0);
    for i in 0..5u64 {
        c.submit_frame(
            vec![i as u8 * 40; 64 * 64 * 4],
            spec,
            &tree(64.0, 64.0),
            fresh_strings(&["Label"]),
            t0 + i,
        )
        .unwrap();
        // Paced like a capture timer: the raw queue (4) never drops one.
        assert!(c.sync_capture(Duration::from_secs(20)));
    }
    std::thread::sleep(Duration::from_millis(200)); // the uploader is now inside a request
    timed("flush(0)", Duration::from_millis(500), || {
        c.flush(Duration::ZERO)
    });
    timed("shutdown(0)", Duration::from_millis(1500), || {
        c.shutdown(Duration::ZERO)
    });
    drop(c);
    // What was recorded is on disk for the next launch: a new client resumes it.
    let srv2 = IngestServer::start(ServerOptions::new(tmp("zsrv2"))).unwrap();
    let c2 = Client::new(ClientOptions::new(DeliveryConfig::new(
        &srv2.url(),
        "pk_stall",
        "device-stall",
        &spool,
    )))
    .unwrap();
    // Read by the spooler thread, not `Client::new`: counted once it has.
    assert!(c2.persist(Duration::from_secs(20)));
    assert!(c2.telemetry().delivery.resumed_from_spool >= 1);
    assert!(c2.flush(Duration::from_secs(20)));
    let frames: u64 = srv2
        .artifacts()
        .iter()
        .filter(|a| a.kind == "screenshots")
        .map(|a| a.frame_count)
        .sum();
    assert_eq!(
        frames, 5,
        "every recorded frame delivered on the next launch"
    );
}

/// A `flush` racing a `shutdown`: each waits for its own deadline only, never for the
/// other's (the join of the upload thread used to hold the lock `flush` reads its state
/// under: `flush(1.5 s)` took the whole `shutdown(4 s)`).
#[test]
fn a_flush_racing_a_shutdown_waits_for_its_own_deadline_only() {
    let srv = IngestServer::start(ServerOptions::new(tmp("race-srv"))).unwrap();
    stall_everything(&srv);
    let c = std::sync::Arc::new(
        Client::new(ClientOptions::new(DeliveryConfig::new(
            &srv.url(),
            "pk_stall",
            "device-stall",
            tmp("race-spool"),
        )))
        .unwrap(),
    );
    let t0 = 1_700_000_000_000u64;
    c.start(t0).unwrap();
    c.screen_changed(t0, "Home").unwrap();
    let flusher = {
        let c = c.clone();
        std::thread::spawn(move || {
            let t = Instant::now();
            let delivered = c.flush(Duration::from_millis(1_500));
            (delivered, t.elapsed())
        })
    };
    // The flush is waiting for the stalled uploader when the shutdown begins.
    std::thread::sleep(Duration::from_millis(300));
    let closer = {
        let c = c.clone();
        std::thread::spawn(move || c.shutdown(Duration::from_secs(4)))
    };
    let (delivered, took) = flusher.join().unwrap();
    assert!(!delivered, "nothing reaches a stalled server");
    assert!(
        took < Duration::from_millis(2_500),
        "flush(1.5 s) took {took:?} while shutdown(4 s) ran"
    );
    closer.join().unwrap();
}

/// The spool's disk stalls (every write sleeps 3 s, the `test-hooks` feature): host calls
/// still return at once, and the calls with a timeout honour it, the disk included.
/// `Client::new` finds an earlier run's triggered on-error buffer and leaves its move to the
/// spooler thread; `telemetry` and `opt_out` never wait behind a write.
#[test]
fn every_host_call_returns_promptly_while_the_disk_stalls() {
    use rejourney_core::spool::test_hooks::stall_writes;
    let srv = IngestServer::start(ServerOptions::new(tmp("disk-srv"))).unwrap();
    let spool = tmp("disk-spool");
    let buffered = |url: &str| {
        let mut o = ClientOptions::new(DeliveryConfig::new(url, "pk_stall", "dev", &spool));
        o.anr_threshold_ms = 0;
        o.session.sample_rate = 0.0;
        o.session.on_error_sample_rate = 1.0;
        o.capture.batch_size = 1;
        o
    };
    let t0 = 1_700_000_000_000u64;
    // Run 0: a buffered session leaves frames in the on-error buffer, and a trigger marker
    // as a crash handler that died before the move would.
    {
        let c = Client::new(buffered(&srv.url())).unwrap();
        let id = c.start(t0).unwrap();
        for i in 0..4u64 {
            rejourney_harness::submit_window_frame(&c, i as u8 * 50, t0 + i * 1_000);
        }
        assert!(c.persist(Duration::from_secs(20)));
        c.shutdown(Duration::ZERO);
        let hash = rejourney_core::fingerprint::stable_hash(&[id.as_bytes()]);
        std::fs::write(
            spool.join("buffer").join(format!("{hash:016x}.trigger")),
            &id,
        )
        .unwrap();
    }
    stall_writes(&spool, Duration::from_secs(3));
    let c = timed("new (a triggered buffer to move)", PROMPT, || {
        Client::new(buffered(&srv.url())).unwrap()
    });
    // The spooler is now inside a stalled write.
    std::thread::sleep(Duration::from_millis(200));
    timed("telemetry", PROMPT, || c.telemetry());
    timed("start", PROMPT, || c.start(t0 + 10_000).unwrap());
    let spec = FrameSpec::packed(240, 400, PixelFormat::Rgba, 1.0);
    let nodes = tree(240.0, 400.0);
    for i in 0..5u64 {
        let now = t0 + 10_000 + i * 1_000;
        timed("tick", PROMPT, || c.tick(now).unwrap());
        timed("submit_frame", PROMPT, || {
            c.submit_frame(
                vec![i as u8 * 9; 240 * 400 * 4],
                spec,
                &nodes,
                fresh_strings(&["Label"]),
                now,
            )
            .unwrap()
        });
        timed("screen", PROMPT, || c.screen_changed(now, "Home").unwrap());
        timed("telemetry", PROMPT, || c.telemetry());
    }
    let persisted = timed("persist(1 s)", Duration::from_millis(2500), || {
        c.persist(Duration::from_secs(1))
    });
    assert!(!persisted, "not on disk yet: the disk is stalled");
    let crashed = timed("record_crash(1 s)", Duration::from_millis(2500), || {
        c.record_crash(
            t0 + 16_000,
            "Boom",
            "test",
            "at main",
            Duration::from_secs(1),
        )
        .unwrap()
    });
    assert!(!crashed, "not on disk yet");
    timed("flush(1 s)", Duration::from_millis(2500), || {
        c.flush(Duration::from_secs(1))
    });
    timed("opt_out", PROMPT, || c.opt_out(t0 + 17_000));
    // The consent file is written off this thread; a denial deletes like an opt-out.
    use rejourney_core::consent::Consent;
    timed("set_consent(pending)", PROMPT, || {
        c.set_consent(Consent::Pending, t0 + 17_100).unwrap()
    });
    timed("set_consent(denied)", PROMPT, || {
        c.set_consent(Consent::Denied, t0 + 17_200).unwrap()
    });
    timed("set_consent(granted)", PROMPT, || {
        c.set_consent(Consent::Granted, t0 + 17_300).unwrap()
    });
    timed("telemetry", PROMPT, || c.telemetry());
    stall_writes(&spool, Duration::ZERO);
    timed("shutdown(1 s)", Duration::from_millis(2500), || {
        c.shutdown(Duration::from_secs(1))
    });
}
