//! Every counter of the client in one reader that can move to other threads.

use super::*;

/// Reads every counter; cloned onto other threads (a session's end call, with the session's
/// final figures, is built on the encoder thread once its last bundle is sealed).
#[derive(Clone)]
pub(super) struct Stats {
    pub(super) pipeline: Arc<Pipeline>,
    pub(super) delivery: Arc<dyn Fn() -> DeliverySnapshot + Send + Sync>,
    pub(super) events: Arc<Mutex<EventState>>,
    pub(super) hierarchy: Arc<dyn Fn() -> HierarchyCounters + Send + Sync>,
    pub(super) anrs: Arc<AtomicU64>,
    pub(super) sessions_started: Arc<AtomicU64>,
    pub(super) crashes: Arc<AtomicU64>,
}

impl Stats {
    fn counts(&self) -> SdkCounts {
        let capture = self.pipeline.telemetry();
        let dropped = |r: DropReason| capture.dropped.get(r.as_str()).copied().unwrap_or(0);
        let events = lock(&self.events).rec.counters();
        SdkCounts {
            sessions_started: self.sessions_started.load(Relaxed),
            crashes: self.crashes.load(Relaxed),
            memory_evictions: dropped(DropReason::RawQueueFull)
                + dropped(DropReason::PendingBatchesFull)
                + dropped(DropReason::BufferedFramesFull)
                + events.dropped_buffer_full,
        }
    }

    /// The counters now, as a session begins (its end call reports what follows).
    pub(super) fn baseline(&self) -> TelemetryBaseline {
        TelemetryBaseline {
            delivery: (self.delivery)(),
            counts: self.counts(),
        }
    }

    /// The end call's `sdkTelemetry`, in the backend's shape: the session's share since
    /// `since`.
    pub(super) fn sdk_telemetry(&self, since: &TelemetryBaseline) -> Value {
        sdk_telemetry(&(self.delivery)(), self.counts(), since)
    }

    pub(super) fn read(&self, session_id: Option<String>) -> ClientSnapshot {
        ClientSnapshot {
            session_id,
            capture: self.pipeline.telemetry(),
            delivery: (self.delivery)(),
            events: lock(&self.events).rec.counters(),
            hierarchy: (self.hierarchy)(),
            anrs: self.anrs.load(Relaxed),
            crashes: self.crashes.load(Relaxed),
            plan: None,
            remote_config: None,
            strings: Default::default(),
            session_store: Default::default(),
            device: Default::default(),
            frame_observer: Default::default(),
            consent: Default::default(),
        }
    }
}
