//! What a session's end call reports, in the shape the Rejourney backend keeps
//! (`validation/ingest.ts`: unknown keys are stripped, counters must be integers):
//!
//! - `metrics`: the session's interaction figures, counted from the events as they are
//!   recorded, by the same rules the backend applies to event batches (`navigation` visits a
//!   screen, `touch` is a tap, `gesture` a swipe / pinch / long press, …);
//! - `sdkTelemetry`: delivery health from the uploader's counters.
//!
//! Our own, finer telemetry (drops by reason, stage timings) stays available locally
//! through `Client::telemetry`; the backend would discard it.

use serde_json::{json, Value};

use crate::upload::DeliverySnapshot;

/// Distinct screens remembered per session (the backend keeps the visit order).
const MAX_SCREENS: usize = 200;

/// A session's interaction figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionMetrics {
    pub touch_count: u64,
    pub scroll_count: u64,
    pub gesture_count: u64,
    pub input_count: u64,
    pub error_count: u64,
    pub crash_count: u64,
    pub anr_count: u64,
    pub rage_tap_count: u64,
    pub api_success_count: u64,
    pub api_error_count: u64,
    pub api_total_count: u64,
    pub total_events: u64,
    /// In visit order; a screen is appended when it differs from the previous one.
    pub screens_visited: Vec<String>,
}

impl SessionMetrics {
    /// Counts one recorded event.
    pub fn observe(&mut self, ev: &Value) {
        self.total_events += 1;
        let kind = ev["type"].as_str().unwrap_or("");
        let gesture = ev["gestureType"].as_str().unwrap_or("");
        match kind {
            "navigation" => {
                if let Some(name) = ev["screen"].as_str().or(ev["screenName"].as_str()) {
                    let repeat = self.screens_visited.last().is_some_and(|l| l == name);
                    if !repeat && self.screens_visited.len() < MAX_SCREENS {
                        self.screens_visited.push(name.to_owned());
                    }
                }
            }
            "touch" => self.touch_count += 1,
            "gesture" => {
                self.gesture_count += 1;
                match gesture {
                    "rage_tap" => self.rage_tap_count += 1,
                    "dead_tap" => {}
                    g if g.contains("swipe") || g.contains("scroll") => self.scroll_count += 1,
                    g if g.contains("tap") || g == "long_press" => self.touch_count += 1,
                    _ => {}
                }
            }
            "network_request" => {
                self.api_total_count += 1;
                if ev["success"].as_bool() == Some(true) {
                    self.api_success_count += 1;
                } else {
                    self.api_error_count += 1;
                }
            }
            "keyboard_show" | "keyboard_hide" | "input" | "text_input" => self.input_count += 1,
            "error" => self.error_count += 1,
            "anr" => self.anr_count += 1,
            _ => {}
        }
    }

    /// The `metrics` object of the session end call.
    pub fn to_json(&self) -> Value {
        json!({
            "totalEvents": self.total_events,
            "touchCount": self.touch_count,
            "scrollCount": self.scroll_count,
            "gestureCount": self.gesture_count,
            "inputCount": self.input_count,
            "errorCount": self.error_count,
            "crashCount": self.crash_count,
            "anrCount": self.anr_count,
            "rageTapCount": self.rage_tap_count,
            "apiSuccessCount": self.api_success_count,
            "apiErrorCount": self.api_error_count,
            "apiTotalCount": self.api_total_count,
            "screensVisited": self.screens_visited,
        })
    }
}

/// Process-wide figures the uploader does not keep itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SdkCounts {
    pub sessions_started: u64,
    pub crashes: u64,
    /// Frames and events dropped in memory because a bounded buffer was full.
    pub memory_evictions: u64,
}

/// The `sdkTelemetry` object of the session end call (integers where the backend wants
/// integers; only keys it keeps).
pub fn sdk_telemetry(d: &DeliverySnapshot, c: SdkCounts) -> Value {
    let success: u64 = d.delivered.values().sum();
    let failure: u64 = d.dropped.values().sum();
    let mut t = json!({
        "uploadSuccessCount": success,
        "uploadFailureCount": failure,
        "retryAttemptCount": d.retries,
        "circuitBreakerOpenCount": d.auth_failures,
        "memoryEvictionCount": c.memory_evictions,
        "offlinePersistCount": d.spooled,
        "sessionStartCount": c.sessions_started,
        "crashCount": c.crashes,
        "currentQueueDepth": d.spool_files,
        "totalBytesUploaded": d.bytes_uploaded,
        "totalBytesEvicted": d.spool_evicted_bytes,
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
    fn events_are_counted_as_the_backend_counts_them() {
        let mut m = SessionMetrics::default();
        for ev in [
            json!({"type": "navigation", "screen": "Home"}),
            json!({"type": "navigation", "screen": "Home"}),
            json!({"type": "navigation", "screenName": "Cart"}),
            json!({"type": "screen_change", "screenName": "Ignored"}),
            json!({"type": "touch", "gestureType": "tap"}),
            json!({"type": "gesture", "gestureType": "swipe"}),
            json!({"type": "gesture", "gestureType": "pinch"}),
            json!({"type": "gesture", "gestureType": "long_press"}),
            json!({"type": "gesture", "gestureType": "rage_tap"}),
            json!({"type": "network_request", "success": true}),
            json!({"type": "network_request", "success": false}),
            json!({"type": "keyboard_show"}),
            json!({"type": "anr"}),
            json!({"type": "log"}),
        ] {
            m.observe(&ev);
        }
        assert_eq!(m.screens_visited, vec!["Home", "Cart"]);
        assert_eq!((m.touch_count, m.scroll_count, m.gesture_count), (2, 1, 4));
        assert_eq!((m.rage_tap_count, m.input_count, m.anr_count), (1, 1, 1));
        assert_eq!(
            (m.api_total_count, m.api_success_count, m.api_error_count),
            (2, 1, 1)
        );
        let j = m.to_json();
        assert!(j["touchCount"].is_u64() && j["totalEvents"] == json!(14));
    }
}
