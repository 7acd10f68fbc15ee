//! The session end's schema, as the backend's zod `endSessionSchema` applies it
//! (`validation/ingest.ts`, `middleware/validation.ts`): non-strict, so unknown keys — at the
//! top level and inside `metrics` / `sdkTelemetry` — are stripped, not refused; counters are
//! `z.number().int()`, so a float is a 400 naming its path. The issues come in the schema's
//! order with zod's messages, so an SDK test can match them against production's.

use serde_json::{json, Map, Value};

use crate::validate::Refusal;

/// A field's type in the schema.
#[derive(Clone, Copy)]
enum Ty {
    Int,
    Number,
    NumberOrNull,
    Strings,
}

/// `metrics`, in the schema's order (zod reports issues in that order).
const METRICS: &[(&str, Ty)] = &[
    ("totalEvents", Ty::Int),
    ("touchCount", Ty::Int),
    ("scrollCount", Ty::Int),
    ("gestureCount", Ty::Int),
    ("inputCount", Ty::Int),
    ("errorCount", Ty::Int),
    ("crashCount", Ty::Int),
    ("anrCount", Ty::Int),
    ("rageTapCount", Ty::Int),
    ("apiSuccessCount", Ty::Int),
    ("apiErrorCount", Ty::Int),
    ("apiTotalCount", Ty::Int),
    ("screensVisited", Ty::Strings),
    ("interactionScore", Ty::Number),
    ("explorationScore", Ty::Number),
    ("uxScore", Ty::Number),
];

/// `sdkTelemetry`, in the schema's order.
const TELEMETRY: &[(&str, Ty)] = &[
    ("uploadSuccessCount", Ty::Int),
    ("uploadFailureCount", Ty::Int),
    ("retryAttemptCount", Ty::Int),
    ("circuitBreakerOpenCount", Ty::Int),
    ("memoryEvictionCount", Ty::Int),
    ("offlinePersistCount", Ty::Int),
    ("sessionStartCount", Ty::Int),
    ("crashCount", Ty::Int),
    ("uploadSuccessRate", Ty::Number),
    ("avgUploadDurationMs", Ty::Number),
    ("currentQueueDepth", Ty::Int),
    ("lastUploadTime", Ty::NumberOrNull),
    ("lastRetryTime", Ty::NumberOrNull),
    ("totalBytesUploaded", Ty::Number),
    ("totalBytesEvicted", Ty::Number),
];

/// The top level after `sessionId`, in the schema's order.
const END_FIELDS: &[&str] = &[
    "endedAt",
    "closeAnchorAtMs",
    "totalBackgroundTimeMs",
    "endReason",
    "lifecycleVersion",
    "isSampledIn",
    "metrics",
    "sdkTelemetry",
    "sdkVersion",
];

/// zod's name for a JSON value's type, as in "Expected number, received string".
fn zod_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// zod's `z.number().int()`: JSON `3.0` is the integer 3 to JavaScript.
fn is_int(v: &Value) -> bool {
    v.as_f64()
        .is_some_and(|f| f.is_finite() && f.fract() == 0.0)
}

/// Collects zod issues (`{path, message}`).
#[derive(Default)]
struct Issues(Vec<Value>);

impl Issues {
    fn push(&mut self, path: &str, message: String) {
        self.0.push(json!({"path": path, "message": message}));
    }
    fn expected(&mut self, path: &str, expected: &str, got: &Value) {
        self.push(
            path,
            format!("Expected {expected}, received {}", zod_type(got)),
        );
    }
    fn number(&mut self, path: &str, v: &Value) -> bool {
        let ok = v.is_number();
        if !ok {
            self.expected(path, "number", v);
        }
        ok
    }
    fn int(&mut self, path: &str, v: &Value) -> bool {
        if !self.number(path, v) {
            return false;
        }
        let ok = is_int(v);
        if !ok {
            self.push(path, "Expected integer, received float".into());
        }
        ok
    }
}

/// Keeps the known keys of a nested object, typed; unknown keys are stripped.
fn keep_known(
    obj: &Map<String, Value>,
    path: &str,
    schema: &[(&str, Ty)],
    issues: &mut Issues,
) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, ty) in schema {
        let Some(v) = obj.get(*k) else { continue };
        let p = format!("{path}.{k}");
        let ok = match ty {
            Ty::Int => issues.int(&p, v),
            Ty::Number => issues.number(&p, v),
            Ty::NumberOrNull => v.is_null() || issues.number(&p, v),
            Ty::Strings => match v.as_array() {
                None => {
                    issues.expected(&p, "array", v);
                    false
                }
                Some(items) => {
                    let before = issues.0.len();
                    for (i, item) in items.iter().enumerate() {
                        if !item.is_string() {
                            issues.expected(&format!("{p}.{i}"), "string", item);
                        }
                    }
                    issues.0.len() == before
                }
            },
        };
        if ok {
            out.insert((*k).to_owned(), v.clone());
        }
    }
    out
}

