//! The ANR watchdog's heartbeat is independent of capture, against the real `Client` and the
//! local ingest server with the real 5 s threshold: a capture the core backed off (ticks 1, 2,
//! 4 and 8 s apart, as it tells the host) and a buffered session captured every 10 s raise no
//! ANR, no fault and no buffer trigger while the main thread beats (every 250 ms, from its
//! own thread); silence beyond the threshold is exactly one ANR, whose event carries the
//! silence measured when the main thread came back, not the threshold.
//!
//! Real time throughout: the watchdog runs on its own monotonic clock. The host's clock the
//! ticks pass is that same elapsed time from `T0`, and each tick waits as long as the core's
//! decision says, so the gaps are the core's own.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering::*};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rejourney_core::client::{Client, ClientOptions};
use rejourney_core::policy::Action;
use rejourney_core::remote_config::SessionMode;
use rejourney_harness::{fast_retry_options, submit_window_frame, temp_path};
use rejourney_ingest::{IngestServer, ServerOptions};
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(20);
const T0: u64 = 1_700_000_000_000;
/// The default threshold (`ClientOptions::new`), asserted below.
const THRESHOLD_MS: u64 = 5_000;
/// How often the test's "main thread" beats (the wrappers: 500 ms).
const BEAT: Duration = Duration::from_millis(250);
/// Above the threshold by more than the watchdog's poll (a quarter of it, at most 500 ms).
const SILENCE: Duration = Duration::from_millis(7_000);

/// More ticks than either schedule below needs (7 and 2).
const MAX_TICKS: usize = 12;

fn tmp(name: &str) -> PathBuf {
    temp_path("anrbeat", name)
}

fn options(url: &str, spool: &Path) -> ClientOptions {
    let o = fast_retry_options(url, spool);
    assert_eq!(o.anr_threshold_ms, THRESHOLD_MS, "the real threshold");
    o
}

/// The host's clock: real time since the test began, from `T0`.
struct HostClock(Instant);

impl HostClock {
    fn now(&self) -> u64 {
        T0 + self.0.elapsed().as_millis() as u64
    }
}

/// The main thread's run-loop heartbeat, on a thread of its own; stopping it returns when
/// its last beat was made (between the two instants).
struct MainLoop {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<(Instant, Instant)>,
}

impl MainLoop {
    fn start(c: &Arc<Client>) -> Self {
        let (c, stop) = (c.clone(), Arc::new(AtomicBool::new(false)));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut last = (Instant::now(), Instant::now());
            while !flag.load(Acquire) {
                let before = Instant::now();
                c.heartbeat();
                last = (before, Instant::now());
                std::thread::sleep(BEAT);
            }
            last
        });
        Self { stop, thread }
    }

    fn stop(self) -> (Instant, Instant) {
        self.stop.store(true, Release);
        self.thread.join().expect("the heartbeat thread")
    }
}

/// Ticks as the core says until `until` holds (at most [`MAX_TICKS`]: a core that never
/// backs off fails the test instead of hanging it), submitting (and costing) each frame it
/// asks for; returns the gaps between ticks it scheduled.
fn tick_as_told(
    c: &Client,
    clock: &HostClock,
    cost_ms: f64,
    mut until: impl FnMut(&[u64]) -> bool,
) -> Vec<u64> {
    let mut gaps = Vec::new();
    let mut frame = 0u8;
    while !until(&gaps) && gaps.len() < MAX_TICKS {
        let d = c.tick(clock.now()).unwrap();
        if d.action == Action::Capture {
            frame = frame.wrapping_add(40);
            submit_window_frame(c, frame, clock.now());
            c.report_capture_cost(cost_ms).unwrap();
        }
        gaps.push(d.next_check_ms);
        std::thread::sleep(Duration::from_millis(d.next_check_ms));
    }
    gaps
}

fn gunzip_json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap();
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_end(&mut raw)
        .unwrap();
    serde_json::from_slice(&raw).unwrap()
}

