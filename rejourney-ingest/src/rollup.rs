//! The backend's session rollup, in the order it usually runs: the end call *sets* the
//! counters its `metrics` carries (`buildSessionEndMetricsMergeSet` in
//! `services/ingestSessionEnd.ts`; `crashCount` and `anrCount` by maximum), then, about a
//! minute later, the event rollup (`services/sessionEventRollupQueue.ts` →
//! `ingestEventArtifactProcessor.ts`) *adds* each events batch's counts and appends its
//! screens. A client that sends in `metrics` a counter the rollup rebuilds sees it doubled
//! here, as on the dashboard.

use serde_json::Value;

use crate::events::SessionSummary;

/// Screens kept per session (the backend's `MAX_SCREEN_PATH_LENGTH`).
const MAX_SCREENS: usize = 200;

/// The summary as the backend shows it once the end call and the event rollup both ran.
pub(crate) fn rolled_up(events: &SessionSummary) -> SessionSummary {
    let mut s = events.clone();
    let Some(metrics) = events.end.as_ref().map(|e| &e["metrics"]) else {
        return s;
    };
    let n = |k: &str| metrics[k].as_u64().unwrap_or(0);
    s.touch_count += n("touchCount");
    s.scroll_count += n("scrollCount");
    s.gesture_count += n("gestureCount");
    s.input_count += n("inputCount");
    s.error_count += n("errorCount");
    s.api_total += n("apiTotalCount");
    s.api_success += n("apiSuccessCount");
    s.api_error += n("apiErrorCount");
    s.rage_taps += n("rageTapCount");
    s.crashes = s.crashes.max(n("crashCount"));
    s.anrs = s.anrs.max(n("anrCount"));
    if let Some(set) = metrics["screensVisited"].as_array() {
        // The rollup appends the batches' path to the one the end call set.
        let mut screens: Vec<String> = set
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
        for name in &events.screens_visited {
            if screens.last() != Some(name) {
                screens.push(name.clone());
            }
        }
        screens.truncate(MAX_SCREENS);
        s.screens_visited = screens;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn counters_sent_at_the_end_are_added_to_the_events_counts() {
        let events = SessionSummary {
            touch_count: 12,
            screens_visited: vec!["Home".into(), "Cart".into()],
            crashes: 1,
            end: Some(
                json!({"metrics": {"touchCount": 12, "crashCount": 1, "anrCount": 2,
                "screensVisited": ["Home", "Cart"]}}),
            ),
            ..SessionSummary::default()
        };
        let s = rolled_up(&events);
        assert_eq!(s.touch_count, 24, "set 12, then the rollup adds 12");
        assert_eq!(s.screens_visited, ["Home", "Cart", "Home", "Cart"]);
        assert_eq!((s.crashes, s.anrs), (1, 2), "by maximum");
        let clean = SessionSummary {
            touch_count: 12,
            end: Some(json!({"metrics": {"crashCount": 0}})),
            ..SessionSummary::default()
        };
        assert_eq!(rolled_up(&clean).touch_count, 12);
    }
}
