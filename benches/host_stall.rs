//! What each host call costs the host's thread while the ingest server stalls every route
//! for 60 s (the client keeps its default 60 s request timeout), then while the disk stalls
//! (every spool write sleeps 200 ms first: the `test-hooks` feature), p50 / p99 / max per
//! call, and `flush` racing `shutdown` on a stalled server. Not criterion: the point is the
//! tail under a stall, so every sample is kept.
//! Run: `cargo bench --bench host_stall`; results in `benches/RESULTS.md`.

use std::time::{Duration, Instant};

use rejourney_core::client::{Client, ClientOptions};
use rejourney_core::events::{Gesture, PropValue};
use rejourney_core::masks::{NodeKind, ViewNode};
use rejourney_core::strings::Sym;
use rejourney_core::upload::DeliveryConfig;
use rejourney_core::{FrameSpec, PixelFormat, Rect};
use rejourney_harness::stall_every_route;
use rejourney_ingest::{IngestServer, ServerOptions};

const ROUNDS: u64 = 400;

fn tree(w: f32, h: f32) -> Vec<ViewNode> {
    let mut nodes = vec![ViewNode {
        frame: Rect::new(0.0, 0.0, w, h),
        ..ViewNode::default()
    }];
    for i in 0..200 {
        nodes.push(ViewNode {
            parent: Some(0),
            // Every node's class is the table's first string, "Label" (the table every frame sends).
            class_name: Sym(0),
            frame: Rect::new(4.0, (i % 100) as f32 * 10.0, w - 8.0, 9.0),
            kind: if i % 9 == 0 {
                NodeKind::TextInput
            } else {
                NodeKind::Text
            },
            ..ViewNode::default()
        });
    }
    nodes
}

