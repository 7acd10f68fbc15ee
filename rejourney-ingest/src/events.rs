//! What the backend makes of a session (`services/ingestEventArtifactProcessor.ts`,
//! `utils/mobileFrustration.ts`, `services/ingestSessionLifecycle.ts`): its platform, the
//! screens visited, the counters its dashboard shows, its crashes and ANRs, and the session
//! end as its schema kept it. Tests read this to check that what the SDK sends *means* what
//! the SDK meant: a `screen_change` event is no screen, a tap sent twice is two taps.

use std::collections::VecDeque;

use serde_json::Value;

use crate::incidents::Incident;
use crate::normalize::{
    event_screen, first, first_touch, frustration, is_keyboard_area, is_mobile_platform, js_number,
    lower, network_excluded, tap_like, tap_like_gesture, Frustration,
};
use crate::validate::incident_id;

/// What the backend would have computed for a session.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionSummary {
    /// Set when the session is created (the first presign's `platform`, else from its user
    /// agent, else "unknown"; a session a fault report created is "unknown"), then
    /// overwritten by each events batch's `deviceInfo.platform`, as given.
    pub platform: Option<String>,
    /// From `deviceInfo` (`model`; `systemVersion`/`osVersion`; `appVersion`), per batch.
    pub device_model: Option<String>,
    pub os_version: Option<String>,
    pub app_version: Option<String>,
    /// From `navigation` events (and screens named on taps and gestures), each appended when
    /// it differs from the previous one; `screen_change` is not read. At most 200.
    pub screens_visited: Vec<String>,
    /// `touch`/`tap`/`click` events, any event whose `gestureType` is `tap`/`single_tap`,
    /// and `gesture` events with a tap-like `gestureType` (long presses, rage and dead taps).
    pub touch_count: u64,
    /// `gesture` events (a `gestureType: "tap"` goes to touches instead).
    pub gesture_count: u64,
    /// `scroll` events and gestures whose `gestureType` holds `swipe` or `scroll`.
    pub scroll_count: u64,
    /// On mobile platforms, recounted from every batch in time order: explicit rage taps
    /// plus three tap-like events within 50 px and 1 s (so a client sending both its taps and
    /// the rage tap they made is counted twice). Elsewhere, summed per batch.
    pub rage_taps: u64,
    pub dead_taps: u64,
    /// `keyboard_typing`, `keyboard_show`, `keyboard_hide`, `input`, `text_input`.
    pub input_count: u64,
    pub custom_count: u64,
    /// `error` / `resource_error` events.
    pub error_count: u64,
    /// `anr` / `long_task` / `ui_freeze` events.
    pub anr_count: u64,
    /// `network_request` / `api_call` events, less the backend's own traffic and static
    /// assets; success is `success: true` or a 2xx/3xx status, error `success: false` or
    /// ≥ 400 (an event with neither counts in the total only).
    pub api_total: u64,
    pub api_success: u64,
    pub api_error: u64,
    /// Events of a type the backend does not read (`log`, `app_state`, `screen_change`, …):
    /// stored on the session like custom events, counted nowhere.
    pub uncounted: u64,
    /// Events received in completed batches, and the batches.
    pub events_received: u64,
    pub batches: u64,
    /// Distinct crash and ANR incidents (fault reports and `anr` events, deduplicated by
    /// incident id): the backend's `crashCount` / `anrCount`.
    pub crashes: u64,
    pub anrs: u64,
    /// The latest session end as the backend's schema kept it (unknown keys stripped).
    pub end: Option<Value>,
    /// The timing the first accepted end fixed (a repeated end answers the same).
    pub duration_seconds: Option<i64>,
    pub background_seconds: Option<i64>,
}

/// Screens kept per session (the backend's `MAX_SCREEN_PATH_LENGTH`).
const MAX_SCREENS: usize = 200;
/// Frustration-relevant events kept per session for the recount.
const MAX_TAPS: usize = 5_000;

