//! Request schemas, checked the way the backend checks them (`routes/ingestFaults.ts`,
//! `routes/ingestUploads.ts`; the session end is `session_end.rs`) with its messages, so a client sees the
//! same 400s here as in production. Where the backend accepts something it then stores
//! wrongly (objects in `frames` become "[object Object]", a missing `sessionId` on the events
//! presign silently starts a new session) we refuse on purpose: the point of this server is to
//! catch such mistakes in tests. Pure functions of bodies.

use serde_json::{json, Value};

use crate::normalize::js_number;

/// Why a body is refused, as the backend answers it (status, JSON body).
pub type Refusal = (u16, Value);

pub(crate) fn bad_request(message: &str) -> Refusal {
    (400, json!({"error": "BAD_REQUEST", "message": message}))
}

/// Largest upload a presign may announce (`INGEST_MAX_OBJECT_BYTES`, 25 MiB by default).
pub(crate) const MAX_OBJECT_BYTES: u64 = 25 << 20;

/// The backend's answer to a presign announcing more than [`MAX_OBJECT_BYTES`].
pub(crate) fn too_large() -> Refusal {
    (
        413,
        json!({"error": "PAYLOAD_TOO_LARGE",
            "message": format!("Upload too large. Max allowed per upload is {MAX_OBJECT_BYTES} bytes."),
            "details": {"maxObjectBytes": MAX_OBJECT_BYTES}}),
    )
}

// ---------------------------------------------------------------------------------------
// Faults

/// A fault report as accepted.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FaultReport {
    pub session_id: String,
    /// `anr`, `app_not_responding` or `application_not_responding`; anything else is a crash.
    pub anr: bool,
    /// Trimmed, at most 128 characters; empty counts as none.
    pub incident_id: Option<String>,
    pub timestamp_ms: Option<f64>,
    /// The crash's exception name (`identifier`, default "Unknown").
    pub identifier: String,
    pub detail: Option<String>,
    /// ANR: `context.durationMs` (5000 when absent or zero, as the backend defaults it).
    pub duration_ms: u64,
}

/// The incident id as the backend normalises it: a trimmed string, at most 128 characters.
pub(crate) fn incident_id(v: Option<&Value>) -> Option<String> {
    let id = v?.as_str()?.trim();
    (!id.is_empty()).then(|| id.chars().take(128).collect())
}

/// `parseInt` of an ANR's `context.durationMs`: `None` when it would be NaN.
fn parse_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n
            .as_f64()
            .filter(|f| f.is_finite())
            .map(|f| f.trunc() as i64),
        Value::String(s) => {
            let t = s.trim_start();
            let (sign, digits) = match t.strip_prefix('-') {
                Some(rest) => (-1, rest),
                None => (1, t.strip_prefix('+').unwrap_or(t)),
            };
            let end = digits
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(digits.len());
            digits[..end].parse::<i64>().ok().map(|n| sign * n)
        }
        _ => None,
    }
}

/// A fault report: `category` (non-empty string) and `sessionId` (string) required, else the
/// backend's "Missing required fields" 400. `frames` an array of strings, `context` an
/// object (an ANR's `durationMs` a number or a numeric string, or the backend stores NaN),
/// `timestampMs` a number, `incidentId`, `identifier` and `detail` strings.
pub(crate) fn check_fault(body: &Value) -> Result<FaultReport, Refusal> {
    let text = |k: &str| {
        body.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let (Some(category), Some(session)) = (text("category"), text("sessionId")) else {
        return Err(bad_request("Missing required fields: category, sessionId"));
    };
    if let Some(f) = body.get("frames") {
        if !f.as_array().is_some_and(|a| a.iter().all(Value::is_string)) {
            return Err(bad_request(
                "frames must be an array of strings (the backend would store \"[object Object]\")",
            ));
        }
    }
    let context = body.get("context");
    if context.is_some_and(|c| !c.is_object()) {
        return Err(bad_request("context must be an object"));
    }
    if body.get("timestampMs").is_some_and(|t| !t.is_number()) {
        return Err(bad_request("timestampMs must be a number (epoch ms)"));
    }
    for k in ["incidentId", "identifier", "detail"] {
        if body.get(k).is_some_and(|v| !v.is_string() && !v.is_null()) {
            return Err(bad_request(&format!("{k} must be a string")));
        }
    }
    let category = category.to_ascii_lowercase();
    let anr = matches!(
        category.as_str(),
        "anr" | "app_not_responding" | "application_not_responding"
    );
    let mut duration_ms = 5000;
    if let Some(d) = context.and_then(|c| c.get("durationMs")) {
        if anr {
            match parse_int(d) {
                Some(n) if n > 0 => duration_ms = n as u64,
                Some(_) => {}
                None if d.is_null() || d == &json!("") || d == &json!(false) => {}
                None => {
                    return Err(bad_request(
                        "context.durationMs must be a number of ms (the backend would store NaN)",
                    ))
                }
            }
        }
    }
    Ok(FaultReport {
        session_id: session.to_owned(),
        anr,
        incident_id: incident_id(body.get("incidentId")),
        timestamp_ms: body.get("timestampMs").and_then(Value::as_f64),
        identifier: text("identifier").unwrap_or("Unknown").to_owned(),
        detail: text("detail").map(str::to_owned),
        duration_ms,
    })
}

// ---------------------------------------------------------------------------------------
// Presigns

/// A presign body, checked.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PresignRequest {
    pub session_id: String,
    /// `screenshots`, `hierarchy` or `events`.
    pub kind: String,
    pub size_bytes: u64,
    pub start_time: u64,
    pub end_time: Option<u64>,
    pub frame_count: Option<u64>,
    pub batch_number: Option<u64>,
    pub platform: Option<String>,
    /// The backend infers the platform from the user agent only without a `deviceModel`.
    pub has_device_model: bool,
    pub is_sampled_in: Option<bool>,
}