/// A session end as the backend's schema keeps it: `sessionId` a string (non-empty here),
/// `endedAt`/`closeAnchorAtMs`/`totalBackgroundTimeMs` numbers, `endReason` 1–64 chars,
/// `lifecycleVersion` an integer ≥ 1, `isSampledIn` a bool, `sdkVersion` ≤ 50 chars,
/// `metrics` and `sdkTelemetry` objects whose counters are integers. Unknown keys, at any
/// level, are stripped. A refusal is zod's: 400 with a `details` list naming each path.
pub(crate) fn check_session_end(body: &Value) -> Result<Value, Refusal> {
    let empty = Map::new();
    let obj = body.as_object().unwrap_or(&empty);
    let mut issues = Issues::default();
    let mut out = Map::new();
    match obj.get("sessionId") {
        None => issues.push("sessionId", "Required".into()),
        Some(Value::String(s)) if !s.is_empty() => {
            out.insert("sessionId".into(), json!(s));
        }
        Some(Value::String(_)) => issues.push(
            "sessionId",
            "String must contain at least 1 character(s)".into(),
        ),
        Some(v) => issues.expected("sessionId", "string", v),
    }
    for &k in END_FIELDS {
        let Some(v) = obj.get(k) else { continue };
        let ok = match k {
            "endedAt" | "closeAnchorAtMs" | "totalBackgroundTimeMs" => issues.number(k, v),
            "endReason" => match v.as_str().map(|r| r.chars().count()) {
                None => {
                    issues.expected(k, "string", v);
                    false
                }
                Some(0) => {
                    issues.push(k, "String must contain at least 1 character(s)".into());
                    false
                }
                Some(n) if n > 64 => {
                    issues.push(k, "String must contain at most 64 character(s)".into());
                    false
                }
                Some(_) => true,
            },
            "isSampledIn" => {
                let ok = v.is_boolean();
                if !ok {
                    issues.expected(k, "boolean", v);
                }
                ok
            }
            "sdkVersion" => match v.as_str() {
                None => {
                    issues.expected(k, "string", v);
                    false
                }
                Some(s) if s.chars().count() > 50 => {
                    issues.push(k, "String must contain at most 50 character(s)".into());
                    false
                }
                Some(_) => true,
            },
            "lifecycleVersion" => {
                let ok = issues.int(k, v) && v.as_f64().is_some_and(|n| n >= 1.0);
                if !ok && is_int(v) {
                    issues.push(k, "Number must be greater than or equal to 1".into());
                }
                ok
            }
            "metrics" | "sdkTelemetry" => {
                let Some(m) = v.as_object() else {
                    issues.expected(k, "object", v);
                    continue;
                };
                let schema = if k == "metrics" { METRICS } else { TELEMETRY };
                let kept = keep_known(m, k, schema, &mut issues);
                out.insert(k.to_owned(), Value::Object(kept));
                continue;
            }
            _ => continue,
        };
        if ok {
            out.insert(k.to_owned(), v.clone());
        }
    }
    if issues.0.is_empty() {
        Ok(Value::Object(out))
    } else {
        Err((
            400,
            json!({"error": "Validation Error", "message": "Invalid request data",
                "details": issues.0}),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_end_strips_unknown_keys_and_wants_integers() {
        let kept = check_session_end(&json!({"sessionId": "s", "endedAt": 5, "junk": 1,
            "metrics": {"touchCount": 2, "other": 1, "uxScore": 1.5},
            "sdkTelemetry": {"capture": {}, "lastRetryTime": null, "crashCount": 1.0}}))
        .unwrap();
        assert_eq!(
            kept,
            json!({"sessionId": "s", "endedAt": 5,
            "metrics": {"touchCount": 2, "uxScore": 1.5},
            "sdkTelemetry": {"lastRetryTime": null, "crashCount": 1.0}})
        );
        let (status, body) = check_session_end(&json!({"sessionId": "s",
            "metrics": {"touchCount": 1.5, "screensVisited": ["A", 3]},
            "sdkTelemetry": {"uploadSuccessRate": "1"}, "endReason": ""}))
        .unwrap_err();
        assert_eq!(status, 400);
        let paths: Vec<&str> = body["details"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|d| d["path"].as_str())
            .collect();
        assert_eq!(
            paths,
            [
                "endReason",
                "metrics.touchCount",
                "metrics.screensVisited.1",
                "sdkTelemetry.uploadSuccessRate"
            ],
            "in the schema's order, as zod reports them"
        );
        assert_eq!(
            body["details"][1]["message"],
            "Expected integer, received float"
        );
        assert_eq!(
            check_session_end(&json!({})).unwrap_err().1["details"][0],
            json!({"path": "sessionId", "message": "Required"})
        );
    }
}
