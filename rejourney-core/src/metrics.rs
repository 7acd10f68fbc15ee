//! What a session's end call reports, in the shape the Rejourney backend keeps
//! (`validation/ingest.ts`: unknown keys are stripped, counters must be integers):
//!
//! - `metrics`: only what the backend does not rebuild itself. Its event rollup
//!   (`services/ingestEventArtifactProcessor.ts`) *adds* every events batch's touch, scroll,
//!   gesture, input, error, rage/dead tap, custom and API counts, the API response time and
//!   `screensVisited` to the session, and recomputes the UX, interaction and exploration
//!   scores; the end call *sets* whatever it carries (`buildSessionEndMetricsMergeSet`). The
//!   rollup runs about a minute after the batches, usually after the end call, so any of
//!   those counters sent here would be counted twice. `crashCount` and `anrCount` are merged
//!   by maximum: they are the only counters sent.
//! - `sdkTelemetry`: delivery health *of this session* (the uploader's counters since the
//!   session began), each name meaning what it says.
//!
//! Our own, finer telemetry (drops by reason, stage timings) stays available locally
//! through `Client::telemetry`; the backend would discard it.

use serde_json::{json, Value};

use crate::upload::{DeliveryDrop, DeliverySnapshot};

/// A session's figures the backend merges by maximum instead of rebuilding from events.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionMetrics {
    /// Crashes recorded in the session (`record_crash`).
    pub crash_count: u64,
    /// ANRs recorded in the session (`anr` events).
    pub anr_count: u64,
}

impl SessionMetrics {
    /// Counts one recorded event (ANRs; crashes are counted by [`Self::crashed`]).
    pub fn observe(&mut self, ev: &Value) {
        if ev["type"].as_str() == Some("anr") {
            self.anr_count += 1;
        }
    }

    /// A crash was recorded in the session.
    pub fn crashed(&mut self) {
        self.crash_count += 1;
    }

    /// The `metrics` object of the session end call.
    pub fn to_json(&self) -> Value {
        json!({"crashCount": self.crash_count, "anrCount": self.anr_count})
    }
}

/// Figures the uploader does not keep itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SdkCounts {
    pub sessions_started: u64,
    pub crashes: u64,
    /// Frames and events dropped in memory because a bounded buffer was full.
    pub memory_evictions: u64,
}

/// The counters as a session began, so its end call reports that session's share only.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TelemetryBaseline {
    pub delivery: DeliverySnapshot,
    pub counts: SdkCounts,
}

/// Drops that are failures to deliver; the backend declining an upload on purpose
/// (`skipUpload`, project disabled, billing) is not a failure.
fn is_failure(reason: &str) -> bool {
    ![
        DeliveryDrop::SkipUpload,
        DeliveryDrop::ProjectDisabled,
        DeliveryDrop::Billing,
    ]
    .iter()
    .any(|d| d.as_str() == reason)
}

fn failures(d: &DeliverySnapshot) -> u64 {
    d.dropped
        .iter()
        .filter(|(k, _)| is_failure(k))
        .map(|(_, n)| n)
        .sum()
}

/// The `sdkTelemetry` object of the session end call: what happened since `since` (the
/// session's start), in integers where the backend wants integers. Not sent: counters we
/// do not keep under the backend's meaning (`offlinePersistCount`: uploads deferred because
/// the device was offline; `circuitBreakerOpenCount`: we have no circuit breaker).
pub fn sdk_telemetry(d: &DeliverySnapshot, c: SdkCounts, since: &TelemetryBaseline) -> Value {
    let (b, bc) = (&since.delivery, since.counts);
    let delivered = |s: &DeliverySnapshot| s.delivered.values().sum::<u64>();
    let success = delivered(d).saturating_sub(delivered(b));
    let failure = failures(d).saturating_sub(failures(b));
    let mut t = json!({
        "uploadSuccessCount": success,
        "uploadFailureCount": failure,
        "retryAttemptCount": d.retries.saturating_sub(b.retries),
        "memoryEvictionCount": c.memory_evictions.saturating_sub(bc.memory_evictions),
        "sessionStartCount": c.sessions_started.saturating_sub(bc.sessions_started),
        "crashCount": c.crashes.saturating_sub(bc.crashes),
        "currentQueueDepth": d.spool_files,
        "totalBytesUploaded": d.bytes_uploaded.saturating_sub(b.bytes_uploaded),
        "totalBytesEvicted": d.spool_evicted_bytes.saturating_sub(b.spool_evicted_bytes),
    });
    if success + failure > 0 {
        t["uploadSuccessRate"] = json!(success as f64 / (success + failure) as f64);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_the_backend_does_not_rebuild_is_sent() {
        let mut m = SessionMetrics::default();
        for ev in [
            json!({"type": "navigation", "screen": "Home"}),
            json!({"type": "touch", "gestureType": "tap"}),
            json!({"type": "network_request", "success": true}),
            json!({"type": "anr"}),
        ] {
            m.observe(&ev);
        }
        m.crashed();
        let j = m.to_json();
        assert_eq!(j, json!({"crashCount": 1, "anrCount": 1}));
    }

    #[test]
    fn telemetry_is_the_sessions_share_and_declines_are_not_failures() {
        let mut before = DeliverySnapshot::default();
        before.delivered.insert("events".into(), 5);
        before.dropped.insert("max_attempts".into(), 1);
        let mut now = before.clone();
        now.delivered.insert("events".into(), 8);
        now.dropped.insert("skip_upload".into(), 4);
        now.dropped.insert("project_disabled".into(), 1);
        now.spooled = 50;
        let counts = |n| SdkCounts {
            sessions_started: n,
            crashes: 0,
            memory_evictions: 0,
        };
        let since = TelemetryBaseline {
            delivery: before,
            counts: counts(3),
        };
        let t = sdk_telemetry(&now, counts(4), &since);
        assert_eq!(t["uploadSuccessCount"], 3);
        assert_eq!(t["uploadFailureCount"], 0, "declines are not failures");
        assert_eq!(t["sessionStartCount"], 1, "this session only");
        assert!(t.get("offlinePersistCount").is_none());
        assert_eq!(t["uploadSuccessRate"], 1.0);
    }
}
