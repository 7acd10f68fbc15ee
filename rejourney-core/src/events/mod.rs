//! The event stream: taps and gestures (with rage-tap and dead-tap detection), screen changes,
//! custom events, logs, network requests, keyboard, app lifecycle and identity, batched per
//! the events protocol (`{"events": [...], "deviceInfo": {...}}`, gzipped).
//!
//! Deterministic like the capture policy: every call carries the caller's timestamp, so the
//! detectors are tested without sleeping. The buffer is bounded (drop-oldest, counted).

use std::collections::VecDeque;

use serde_json::{json, Map, Value};

use crate::metrics::SessionMetrics;

mod gesture;
mod secrets;
mod touch_privacy;
mod urls;
pub use gesture::{classify as classify_touch, Gesture, TouchSummary, LONG_PRESS_MS, TAP_SLOP_PT};
pub use touch_privacy::{place_touch, TouchPosition, TouchPrivacy};
use url::Url;
pub use urls::{own_api_prefix, sanitize_text, sanitize_url, url_denied};

/// Limits and detector thresholds.
#[derive(Debug, Clone, PartialEq)]
pub struct EventConfig {
    /// Events held before the oldest are dropped (counted).
    pub max_buffered: usize,
    /// A batch is cut at this many events...
    pub batch_max: usize,
    /// ...or when its oldest event is this old.
    pub flush_interval_ms: u64,
    /// Rage tap: this many taps...
    pub rage_tap_count: usize,
    /// ...within this window...
    pub rage_tap_window_ms: u64,
    /// ...within this distance (points) of each other.
    pub rage_tap_radius: f32,
    /// Dead tap: a tap followed by no response (screen change, keyboard, network request,
    /// custom event) within this window.
    pub dead_tap_window_ms: u64,
    /// Network requests to these are never recorded: host names (matching the host or a
    /// subdomain) or URL prefixes (`https://…`). The SDK's own API is always excluded.
    pub url_deny_list: Vec<String>,
    /// Longest custom event name / property string kept (longer is cut, counted).
    pub max_string_len: usize,
    /// Properties kept per custom event (the rest are dropped, counted).
    pub max_properties: usize,
    /// Memory bound of the buffer (estimated JSON bytes): past it the oldest events go.
    pub max_buffered_bytes: usize,
    /// Where touches may be recorded ([`place_touch`], applied by the client).
    pub touch_privacy: TouchPrivacy,
}

impl Default for EventConfig {
    fn default() -> Self {
        Self {
            max_buffered: 1_000,
            batch_max: 100,
            flush_interval_ms: 5_000,
            rage_tap_count: 3,
            rage_tap_window_ms: 1_000,
            rage_tap_radius: 40.0,
            dead_tap_window_ms: 1_500,
            url_deny_list: Vec::new(),
            max_string_len: 1_024,
            max_properties: 50,
            max_buffered_bytes: 1 << 20,
            touch_privacy: TouchPrivacy::default(),
        }
    }
}

/// A property value of a custom event.
#[derive(Debug, Clone, PartialEq)]
pub enum PropValue {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
}

/// A network request the host observed.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkRequest {
    pub method: String,
    pub url: String,
    pub status: Option<u16>,
    pub duration_ms: f64,
    pub request_bytes: Option<u64>,
    pub response_bytes: Option<u64>,
    pub error: Option<String>,
}

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum EventError {
    #[error("{0} must be a finite number")]
    NotFinite(&'static str),
    #[error("event name is empty")]
    EmptyName,
}

/// Counters for telemetry.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct EventCounters {
    pub recorded: u64,
    pub dropped_buffer_full: u64,
    pub denied_urls: u64,
    pub truncated_strings: u64,
    pub dropped_properties: u64,
    pub rage_taps: u64,
    pub dead_taps: u64,
    pub batches: u64,
    /// Gestures recorded with a masked view's bounds instead of their position.
    pub touches_masked: u64,
    /// Gestures recorded without a position (`hide_all`, or the masks were not known).
    pub touches_hidden: u64,
}

/// A batch ready to upload.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub events: Vec<Value>,
    pub first_ms: u64,
    pub last_ms: u64,
}