/// Event types the backend reads or deliberately ignores; any other type is stored like a
/// custom event and counted nowhere.
const KNOWN: &[&str] = &[
    "navigation",
    "screen_view",
    "motion",
    "scroll_motion",
    "pan_motion",
    "touch",
    "tap",
    "scroll",
    "gesture",
    "rage_tap",
    "dead_tap",
    "api_call",
    "network_request",
    "error",
    "anr",
    "keyboard_typing",
    "keyboard_show",
    "keyboard_hide",
    "input",
    "text_input",
    "app_startup",
    "user_identity_changed",
    "app_foreground",
    "app_background",
    "session_start",
];

#[derive(Debug, Clone, Copy)]
enum Tap {
    /// A keyboard-area tap: no rage run spans it.
    Reset,
    Frustrated(Frustration),
    /// A tap-like event's first touch: x, y and the touch's own time.
    At(f64, f64, f64),
}

/// The rage inference: three taps within 50 px of this one inside 1 s.
fn rage_run(recent: &mut Vec<(f64, f64, f64)>, x: f64, y: f64, ts: f64) -> bool {
    let stale = recent.iter().take_while(|t| ts - t.2 > 1_000.0).count();
    recent.drain(..stale);
    recent.push((x, y, ts));
    let near = recent
        .iter()
        .filter(|t| (t.0 - x).hypot(t.1 - y) <= 50.0)
        .count();
    let rage = near >= 3;
    if rage {
        recent.clear();
    }
    rage
}

/// JavaScript `a || b || 0` over numeric fields.
fn or_number(values: &[Option<&Value>]) -> f64 {
    values
        .iter()
        .filter_map(|v| v.and_then(Value::as_f64))
        .find(|f| *f != 0.0 && f.is_finite())
        .unwrap_or(0.0)
}

/// A session as the server tracks it.
#[derive(Debug, Clone)]
pub(crate) struct SessionState {
    pub summary: SessionSummary,
    /// The session's start: from a `session_<ms>_…` id, else first seen (clamped to now).
    pub start_ms: f64,
    /// Recent incidents, for the id-less dedup.
    pub incidents: VecDeque<Incident>,
    /// Frustration-relevant events of every batch, for the recount on mobile platforms.
    taps: VecDeque<(f64, Tap)>,
    /// Rage / dead taps summed per batch, for other platforms.
    batch_rage: u64,
    batch_dead: u64,
}

/// The start the backend reads from a session id (`session_<epochMs>_…`), at most now
/// (it clamps ids from the future); `now_ms` for any other id.
pub(crate) fn session_start_ms(id: &str, now_ms: f64) -> f64 {
    id.strip_prefix("session_")
        .and_then(|r| r.split_once('_'))
        .and_then(|(ms, _)| ms.parse::<u64>().ok())
        .map_or(now_ms, |ms| {
            let ms = ms as f64;
            if ms > now_ms + 600_000.0 {
                now_ms
            } else {
                ms
            }
        })
}

impl SessionState {
    pub fn new(id: &str, now_ms: f64, platform: String) -> Self {
        Self {
            summary: SessionSummary {
                platform: Some(platform),
                ..SessionSummary::default()
            },
            start_ms: session_start_ms(id, now_ms),
            incidents: VecDeque::new(),
            taps: VecDeque::new(),
            batch_rage: 0,
            batch_dead: 0,
        }
    }