fn anr_events(srv: &IngestServer, id: &str) -> Vec<Value> {
    srv.artifacts()
        .iter()
        .filter(|a| a.kind == "events" && a.session_id == id)
        .flat_map(|a| {
            gunzip_json(&a.path)["events"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter(|e| e["type"] == "anr")
        .collect()
}

fn screenshots(srv: &IngestServer, id: &str) -> usize {
    srv.artifacts()
        .iter()
        .filter(|a| a.kind == "screenshots" && a.session_id == id)
        .count()
}

/// Silences the main loop for [`SILENCE`], beats again (from this thread, as the main thread
/// coming back does) and waits for the watchdog to see it answer. Returns the bounds of the
/// silence as the test measured it (ms): the watchdog's figure must lie between them.
fn block_main_thread(c: &Arc<Client>, main: MainLoop) -> (u64, u64, MainLoop) {
    let recorded = c.telemetry().events.recorded;
    let (last_before, last_after) = main.stop();
    std::thread::sleep(SILENCE.saturating_sub(last_after.elapsed()));
    let back_before = Instant::now();
    c.heartbeat();
    let back_after = Instant::now();
    // The `anr` event is recorded once the watchdog sees the beat (its next poll, well
    // inside the threshold). The loop beats again only then: the watchdog measures up to
    // the latest beat it sees, and this one is the main thread's return.
    let deadline = Instant::now() + WAIT;
    while c.telemetry().events.recorded == recorded && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let main = MainLoop::start(c);
    let shortest = back_before.duration_since(last_after).as_millis() as u64;
    let longest = back_after.duration_since(last_before).as_millis() as u64;
    (shortest, longest + 1, main)
}

/// The ANR left exactly once (one fault, one event, the same incident) with the measured
/// duration.
fn assert_one_anr(srv: &IngestServer, id: &str, (shortest, longest): (u64, u64)) {
    let stats = srv.stats();
    assert_eq!(stats.anrs, 1, "one incident: {stats:?}");
    assert_eq!(stats.faults_recorded, 1, "one fault: {stats:?}");
    let events = anr_events(srv, id);
    assert_eq!(events.len(), 1, "{events:?}");
    let duration = events[0]["durationMs"].as_u64().unwrap();
    assert!(
        duration + 1 >= shortest && duration <= longest,
        "the silence measured when the main thread came back ({shortest}..={longest} ms), \
         not the threshold: {duration}"
    );
}

#[test]
fn a_backed_off_capture_is_no_anr_while_the_main_thread_beats() {
    let srv = IngestServer::start(ServerOptions::new(tmp("backoff"))).unwrap();
    let c = Arc::new(Client::new(options(&srv.url(), &tmp("backoff-spool"))).unwrap());
    let clock = HostClock(Instant::now());
    let id = c.start(clock.now()).unwrap();
    let main = MainLoop::start(&c);
    // Every capture costs the main thread 50 ms (over the 12 ms budget): the core doubles
    // the interval each time, up to 8×, and tells the host to tick that much later.
    let gaps = tick_as_told(&c, &clock, 50.0, |g| g.contains(&8_000));
    for gap in [1_000, 2_000, 4_000, 8_000] {
        assert!(gaps.contains(&gap), "the core's own back-off: {gaps:?}");
    }
    assert!(c.flush(WAIT));
    assert_eq!(c.telemetry().anrs, 0, "ticks {gaps:?} apart are no ANR");
    assert_eq!(srv.stats().faults_recorded, 0);
    assert!(anr_events(&srv, &id).is_empty());

    // The main thread really stops: one ANR, with the silence as measured.
    let (shortest, longest, main) = block_main_thread(&c, main);
    std::thread::sleep(Duration::from_millis(1_500));
    main.stop();
    assert_eq!(c.telemetry().anrs, 1, "one silence, one ANR");
    c.stop(clock.now()).unwrap();
    assert!(c.flush(WAIT));
    assert_one_anr(&srv, &id, (shortest, longest));
}

#[test]
fn a_ten_second_buffer_interval_is_no_anr_and_no_trigger_while_the_main_thread_beats() {
    let srv = IngestServer::start(ServerOptions::new(tmp("buffer"))).unwrap();
    let mut o = options(&srv.url(), &tmp("buffer-spool"));
    // Never sampled in, always buffered, a capture every 10 s while buffering.
    o.session.sample_rate = 0.0;
    o.session.on_error_sample_rate = 1.0;
    o.buffer_interval_ms = 10_000;
    o.capture.batch_size = 1;
    let c = Arc::new(Client::new(o).unwrap());
    let clock = HostClock(Instant::now());
    let id = c.start(clock.now()).unwrap();
    assert_eq!(c.session_plan().unwrap().mode, SessionMode::Buffer);
    let main = MainLoop::start(&c);
    // Cheap captures: two full intervals, ticks as far apart as the core says.
    let gaps = tick_as_told(&c, &clock, 1.0, |g| {
        g.iter().filter(|&&gap| gap >= 10_000).count() >= 2
    });
    assert!(gaps.len() <= 2, "a tick per 10 s capture: {gaps:?}");
    assert!(c.persist(WAIT));
    assert!(c.flush(WAIT));
    let t = c.telemetry();
    assert_eq!(t.anrs, 0, "ticks {gaps:?} apart are no ANR");
    assert_eq!(t.delivery.buffer.triggers, 0, "{:?}", t.delivery.buffer);
    assert_eq!(c.session_plan().unwrap().mode, SessionMode::Buffer);
    assert_eq!(srv.stats().faults_recorded, 0);
    assert_eq!(screenshots(&srv, &id), 0, "the buffer stays on the phone");

    // A real stall triggers the buffer: its window is uploaded, the ANR reported once.
    let (shortest, longest, main) = block_main_thread(&c, main);
    c.tick(clock.now()).unwrap();
    assert_eq!(c.session_plan().unwrap().mode, SessionMode::Record);
    std::thread::sleep(Duration::from_millis(1_500));
    main.stop();
    let t = c.telemetry();
    assert_eq!((t.anrs, t.delivery.buffer.triggers), (1, 1));
    c.stop(clock.now()).unwrap();
    assert!(c.flush(WAIT));
    assert!(
        screenshots(&srv, &id) >= 1,
        "the window, on the ANR's trigger"
    );
    assert_one_anr(&srv, &id, (shortest, longest));
}