#[derive(Debug, Clone, Copy)]
struct Tap {
    ts: u64,
    /// The true position: the detectors use it, no event carries it unless `shown` does.
    x: f32,
    y: f32,
    shown: TouchPosition,
}

/// Sets an event's position fields as decided ([`place_touch`]): `x`, `y` and `touches`
/// only for an exact position; a masked view's bounds as `targetBounds`; and `touchPrivacy`
/// saying why a position is missing.
fn put_position(ev: &mut Value, shown: TouchPosition, ts: u64) {
    match shown {
        TouchPosition::Exact { x, y } => {
            ev["x"] = json!(x);
            ev["y"] = json!(y);
            ev["touches"] = json!([{"x": x, "y": y, "timestamp": ts}]);
        }
        TouchPosition::MaskedView {
            x,
            y,
            width,
            height,
        } => {
            ev["touches"] = json!([]);
            ev["targetBounds"] = json!({"x": x, "y": y, "width": width, "height": height});
        }
        TouchPosition::Hidden => ev["touches"] = json!([]),
    }
    if let Some(label) = shown.label() {
        ev["touchPrivacy"] = json!(label);
    }
}

/// Buffers events and runs the tap detectors.
#[derive(Debug)]
pub struct EventRecorder {
    cfg: EventConfig,
    buf: VecDeque<Value>,
    /// Estimated size of each buffered event (parallel to `buf`) and their sum.
    sizes: VecDeque<usize>,
    bytes: usize,
    recent_taps: VecDeque<Tap>,
    /// Taps waiting to see whether anything responds.
    pending_dead: VecDeque<(Tap, Option<String>)>,
    counters: EventCounters,
    /// The current session's figures for its end call.
    metrics: SessionMetrics,
    /// The screen last reported (as cut for the events), shared with hierarchy snapshots.
    screen: Option<std::sync::Arc<str>>,
}

impl EventRecorder {
    pub fn new(cfg: EventConfig) -> Self {
        Self {
            cfg,
            buf: VecDeque::new(),
            sizes: VecDeque::new(),
            bytes: 0,
            recent_taps: VecDeque::new(),
            pending_dead: VecDeque::new(),
            counters: EventCounters::default(),
            metrics: SessionMetrics::default(),
            screen: None,
        }
    }

    /// The screen the user is on, as last reported (`screenName` of hierarchy snapshots).
    pub fn screen(&self) -> Option<std::sync::Arc<str>> {
        self.screen.clone()
    }

    pub fn counters(&self) -> EventCounters {
        self.counters
    }

    /// A crash was recorded in the session (its end call's `crashCount`).
    pub fn crashed(&mut self) {
        self.metrics.crashed();
    }

    /// The session's figures so far (a copy: the persisted session state reads them).
    pub fn metrics(&self) -> crate::metrics::SessionMetrics {
        self.metrics
    }

    /// The session's figures so far, and a fresh start for the next session.
    pub fn take_metrics(&mut self) -> SessionMetrics {
        std::mem::take(&mut self.metrics)
    }

    /// Opt-out: forget everything buffered, and the session's figures (screens visited and
    /// the rest must not go out with the next session's end call).
    pub fn clear(&mut self) {
        self.metrics = SessionMetrics::default();
        self.buf.clear();
        self.sizes.clear();
        self.bytes = 0;
        self.recent_taps.clear();
        self.pending_dead.clear();
    }

    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    fn cut(&mut self, s: &str) -> String {
        if s.len() <= self.cfg.max_string_len {
            return s.to_owned();
        }
        self.counters.truncated_strings += 1;
        let mut end = self.cfg.max_string_len;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s[..end].to_owned()
    }

    fn push(&mut self, ev: Value) {
        // Counted when it happens, even if the buffer later drops it.
        self.metrics.observe(&ev);
        let size = json_size(&ev);
        while !self.buf.is_empty()
            && (self.buf.len() >= self.cfg.max_buffered
                || self.bytes + size > self.cfg.max_buffered_bytes)
        {
            self.buf.pop_front();
            self.bytes -= self.sizes.pop_front().unwrap_or(0);
            self.counters.dropped_buffer_full += 1;
        }
        self.buf.push_back(ev);
        self.sizes.push_back(size);
        self.bytes += size;
        self.counters.recorded += 1;
    }

