//! Scripted misbehaviour for tests: per-route queues of faults (statuses, Retry-After, 202,
//! the backend's skipUpload answers, the kill switch, its 402 and 429, resets, stalls,
//! garbage, huge and slow bodies, expired presigned URLs), each consumed by the next request
//! to its route. The backend-shaped ones answer with its exact bodies, so the SDK is tested
//! against what production says, not against our idea of it.

use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::net::TcpStream;
use std::sync::atomic::Ordering::Acquire;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use serde_json::{json, Value};

use crate::http::{write_head, Response};
use crate::serve::reset;
use crate::{lock, Inner, Route};

/// A scripted misbehaviour, consumed by the next request to its route.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Answer with this status and a small JSON error body.
    Status(u16),
    /// This status with `Retry-After: <secs>`.
    RetryAfterSecs(u16, u64),
    /// This status with `Retry-After: <HTTP date>`.
    RetryAfterDate(u16, SystemTime),
    /// `202 {"message": "Processing", "retryAfter": N}` (the backend's answer for a key
    /// still `processing` has N = 5).
    Accepted202 { retry_after_secs: u64 },
    /// `200 {"skipUpload": true, "sessionId", "reason": "Session sampled out - recording
    /// disabled for this session"}`: the session is not wanted (same as
    /// `Skip(PolicySkip::SampledOut)`).
    SkipUpload,
    /// `402 {"error": "PAYMENT_REQUIRED", "message": "Payment failed - please update your
    /// payment method"}`: billing blocks recording (the backend answers it on a presign only,
    /// the first of a new session).
    PaymentRequired,
    /// Close the connection with a TCP reset, no response.
    Reset,
    /// Read the request, then send nothing for this long, then close.
    Stall(Duration),
    /// `200` with a body that is not JSON.
    Garbage,
    /// `200` with a body of this many bytes.
    Huge(usize),
    /// A `200` JSON body dripped at this rate (slowloris).
    SlowBody { bytes_per_sec: usize },
    /// Read the request, wait this long, then handle it normally: an upload in flight for a
    /// while, that still succeeds (the client may have given it up meanwhile).
    Delay(Duration),
    /// Handle the request normally. Queued ahead of another fault, it lets the first
    /// requests through so the fault lands on a chosen later one, with no race against
    /// a fast client.
    Pass,
    /// Handle the request normally, but the presigned URL it issues is already expired
    /// (its PUT answers 403).
    ExpireNextPut,
    /// `200 {"skipUpload": true, "sessionId", "reason": <reason>}`: a policy skip with any
    /// words (see [`Fault::Skip`] for the backend's own).
    SkipWithReason(String),
    /// `200 {"skipUpload": true, "sessionId", "reason": <the backend's words>}`: a policy skip
    /// on a presign, no `deduplicated` flag.
    Skip(PolicySkip),
    /// `200 {"skipUpload": true, "deduplicated": true, "sessionId", "reason": "Already
    /// processed"}`: the backend already has this upload (count it delivered).
    Duplicate,
    /// `403 {"error": "FORBIDDEN", "message": "Rejourney is disabled for this project"}`: the
    /// project's kill switch (unlike `Status(403)`, whose message says nothing of it).
    ProjectDisabled,
    /// This status with `{"error": <the backend's code for it>, "message": <message>}`: e.g.
    /// a 403 whose words are not the kill switch's.
    StatusWithMessage(u16, String),
    /// Handle the request normally (everything it does happens: a PUT is ingested, a
    /// complete marks its key done), then close the connection without answering: the
    /// answer is lost, as when the client is killed just after the server acted.
    HangUpAfterHandling,
    /// The backend's rate limiter: `429 {"error": "Too Many Requests", "message", "retryAfter":
    /// N}` with **no** `Retry-After` header — the wait is only in the body.
    RateLimited { retry_after_secs: u64 },
    /// A redirect: this status (301/302/303/307/308) with `Location: <location>` and an
    /// empty body. A client must not follow it anywhere (`docs/PROTOCOL.md`).
    Redirect { status: u16, location: String },
    /// Exactly these bytes as the body, with this status and a JSON content type: what a
    /// faulty or hostile server can say that `serde_json` cannot write (`1e400`, a lone
    /// `"\ud800"` escape, a presigned URL of any scheme).
    Raw { status: u16, body: Vec<u8> },
}

/// The backend's policy reasons for `skipUpload` on a presign (`routes/ingestUploads.ts`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicySkip {
    /// "Recording disabled for project": replay off; events, hierarchy and the end go on.
    RecordingDisabled,
    /// "Replay quota reached (U/L). Analytics will continue without replay."
    ReplayQuota { used: u64, limit: u64 },
    /// "Replay quota reached. Analytics will continue without replay." (a session that
    /// existed before the quota ran out).
    ReplayQuotaReached,
    /// "Recording limit exceeded (N minutes max)": replay stops for this session.
    RecordingLimit { minutes: u32 },
    /// "Session sampled out - recording disabled for this session": drop the session.
    SampledOut,
}

impl PolicySkip {
    /// The backend's `reason` text.
    pub fn reason(&self) -> String {
        match self {
            Self::RecordingDisabled => "Recording disabled for project".into(),
            Self::ReplayQuota { used, limit } => format!(
                "Replay quota reached ({used}/{limit}). Analytics will continue without replay."
            ),
            Self::ReplayQuotaReached => {
                "Replay quota reached. Analytics will continue without replay.".into()
            }
            Self::RecordingLimit { minutes } => {
                format!("Recording limit exceeded ({minutes} minutes max)")
            }
            Self::SampledOut => "Session sampled out - recording disabled for this session".into(),
        }
    }
}

