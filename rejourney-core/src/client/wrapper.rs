//! Drops the platform wrapper made before this client existed ([`crate::wrapper_calls`]),
//! counted here so they reach the session's telemetry like the core's own drops.

use super::*;
use crate::telemetry::WrapperDrop;

impl Client {
    /// The wrapper dropped `n` calls of `kind` (e.g. past its pending-call limit while a
    /// client opened). Counted even when stopped: the drops happened either way.
    pub fn record_wrapper_drops(&self, kind: WrapperDrop, n: u64) {
        self.pipeline.counters().wrapper_dropped(kind, n);
    }
}