/// JavaScript truthiness of a body field (`!data.sessionId`).
fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(_) => true,
    }
}

/// `parseRequestedSizeBytes`: `Number(x)` finite and > 0.
fn size_bytes(body: &Value) -> Result<u64, Refusal> {
    let n = body.get("sizeBytes").map(js_number).unwrap_or(f64::NAN);
    if !n.is_finite() || n <= 0.0 {
        return Err(bad_request("sizeBytes must be a positive number"));
    }
    if !body["sizeBytes"].is_number() {
        return Err(bad_request("sizeBytes must be a JSON number"));
    }
    Ok(n.floor() as u64)
}

/// A non-negative whole JSON number (ms, counts).
fn count(body: &Value, k: &str) -> Result<Option<u64>, Refusal> {
    match body.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_f64() {
            Some(f) if f.is_finite() && f >= 0.0 => Ok(Some(f.floor() as u64)),
            _ => Err(bad_request(&format!("{k} must be a non-negative number"))),
        },
    }
}

fn common(body: &Value, session_id: String, kind: String) -> Result<PresignRequest, Refusal> {
    let is_sampled_in = match body.get("isSampledIn") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err(bad_request("isSampledIn must be a boolean")),
    };
    Ok(PresignRequest {
        session_id,
        kind,
        size_bytes: size_bytes(body)?,
        start_time: count(body, "startTime")?.unwrap_or(0),
        end_time: count(body, "endTime")?,
        frame_count: count(body, "frameCount")?,
        batch_number: count(body, "batchNumber")?,
        platform: body
            .get("platform")
            .and_then(Value::as_str)
            .filter(|p| !p.is_empty())
            .map(str::to_owned),
        has_device_model: truthy(body.get("deviceModel")),
        is_sampled_in,
    })
}

/// `POST /api/ingest/segment/presign`: `sessionId`, `kind`, `startTime`, `sizeBytes`
/// required; `sizeBytes` positive; `kind` `screenshots` or `hierarchy`.
pub(crate) fn check_segment_presign(body: &Value) -> Result<PresignRequest, Refusal> {
    if !truthy(body.get("sessionId"))
        || !truthy(body.get("kind"))
        || body.get("startTime").is_none()
        || body.get("sizeBytes").is_none()
    {
        return Err(bad_request(
            "Missing required fields: sessionId, kind, startTime, sizeBytes",
        ));
    }
    size_bytes(body)?;
    let kind = match body["kind"].as_str() {
        Some(k @ ("screenshots" | "hierarchy")) => k.to_owned(),
        _ => return Err(bad_request("kind must be \"screenshots\" or \"hierarchy\"")),
    };
    let Some(session) = body["sessionId"].as_str() else {
        return Err(bad_request("sessionId must be a string"));
    };
    if !body["startTime"].is_number() {
        return Err(bad_request("startTime must be a number (epoch ms)"));
    }
    common(body, session.to_owned(), kind)
}

/// `POST /api/ingest/presign`: `contentType`, `batchNumber` and `sizeBytes` required,
/// `sizeBytes` positive. Stricter than the backend: `contentType` must be `events` (it files
/// anything else as events) and `sessionId` is required (it would start a new session).
pub(crate) fn check_events_presign(body: &Value) -> Result<PresignRequest, Refusal> {
    if !truthy(body.get("contentType"))
        || body.get("batchNumber").is_none()
        || body.get("sizeBytes").is_none()
    {
        return Err(bad_request(
            "Missing required fields: contentType, batchNumber, sizeBytes",
        ));
    }
    size_bytes(body)?;
    if body["contentType"] != json!("events") {
        return Err(bad_request("contentType must be \"events\""));
    }
    let Some(session) = body
        .get("sessionId")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    else {
        return Err(bad_request(
            "sessionId is required (without it the backend starts a new session)",
        ));
    };
    let p = common(body, session.to_owned(), "events".into())?;
    if p.batch_number.is_none() {
        return Err(bad_request("batchNumber must be a non-negative number"));
    }
    Ok(p)
}

// ---------------------------------------------------------------------------------------
// Uploaded bodies