/// `200 {"skipUpload": true, "sessionId", "reason"}`: a policy skip.
pub(crate) fn policy_skip(session_id: Option<&str>, reason: &str) -> Response {
    Response::json(
        200,
        &json!({"skipUpload": true, "sessionId": session_id, "reason": reason}),
    )
}

/// The backend's kill switch answer.
pub(crate) fn project_disabled() -> Response {
    Response::json(
        403,
        &json!({"error": "FORBIDDEN", "message": "Rejourney is disabled for this project"}),
    )
}

/// Per-route fault queues.
#[derive(Debug, Default)]
pub struct Faults {
    queues: Mutex<HashMap<Route, VecDeque<Fault>>>,
}

impl Faults {
    pub fn push(&self, route: Route, fault: Fault) {
        self.push_n(route, fault, 1);
    }
    pub fn push_n(&self, route: Route, fault: Fault, n: usize) {
        let mut q = lock(&self.queues);
        let q = q.entry(route).or_default();
        for _ in 0..n {
            q.push_back(fault.clone());
        }
    }
    pub fn clear(&self) {
        lock(&self.queues).clear();
    }
    /// Faults not yet consumed, over all routes.
    pub fn pending(&self) -> usize {
        lock(&self.queues).values().map(|q| q.len()).sum()
    }
    pub(crate) fn take(&self, route: Route) -> Option<Fault> {
        lock(&self.queues)
            .get_mut(&route)
            .and_then(|q| q.pop_front())
    }
}

/// Applies a fault to a request with JSON `body` (for the `sessionId` of skip answers).
/// Returns the response to send, or `None` when the fault already dealt with the connection.
pub(crate) fn injected(
    inner: &Inner,
    fault: Fault,
    body: Option<&Value>,
    stream: &mut TcpStream,
) -> Option<Response> {
    let session = body
        .and_then(|b| b.get("sessionId"))
        .and_then(Value::as_str);
    match fault {
        Fault::Status(s) => Some(Response::error(s, "injected fault")),
        Fault::StatusWithMessage(s, message) => Some(Response::error(s, &message)),
        Fault::RetryAfterSecs(s, secs) => {
            Some(Response::error(s, "injected fault").with_header("Retry-After", &secs.to_string()))
        }
        Fault::RetryAfterDate(s, when) => Some(
            Response::error(s, "injected fault")
                .with_header("Retry-After", &httpdate::fmt_http_date(when)),
        ),
        Fault::Accepted202 { retry_after_secs } => Some(Response::json(
            202,
            &json!({ "message": "Processing", "retryAfter": retry_after_secs }),
        )),
        Fault::SkipUpload => Some(policy_skip(session, &PolicySkip::SampledOut.reason())),
        Fault::SkipWithReason(reason) => Some(policy_skip(session, &reason)),
        Fault::Skip(skip) => Some(policy_skip(session, &skip.reason())),
        Fault::Duplicate => Some(crate::idempotency::duplicate(session)),
        Fault::ProjectDisabled => Some(project_disabled()),
        Fault::PaymentRequired => Some(Response::error(
            402,
            "Payment failed - please update your payment method",
        )),
        Fault::RateLimited { retry_after_secs } => Some(Response::json(
            429,
            &json!({"error": "Too Many Requests",
                "message": "Ingest rate limit exceeded for this project.",
                "retryAfter": retry_after_secs}),
        )),
        Fault::Redirect { status, location } => Some(Response {
            status,
            headers: vec![("Location".into(), location)],
            body: Vec::new(),
        }),
        Fault::Raw { status, body } => Some(Response {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body,
        }),
        Fault::Garbage => Some(Response {
            status: 200,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: b"<html>502 bad gateway</html>".to_vec(),
        }),
        Fault::Reset => {
            if let Ok(s) = stream.try_clone() {
                reset(s);
            }
            None
        }
        Fault::Stall(d) => {
            let until = Instant::now() + d;
            while Instant::now() < until && !inner.stop.load(Acquire) {
                std::thread::sleep(Duration::from_millis(20));
            }
            None
        }
        Fault::Huge(n) => {
            let _ = write_head(
                stream,
                200,
                &[("Content-Type".into(), "application/json".into())],
                n,
            );
            let chunk = vec![b' '; 64 * 1024];
            let mut left = n;
            while left > 0 && !inner.stop.load(Acquire) {
                let k = left.min(chunk.len());
                if stream.write_all(&chunk[..k]).is_err() {
                    break;
                }
                left -= k;
            }
            None
        }
        Fault::SlowBody { bytes_per_sec } => {
            // Valid JSON of the wrong shape: a client that waited it out still cannot use it.
            let body = br#"{"slow":"a body dripped a byte at a time to hold the client's connection open"}"#;
            let _ = write_head(
                stream,
                200,
                &[("Content-Type".into(), "application/json".into())],
                body.len(),
            );
            let pause = Duration::from_secs_f64(1.0 / bytes_per_sec.max(1) as f64);
            for b in body {
                if inner.stop.load(Acquire)
                    || stream
                        .write_all(&[*b])
                        .and_then(|_| stream.flush())
                        .is_err()
                {
                    break;
                }
                std::thread::sleep(pause);
            }
            None
        }
        Fault::ExpireNextPut | Fault::Pass | Fault::Delay(_) | Fault::HangUpAfterHandling => {
            unreachable!("handled by the caller")
        }
    }
}
