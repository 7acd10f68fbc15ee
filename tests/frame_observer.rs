//! The debug frame observer against the real local server: the app receives every stored
//! frame byte for byte with the masks painted into it (and those are black), off the host
//! thread; a stuck observer misses frames (counted) while the recording loses none.

use std::collections::BTreeMap;
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rejourney_core::client::Client;
use rejourney_core::frame_observer::{FrameSink, ObservedFrame, OBSERVER_QUEUE};
use rejourney_core::strings::Interner;
use rejourney_core::{parse_bundle, ParseLimits};
use rejourney_harness::{
    brightest_inside, corpus_dir, decode_jpeg, fast_retry_options, load_corpus, temp_path,
    MAX_CHANNEL,
};
use rejourney_ingest::{IngestServer, ServerOptions};

const T0: u64 = 1_700_000_000_000;

#[derive(Default)]
struct Collect {
    frames: Mutex<Vec<ObservedFrame>>,
    threads: Mutex<Vec<String>>,
}

impl FrameSink for Collect {
    fn frame(&self, f: ObservedFrame) {
        let name = std::thread::current().name().unwrap_or("").to_owned();
        self.threads.lock().unwrap().push(name);
        self.frames.lock().unwrap().push(f);
    }
}

/// Holds every frame until the test lets go.
struct Stuck(Mutex<Receiver<()>>);

impl FrameSink for Stuck {
    fn frame(&self, _: ObservedFrame) {
        let _ = self.0.lock().unwrap().recv();
    }
}

/// Records the corpus (one frame per screen) and returns the session id and the screens.
fn record(c: &Client) -> (String, Vec<rejourney_harness::Screen>) {
    let screens = load_corpus(&corpus_dir()).unwrap();
    let session = c.start(T0).unwrap();
    let mut table = Interner::new();
    for (i, s) in screens.iter().enumerate() {
        let (nodes, update) = s.report(&mut table);
        c.submit_frame_owned(
            s.rgba.clone(),
            s.native_spec(),
            nodes,
            update,
            T0 + i as u64 * 1_000,
        )
        .unwrap();
        assert!(c.sync_capture(Duration::from_secs(20)));
    }
    c.stop(T0 + 60_000).unwrap();
    assert!(c.flush(Duration::from_secs(30)), "delivered");
    (session, screens)
}

fn stored(srv: &IngestServer, session: &str) -> BTreeMap<u64, Vec<u8>> {
    let mut out = BTreeMap::new();
    for a in srv
        .artifacts()
        .iter()
        .filter(|a| a.session_id == session && a.kind == "screenshots")
    {
        let bytes = std::fs::read(&a.path).unwrap();
        for f in parse_bundle(&bytes, ParseLimits::default()).unwrap() {
            out.insert(T0 + f.offset_ms, f.jpeg);
        }
    }
    out
}

#[test]
fn every_stored_frame_is_observed_byte_for_byte_with_black_masks() {
    let srv = IngestServer::start(ServerOptions::new(temp_path("observer", "srv"))).unwrap();
    let c = Client::new(fast_retry_options(
        &srv.url(),
        &temp_path("observer", "spool"),
    ))
    .unwrap();
    let sink = Arc::new(Collect::default());
    c.set_frame_observer(Some(sink.clone())).unwrap();
    let (session, screens) = record(&c);
    let stored = stored(&srv, &session);
    let captured = c.telemetry().capture.frames_captured;
    assert!(captured >= 10, "{captured}");
    assert_eq!(stored.len() as u64, captured, "every captured frame stored");
    let deadline = Instant::now() + Duration::from_secs(20);
    while sink.frames.lock().unwrap().len() < stored.len() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let frames = sink.frames.lock().unwrap().clone();
    let observed: BTreeMap<u64, Vec<u8>> = frames
        .iter()
        .map(|f| (f.timestamp_ms, f.jpeg.clone()))
        .collect();
    assert_eq!(observed, stored, "exactly the stored JPEGs, each once");
    assert!(sink
        .threads
        .lock()
        .unwrap()
        .iter()
        .all(|t| t == "rejourney-observer"));
    let mut masks_checked = 0;
    for f in &frames {
        let i = ((f.timestamp_ms - T0) / 1_000) as usize;
        let img = decode_jpeg(&f.jpeg).unwrap();
        assert_eq!((img.width, img.height), (f.width, f.height));
        assert_eq!(&*f.session_id, session.as_str());
        for r in screens[i].private_rects() {
            assert!(
                f.masks.iter().any(|m| m.x <= r.x + 0.5
                    && m.y <= r.y + 0.5
                    && m.x + m.width >= r.x + r.width - 0.5
                    && m.y + m.height >= r.y + r.height - 0.5),
                "{}: {r:?} is among the frame's masks",
                screens[i].id
            );
        }
        for m in &f.masks {
            if let Some(max) = brightest_inside(&img, m, f.pixels_per_point) {
                assert!(max <= MAX_CHANNEL, "{}: {m:?} shows {max}", screens[i].id);
                masks_checked += 1;
            }
        }
    }
    assert!(masks_checked >= 10, "{masks_checked} masks checked");
    let t = c.telemetry().frame_observer;
    assert_eq!((t.delivered, t.dropped), (stored.len() as u64, 0));
    c.shutdown(Duration::ZERO);
}

#[test]
fn a_stuck_observer_misses_frames_but_the_recording_loses_none() {
    let srv = IngestServer::start(ServerOptions::new(temp_path("observer", "srv"))).unwrap();
    let c = Client::new(fast_retry_options(
        &srv.url(),
        &temp_path("observer", "spool"),
    ))
    .unwrap();
    let (go, held) = channel();
    c.set_frame_observer(Some(Arc::new(Stuck(Mutex::new(held)))))
        .unwrap();
    let (session, _) = record(&c);
    let n = c.telemetry().capture.frames_captured;
    assert!(n >= 10, "{n}");
    assert_eq!(
        stored(&srv, &session).len() as u64,
        n,
        "all stored while the observer is stuck"
    );
    let t = c.telemetry().frame_observer;
    assert!(
        t.dropped >= n - 1 - OBSERVER_QUEUE as u64,
        "one held, {OBSERVER_QUEUE} queued, the rest dropped: {t:?}"
    );
    drop(go);
    let deadline = Instant::now() + Duration::from_secs(20);
    while c.telemetry().frame_observer.delivered + c.telemetry().frame_observer.dropped < n
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    let t = c.telemetry().frame_observer;
    assert_eq!(
        t.delivered + t.dropped,
        n,
        "each frame delivered or counted once: {t:?}"
    );
    c.shutdown(Duration::ZERO);
}
