//! Scripted misbehaviour for tests: per-route queues of faults (statuses, Retry-After, 202,
//! skipUpload answers, the kill switch, resets, stalls, garbage, huge and slow bodies, expired
//! presigned URLs), each consumed by the next request to its route.

use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::net::TcpStream;
use std::sync::atomic::Ordering::Acquire;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use serde_json::json;

use crate::http::{write_head, Response};
use crate::{lock, reset, Inner, Route};

/// A scripted misbehaviour, consumed by the next request to its route.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Answer with this status and a small JSON error body.
    Status(u16),
    /// This status with `Retry-After: <secs>`.
    RetryAfterSecs(u16, u64),
    /// This status with `Retry-After: <HTTP date>`.
    RetryAfterDate(u16, SystemTime),
    /// `202 {"retryAfter": N}`.
    Accepted202 { retry_after_secs: u64 },
    /// `200 {"skipUpload": true}`: not sampled in.
    SkipUpload,
    /// `402`: billing blocked.
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
    /// Handle the request normally. Queued ahead of another fault, it lets the first
    /// requests through so the fault lands on a chosen later one, with no race against
    /// a fast client.
    Pass,
    /// Handle the request normally, but the presigned URL it issues is already expired
    /// (its PUT answers 403).
    ExpireNextPut,
    /// `200 {"skipUpload": true, "reason": <reason>}`: a policy skip with the backend's
    /// words ("Recording disabled for project", "Replay quota reached …", "Recording limit
    /// exceeded …", "Session sampled out - …").
    SkipWithReason(String),
    /// `200 {"skipUpload": true, "deduplicated": true, "reason": "Already processed"}`.
    Duplicate,
    /// `403 {"error": "FORBIDDEN", "message": "Rejourney is disabled for this project"}`.
    ProjectDisabled,
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

/// Applies a fault. Returns the response to send, or `None` when the fault already dealt
/// with the connection.
pub(crate) fn injected(inner: &Inner, fault: Fault, stream: &mut TcpStream) -> Option<Response> {
    match fault {
        Fault::Status(s) => Some(Response::error(s, "injected fault")),
        Fault::RetryAfterSecs(s, secs) => {
            Some(Response::error(s, "injected fault").with_header("Retry-After", &secs.to_string()))
        }
        Fault::RetryAfterDate(s, when) => Some(
            Response::error(s, "injected fault")
                .with_header("Retry-After", &httpdate::fmt_http_date(when)),
        ),
        Fault::Accepted202 { retry_after_secs } => Some(Response::json(
            202,
            &json!({ "retryAfter": retry_after_secs }),
        )),
        Fault::SkipUpload => Some(Response::json(
            200,
            &json!({ "skipUpload": true, "reason": "not_sampled" }),
        )),
        Fault::SkipWithReason(reason) => Some(Response::json(
            200,
            &json!({ "skipUpload": true, "reason": reason }),
        )),
        Fault::Duplicate => Some(Response::json(
            200,
            &json!({ "skipUpload": true, "deduplicated": true, "reason": "Already processed" }),
        )),
        Fault::ProjectDisabled => Some(project_disabled()),
        Fault::PaymentRequired => Some(Response::error(402, "billing blocked")),
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
        Fault::ExpireNextPut | Fault::Pass => unreachable!("handled by the caller"),
    }
}
