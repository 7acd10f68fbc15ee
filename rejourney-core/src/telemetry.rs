//! Counters for everything the pipeline does, skips or drops, and per-stage timings.
//!
//! Every drop has a reason and a counter: the rule is "nothing is lost silently". Counters are
//! lock-free atomics; timings keep the last [`TIMING_WINDOW`] samples per stage in a small
//! ring so p50/p95 reflect recent behaviour at bounded memory.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::Duration;

/// Samples kept per stage for percentiles.
pub const TIMING_WINDOW: usize = 512;

macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }
    };
}

named_enum!(
    /// Why a frame that reached us was not delivered.
    DropReason {
        InvalidFrame => "invalid_frame",
        InvalidMask => "invalid_mask",
        RawQueueFull => "raw_queue_full",
        PendingBatchesFull => "pending_batches_full",
        BufferedFramesFull => "buffered_frames_full",
        EncodeFailed => "encode_failed",
        TreeTruncated => "tree_truncated",
        TreeEmpty => "tree_empty",
        TreeMismatch => "tree_mismatch",
        InvalidTree => "invalid_tree",
        MaskMoving => "mask_moving",
        Stopped => "stopped",
        // Deleted by a stop-everything (opt-out, kill switch) before it was sealed or sent.
        Purged => "purged",
    }
);

named_enum!(
    /// Why the capture policy declined a tick that was otherwise due.
    SkipReason {
        Touch => "touch",
        Scroll => "scroll",
        Settling => "settling",
        Background => "background",
        OverBudget => "over_budget",
        QueueSaturated => "queue_saturated",
        Stopped => "stopped",
        RemoteConfig => "remote_config",
        // The device policy (`device_policy`): slowed under heat or low power, stopped at
        // thermal critical.
        DeviceThrottled => "device_throttled",
        DeviceCritical => "device_critical",
    }
);

named_enum!(
    /// Calls a platform wrapper dropped before a client existed to take them, reported by
    /// the wrapper once one opens (`wrapper_calls`).
    WrapperDrop {
        PendingCalls => "pending_calls",
    }
);

named_enum!(
    /// Pipeline stages that are timed.
    Stage {
        Submit => "submit",
        Redact => "redact",
        Fingerprint => "fingerprint",
        Downscale => "downscale",
        Encode => "encode",
        Bundle => "bundle",
        Frame => "frame_total",
    }
);

/// Shared counters; one per pipeline.
#[derive(Debug)]
pub struct Telemetry {
    pub frames_offered: AtomicU64,
    pub frames_captured: AtomicU64,
    pub frames_skipped_unchanged: AtomicU64,
    pub masked_regions: AtomicU64,
    pub bytes_in: AtomicU64,
    pub bytes_encoded: AtomicU64,
    pub bytes_out: AtomicU64,
    pub bundles: AtomicU64,
    pub bundles_dropped: AtomicU64,
    dropped: Vec<AtomicU64>,
    skipped: Vec<AtomicU64>,
    wrapper_dropped: Vec<AtomicU64>,
    timings: Mutex<Vec<Ring>>,
}

#[derive(Debug, Clone)]
struct Ring {
    samples: Vec<u32>,
    next: usize,
    count: u64,
}

impl Default for Telemetry {
    fn default() -> Self {
        let zeros = |n: usize| (0..n).map(|_| AtomicU64::new(0)).collect();
        Self {
            frames_offered: AtomicU64::new(0),
            frames_captured: AtomicU64::new(0),
            frames_skipped_unchanged: AtomicU64::new(0),
            masked_regions: AtomicU64::new(0),
            bytes_in: AtomicU64::new(0),
            bytes_encoded: AtomicU64::new(0),
            bytes_out: AtomicU64::new(0),
            bundles: AtomicU64::new(0),
            bundles_dropped: AtomicU64::new(0),
            dropped: zeros(DropReason::ALL.len()),
            skipped: zeros(SkipReason::ALL.len()),
            wrapper_dropped: zeros(WrapperDrop::ALL.len()),
            timings: Mutex::new(vec![
                Ring {
                    samples: Vec::new(),
                    next: 0,
                    count: 0
                };
                Stage::ALL.len()
            ]),
        }
    }
}