    /// Something visibly happened: pending taps before `ts` were not dead.
    fn responded(&mut self, ts: u64) {
        self.pending_dead.retain(|(t, _)| t.ts > ts);
    }

    /// Emits dead taps whose window has passed by `now`.
    fn expire_dead(&mut self, now: u64) {
        while let Some((tap, _)) = self.pending_dead.front() {
            if now < tap.ts.saturating_add(self.cfg.dead_tap_window_ms) {
                break;
            }
            let Some((tap, target)) = self.pending_dead.pop_front() else {
                break;
            };
            self.counters.dead_taps += 1;
            let mut ev = json!({"type": "gesture", "gestureType": "dead_tap",
                "frustrationKind": "dead_tap", "timestamp": tap.ts});
            put_position(&mut ev, tap.shown, tap.ts);
            if let Some(t) = target {
                ev["label"] = Value::String(t);
            }
            self.push(ev);
        }
    }

    /// A touch gesture at (x, y) in points. `target` is the touched view's class or label.
    /// The touched view's interactivity is unknown (see [`Self::gesture_on`]).
    pub fn gesture(
        &mut self,
        kind: Gesture,
        ts: u64,
        x: f32,
        y: f32,
        target: Option<&str>,
    ) -> Result<(), EventError> {
        self.gesture_on(kind, ts, x, y, target, None)
    }

    /// A touch gesture, with whether the touched view is interactive (a button, a control,
    /// anything with a click handler; `None`: the shim cannot tell).
    ///
    /// Counted as the backend and the official SDKs count them:
    /// - the tap that completes a rage burst is sent as the `rage_tap` gesture *instead of*
    ///   a `touch` (the backend counts a rage tap as a tap too; sent as both, the burst's
    ///   canonical recount would make it two);
    /// - only a tap on a view known not to be interactive may become a dead tap: a button
    ///   is expected to respond in ways we may not see (a toggle, a haptic). Unknown counts
    ///   as interactive: a dead tap costs the session 8 UX-score points, and a shim that
    ///   cannot hit-test would otherwise accuse every working button;
    /// - a new tap supersedes a pending dead-tap candidate (the user moved on).
    pub fn gesture_on(
        &mut self,
        kind: Gesture,
        ts: u64,
        x: f32,
        y: f32,
        target: Option<&str>,
        interactive: Option<bool>,
    ) -> Result<(), EventError> {
        let shown = TouchPosition::Exact { x, y };
        self.gesture_placed(kind, ts, (x, y), shown, target, interactive)
    }

    /// Like [`Self::gesture_on`], with where the touch may be recorded (`shown`, decided by
    /// [`place_touch`]): the rage and dead tap detectors use the true position `at`, the
    /// events carry only `shown`.
    pub fn gesture_placed(
        &mut self,
        kind: Gesture,
        ts: u64,
        at: (f32, f32),
        shown: TouchPosition,
        target: Option<&str>,
        interactive: Option<bool>,
    ) -> Result<(), EventError> {
        let (x, y) = at;
        if !x.is_finite() || !y.is_finite() {
            return Err(EventError::NotFinite("touch position"));
        }
        self.expire_dead(ts);
        match shown {
            TouchPosition::Exact { .. } => {}
            TouchPosition::MaskedView { .. } => self.counters.touches_masked += 1,
            TouchPosition::Hidden => self.counters.touches_hidden += 1,
        }
        let target = target.map(|t| self.cut(t));
        if kind != Gesture::Tap {
            // The backend counts `gesture` (with its gestureType) as swipes, pinches and
            // long presses; it carries the touch points for its heatmap.
            let mut ev = json!({"type": "gesture", "gestureType": kind.as_str(),
                "timestamp": ts});
            put_position(&mut ev, shown, ts);
            if let Some(t) = target {
                ev["label"] = Value::String(t);
            }
            self.push(ev);
            return Ok(());
        }
        let tap = Tap { ts, x, y, shown };
        // Rage: enough recent taps close to this one.
        let window = self.cfg.rage_tap_window_ms;
        self.recent_taps
            .retain(|t| ts.saturating_sub(t.ts) <= window && t.ts <= ts);
        self.recent_taps.push_back(tap);
        let r2 = self.cfg.rage_tap_radius * self.cfg.rage_tap_radius;
        let near = self
            .recent_taps
            .iter()
            .filter(|t| (t.x - x).powi(2) + (t.y - y).powi(2) <= r2)
            .count();
        self.pending_dead.clear();
        let mut ev = if near >= self.cfg.rage_tap_count {
            self.counters.rage_taps += 1;
            // One rage tap per burst: the next needs a fresh run of taps.
            self.recent_taps.clear();
            json!({"type": "gesture", "gestureType": "rage_tap", "frustrationKind": "rage_tap",
                "timestamp": ts, "count": near})
        } else {
            if interactive == Some(false) {
                self.pending_dead.push_back((tap, target.clone()));
            }
            json!({"type": "touch", "gestureType": "tap", "timestamp": ts})
        };
        put_position(&mut ev, shown, ts);
        if let Some(t) = target {
            ev["label"] = Value::String(t);
        }
        self.push(ev);
        Ok(())
    }