    /// Applies one events artifact (`{"events", "deviceInfo"}`) by the backend's rules and
    /// returns the ANR incidents it carries (for the caller's dedup).
    pub fn add_batch(&mut self, batch: &Value, now_ms: f64) -> Vec<Incident> {
        self.device_info(&batch["deviceInfo"]);
        self.summary.batches += 1;
        let web = self.summary.platform.as_deref() == Some("web");
        let mut current: Option<String> = None;
        let mut recent = Vec::new();
        let (mut rage, mut dead) = (0, 0);
        let mut anrs = Vec::new();
        for e in batch["events"].as_array().into_iter().flatten() {
            let s = &mut self.summary;
            s.events_received += 1;
            let ty = lower(e, &["type"]);
            let gesture = lower(e, &["gestureType"]);
            let keyboard = is_keyboard_area(e);
            self.note_tap(e);
            if ty == "navigation" {
                self.see(event_screen(e), &mut current);
            }
            let s = &mut self.summary;
            match ty.as_str() {
                // Of the motion types, only the one named "scroll" counts.
                "scroll_motion" => s.scroll_count += 1,
                "motion" | "pan_motion" => {}
                "touch" | "tap" | "click" => {
                    self.touched(e, keyboard, &mut current, &mut recent, &mut rage)
                }
                _ if gesture == "tap" || gesture == "single_tap" => {
                    self.touched(e, keyboard, &mut current, &mut recent, &mut rage)
                }
                "scroll" => s.scroll_count += 1,
                "gesture" => {
                    s.gesture_count += 1;
                    let screen = self.see(event_screen(e), &mut current).or(current.clone());
                    let s = &mut self.summary;
                    let tap = tap_like_gesture(&gesture);
                    match frustration(e) {
                        Some(kind) => {
                            if tap {
                                s.touch_count += 1;
                            }
                            if keyboard {
                                recent.clear();
                            } else if kind == Frustration::Rage {
                                rage += 1;
                            } else {
                                dead += 1;
                            }
                        }
                        None if tap => {
                            s.touch_count += 1;
                            for t in e["touches"].as_array().into_iter().flatten() {
                                if keyboard {
                                    recent.clear();
                                    continue;
                                }
                                if screen.is_none() {
                                    continue;
                                }
                                let x = or_number(&[t.get("x")]);
                                let y = or_number(&[t.get("y")]);
                                let ts = or_number(&[t.get("timestamp"), e.get("timestamp")]);
                                if rage_run(&mut recent, x, y, ts) {
                                    rage += 1;
                                }
                            }
                        }
                        None if gesture.contains("scroll") || gesture.contains("swipe") => {
                            s.scroll_count += 1
                        }
                        None => {}
                    }
                }
                "rage_tap" | "rage_click" => {
                    if keyboard {
                        recent.clear();
                    } else {
                        rage += 1;
                        self.see(event_screen(e), &mut current);
                    }
                }
                _ if ty == "dead_tap" || gesture == "dead_tap" => {
                    if keyboard {
                        recent.clear();
                    } else {
                        dead += 1;
                    }
                }
                "api_call" | "network_request" => api_call(s, e),
                "error" | "resource_error" => s.error_count += 1,
                "anr" | "long_task" | "ui_freeze" => {
                    let state = e["threadState"].as_str().unwrap_or("");
                    if !(web && (ty == "long_task" || state == "main_thread_long_task")) {
                        s.anr_count += 1;
                        anrs.push(anr_incident(e, now_ms));
                    }
                }
                "keyboard_typing" | "keyboard_show" | "keyboard_hide" | "input" | "text_input" => {
                    s.input_count += 1
                }
                "custom" => s.custom_count += 1,
                _ => {}
            }
            let name = lower(e, &["name"]);
            if ty != "custom"
                && !KNOWN.contains(&ty.as_str())
                && !ty.starts_with('$')
                && !name.starts_with('$')
            {
                self.summary.uncounted += 1;
            }
        }
        self.batch_rage += rage;
        self.batch_dead += dead;
        let mobile = self
            .summary
            .platform
            .as_deref()
            .is_some_and(is_mobile_platform);
        (self.summary.rage_taps, self.summary.dead_taps) = if mobile {
            self.recount()
        } else {
            (self.batch_rage, self.batch_dead)
        };
        anrs
    }

    /// `deviceInfo` overwrites the session's device fields on every batch.
    fn device_info(&mut self, di: &Value) {
        let text = |k: &str| di[k].as_str().filter(|s| !s.is_empty()).map(str::to_owned);
        let s = &mut self.summary;
        if let Some(p) = text("platform") {
            s.platform = Some(p);
        }
        if let Some(m) = text("model") {
            s.device_model = Some(m);
        }
        let os = text("systemVersion")
            .or_else(|| text("osVersion"))
            .or_else(|| text("os").filter(|o| o != "web"));
        if let Some(o) = os {
            s.os_version = Some(o);
        }
        if let Some(a) = text("appVersion") {
            s.app_version = Some(a);
        }
    }