struct Samples(Vec<(&'static str, Vec<Duration>)>);

impl Samples {
    fn time<R>(&mut self, name: &'static str, f: impl FnOnce() -> R) -> R {
        let t = Instant::now();
        let r = f();
        let d = t.elapsed();
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some((_, v)) => v.push(d),
            None => self.0.push((name, vec![d])),
        }
        r
    }
}

/// A stalled network (`disk` zero) or a stalled disk (each spool write sleeps `disk`).
fn run(label: &str, disk: Duration) {
    let dir = std::env::temp_dir().join(format!(
        "rj-bench-stall-{}-{}",
        std::process::id(),
        disk.as_millis()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let srv = IngestServer::start(ServerOptions::new(dir.join("srv"))).expect("server");
    if disk.is_zero() {
        stall_every_route(&srv, Duration::from_secs(60), 100_000);
    }
    let spool = dir.join("spool");
    rejourney_core::spool::test_hooks::stall_writes(&spool, disk);
    let opts = ClientOptions::new(DeliveryConfig::new(&srv.url(), "pk", "dev", &spool));
    let mut s = Samples(Vec::new());
    let c = s.time("Client::new", || Client::new(opts).expect("client"));
    let t0 = 1_700_000_000_000u64;
    s.time("start", || c.start(t0).expect("start"));
    // 491 × 1065 px: a 393 × 852 pt phone at 1.25 px/pt, with a 200-node tree.
    let spec = FrameSpec::packed(491, 1065, PixelFormat::Rgba, 491.0 / 393.0);
    let nodes = tree(393.0, 852.0);
    let mut table = rejourney_core::strings::Interner::new();
    table.intern("Label");
    for i in 0..ROUNDS {
        let now = t0 + i * 250;
        s.time("tick", || c.tick(now).expect("tick"));
        s.time("heartbeat", || c.heartbeat());
        s.time("telemetry", || c.telemetry());
        let px = vec![(i % 251) as u8; 491 * 1065 * 4];
        s.time("submit_frame (491x1065, 201 nodes)", || {
            c.submit_frame(px, spec, &nodes, table.take_update(), now)
                .expect("frame")
        });
        s.time("gesture", || {
            c.gesture(Gesture::Tap, now, 5.0, 5.0, None).expect("tap")
        });
        s.time("log_event", || {
            c.log_event(now, "e", &[("n".into(), PropValue::Num(i as f64))])
                .expect("event")
        });
        s.time("touch_began+ended", || {
            c.touch_began();
            c.touch_ended(now)
        });
        if i % 20 == 10 {
            s.time("app_backgrounded", || c.app_backgrounded(now + 1));
            s.time("app_foregrounded", || c.app_foregrounded(now + 2));
        }
        if i % 50 == 49 {
            s.time("stop", || c.stop(now + 3).expect("stop"));
            s.time("start", || c.start(now + 4).expect("start"));
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    s.time("flush(1 s)", || c.flush(Duration::from_secs(1)));
    s.time("persist(1 s)", || c.persist(Duration::from_secs(1)));
    s.time("record_crash(1 s)", || {
        c.record_crash(t0, "E", "r", "s", Duration::from_secs(1))
            .expect("crash")
    });
    // What the opt-out row deletes: the spool as it stands (the host's call returns before
    // the spooler has deleted it; `persist` after it waits for that deletion).
    let spooled = c.telemetry().delivery.spool_files;
    s.time("opt_out", || c.opt_out(t0 + ROUNDS * 250));
    let purge = Instant::now();
    let purged = c.persist(Duration::from_secs(30));
    let purge = purge.elapsed();
    let left = c.telemetry().delivery.spool_files;
    s.time("shutdown(1 s)", || c.shutdown(Duration::from_secs(1)));
    print_samples(label, s);
    println!(
        "opt_out: {spooled} files spooled before it; the deletion off the host's thread took \
         {purge:.3?} (persist after it: {purged}, {left} left)"
    );
    rejourney_core::spool::test_hooks::stall_writes(&spool, Duration::ZERO);
    let _ = std::fs::remove_dir_all(&dir);
}

fn print_samples(label: &str, s: Samples) {
    println!(
        "{:<38} {:>6} {:>10} {:>10} {:>10}",
        label, "n", "p50", "p99", "max"
    );
    for (name, mut v) in s.0 {
        v.sort();
        let pct = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
        println!(
            "{name:<38} {:>6} {:>10.3?} {:>10.3?} {:>10.3?}",
            v.len(),
            pct(0.5),
            pct(0.99),
            v[v.len() - 1]
        );
    }
}

/// `flush(1.5 s)` on one thread while `shutdown(4 s)` begins on another 300 ms later, the
/// server stalled: the flush must return at its own deadline, not the shutdown's
/// (`tests/host_stall.rs` holds the behaviour; this measures it over `RACES` runs).
const RACES: usize = 8;

fn race() {
    let mut s = Samples(Vec::new());
    for i in 0..RACES {
        let dir = std::env::temp_dir().join(format!("rj-bench-race-{}-{i}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let srv = IngestServer::start(ServerOptions::new(dir.join("srv"))).expect("server");
        stall_every_route(&srv, Duration::from_secs(60), 100_000);
        let opts = ClientOptions::new(DeliveryConfig::new(
            &srv.url(),
            "pk",
            "dev",
            dir.join("spool"),
        ));
        let c = std::sync::Arc::new(Client::new(opts).expect("client"));
        let t0 = 1_700_000_000_000u64;
        c.start(t0).expect("start");
        c.screen_changed(t0, "Home").expect("screen");
        let flusher = {
            let c = c.clone();
            std::thread::spawn(move || {
                let t = Instant::now();
                c.flush(Duration::from_millis(1_500));
                t.elapsed()
            })
        };
        std::thread::sleep(Duration::from_millis(300));
        let closer = {
            let c = c.clone();
            std::thread::spawn(move || {
                let t = Instant::now();
                c.shutdown(Duration::from_secs(4));
                t.elapsed()
            })
        };
        let flushed = flusher.join().expect("flusher");
        let closed = closer.join().expect("closer");
        for (name, d) in [
            ("flush(1.5 s) racing shutdown", flushed),
            ("shutdown(4 s) racing flush", closed),
        ] {
            match s.0.iter_mut().find(|(n, _)| *n == name) {
                Some((_, v)) => v.push(d),
                None => s.0.push((name, vec![d])),
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    print_samples("call (server stalled, racing)", s);
}

fn main() {
    run("call (server stalled 60 s)", Duration::ZERO);
    println!();
    run(
        "call (disk writes stalled 200 ms)",
        Duration::from_millis(200),
    );
    println!();
    race();
}
