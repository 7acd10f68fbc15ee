//! The backend's contract, enforced: what the open-source Rejourney backend validates and how
//! it reads what it keeps (`routes/ingestFaults.ts`, `routes/ingestUploads.ts`,
//! `validation/ingest.ts`, `services/ingestEventArtifactProcessor.ts`,
//! `services/ingestSessionLifecycle.ts`). Pure functions of request bodies: the server wires
//! them to its routes, tests can call them directly.

use std::collections::{HashMap, VecDeque};

use serde_json::{json, Map, Value};

/// Why a body is refused, as the backend answers it (status, JSON body).
pub type Refusal = (u16, Value);

fn bad_request(message: &str) -> Refusal {
    (400, json!({"error": "BAD_REQUEST", "message": message}))
}

/// A fault report: `category` and `sessionId` required; `frames` an array of strings (the
/// backend would store an object as "[object Object]", so we refuse it); `context` an
/// object; `timestampMs` a number; `incidentId` a string. Returns whether it is an ANR.
pub fn check_fault(body: &Value) -> Result<bool, Refusal> {
    let nonempty = |k: &str| {
        body.get(k)
            .and_then(Value::as_str)
            .is_some_and(|s| !s.trim().is_empty())
    };
    if !nonempty("category") || !nonempty("sessionId") {
        return Err(bad_request("Missing required fields: category, sessionId"));
    }
    if let Some(f) = body.get("frames") {
        let ok = f.as_array().is_some_and(|a| a.iter().all(Value::is_string));
        if !ok {
            return Err(bad_request("frames must be an array of strings"));
        }
    }
    if body.get("context").is_some_and(|c| !c.is_object()) {
        return Err(bad_request("context must be an object"));
    }
    if body.get("timestampMs").is_some_and(|t| !t.is_number()) {
        return Err(bad_request("timestampMs must be a number"));
    }
    if body.get("incidentId").is_some_and(|t| !t.is_string()) {
        return Err(bad_request("incidentId must be a string"));
    }
    let category = body["category"]
        .as_str()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    Ok(matches!(
        category.as_str(),
        "anr" | "app_not_responding" | "application_not_responding"
    ))
}

const METRIC_INTS: &[&str] = &[
    "totalEvents",
    "touchCount",
    "scrollCount",
    "gestureCount",
    "inputCount",
    "errorCount",
    "crashCount",
    "anrCount",
    "rageTapCount",
    "apiSuccessCount",
    "apiErrorCount",
    "apiTotalCount",
];
const METRIC_NUMBERS: &[&str] = &["interactionScore", "explorationScore", "uxScore"];
const TELEMETRY_INTS: &[&str] = &[
    "uploadSuccessCount",
    "uploadFailureCount",
    "retryAttemptCount",
    "circuitBreakerOpenCount",
    "memoryEvictionCount",
    "offlinePersistCount",
    "sessionStartCount",
    "crashCount",
    "currentQueueDepth",
];
const TELEMETRY_NUMBERS: &[&str] = &[
    "uploadSuccessRate",
    "avgUploadDurationMs",
    "totalBytesUploaded",
    "totalBytesEvicted",
];
const TELEMETRY_NULLABLE: &[&str] = &["lastUploadTime", "lastRetryTime"];
const END_NUMBERS: &[&str] = &["endedAt", "closeAnchorAtMs", "totalBackgroundTimeMs"];

fn is_int(v: &Value) -> bool {
    v.is_i64() || v.is_u64()
}

/// Keeps the known keys of `obj` (ints, numbers, nullable numbers, string lists), recording
/// a validation detail for each known key of the wrong type. Unknown keys are stripped.
fn keep_known(
    obj: &Map<String, Value>,
    path: &str,
    ints: &[&str],
    numbers: &[&str],
    nullable: &[&str],
    lists: &[&str],
    details: &mut Vec<Value>,
) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in obj {
        let ok = if ints.contains(&k.as_str()) {
            Some(is_int(v))
        } else if numbers.contains(&k.as_str()) {
            Some(v.is_number())
        } else if nullable.contains(&k.as_str()) {
            Some(v.is_number() || v.is_null())
        } else if lists.contains(&k.as_str()) {
            Some(v.as_array().is_some_and(|a| a.iter().all(Value::is_string)))
        } else {
            None
        };
        match ok {
            Some(true) => {
                out.insert(k.clone(), v.clone());
            }
            Some(false) => details.push(json!({"path": format!("{path}.{k}"),
                "message": "Expected a value of another type"})),
            None => {}
        }
    }
    out
}

