//! The frame observer (Sentry's `ReplayFrameObserver`): an app's own privacy tests receive
//! every frame exactly as it is stored — the encoded JPEG bundled for upload, the mask
//! rectangles painted into it, its timestamp — and assert their screens are masked.
//!
//! Debug builds only, by the wrappers' choice: the core cannot know how the app was built,
//! so Kotlin registers an observer only in a debuggable app and Swift only under `#if DEBUG`.
//! Limits: frames wait for the observer in a queue of [`OBSERVER_QUEUE`]; a slow observer
//! makes the newest frames drop (counted, `dropped`), never the recording: the encoder thread
//! only tries to hand a copy over, and the observer runs on a thread of its own
//! (`rejourney-observer`), never the host's nor the encoder's.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::*};
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

use crate::frame::Rect;
use crate::wait::lock;

/// Frames waiting for the observer before new ones are dropped.
pub const OBSERVER_QUEUE: usize = 8;

/// One frame as it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedFrame {
    pub session_id: Arc<str>,
    pub timestamp_ms: u64,
    /// The JPEG exactly as it goes into the frame bundle.
    pub jpeg: Vec<u8>,
    /// The JPEG's size in pixels.
    pub width: u32,
    pub height: u32,
    /// JPEG pixels per point: a mask at `x` points starts at `x * pixels_per_point` pixels.
    pub pixels_per_point: f32,
    /// The rectangles (points) painted black into this frame.
    pub masks: Vec<Rect>,
}

/// Receives frames on the observer thread.
pub trait FrameSink: Send + Sync {
    fn frame(&self, frame: ObservedFrame);
}

/// What the observer got and missed (telemetry `frameObserver`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ObserverCounters {
    pub delivered: u64,
    /// Frames dropped because the observer was still busy with [`OBSERVER_QUEUE`] others.
    pub dropped: u64,
}

/// The registered observer, shared by the host side (whether to keep a frame's masks) and
/// the encoder thread (which hands frames over).
#[derive(Debug, Default)]
pub struct ObserverHub {
    tx: Mutex<Option<SyncSender<ObservedFrame>>>,
    active: AtomicBool,
    delivered: Arc<AtomicU64>,
    dropped: AtomicU64,
}

impl ObserverHub {
    /// Registers `sink` (replacing any earlier one, whose thread ends once it has had its
    /// queued frames) or clears it with `None`. Never waits for the earlier observer.
    pub fn set(&self, sink: Option<Arc<dyn FrameSink>>) -> std::io::Result<()> {
        let tx = match sink {
            Some(sink) => {
                let (tx, rx) = sync_channel::<ObservedFrame>(OBSERVER_QUEUE);
                let delivered = self.delivered.clone();
                std::thread::Builder::new()
                    .name("rejourney-observer".into())
                    .spawn(move || {
                        for f in rx {
                            sink.frame(f);
                            delivered.fetch_add(1, Relaxed);
                        }
                    })?;
                Some(tx)
            }
            None => None,
        };
        let mut slot = lock(&self.tx);
        self.active.store(tx.is_some(), Release);
        *slot = tx;
        Ok(())
    }

    /// Whether an observer is registered (frames keep a copy of their masks only then).
    pub fn active(&self) -> bool {
        self.active.load(Acquire)
    }

    /// Hands a frame to the observer, or drops it (counted) when the observer is behind.
    pub fn offer(&self, frame: ObservedFrame) {
        let slot = lock(&self.tx);
        let Some(tx) = slot.as_ref() else {
            return;
        };
        match tx.try_send(frame) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Relaxed);
            }
        }
    }

    pub fn counters(&self) -> ObserverCounters {
        ObserverCounters {
            delivered: self.delivered.load(Relaxed),
            dropped: self.dropped.load(Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::{channel, Receiver, Sender};

    fn frame(ts: u64) -> ObservedFrame {
        ObservedFrame {
            session_id: "s".into(),
            timestamp_ms: ts,
            jpeg: vec![0xFF, 0xD8],
            width: 1,
            height: 1,
            pixels_per_point: 1.0,
            masks: vec![Rect::new(0.0, 0.0, 1.0, 1.0)],
        }
    }

    /// Blocks on each frame until the test lets it go.
    struct Gate {
        seen: Mutex<Sender<u64>>,
        go: Mutex<Receiver<()>>,
    }

    impl FrameSink for Gate {
        fn frame(&self, f: ObservedFrame) {
            let _ = lock(&self.seen).send(f.timestamp_ms);
            let _ = lock(&self.go).recv();
        }
    }

    #[test]
    fn a_stuck_observer_drops_frames_beyond_its_queue_and_counts_them() {
        let hub = ObserverHub::default();
        assert!(!hub.active());
        hub.offer(frame(0));
        assert_eq!(
            hub.counters(),
            ObserverCounters::default(),
            "none registered"
        );
        let (seen_tx, seen) = channel();
        let (go, go_rx) = channel();
        hub.set(Some(Arc::new(Gate {
            seen: Mutex::new(seen_tx),
            go: Mutex::new(go_rx),
        })))
        .unwrap();
        assert!(hub.active());
        hub.offer(frame(1));
        assert_eq!(seen.recv().unwrap(), 1, "the observer holds frame 1");
        for ts in 2..2 + OBSERVER_QUEUE as u64 + 5 {
            hub.offer(frame(ts));
        }
        assert_eq!(
            hub.counters().dropped,
            5,
            "queue of {OBSERVER_QUEUE}, 5 too many"
        );
        for _ in 0..=OBSERVER_QUEUE {
            go.send(()).unwrap();
        }
        let rest: Vec<u64> = (0..OBSERVER_QUEUE).map(|_| seen.recv().unwrap()).collect();
        assert_eq!(
            rest,
            (2..2 + OBSERVER_QUEUE as u64).collect::<Vec<_>>(),
            "in order"
        );
        hub.set(None).unwrap();
        assert!(!hub.active());
        hub.offer(frame(99));
        assert_eq!(hub.counters().dropped, 5, "cleared: nothing offered");
    }
}