/// Checks an uploaded body for its kind; returns its item count (frames, events, nodes).
pub(crate) fn check_upload(kind: &str, body: &[u8]) -> Result<u64, String> {
    use rejourney_core::bundle::{parse_bundle, ParseLimits};
    if kind == "screenshots" {
        return parse_bundle(body, ParseLimits::default())
            .map(|f| f.len() as u64)
            .map_err(|e| e.to_string());
    }
    let raw = crate::storage::gunzip(body).map_err(|e| format!("gzip: {e}"))?;
    let v: Value = serde_json::from_slice(&raw).map_err(|e| format!("json: {e}"))?;
    match kind {
        "events" => check_events(&v),
        "hierarchy" => check_hierarchy(&v),
        _ => Ok(1),
    }
}

/// `{"events": [{"type": string, "timestamp": number, ...}], "deviceInfo": {...}}`: the
/// backend reads `payload.events`, so a bare array would count as no events at all.
pub(crate) fn check_events(v: &Value) -> Result<u64, String> {
    let events = v
        .get("events")
        .and_then(Value::as_array)
        .ok_or("no events array (the body must be {\"events\": [...], \"deviceInfo\": {...}})")?;
    if !v.get("deviceInfo").is_some_and(Value::is_object) {
        return Err("no deviceInfo object".into());
    }
    for (i, e) in events.iter().enumerate() {
        if !e.get("type").is_some_and(Value::is_string) {
            return Err(format!("event {i} has no string type"));
        }
        if !e.get("timestamp").is_some_and(Value::is_number) {
            return Err(format!("event {i} has no numeric timestamp"));
        }
    }
    Ok(events.len() as u64)
}

/// A snapshot: numeric `timestamp` and a `root` object whose nodes all have finite frames.
/// Walked with an explicit stack so a deep tree cannot overflow the server's stack.
pub(crate) fn check_hierarchy(v: &Value) -> Result<u64, String> {
    if !v.get("timestamp").is_some_and(Value::is_number) {
        return Err("no numeric timestamp".into());
    }
    let root = v.get("root").ok_or("no root")?;
    let mut stack = vec![root];
    let mut nodes = 0u64;
    while let Some(n) = stack.pop() {
        let obj = n.as_object().ok_or("node is not an object")?;
        nodes += 1;
        if let Some(frame) = obj.get("frame") {
            for k in ["x", "y", "width", "height"] {
                if !frame.get(k).is_some_and(Value::is_number) {
                    return Err(format!("node frame.{k} is not a number"));
                }
            }
        }
        if let Some(children) = obj.get("children") {
            stack.extend(children.as_array().ok_or("children is not an array")?);
        }
    }
    Ok(nodes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_need_category_and_session() {
        assert!(check_fault(&json!({"type": "crash", "sessionId": "s"})).is_err());
        assert!(check_fault(&json!({"category": "anr"})).is_err());
        let anr = check_fault(&json!({"category": " ANR ", "sessionId": "s",
            "context": {"durationMs": "5200"}}))
        .unwrap();
        assert!(anr.anr && anr.duration_ms == 5200);
        let crash = check_fault(&json!({"category": "signal", "sessionId": "s",
            "frames": ["a"], "incidentId": "  i-1 "}))
        .unwrap();
        assert!(!crash.anr);
        assert_eq!(crash.incident_id.as_deref(), Some("i-1"));
        assert_eq!(crash.identifier, "Unknown");
        for bad in [
            json!({"category": "x", "sessionId": "s", "frames": [{}]}),
            json!({"category": "x", "sessionId": "s", "frames": "at a"}),
            json!({"category": "x", "sessionId": "s", "context": []}),
            json!({"category": "x", "sessionId": "s", "timestampMs": "5"}),
            json!({"category": "x", "sessionId": "s", "incidentId": 5}),
            json!({"category": "anr", "sessionId": "s", "context": {"durationMs": "slow"}}),
        ] {
            assert_eq!(check_fault(&bad).map_err(|r| r.0), Err(400), "{bad}");
        }
        assert_eq!(
            check_fault(&json!({"category": "anr", "sessionId": "s"})).map(|f| f.duration_ms),
            Ok(5000)
        );
    }

    #[test]
    fn presigns_use_the_backends_messages() {
        let seg = json!({"sessionId": "s", "kind": "screenshots", "startTime": 1, "sizeBytes": 9});
        assert_eq!(check_segment_presign(&seg).unwrap().size_bytes, 9);
        let mut no_kind = seg.clone();
        no_kind["kind"] = json!("");
        assert_eq!(
            check_segment_presign(&no_kind).unwrap_err().1["message"],
            "Missing required fields: sessionId, kind, startTime, sizeBytes"
        );
        let mut zero = seg.clone();
        zero["sizeBytes"] = json!(0);
        assert_eq!(
            check_segment_presign(&zero).unwrap_err().1["message"],
            "sizeBytes must be a positive number"
        );
        let mut video = seg;
        video["kind"] = json!("video");
        assert_eq!(
            check_segment_presign(&video).unwrap_err().1["message"],
            "kind must be \"screenshots\" or \"hierarchy\""
        );
        assert_eq!(
            check_events_presign(
                &json!({"sessionId": "s", "contentType": "events", "sizeBytes": 1})
            )
            .unwrap_err()
            .1["message"],
            "Missing required fields: contentType, batchNumber, sizeBytes"
        );
    }
}