    pub fn screen_changed(&mut self, ts: u64, name: &str) {
        self.expire_dead(ts);
        self.responded(ts);
        let name = self.cut(name);
        self.screen = Some(name.as_str().into());
        // `navigation` is what the backend reads screens from (`screen_change` is ignored).
        self.push(
            json!({"type": "navigation", "timestamp": ts, "screen": name,
            "screenName": name, "entering": true}),
        );
    }

    pub fn custom(
        &mut self,
        ts: u64,
        name: &str,
        props: &[(String, PropValue)],
    ) -> Result<(), EventError> {
        if name.trim().is_empty() {
            return Err(EventError::EmptyName);
        }
        self.expire_dead(ts);
        self.responded(ts);
        let name = self.cut(name);
        let mut map = Map::new();
        if props.len() > self.cfg.max_properties {
            self.counters.dropped_properties += (props.len() - self.cfg.max_properties) as u64;
        }
        for (k, v) in props.iter().take(self.cfg.max_properties) {
            let k = self.cut(k);
            let v = match v {
                PropValue::Str(s) => Value::String(self.cut(s)),
                // JSON has no NaN/∞: such numbers become null rather than an invalid body.
                PropValue::Num(n) => serde_json::Number::from_f64(*n)
                    .map(Value::Number)
                    .unwrap_or(Value::Null),
                PropValue::Bool(b) => Value::Bool(*b),
                PropValue::Null => Value::Null,
            };
            map.insert(k, v);
        }
        self.push(json!({"type": "custom", "timestamp": ts, "name": name, "properties": map}));
        Ok(())
    }

    pub fn log(&mut self, ts: u64, level: &str, message: &str) {
        self.expire_dead(ts);
        let (level, message) = (self.cut(level), self.cut(message));
        self.push(json!({"type": "log", "timestamp": ts, "level": level, "message": message}));
    }

    /// Records a network request unless its URL is denied. Returns whether it was recorded.
    pub fn network(
        &mut self,
        ts: u64,
        req: &NetworkRequest,
        deny: &[String],
    ) -> Result<bool, EventError> {
        if !req.duration_ms.is_finite() || req.duration_ms < 0.0 {
            return Err(EventError::NotFinite("duration_ms"));
        }
        self.expire_dead(ts);
        if url_denied(&req.url, deny) || url_denied(&req.url, &self.cfg.url_deny_list) {
            self.counters.denied_urls += 1;
            return Ok(false);
        }
        self.responded(ts);
        let clean = sanitize_url(&req.url);
        let (host, path) = Url::parse(&clean)
            .map(|u| (u.host_str().unwrap_or("").to_owned(), u.path().to_owned()))
            .unwrap_or_default();
        let url = self.cut(&clean);
        let method = self.cut(&req.method.to_ascii_uppercase());
        let mut ev = json!({"type": "network_request", "timestamp": ts, "method": method,
            "url": url, "urlHost": self.cut(&host), "urlPath": self.cut(&path),
            "duration": req.duration_ms,
            "success": req.error.is_none() && req.status.is_some_and(|s| s < 400)});
        if let Some(s) = req.status {
            ev["statusCode"] = json!(s);
        }
        if let Some(b) = req.request_bytes {
            ev["requestBodySize"] = json!(b);
        }
        if let Some(b) = req.response_bytes {
            ev["responseBodySize"] = json!(b);
        }
        if let Some(e) = &req.error {
            // Transport errors quote the URL they failed on; servers echo tokens.
            ev["error"] = Value::String(self.cut(&sanitize_text(e)));
        }
        self.push(ev);
        Ok(true)
    }