/// A session end body as the backend's schema keeps it: `sessionId` required, known keys
/// typed (counters must be integers: a float is a 400 naming its path), unknown keys
/// stripped. Returns the kept body.
pub fn check_session_end(body: &Value) -> Result<Value, Refusal> {
    let Some(obj) = body.as_object() else {
        return Err(bad_request("body must be an object"));
    };
    let mut details = Vec::new();
    let mut out = Map::new();
    match obj.get("sessionId").and_then(Value::as_str) {
        Some(s) if !s.is_empty() => {
            out.insert("sessionId".into(), json!(s));
        }
        _ => details.push(json!({"path": "sessionId", "message": "Required"})),
    }
    for (k, v) in obj {
        match k.as_str() {
            "sessionId" => {}
            k if END_NUMBERS.contains(&k) => {
                if v.is_number() {
                    out.insert(k.into(), v.clone());
                } else {
                    details.push(json!({"path": k, "message": "Expected number"}));
                }
            }
            "endReason" => match v.as_str() {
                Some(r) if (1..=64).contains(&r.chars().count()) => {
                    out.insert(k.into(), v.clone());
                }
                _ => details.push(json!({"path": k, "message": "Expected a string of 1-64"})),
            },
            "isSampledIn" => {
                if v.is_boolean() {
                    out.insert(k.into(), v.clone());
                } else {
                    details.push(json!({"path": k, "message": "Expected boolean"}));
                }
            }
            "sdkVersion" => {
                if v.as_str().is_some_and(|s| s.len() <= 50) {
                    out.insert(k.into(), v.clone());
                } else {
                    details.push(json!({"path": k, "message": "Expected a string of at most 50"}));
                }
            }
            "lifecycleVersion" => {
                if v.as_u64().is_some_and(|n| n >= 1) {
                    out.insert(k.into(), v.clone());
                } else {
                    details.push(json!({"path": k, "message": "Expected integer >= 1"}));
                }
            }
            "metrics" | "sdkTelemetry" => {
                let Some(m) = v.as_object() else {
                    details.push(json!({"path": k, "message": "Expected object"}));
                    continue;
                };
                let kept = if k == "metrics" {
                    keep_known(
                        m,
                        k,
                        METRIC_INTS,
                        METRIC_NUMBERS,
                        &[],
                        &["screensVisited"],
                        &mut details,
                    )
                } else {
                    keep_known(
                        m,
                        k,
                        TELEMETRY_INTS,
                        TELEMETRY_NUMBERS,
                        TELEMETRY_NULLABLE,
                        &[],
                        &mut details,
                    )
                };
                out.insert(k.into(), Value::Object(kept));
            }
            _ => {} // stripped, like the backend's schema does
        }
    }
    if details.is_empty() {
        Ok(Value::Object(out))
    } else {
        Err((
            400,
            json!({"error": "Validation Error", "message": "Invalid request data", "details": details}),
        ))
    }
}

/// What the backend would compute for a session from its event batches and calls.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionSummary {
    pub platform: Option<String>,
    pub screens_visited: Vec<String>,
    pub touch_count: u64,
    pub gesture_count: u64,
    pub scroll_count: u64,
    pub rage_taps: u64,
    pub dead_taps: u64,
    pub input_count: u64,
    pub custom_count: u64,
    pub error_count: u64,
    pub anr_events: u64,
    pub api_total: u64,
    pub api_success: u64,
    pub api_error: u64,
    /// Event types the backend does not count (stored like custom events, counted nowhere).
    pub uncounted: u64,
    pub crashes: u64,
    pub anrs: u64,
    /// The session end as the backend kept it (unknown keys stripped).
    pub end: Option<Value>,
}

impl SessionSummary {
    /// Counts one events batch (`{"events", "deviceInfo"}`) by the backend's rules.
    pub fn add_batch(&mut self, batch: &Value) {
        if let Some(p) = batch["deviceInfo"]["platform"]
            .as_str()
            .filter(|p| !p.is_empty())
        {
            self.platform = Some(p.to_ascii_lowercase());
        }
        for e in batch["events"].as_array().into_iter().flatten() {
            self.add_event(e);
        }
    }

    fn add_event(&mut self, e: &Value) {
        let kind = e["type"].as_str().unwrap_or("").to_ascii_lowercase();
        let gesture = e["gestureType"].as_str().unwrap_or("").to_ascii_lowercase();
        let frustration = e["frustrationKind"].as_str().unwrap_or("");
        match kind.as_str() {
            "navigation" => {
                let name = e["screen"].as_str().or(e["screenName"].as_str());
                if let Some(n) = name.filter(|n| !n.is_empty() && *n != "unknown") {
                    if self.screens_visited.last().map(String::as_str) != Some(n) {
                        self.screens_visited.push(n.to_owned());
                    }
                }
            }
            "touch" | "tap" | "click" => self.touch_count += 1,
            "gesture" => {
                self.gesture_count += 1;
                if gesture == "rage_tap" || frustration == "rage_tap" {
                    self.rage_taps += 1;
                } else if gesture == "dead_tap" || frustration == "dead_tap" {
                    self.dead_taps += 1;
                } else if gesture.contains("swipe") || gesture.contains("scroll") {
                    self.scroll_count += 1;
                } else if gesture.contains("tap") || gesture == "long_press" {
                    self.touch_count += 1;
                }
            }
            "network_request" | "api_call" => {
                self.api_total += 1;
                let status = e["statusCode"].as_u64();
                let ok = e["success"].as_bool() == Some(true)
                    || status.is_some_and(|s| (200..400).contains(&s));
                if ok {
                    self.api_success += 1;
                } else {
                    self.api_error += 1;
                }
            }
            "keyboard_typing" | "keyboard_show" | "keyboard_hide" | "input" | "text_input" => {
                self.input_count += 1
            }
            "custom" => self.custom_count += 1,
            "error" | "resource_error" => self.error_count += 1,
            "anr" | "long_task" | "ui_freeze" => self.anr_events += 1,
            "app_background"
            | "app_foreground"
            | "app_startup"
            | "user_identity_changed"
            | "session_start" => {}
            _ => self.uncounted += 1,
        }
    }
}