impl Telemetry {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Relaxed);
    }

    pub fn dropped(&self, reason: DropReason, frames: u64) {
        self.dropped[reason as usize].fetch_add(frames, Relaxed);
    }

    pub fn skipped(&self, reason: SkipReason) {
        self.skipped[reason as usize].fetch_add(1, Relaxed);
    }

    /// Calls the wrapper dropped (`n` more of `kind`).
    pub fn wrapper_dropped(&self, kind: WrapperDrop, n: u64) {
        self.wrapper_dropped[kind as usize].fetch_add(n, Relaxed);
    }

    pub fn dropped_count(&self, reason: DropReason) -> u64 {
        self.dropped[reason as usize].load(Relaxed)
    }

    pub fn time(&self, stage: Stage, d: Duration) {
        let micros = d.as_micros().min(u32::MAX as u128) as u32;
        // A poisoned lock only means another thread panicked mid-record; timings are advisory.
        let mut rings = self.timings.lock().unwrap_or_else(|p| p.into_inner());
        let ring = &mut rings[stage as usize];
        if ring.samples.len() < TIMING_WINDOW {
            ring.samples.push(micros);
        } else {
            ring.samples[ring.next] = micros;
        }
        ring.next = (ring.next + 1) % TIMING_WINDOW;
        ring.count += 1;
    }

    /// A consistent-enough copy of every counter (each counter is read atomically).
    pub fn snapshot(&self) -> TelemetrySnapshot {
        let load = |a: &AtomicU64| a.load(Relaxed);
        let dropped: BTreeMap<String, u64> = DropReason::ALL
            .iter()
            .map(|r| (r.as_str().to_string(), self.dropped_count(*r)))
            .collect();
        let skipped: BTreeMap<String, u64> = SkipReason::ALL
            .iter()
            .map(|r| {
                (
                    r.as_str().to_string(),
                    self.skipped[*r as usize].load(Relaxed),
                )
            })
            .collect();
        let rings = self
            .timings
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let stage_ms = Stage::ALL
            .iter()
            .filter(|s| rings[**s as usize].count > 0)
            .map(|s| {
                (
                    s.as_str().to_string(),
                    StageStats::from_samples(&rings[*s as usize]),
                )
            })
            .collect();
        let wrapper_dropped = WrapperDrop::ALL
            .iter()
            .map(|k| {
                (
                    k.as_str().to_string(),
                    self.wrapper_dropped[*k as usize].load(Relaxed),
                )
            })
            .collect();
        TelemetrySnapshot {
            wrapper_dropped,
            frames_offered: load(&self.frames_offered),
            frames_captured: load(&self.frames_captured),
            frames_skipped_unchanged: load(&self.frames_skipped_unchanged),
            frames_skipped_policy: skipped.values().sum(),
            frames_dropped: dropped.values().sum(),
            dropped,
            skipped_policy: skipped,
            masked_regions: load(&self.masked_regions),
            bytes_in: load(&self.bytes_in),
            bytes_encoded: load(&self.bytes_encoded),
            bytes_out: load(&self.bytes_out),
            bundles: load(&self.bundles),
            bundles_dropped: load(&self.bundles_dropped),
            stage_ms,
        }
    }
}

/// Percentiles of one stage, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StageStats {
    pub p50: f64,
    pub p95: f64,
    pub count: u64,
}

impl StageStats {
    fn from_samples(ring: &Ring) -> Self {
        let mut s = ring.samples.clone();
        s.sort_unstable();
        let pick = |q: f64| {
            let i = ((s.len() as f64 - 1.0) * q).round() as usize;
            s.get(i).copied().unwrap_or(0) as f64 / 1000.0
        };
        Self {
            p50: pick(0.5),
            p95: pick(0.95),
            count: ring.count,
        }
    }
}

/// Everything the pipeline counted, as plain data (serialised into `summary.json` and the
/// session-end call's `sdkTelemetry`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TelemetrySnapshot {
    pub frames_offered: u64,
    pub frames_captured: u64,
    pub frames_skipped_unchanged: u64,
    pub frames_skipped_policy: u64,
    pub frames_dropped: u64,
    pub dropped: BTreeMap<String, u64>,
    pub skipped_policy: BTreeMap<String, u64>,
    pub masked_regions: u64,
    pub bytes_in: u64,
    pub bytes_encoded: u64,
    pub bytes_out: u64,
    pub bundles: u64,
    pub bundles_dropped: u64,
    pub stage_ms: BTreeMap<String, StageStats>,
    /// Calls the platform wrapper dropped before a client opened, by kind.
    #[serde(default)]
    pub wrapper_dropped: BTreeMap<String, u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_sums_reasons_and_computes_percentiles() {
        let t = Telemetry::new();
        t.dropped(DropReason::RawQueueFull, 3);
        t.dropped(DropReason::InvalidMask, 1);
        t.skipped(SkipReason::Touch);
        for ms in 1..=100u64 {
            t.time(Stage::Encode, Duration::from_millis(ms));
        }
        let s = t.snapshot();
        assert_eq!(s.frames_dropped, 4);
        assert_eq!(s.dropped["raw_queue_full"], 3);
        assert_eq!(s.frames_skipped_policy, 1);
        let enc = s.stage_ms["encode"];
        assert_eq!(enc.count, 100);
        assert!((enc.p50 - 50.0).abs() <= 1.0, "{enc:?}");
        assert!((enc.p95 - 95.0).abs() <= 1.0, "{enc:?}");
        assert!(
            !s.stage_ms.contains_key("downscale"),
            "unused stages are omitted"
        );
    }

    #[test]
    fn timing_memory_is_bounded() {
        let t = Telemetry::new();
        for _ in 0..(TIMING_WINDOW * 3) {
            t.time(Stage::Submit, Duration::from_micros(5));
        }
        let rings = t.timings.lock().unwrap();
        assert_eq!(rings[Stage::Submit as usize].samples.len(), TIMING_WINDOW);
        assert_eq!(
            rings[Stage::Submit as usize].count,
            (TIMING_WINDOW * 3) as u64
        );
    }
}
