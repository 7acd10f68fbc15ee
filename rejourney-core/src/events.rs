//! The event stream: taps and gestures (with rage-tap and dead-tap detection), screen changes,
//! custom events, logs, network requests, keyboard, app lifecycle and identity, batched per
//! the events protocol (`{"events": [...], "deviceInfo": {...}}`, gzipped).
//!
//! Deterministic like the capture policy: every call carries the caller's timestamp, so the
//! detectors are tested without sleeping. The buffer is bounded (drop-oldest, counted).

use std::collections::VecDeque;

use serde_json::{json, Map, Value};

use crate::metrics::SessionMetrics;
use url::Url;

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
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gesture {
    Tap,
    LongPress,
    Swipe,
    Pinch,
}

impl Gesture {
    fn as_str(self) -> &'static str {
        match self {
            Gesture::Tap => "tap",
            Gesture::LongPress => "long_press",
            Gesture::Swipe => "swipe",
            Gesture::Pinch => "pinch",
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
    x: f32,
    y: f32,
}

/// Query keys whose values are secrets (compared lowercase, `-` and `_` ignored).
const SECRET_KEYS: &[&str] = &[
    "token",
    "accesstoken",
    "refreshtoken",
    "idtoken",
    "auth",
    "authorization",
    "key",
    "apikey",
    "secret",
    "clientsecret",
    "password",
    "passwd",
    "pwd",
    "pass",
    "session",
    "sessionid",
    "sid",
    "sig",
    "signature",
    "code",
    "jwt",
    "credential",
    "credentials",
    "otp",
    "pin",
    "ssn",
    "email",
    "phone",
];

/// The URL as recorded: no user info, no fragment, and secret-looking query values replaced
/// by `[redacted]` (by key name, or any value that looks like a token: 24+ chars of
/// base64/hex). Unparseable URLs are reduced to `[invalid url]` rather than sent raw.
pub fn sanitize_url(raw: &str) -> String {
    let Ok(mut url) = Url::parse(raw) else {
        return "[invalid url]".to_owned();
    };
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.set_fragment(None);
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let norm: String = k
                    .chars()
                    .filter(|c| *c != '_' && *c != '-')
                    .flat_map(char::to_lowercase)
                    .collect();
                let secret = SECRET_KEYS.contains(&norm.as_str())
                    || norm.ends_with("token")
                    || norm.ends_with("secret")
                    || norm.ends_with("password")
                    || looks_like_token(&v);
                let v = if secret {
                    "[redacted]".to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    url.to_string()
}

fn looks_like_token(v: &str) -> bool {
    v.len() >= 24
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+' | '/' | '='))
        && v.chars().any(|c| c.is_ascii_digit())
}

/// Whether a URL is on the deny list (host or subdomain, or URL prefix).
pub fn url_denied(raw: &str, deny: &[String]) -> bool {
    let host = Url::parse(raw)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase));
    deny.iter().any(|d| {
        if d.contains("://") {
            raw.starts_with(d.as_str())
        } else {
            let d = d.trim_start_matches('.').to_ascii_lowercase();
            host.as_deref()
                .is_some_and(|h| h == d || h.ends_with(&format!(".{d}")))
        }
    })
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
        }
    }

    pub fn counters(&self) -> EventCounters {
        self.counters
    }

    /// The session's figures so far, and a fresh start for the next session.
    pub fn take_metrics(&mut self) -> SessionMetrics {
        std::mem::take(&mut self.metrics)
    }

    /// Opt-out: forget everything buffered.
    pub fn clear(&mut self) {
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
                "frustrationKind": "dead_tap", "timestamp": tap.ts, "x": tap.x, "y": tap.y,
                "touches": [{"x": tap.x, "y": tap.y, "timestamp": tap.ts}]});
            if let Some(t) = target {
                ev["label"] = Value::String(t);
            }
            self.push(ev);
        }
    }

    /// A touch gesture at (x, y) in points. `target` is the touched view's class or label.
    pub fn gesture(
        &mut self,
        kind: Gesture,
        ts: u64,
        x: f32,
        y: f32,
        target: Option<&str>,
    ) -> Result<(), EventError> {
        if !x.is_finite() || !y.is_finite() {
            return Err(EventError::NotFinite("touch position"));
        }
        self.expire_dead(ts);
        let target = target.map(|t| self.cut(t));
        // The backend counts `touch` as taps and `gesture` (with its gestureType) as swipes,
        // pinches and long presses; both carry the touch points for its heatmap.
        let kind_type = if kind == Gesture::Tap {
            "touch"
        } else {
            "gesture"
        };
        let mut ev = json!({"type": kind_type, "gestureType": kind.as_str(), "timestamp": ts,
            "x": x, "y": y, "touches": [{"x": x, "y": y, "timestamp": ts}]});
        if let Some(t) = &target {
            ev["label"] = Value::String(t.clone());
        }
        self.push(ev);
        if kind != Gesture::Tap {
            return Ok(());
        }
        let tap = Tap { ts, x, y };
        self.pending_dead.push_back((tap, target.clone()));
        if self.pending_dead.len() > self.cfg.max_buffered {
            self.pending_dead.pop_front();
        }
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
        if near >= self.cfg.rage_tap_count {
            self.counters.rage_taps += 1;
            let mut ev = json!({"type": "gesture", "gestureType": "rage_tap",
                "frustrationKind": "rage_tap", "timestamp": ts, "x": x, "y": y, "count": near,
                "touches": [{"x": x, "y": y, "timestamp": ts}]});
            if let Some(t) = target {
                ev["label"] = Value::String(t);
            }
            self.push(ev);
            // One rage tap per burst: the next needs a fresh run of taps.
            self.recent_taps.clear();
        }
        Ok(())
    }

    pub fn screen_changed(&mut self, ts: u64, name: &str) {
        self.expire_dead(ts);
        self.responded(ts);
        let name = self.cut(name);
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
            ev["error"] = Value::String(self.cut(e));
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
mod tests {
    use super::*;

    fn rec() -> EventRecorder {
        EventRecorder::new(EventConfig::default())
    }

    fn kinds(b: &Batch) -> Vec<String> {
        b.events
            .iter()
            .map(|e| {
                let t = e["type"].as_str().unwrap_or("");
                match e["gestureType"].as_str() {
                    Some(g) => format!("{t}:{g}"),
                    None => t.to_owned(),
                }
            })
            .collect()
    }

    #[test]
    fn three_quick_taps_in_one_place_are_a_rage_tap() {
        let mut r = rec();
        for (i, ts) in [0u64, 200, 400].iter().enumerate() {
            r.gesture(
                Gesture::Tap,
                *ts,
                100.0 + i as f32,
                200.0,
                Some("BuyButton"),
            )
            .unwrap();
        }
        // Spread out in space or time: not rage.
        r.gesture(Gesture::Tap, 5_000, 10.0, 10.0, None).unwrap();
        r.gesture(Gesture::Tap, 5_100, 300.0, 600.0, None).unwrap();
        r.gesture(Gesture::Tap, 7_000, 10.0, 10.0, None).unwrap();
        r.screen_changed(7_100, "Checkout");
        let b = r.take_batch(8_000, true).unwrap();
        let k = kinds(&b);
        assert_eq!(
            k.iter().filter(|k| *k == "gesture:rage_tap").count(),
            1,
            "{k:?}"
        );
        assert_eq!(r.counters().rage_taps, 1);
        let rage = b
            .events
            .iter()
            .find(|e| e["gestureType"] == "rage_tap")
            .unwrap();
        assert_eq!(rage["count"], 3);
        assert_eq!(rage["label"], "BuyButton");
    }

    #[test]
    fn a_tap_nothing_answers_is_a_dead_tap() {
        let mut r = rec();
        r.gesture(Gesture::Tap, 1_000, 5.0, 5.0, Some("Logo"))
            .unwrap(); // dead
        r.gesture(Gesture::Tap, 4_000, 50.0, 50.0, Some("Next"))
            .unwrap();
        r.screen_changed(4_300, "Step2"); // answers the 4_000 tap
        r.gesture(Gesture::Tap, 9_000, 50.0, 50.0, Some("Send"))
            .unwrap();
        r.network(
            9_200,
            &NetworkRequest {
                method: "post".into(),
                url: "https://api.example.com/send".into(),
                status: Some(200),
                duration_ms: 80.0,
                request_bytes: None,
                response_bytes: None,
                error: None,
            },
            &[],
        )
        .unwrap();
        let b = r.take_batch(20_000, false).unwrap();
        let dead: Vec<&Value> = b
            .events
            .iter()
            .filter(|e| e["gestureType"] == "dead_tap")
            .collect();
        assert_eq!(dead.len(), 1, "{:?}", kinds(&b));
        assert_eq!(dead[0]["label"], "Logo");
        assert_eq!(dead[0]["timestamp"], 1_000);
    }

    #[test]
    fn urls_lose_secrets_and_denied_hosts_are_not_recorded() {
        let s = sanitize_url(
            "https://bob:hunter2@api.example.com/v1/items?page=2&access_token=abc&API-KEY=k1&q=shoes#frag",
        );
        assert_eq!(
            s,
            "https://api.example.com/v1/items?page=2&access_token=%5Bredacted%5D&API-KEY=%5Bredacted%5D&q=shoes"
        );
        assert!(
            sanitize_url("https://x.io/cb?state=eyJhbGciOiJIUzI1NiJ9abc123def456")
                .contains("redacted")
        );
        assert_eq!(sanitize_url("not a url"), "[invalid url]");
        let deny = vec![
            "analytics.example.com".to_owned(),
            "https://x.io/private".to_owned(),
        ];
        assert!(url_denied(
            "https://eu.analytics.example.com/collect",
            &deny
        ));
        assert!(url_denied("https://x.io/private/1", &deny));
        assert!(!url_denied("https://x.io/public", &deny));
        assert!(!url_denied(
            "https://notanalytics.example.com.evil.io/",
            &deny
        ));
        let mut r = rec();
        let req = NetworkRequest {
            method: "GET".into(),
            url: "https://eu.analytics.example.com/c".into(),
            status: Some(204),
            duration_ms: 3.0,
            request_bytes: None,
            response_bytes: Some(0),
            error: None,
        };
        assert_eq!(r.network(1, &req, &deny), Ok(false));
        assert_eq!(r.counters().denied_urls, 1);
        let bad = NetworkRequest {
            duration_ms: f64::NAN,
            ..req
        };
        assert!(r.network(1, &bad, &[]).is_err());
    }

    #[test]
    fn bounded_buffer_drops_oldest_and_batches_cut_by_size_and_age() {
        let mut r = EventRecorder::new(EventConfig {
            max_buffered: 10,
            batch_max: 4,
            ..EventConfig::default()
        });
        for i in 0..15u64 {
            r.log(i, "info", &format!("line {i}"));
        }
        assert_eq!(r.counters().dropped_buffer_full, 5);
        let b = r.take_batch(15, false).unwrap();
        assert_eq!(b.events.len(), 4);
        assert_eq!(
            b.events[0]["message"], "line 5",
            "oldest dropped, newest kept"
        );
        assert_eq!((b.first_ms, b.last_ms), (5, 8));
        let mut r = rec();
        r.log(1_000, "info", "x");
        assert!(r.take_batch(2_000, false).is_none(), "not full, not old");
        assert!(r.take_batch(6_000, false).is_some(), "old enough");
        assert!(r.take_batch(6_000, true).is_none(), "nothing buffered");
    }

    #[test]
    fn custom_events_validate_and_cut_long_strings() {
        let mut r = EventRecorder::new(EventConfig {
            max_string_len: 8,
            ..EventConfig::default()
        });
        assert_eq!(r.custom(1, " ", &[]), Err(EventError::EmptyName));
        r.custom(
            2,
            "purchase_completed",
            &[
                ("amount".into(), PropValue::Num(9.5)),
                ("nan".into(), PropValue::Num(f64::NAN)),
                ("ok".into(), PropValue::Bool(true)),
                ("s".into(), PropValue::Str("ééééééé".into())),
            ],
        )
        .unwrap();
        let b = r.take_batch(3, true).unwrap();
        let e = &b.events[0];
        assert_eq!(e["name"], "purchase");
        assert_eq!(e["properties"]["amount"], 9.5);
        assert_eq!(e["properties"]["nan"], Value::Null);
        assert_eq!(e["properties"]["s"], "éééé");
        assert!(r.counters().truncated_strings >= 2);
        assert!(r.gesture(Gesture::Tap, 1, f32::NAN, 0.0, None).is_err());
    }

    #[test]
    fn memory_is_bounded_by_bytes_and_property_count() {
        let mut r = EventRecorder::new(EventConfig {
            max_buffered_bytes: 64 * 1024,
            max_properties: 3,
            ..EventConfig::default()
        });
        let big = "x".repeat(1_000);
        let props: Vec<(String, PropValue)> = (0..10)
            .map(|i| (format!("k{i}"), PropValue::Str(big.clone())))
            .collect();
        for ts in 0..200 {
            r.custom(ts, "big", &props).unwrap();
        }
        let c = r.counters();
        assert_eq!(
            c.dropped_properties,
            200 * 7,
            "seven of ten properties dropped each time"
        );
        assert!(
            c.dropped_buffer_full > 0,
            "the byte budget evicted the oldest"
        );
        assert!(r.bytes <= 64 * 1024, "{} bytes held", r.bytes);
        let held = r.buf.len();
        assert_eq!(held as u64, 200 - c.dropped_buffer_full);
        // Taking batches releases their bytes.
        while r.take_batch(10_000, true).is_some() {}
        assert_eq!((r.buf.len(), r.bytes), (0, 0));
        let real: usize = {
            r.custom(1, "big", &props).unwrap();
            let b = r.take_batch(10_000, true).unwrap();
            serde_json::to_vec(&b.events[0]).unwrap().len()
        };
        let est = json_size(&json!({"type": "custom", "timestamp": 1, "name": "big",
            "properties": {"k0": big, "k1": big, "k2": big}}));
        assert!(
            est >= real * 9 / 10 && est <= real * 11 / 10,
            "estimate {est} vs {real}"
        );
    }
}
