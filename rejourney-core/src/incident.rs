//! Crash and ANR reports for `POST /api/ingest/fault`, in the backend's shape
//! (`routes/ingestFaults.ts`): `category` and `sessionId` are required (else 400),
//! `identifier` / `detail` name the incident, `frames` is an array of strings, `context`
//! carries the ANR's `durationMs` and `threadState`, and `incidentId` lets the backend count
//! one incident once (the ANR also enters the event stream with the same id).

use serde_json::{json, Value};

/// Stack lines kept per incident, and characters per line.
const MAX_FRAMES: usize = 256;
const MAX_FRAME_CHARS: usize = 1024;

/// A fresh incident id (128 random bits, hex).
pub fn new_incident_id() -> String {
    format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

fn cut(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// A stack trace as the backend wants it: one string per non-empty line, bounded.
pub fn frames(stack: &str) -> Vec<String> {
    stack
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(MAX_FRAMES)
        .map(|l| cut(l, MAX_FRAME_CHARS))
        .collect()
}

/// A crash: `identifier` is the exception or signal name, `detail` its message.
pub fn crash_body(
    incident_id: &str,
    session_id: &str,
    ts_ms: u64,
    name: &str,
    reason: &str,
    stack: &str,
    context: Value,
) -> Value {
    json!({
        "incidentId": incident_id,
        "sessionId": session_id,
        "timestampMs": ts_ms,
        "category": "exception",
        "identifier": if name.trim().is_empty() { "Unknown".to_owned() } else { cut(name, 256) },
        "detail": cut(reason, 4_096),
        "frames": frames(stack),
        "context": context,
    })
}

/// An ANR: the main thread did not answer for `duration_ms`.
pub fn anr_body(incident_id: &str, session_id: &str, ts_ms: u64, duration_ms: u64) -> Value {
    json!({
        "incidentId": incident_id,
        "sessionId": session_id,
        "timestampMs": ts_ms,
        "category": "anr",
        "identifier": "MainThreadFrozen",
        "detail": format!("Main thread unresponsive for {duration_ms}ms"),
        "frames": [],
        "context": {"durationMs": duration_ms, "threadState": "blocked"},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_carry_what_the_backend_requires() {
        let c = crash_body("i1", "s1", 5, "", "boom", "at a\n\n  at b  \n", json!({}));
        assert_eq!(c["category"], "exception");
        assert_eq!(c["sessionId"], "s1");
        assert_eq!(c["identifier"], "Unknown");
        assert_eq!(c["frames"], json!(["at a", "at b"]));
        let a = anr_body("i2", "s1", 6, 5200);
        assert_eq!(a["category"], "anr");
        assert_eq!(a["context"]["durationMs"], 5200);
        assert_eq!(frames(&"x\n".repeat(10_000)).len(), MAX_FRAMES);
        assert_ne!(new_incident_id(), new_incident_id());
    }
}