/// The platform the backend infers from a user agent when a request carries no device
/// fields: `Rejourney-SDK/<v> (<Platform>; <Model>; <OS>)` first, then well-known agents.
pub fn platform_from_user_agent(ua: &str) -> Option<String> {
    if let Some(rest) = ua.split("Rejourney-SDK/").nth(1) {
        if let Some(inner) = rest.split('(').nth(1).and_then(|r| r.split(')').next()) {
            let platform = inner.split(';').next().unwrap_or("").trim();
            if !platform.is_empty() {
                return Some(platform.to_ascii_lowercase());
            }
        }
    }
    if ua.contains("Darwin") || ua.contains("iPhone") || ua.contains("iPad") {
        Some("ios".into())
    } else if ua.contains("Android") || ua.contains("okhttp") {
        Some("android".into())
    } else {
        None
    }
}

/// State of an `Idempotency-Key`, per project: presign marks it `Processing` (kept, never
/// released), only a complete call carrying it marks it `Done`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    Processing,
    Done,
}

/// The backend's idempotency store, bounded (oldest keys forgotten first).
#[derive(Debug, Default)]
pub struct IdempotencyStore {
    states: HashMap<String, KeyState>,
    order: VecDeque<String>,
}

/// Keys remembered at most (the backend keeps them 7 days in Redis).
const MAX_KEYS: usize = 100_000;

impl IdempotencyStore {
    pub fn get(&self, key: &str) -> Option<KeyState> {
        self.states.get(key).copied()
    }

    pub fn set(&mut self, key: &str, state: KeyState) {
        if self.states.insert(key.to_owned(), state).is_none() {
            self.order.push_back(key.to_owned());
            while self.order.len() > MAX_KEYS {
                if let Some(old) = self.order.pop_front() {
                    self.states.remove(&old);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_need_category_and_session() {
        assert!(check_fault(&json!({"type": "crash", "sessionId": "s"})).is_err());
        assert!(check_fault(&json!({"category": "anr"})).is_err());
        assert_eq!(
            check_fault(&json!({"category": "anr", "sessionId": "s"})),
            Ok(true)
        );
        assert_eq!(
            check_fault(&json!({"category": "exception", "sessionId": "s", "frames": ["a"]})),
            Ok(false)
        );
        assert!(check_fault(&json!({"category": "x", "sessionId": "s", "frames": [{}]})).is_err());
    }

    #[test]
    fn session_end_strips_unknown_keys_and_wants_integers() {
        let kept = check_session_end(&json!({"sessionId": "s", "endedAt": 5, "junk": 1,
            "metrics": {"touchCount": 2, "other": 1}, "sdkTelemetry": {"capture": {}}}))
        .unwrap();
        assert_eq!(
            kept,
            json!({"sessionId": "s", "endedAt": 5,
            "metrics": {"touchCount": 2}, "sdkTelemetry": {}})
        );
        let (status, body) =
            check_session_end(&json!({"sessionId": "s", "metrics": {"touchCount": 1.5}}))
                .unwrap_err();
        assert_eq!(status, 400);
        assert_eq!(body["details"][0]["path"], "metrics.touchCount");
    }

    #[test]
    fn events_are_counted_like_the_backend() {
        let mut s = SessionSummary::default();
        s.add_batch(&json!({"deviceInfo": {"platform": "iOS"}, "events": [
            {"type": "screen_change", "screenName": "A"},
            {"type": "navigation", "screen": "Home"},
            {"type": "touch", "gestureType": "tap"},
            {"type": "gesture", "gestureType": "swipe"},
            {"type": "gesture", "gestureType": "rage_tap"},
            {"type": "network_request", "statusCode": 500},
            {"type": "log"}]}));
        assert_eq!(s.platform.as_deref(), Some("ios"));
        assert_eq!(s.screens_visited, vec!["Home"]);
        assert_eq!(
            (s.touch_count, s.gesture_count, s.scroll_count, s.rage_taps),
            (1, 2, 1, 1)
        );
        assert_eq!((s.api_total, s.api_error, s.uncounted), (1, 1, 2));
        assert_eq!(
            platform_from_user_agent("Rejourney-SDK/0.1.0 (Android; Pixel 8; 14)").as_deref(),
            Some("android")
        );
        assert_eq!(platform_from_user_agent("rejourney-sdk/0.1.0"), None);
    }
}