    /// Records a screen seen; returns it when the event named one.
    fn see(&mut self, screen: Option<String>, current: &mut Option<String>) -> Option<String> {
        let name = screen?;
        let seen = &mut self.summary.screens_visited;
        if seen.last() != Some(&name) && seen.len() < MAX_SCREENS {
            seen.push(name.clone());
        }
        *current = Some(name.clone());
        Some(name)
    }

    /// A `touch` (or tap-typed) event: a touch, and a tap for the per-batch rage run.
    fn touched(
        &mut self,
        e: &Value,
        keyboard: bool,
        current: &mut Option<String>,
        recent: &mut Vec<(f64, f64, f64)>,
        rage: &mut u64,
    ) {
        self.summary.touch_count += 1;
        self.see(event_screen(e), current);
        if keyboard {
            recent.clear();
            return;
        }
        let x = or_number(&[e.get("x"), first(e, &["touches.0.x"])]);
        let y = or_number(&[e.get("y"), first(e, &["touches.0.y"])]);
        let ts = or_number(&[e.get("timestamp")]);
        if rage_run(recent, x, y, ts) {
            *rage += 1;
        }
    }

    /// Keeps what the mobile recount reads.
    fn note_tap(&mut self, e: &Value) {
        let tap = if is_keyboard_area(e) {
            Tap::Reset
        } else if let Some(kind) = frustration(e) {
            Tap::Frustrated(kind)
        } else if let Some((x, y, t)) = first_touch(e).filter(|_| tap_like(e)) {
            Tap::At(x, y, t)
        } else {
            return;
        };
        // Sorted by the event's time (a non-number sorts as 0).
        let ts = first(
            e,
            &["timestamp", "properties.timestamp", "payload.timestamp"],
        )
        .map_or(0.0, js_number);
        self.taps
            .push_back((if ts.is_nan() { 0.0 } else { ts }, tap));
        if self.taps.len() > MAX_TAPS {
            self.taps.pop_front();
        }
    }

    /// The backend's canonical mobile count over every batch, in time order.
    fn recount(&self) -> (u64, u64) {
        let mut taps: Vec<&(f64, Tap)> = self.taps.iter().collect();
        taps.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (mut rage, mut dead, mut recent) = (0, 0, Vec::new());
        for (_, tap) in taps {
            match tap {
                Tap::Reset => recent.clear(),
                Tap::Frustrated(Frustration::Rage) => {
                    rage += 1;
                    recent.clear();
                }
                Tap::Frustrated(Frustration::Dead) => {
                    dead += 1;
                    recent.clear();
                }
                Tap::At(x, y, t) => {
                    if rage_run(&mut recent, *x, *y, *t) {
                        rage += 1;
                    }
                }
            }
        }
        (rage, dead)
    }
}

/// A network event: counted unless it is the backend's own traffic or a static asset.
fn api_call(s: &mut SessionSummary, e: &Value) {
    if network_excluded(e) {
        return;
    }
    s.api_total += 1;
    let status = e.get("statusCode").map_or(f64::NAN, js_number);
    if e["success"] == Value::Bool(true) || (200.0..400.0).contains(&status) {
        s.api_success += 1;
    } else if e["success"] == Value::Bool(false) || status >= 400.0 {
        s.api_error += 1;
    }
}

