//! ANR sentinel: the host pings [`Watchdog::heartbeat`] from its main thread (its capture
//! timer does); a Rust thread notices when the pings stop for longer than the threshold and
//! reports an incident with its duration, once per stall. Paused while the app is in the
//! background (the main thread may legitimately sleep there).
//!
//! Time is the watchdog's own monotonic clock: a frozen main thread cannot report times.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::*};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the watchdog saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnrReport {
    /// The main thread has been silent for `duration_ms` (≥ the threshold) and still is.
    Started { duration_ms: u64 },
    /// It answered again after `duration_ms` of silence.
    Ended { duration_ms: u64 },
}

/// No heartbeat yet: a host that never pings is not watched.
const NEVER: u64 = u64::MAX;

type Sink = Box<dyn Fn(AnrReport) + Send + Sync>;

struct Shared {
    epoch: Instant,
    last_beat_ms: AtomicU64,
    paused: AtomicBool,
    stop: Mutex<bool>,
    wake: Condvar,
    threshold_ms: u64,
    sink: Sink,
}

impl Shared {
    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }
}

pub struct Watchdog {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Watchdog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watchdog")
            .field("threshold_ms", &self.shared.threshold_ms)
            .finish_non_exhaustive()
    }
}

impl Watchdog {
    /// Starts the watchdog thread. `threshold_ms` is clamped to at least 100 ms.
    pub fn start(
        threshold_ms: u64,
        sink: impl Fn(AnrReport) + Send + Sync + 'static,
    ) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            epoch: Instant::now(),
            last_beat_ms: AtomicU64::new(NEVER),
            paused: AtomicBool::new(false),
            stop: Mutex::new(false),
            wake: Condvar::new(),
            threshold_ms: threshold_ms.max(100),
            sink: Box::new(sink),
        });
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("rejourney-anr".into())
            .spawn(move || run(&s))?;
        Ok(Self {
            shared,
            thread: Some(thread),
        })
    }

    /// Called from the host's main thread; lock-free.
    pub fn heartbeat(&self) {
        self.pulse().heartbeat();
    }

    /// Background: the main thread may sleep. Resuming counts as a heartbeat.
    pub fn set_paused(&self, paused: bool) {
        self.pulse().set_paused(paused);
    }

    /// A handle for the host's thread: heartbeats and pauses without any lock, valid after
    /// the watchdog stops (they are then ignored).
    pub fn pulse(&self) -> Pulse {
        Pulse(self.shared.clone())
    }

    pub fn stop(&mut self) {
        if let Ok(mut s) = self.shared.stop.lock() {
            *s = true;
        }
        self.shared.wake.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// See [`Watchdog::pulse`].
#[derive(Clone)]
pub struct Pulse(Arc<Shared>);

impl std::fmt::Debug for Pulse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("anr::Pulse").finish_non_exhaustive()
    }
}

impl Pulse {
    pub fn heartbeat(&self) {
        self.0.last_beat_ms.store(self.0.now_ms(), Release);
    }

    pub fn set_paused(&self, paused: bool) {
        if !paused {
            self.heartbeat();
        }
        self.0.paused.store(paused, Release);
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.stop();
    }
}

fn run(s: &Shared) {
    let poll = Duration::from_millis((s.threshold_ms / 4).clamp(25, 500));
    // Start of the stall being reported, if any.
    let mut stalled_since: Option<u64> = None;
    loop {
        {
            let Ok(guard) = s.stop.lock() else { return };
            if *guard {
                return;
            }
            let Ok((guard, _)) = s.wake.wait_timeout(guard, poll) else {
                return;
            };
            if *guard {
                return;
            }
        }
        let now = s.now_ms();
        let last = s.last_beat_ms.load(Acquire);
        if s.paused.load(Acquire) || last == NEVER {
            stalled_since = None;
            continue;
        }
        match stalled_since {
            None if now.saturating_sub(last) > s.threshold_ms => {
                stalled_since = Some(last);
                (s.sink)(AnrReport::Started {
                    duration_ms: now - last,
                });
            }
            Some(since) if last > since => {
                stalled_since = None;
                (s.sink)(AnrReport::Ended {
                    duration_ms: last - since,
                });
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn a_blocked_heartbeat_is_reported_once_with_its_duration() {
        let (tx, rx) = mpsc::channel();
        let tx = Mutex::new(tx);
        let mut w = Watchdog::start(200, move |r| {
            let _ = tx.lock().map(|t| t.send(r));
        })
        .unwrap();
        // A healthy main thread: beats every 50 ms for 0.5 s, nothing reported.
        for _ in 0..10 {
            w.heartbeat();
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(rx.try_recv().is_err());
        // Block it for ~700 ms.
        std::thread::sleep(Duration::from_millis(700));
        let started = rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert!(matches!(started, AnrReport::Started { duration_ms } if duration_ms > 200));
        w.heartbeat();
        match rx.recv_timeout(Duration::from_secs(5)).unwrap() {
            AnrReport::Ended { duration_ms } => assert!(duration_ms >= 650, "{duration_ms}"),
            other => panic!("{other:?}"),
        }
        // Paused (background): silence is not an ANR.
        w.set_paused(true);
        std::thread::sleep(Duration::from_millis(600));
        assert!(rx.try_recv().is_err());
        w.stop();
    }
}