    pub fn keyboard(&mut self, ts: u64, shown: bool, height: f32) {
        self.expire_dead(ts);
        if shown {
            self.responded(ts);
        }
        let kind = if shown {
            "keyboard_show"
        } else {
            "keyboard_hide"
        };
        let h = if height.is_finite() { height } else { 0.0 };
        self.push(json!({"type": kind, "timestamp": ts, "keyboardHeight": h}));
    }

    pub fn app_state(&mut self, ts: u64, state: &str) {
        self.expire_dead(ts);
        // A tap that took the user out of the app (a link, a share sheet) was answered.
        self.responded(ts);
        let kind = if state == "background" {
            "app_background"
        } else {
            "app_foreground"
        };
        self.push(json!({"type": kind, "timestamp": ts}));
    }

    pub fn identity(&mut self, ts: u64, user_id: Option<&str>) {
        let user = user_id.map(|u| self.cut(u));
        self.push(json!({"type": "user_identity_changed", "timestamp": ts, "userId": user}));
    }

    /// An ANR, with the incident id of its fault report so the backend counts it once.
    /// A handled (non-fatal) error the app reported: its name, message and stack lines.
    pub fn error(&mut self, ts: u64, name: &str, message: &str, stack: &str) {
        self.expire_dead(ts);
        let (name, message) = (self.cut(name), self.cut(message));
        // Text, as the backend stores it (an array became a Postgres array literal there).
        let frames = crate::incident::frames(stack).join("\n");
        self.push(
            json!({"type": "error", "timestamp": ts, "name": name, "message": message,
            "stack": frames}),
        );
    }

    pub fn anr(&mut self, ts: u64, duration_ms: u64, incident_id: &str) {
        self.push(
            json!({"type": "anr", "timestamp": ts, "durationMs": duration_ms,
            "threadState": "blocked", "incidentId": incident_id}),
        );
    }

    /// Cuts a batch when one is due at `now` (full, or oldest event old enough), or any
    /// buffered events when `force` (background, stop, flush). A tap whose window is still
    /// open stays a candidate: calling it dead because the host flushed would be a lie.
    pub fn take_batch(&mut self, now: u64, force: bool) -> Option<Batch> {
        self.expire_dead(now);
        let oldest = self.buf.front().and_then(|e| e["timestamp"].as_u64())?;
        let due = self.buf.len() >= self.cfg.batch_max
            || now.saturating_sub(oldest) >= self.cfg.flush_interval_ms;
        if !due && !force {
            return None;
        }
        let n = self.buf.len().min(self.cfg.batch_max);
        let events: Vec<Value> = self.buf.drain(..n).collect();
        self.bytes -= self.sizes.drain(..n).sum::<usize>();
        let ts = |e: &Value| e["timestamp"].as_u64().unwrap_or(0);
        let first_ms = events.iter().map(ts).min().unwrap_or(0);
        let last_ms = events.iter().map(ts).max().unwrap_or(0);
        self.counters.batches += 1;
        Some(Batch {
            events,
            first_ms,
            last_ms,
        })
    }
}

/// Roughly the serialised size of an event (events are shallow: at most an object of
/// scalars inside the event object), without serialising it.
fn json_size(v: &Value) -> usize {
    match v {
        Value::Null | Value::Bool(_) | Value::Number(_) => 8,
        Value::String(s) => s.len() + 2,
        Value::Array(a) => 2 + a.iter().map(json_size).sum::<usize>(),
        Value::Object(o) => {
            2 + o
                .iter()
                .map(|(k, v)| k.len() + 4 + json_size(v))
                .sum::<usize>()
        }
    }
}

/// The uncompressed batch body.
pub fn batch_body(batch: &Batch, device_info: &Value) -> Vec<u8> {
    serde_json::to_vec(&json!({"events": batch.events, "deviceInfo": device_info}))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