/// An `anr` event as the backend persists it (duration 0 → 5000).
fn anr_incident(e: &Value, now_ms: f64) -> Incident {
    let d = js_number(&e["durationMs"]);
    let d = if d.is_finite() {
        d.round().max(0.0) as u64
    } else {
        0
    };
    let ts = e.get("timestamp").map_or(f64::NAN, js_number);
    Incident {
        anr: true,
        id: incident_id(e.get("incidentId")),
        ts_ms: if ts.is_finite() && ts != 0.0 {
            ts
        } else {
            now_ms
        },
        identifier: String::new(),
        detail: None,
        duration_ms: if d == 0 { 5000 } else { d },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn session(platform: &str) -> SessionState {
        SessionState::new("session_1000_x", 2000.0, platform.into())
    }

    #[test]
    fn events_are_counted_like_the_backend() {
        let mut s = session("unknown");
        s.add_batch(
            &json!({"deviceInfo": {"platform": "iOS", "model": "iPhone"}, "events": [
            {"type": "screen_change", "screenName": "A"},
            {"type": "navigation", "screen": "Home"},
            {"type": "navigation", "screenName": "Home"},
            {"type": "touch", "gestureType": "tap", "x": 1, "y": 1},
            {"type": "gesture", "gestureType": "tap"},
            {"type": "gesture", "gestureType": "swipe"},
            {"type": "gesture", "gestureType": "pinch"},
            {"type": "gesture", "gestureType": "long_press"},
            {"type": "scroll"},
            {"type": "network_request", "statusCode": 500},
            {"type": "network_request", "statusCode": "204"},
            {"type": "network_request"},
            {"type": "network_request", "url": "https://api.rejourney.co/api/ingest/presign"},
            {"type": "keyboard_show"}, {"type": "input"},
            {"type": "custom", "name": "buy"}, {"type": "custom", "name": "$user_property"},
            {"type": "error"}, {"type": "app_background"},
            {"type": "log"}, {"type": "app_state"}, {"type": "$internal"}]}),
            0.0,
        );
        let m = &s.summary;
        assert_eq!(m.platform.as_deref(), Some("iOS"), "kept as sent");
        assert_eq!(m.screens_visited, vec!["Home"]);
        assert_eq!(
            (m.touch_count, m.gesture_count, m.scroll_count),
            (3, 3, 2),
            "touch + gesture tap + long press; swipe, pinch, long press; swipe + scroll"
        );
        assert_eq!((m.api_total, m.api_success, m.api_error), (3, 1, 1));
        assert_eq!((m.input_count, m.custom_count, m.error_count), (2, 2, 1));
        assert_eq!(m.uncounted, 3, "screen_change, log, app_state");
        assert_eq!((m.events_received, m.batches), (22, 1));
    }

    #[test]
    fn on_mobile_a_rage_tap_sent_with_its_taps_counts_twice() {
        let tap = |ts: u64| {
            json!({"type": "touch", "gestureType": "tap", "timestamp": ts, "x": 10, "y": 10,
                "touches": [{"x": 10, "y": 10, "timestamp": ts}]})
        };
        let rage = json!({"type": "gesture", "gestureType": "rage_tap",
            "frustrationKind": "rage_tap", "timestamp": 1200, "x": 10, "y": 10,
            "touches": [{"x": 10, "y": 10, "timestamp": 1200}]});
        let mut s = session("android");
        s.add_batch(
            &json!({"deviceInfo": {}, "events": [tap(1000), tap(1100)]}),
            0.0,
        );
        s.add_batch(&json!({"deviceInfo": {}, "events": [tap(1200), rage]}), 0.0);
        assert_eq!(
            s.summary.rage_taps, 2,
            "inferred from the taps, plus the explicit one"
        );
        assert_eq!(s.summary.touch_count, 4, "three taps and the rage tap");
        assert_eq!(s.summary.gesture_count, 1);
        let mut keyboard = session("ios");
        let key = |ts: u64| json!({"type": "touch", "timestamp": ts, "x": 1, "y": 1, "label": "UIKeyboardLayoutStar"});
        keyboard.add_batch(
            &json!({"deviceInfo": {}, "events": [key(1), key(2), key(3)]}),
            0.0,
        );
        assert_eq!(keyboard.summary.rage_taps, 0, "typing is not rage");
    }

    #[test]
    fn anr_events_become_incidents_and_the_start_comes_from_the_id() {
        let mut s = session("ios");
        let found = s.add_batch(
            &json!({"deviceInfo": {}, "events": [
                {"type": "anr", "timestamp": 5, "durationMs": 0, "incidentId": " a-1 "}]}),
            9.0,
        );
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].id.as_deref(), found[0].duration_ms),
            (Some("a-1"), 5000)
        );
        assert_eq!(s.summary.anr_count, 1);
        assert_eq!(session_start_ms("session_1000_x", 5e12), 1000.0);
        assert_eq!(session_start_ms("custom-id", 5e12), 5e12);
        assert_eq!(
            session_start_ms("session_9000000_x", 1000.0),
            1000.0,
            "future: now"
        );
    }
}
