//! A local ingest server that speaks the Rejourney ingest protocol (`PROTOCOL.md`): device
//! auth, segment presign / PUT / complete, events presign / PUT / batch complete, session end,
//! faults and remote config. It validates bodies like the real backend (400 on missing
//! fields), stores artifacts per session on disk, honours `Idempotency-Key`, and verifies
//! every frame bundle with the strict parser. For tests it injects faults per route: status
//! codes, `Retry-After`, 202 `retryAfter`, `skipUpload`, resets, stalls, garbage, huge and
//! slow-dripping bodies, and expired presigned URLs.
//!
//! One thread per connection, one request per connection: simple, and every fault is exact.

mod contract;
mod http;

use contract::{check_fault, check_session_end, platform_from_user_agent, IdempotencyStore};
pub use contract::{KeyState, SessionSummary};

use std::collections::{HashMap, HashSet, VecDeque};
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::*};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use rejourney_core::bundle::{parse_bundle, ParseLimits};
use serde_json::{json, Value};

use http::{read_request, write_head, write_response, ReadError, Request, Response};

/// Most connections served at once; more are closed at accept.
const MAX_CONNECTIONS: usize = 128;

/// Server settings.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Default `127.0.0.1:0` (an ephemeral port on loopback).
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    /// If set, `x-rejourney-key` must match (else 401).
    pub api_key: Option<String>,
    /// Largest request body; larger is a 413. Default 64 MiB.
    pub max_body_bytes: usize,
}

impl ServerOptions {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: data_dir.into(),
            api_key: None,
            max_body_bytes: 64 << 20,
        }
    }
}

/// The protocol's routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    DeviceAuth,
    SegmentPresign,
    SegmentPut,
    SegmentComplete,
    EventsPresign,
    EventsPut,
    BatchComplete,
    SessionEnd,
    Fault,
    SdkConfig,
}

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
fn project_disabled() -> Response {
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
    fn take(&self, route: Route) -> Option<Fault> {
        lock(&self.queues)
            .get_mut(&route)
            .and_then(|q| q.pop_front())
    }
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct RequestRecord {
    pub route: Route,
    pub method: String,
    pub path: String,
    pub api_key: Option<String>,
    pub upload_token: Option<String>,
    pub session_id: Option<String>,
    pub idempotency_key: Option<String>,
    pub content_type: Option<String>,
    pub body_len: usize,
    /// The parsed body of JSON routes.
    pub json: Option<Value>,
    /// The status sent; `None` for resets and stalls.
    pub status: Option<u16>,
    pub received: Instant,
}

/// A completed artifact.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredArtifact {
    pub session_id: String,
    /// `screenshots`, `hierarchy` or `events`.
    pub kind: String,
    pub batch_id: String,
    pub idempotency_key: Option<String>,
    pub size_bytes: u64,
    /// Frames in a bundle, events in a batch.
    pub frame_count: u64,
    pub start_time: u64,
    pub end_time: u64,
    pub path: PathBuf,
}

/// Counters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServerStats {
    pub requests: HashMap<String, u64>,
    pub artifacts: HashMap<String, u64>,
    pub duplicates_suppressed: u64,
    pub bundles_rejected: u64,
    pub frames_stored: u64,
    pub sessions_ended: u64,
    pub faults_recorded: u64,
    /// Fault reports refused for their shape (400).
    pub faults_rejected: u64,
    /// Fault reports whose incident id was already stored.
    pub faults_deduplicated: u64,
}

#[derive(Debug)]
struct Batch {
    session_id: String,
    kind: String,
    idempotency_key: Option<String>,
    start_time: u64,
    end_time: u64,
    expired: bool,
    uploaded: Option<(PathBuf, u64, u64)>,
    completed: bool,
}

#[derive(Debug, Default)]
struct State {
    tokens: HashSet<String>,
    batches: HashMap<String, Batch>,
    idempotency: IdempotencyStore,
    /// Incident ids of stored faults (dedup), bounded.
    incidents: HashSet<String>,
    /// What the backend would compute per session.
    summaries: HashMap<String, SessionSummary>,
    requests: Vec<RequestRecord>,
    artifacts: Vec<StoredArtifact>,
    stats: ServerStats,
    next_id: u64,
}

struct Inner {
    opts: ServerOptions,
    addr: SocketAddr,
    faults: Faults,
    state: Mutex<State>,
    stop: AtomicBool,
    down: AtomicBool,
    connections: AtomicUsize,
    /// Replay recording for the project (false: screenshot presigns answer skipUpload).
    recording_enabled: AtomicBool,
    /// The project's kill switch (presigns answer 403 "disabled").
    project_disabled: AtomicBool,
}

/// A running server; stops on [`IngestServer::shutdown`] or drop.
pub struct IngestServer {
    inner: Arc<Inner>,
    accept: Option<JoinHandle<()>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl IngestServer {
    /// Binds and starts serving; returns once listening.
    pub fn start(opts: ServerOptions) -> std::io::Result<Self> {
        std::fs::create_dir_all(&opts.data_dir)?;
        let listener = TcpListener::bind(opts.bind)?;
        let addr = listener.local_addr()?;
        let inner = Arc::new(Inner {
            opts,
            addr,
            faults: Faults::default(),
            state: Mutex::new(State::default()),
            stop: AtomicBool::new(false),
            down: AtomicBool::new(false),
            connections: AtomicUsize::new(0),
            recording_enabled: AtomicBool::new(true),
            project_disabled: AtomicBool::new(false),
        });
        let accept_inner = inner.clone();
        let accept = std::thread::Builder::new()
            .name("ingest-accept".into())
            .spawn(move || accept_loop(accept_inner, listener))?;
        Ok(Self {
            inner,
            accept: Some(accept),
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.inner.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.inner.addr
    }

    pub fn faults(&self) -> &Faults {
        &self.inner.faults
    }

    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.inner.state).requests.clone()
    }

    pub fn artifacts(&self) -> Vec<StoredArtifact> {
        lock(&self.inner.state).artifacts.clone()
    }

    pub fn stats(&self) -> ServerStats {
        lock(&self.inner.state).stats.clone()
    }

    /// While down, every connection is reset at once (an outage that still accepts TCP, like
    /// a crashed process behind a load balancer). For "connection refused", shut down.
    pub fn set_down(&self, down: bool) {
        self.inner.down.store(down, Release);
    }

    /// Replay on or off for the project, as the backend's `recordingEnabled`: off, screenshot
    /// presigns answer `skipUpload` "Recording disabled for project" while events, hierarchy,
    /// faults and session ends are accepted.
    pub fn set_recording_enabled(&self, enabled: bool) {
        self.inner.recording_enabled.store(enabled, Release);
    }

    /// The project's kill switch: presigns answer 403 "Rejourney is disabled for this project".
    pub fn set_project_disabled(&self, disabled: bool) {
        self.inner.project_disabled.store(disabled, Release);
    }

    /// Sets an `Idempotency-Key`'s state (to reproduce keys left over from an earlier run).
    pub fn set_idempotency(&self, key: &str, state: KeyState) {
        lock(&self.inner.state).idempotency.set(key, state);
    }

    pub fn idempotency(&self, key: &str) -> Option<KeyState> {
        lock(&self.inner.state).idempotency.get(key)
    }

    /// What the backend would have computed for a session (screens, counts, platform,
    /// faults, the session end as kept).
    pub fn session_summary(&self, session_id: &str) -> Option<SessionSummary> {
        lock(&self.inner.state).summaries.get(session_id).cloned()
    }

    /// Stops accepting and closes the listener.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.inner.stop.store(true, Release);
        // Wake the blocking accept.
        let _ = TcpStream::connect_timeout(&self.inner.addr, Duration::from_millis(200));
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

impl Drop for IngestServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn accept_loop(inner: Arc<Inner>, listener: TcpListener) {
    for conn in listener.incoming() {
        if inner.stop.load(Acquire) {
            return;
        }
        let Ok(stream) = conn else { continue };
        if inner.down.load(Acquire) || inner.connections.load(Acquire) >= MAX_CONNECTIONS {
            reset(stream);
            continue;
        }
        inner.connections.fetch_add(1, AcqRel);
        let conn_inner = inner.clone();
        let spawned = std::thread::Builder::new()
            .name("ingest-conn".into())
            .spawn(move || {
                serve(&conn_inner, stream);
                conn_inner.connections.fetch_sub(1, AcqRel);
            });
        if spawned.is_err() {
            inner.connections.fetch_sub(1, AcqRel);
        }
    }
}

fn reset(stream: TcpStream) {
    let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
    drop(stream);
}

fn route_of(method: &str, path: &str) -> Option<Route> {
    Some(match (method, path) {
        ("POST", "/api/ingest/auth/device") => Route::DeviceAuth,
        ("POST", "/api/ingest/segment/presign") => Route::SegmentPresign,
        ("POST", "/api/ingest/segment/complete") => Route::SegmentComplete,
        ("POST", "/api/ingest/presign") => Route::EventsPresign,
        ("POST", "/api/ingest/batch/complete") => Route::BatchComplete,
        ("POST", "/api/ingest/session/end") => Route::SessionEnd,
        ("POST", "/api/ingest/fault") => Route::Fault,
        ("GET" | "POST", "/api/sdk/config") => Route::SdkConfig,
        ("PUT", p) if p.starts_with("/upload/segment/") => Route::SegmentPut,
        ("PUT", p) if p.starts_with("/upload/events/") => Route::EventsPut,
        _ => return None,
    })
}

fn serve(inner: &Inner, mut stream: TcpStream) {
    let req = match read_request(&stream, inner.opts.max_body_bytes) {
        Ok(r) => r,
        Err(ReadError::TooLarge(_)) => {
            let _ = write_response(&mut stream, &Response::error(413, "body too large"));
            return;
        }
        Err(ReadError::Malformed(m)) => {
            let _ = write_response(&mut stream, &Response::error(400, m));
            return;
        }
        Err(ReadError::Io(_)) => return,
    };
    let Some(route) = route_of(&req.method, &req.path) else {
        let _ = write_response(&mut stream, &Response::error(404, "no such route"));
        return;
    };
    let json = if req.method == "POST" {
        serde_json::from_slice::<Value>(&req.body).ok()
    } else {
        None
    };
    let record_index = {
        let mut st = lock(&inner.state);
        *st.stats.requests.entry(format!("{route:?}")).or_default() += 1;
        st.requests.push(RequestRecord {
            route,
            method: req.method.clone(),
            path: req.path.clone(),
            api_key: req.header("x-rejourney-key").map(str::to_owned),
            upload_token: req.header("x-upload-token").map(str::to_owned),
            session_id: req.header("x-session-id").map(str::to_owned),
            idempotency_key: req.header("idempotency-key").map(str::to_owned),
            content_type: req.header("content-type").map(str::to_owned),
            body_len: req.body.len(),
            json: json.clone(),
            status: None,
            received: Instant::now(),
        });
        st.requests.len() - 1
    };
    let response = match inner.faults.take(route) {
        None | Some(Fault::Pass) => handle(inner, route, &req, json.as_ref(), false),
        Some(Fault::ExpireNextPut) => handle(inner, route, &req, json.as_ref(), true),
        Some(fault) => match injected(inner, fault, &mut stream) {
            Some(r) => r,
            None => return,
        },
    };
    lock(&inner.state).requests[record_index].status = Some(response.status);
    let _ = write_response(&mut stream, &response);
}

/// Applies a fault. Returns the response to send, or `None` when the fault already dealt
/// with the connection.
fn injected(inner: &Inner, fault: Fault, stream: &mut TcpStream) -> Option<Response> {
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

fn str_field<'a>(v: Option<&'a Value>, k: &str) -> Option<&'a str> {
    v?.get(k)?.as_str().filter(|s| !s.is_empty())
}

fn num_field(v: Option<&Value>, k: &str) -> Option<u64> {
    let x = v?.get(k)?;
    x.as_u64().or_else(|| {
        x.as_f64()
            .filter(|f| f.is_finite() && *f >= 0.0)
            .map(|f| f as u64)
    })
}

fn handle(
    inner: &Inner,
    route: Route,
    req: &Request,
    body: Option<&Value>,
    expire: bool,
) -> Response {
    if let Some(key) = &inner.opts.api_key {
        if req.header("x-rejourney-key") != Some(key.as_str())
            && !matches!(route, Route::SegmentPut | Route::EventsPut)
        {
            return Response::error(401, "bad x-rejourney-key");
        }
    }
    match route {
        Route::DeviceAuth => device_auth(inner, body),
        Route::SdkConfig => Response::json(
            200,
            &json!({ "enabled": true, "sampleRate": 100, "captureIntervalMs": 1000, "maxSessionMinutes": 60 }),
        ),
        Route::SegmentPut | Route::EventsPut => put(inner, req),
        _ => {
            let token_ok = req
                .header("x-upload-token")
                .is_some_and(|t| lock(&inner.state).tokens.contains(t));
            if !token_ok {
                return Response::error(401, "missing or unknown x-upload-token");
            }
            if body.is_none() {
                return Response::error(400, "body must be JSON");
            }
            match route {
                Route::SegmentPresign => presign(inner, req, body, true, expire),
                Route::EventsPresign => presign(inner, req, body, false, expire),
                Route::SegmentComplete => complete(inner, req, body, "segmentId"),
                Route::BatchComplete => complete(inner, req, body, "batchId"),
                Route::SessionEnd => session_end(inner, body),
                _ => fault_report(inner, body),
            }
        }
    }
}

fn device_auth(inner: &Inner, body: Option<&Value>) -> Response {
    if str_field(body, "deviceId").is_none() {
        return Response::error(400, "deviceId is required");
    }
    let token = format!("upl_{:016x}", fastrand::u64(..));
    lock(&inner.state).tokens.insert(token.clone());
    Response::json(200, &json!({ "uploadToken": token, "expiresIn": 3600 }))
}

fn presign(
    inner: &Inner,
    req: &Request,
    body: Option<&Value>,
    segment: bool,
    expire: bool,
) -> Response {
    let Some(session) = str_field(body, "sessionId") else {
        return Response::error(400, "sessionId is required");
    };
    let kind = if segment {
        match str_field(body, "kind") {
            Some(k @ ("screenshots" | "hierarchy")) => k.to_owned(),
            _ => return Response::error(400, "kind must be screenshots or hierarchy"),
        }
    } else {
        if str_field(body, "contentType") != Some("events")
            || num_field(body, "batchNumber").is_none()
        {
            return Response::error(400, "contentType events and batchNumber are required");
        }
        "events".to_owned()
    };
    if num_field(body, "sizeBytes").is_none() || (segment && num_field(body, "startTime").is_none())
    {
        return Response::error(400, "sizeBytes and startTime are required");
    }
    let key = req.header("idempotency-key").map(str::to_owned);
    let mut st = lock(&inner.state);
    // The backend reads the key first: done → a duplicate, processing → come back later
    // (for as long as the key lives: only a complete call carrying it finishes it).
    match key.as_deref().and_then(|k| st.idempotency.get(k)) {
        Some(KeyState::Done) => {
            return Response::json(
                200,
                &json!({"skipUpload": true, "deduplicated": true, "sessionId": session,
                    "reason": "Already processed"}),
            )
        }
        Some(KeyState::Processing) => {
            return Response::json(202, &json!({"message": "Processing", "retryAfter": 5}))
        }
        None => {}
    }
    if inner.project_disabled.load(Acquire) {
        return project_disabled();
    }
    if segment && kind == "screenshots" && !inner.recording_enabled.load(Acquire) {
        return Response::json(
            200,
            &json!({"skipUpload": true, "sessionId": session,
                "reason": "Recording disabled for project"}),
        );
    }
    // The session's platform: the presign's own field, else the user agent.
    let platform = str_field(body, "platform")
        .map(str::to_ascii_lowercase)
        .or_else(|| req.header("user-agent").and_then(platform_from_user_agent));
    let summary = st.summaries.entry(session.to_owned()).or_default();
    if summary.platform.is_none() {
        summary.platform = platform;
    }
    st.next_id += 1;
    let batch_id = format!("b{:06}{:08x}", st.next_id, fastrand::u32(..));
    let start = num_field(body, "startTime").unwrap_or(0);
    st.batches.insert(
        batch_id.clone(),
        Batch {
            session_id: session.to_owned(),
            kind: kind.clone(),
            idempotency_key: key.clone(),
            start_time: start,
            end_time: num_field(body, "endTime").unwrap_or(start),
            expired: false,
            uploaded: None,
            completed: false,
        },
    );
    if let Some(k) = &key {
        st.idempotency.set(k, KeyState::Processing);
    }
    if let Some(b) = st.batches.get_mut(&batch_id) {
        b.expired = expire;
    }
    let prefix = if segment { "segment" } else { "events" };
    let url = format!(
        "http://{}/upload/{prefix}/{batch_id}?sig={:08x}",
        inner.addr,
        fastrand::u32(..)
    );
    Response::json(200, &json!({ "presignedUrl": url, "batchId": batch_id }))
}

/// Checks an uploaded body for its kind; returns the item count.
fn verify(kind: &str, body: &[u8]) -> Result<u64, String> {
    match kind {
        "screenshots" => parse_bundle(body, ParseLimits::default())
            .map(|f| f.len() as u64)
            .map_err(|e| e.to_string()),
        _ => {
            let mut raw = Vec::new();
            std::io::Read::read_to_end(
                &mut std::io::Read::take(flate2::read::GzDecoder::new(body), 64 << 20),
                &mut raw,
            )
            .map_err(|e| format!("gzip: {e}"))?;
            let v: Value = serde_json::from_slice(&raw).map_err(|e| format!("json: {e}"))?;
            match kind {
                "events" => verify_events(&v),
                "hierarchy" => verify_hierarchy(&v),
                _ => Ok(1),
            }
        }
    }
}

/// `{"events": [{"type": string, "timestamp": number, ...}], "deviceInfo": {...}}`.
fn verify_events(v: &Value) -> Result<u64, String> {
    let events = v
        .get("events")
        .and_then(Value::as_array)
        .ok_or("no events array")?;
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
fn verify_hierarchy(v: &Value) -> Result<u64, String> {
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

fn put(inner: &Inner, req: &Request) -> Response {
    let batch_id = req.path.rsplit('/').next().unwrap_or("").to_owned();
    let (session, kind) = {
        let st = lock(&inner.state);
        match st.batches.get(&batch_id) {
            None => return Response::error(404, "unknown upload"),
            Some(b) if b.expired => return Response::error(403, "presigned URL expired"),
            Some(b) => (b.session_id.clone(), b.kind.clone()),
        }
    };
    let items = match verify(&kind, &req.body) {
        Ok(n) => n,
        Err(e) => {
            lock(&inner.state).stats.bundles_rejected += 1;
            return Response::error(400, &format!("invalid {kind} body: {e}"));
        }
    };
    let dir = inner.opts.data_dir.join(safe(&session)).join(&kind);
    let path = dir.join(format!("{batch_id}.gz"));
    if let Err(e) = write_atomic(&dir, &path, &req.body) {
        return Response::error(500, &format!("storage: {e}"));
    }
    if let Some(b) = lock(&inner.state).batches.get_mut(&batch_id) {
        b.uploaded = Some((path, req.body.len() as u64, items));
    }
    Response::json(200, &json!({}))
}

/// A session id usable as a directory name.
fn safe(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn write_atomic(dir: &Path, path: &Path, body: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, body)?;
    std::fs::rename(tmp, path)
}

fn complete(inner: &Inner, req: &Request, body: Option<&Value>, id_field: &str) -> Response {
    let Some(batch_id) = str_field(body, id_field) else {
        return Response::error(400, &format!("{id_field} is required"));
    };
    if str_field(body, "sessionId").is_none() {
        return Response::error(400, "sessionId is required");
    }
    let mut st = lock(&inner.state);
    let Some(b) = st.batches.get_mut(batch_id) else {
        return Response::error(404, "unknown batch");
    };
    let Some((path, size, items)) = b.uploaded.clone() else {
        return Response::error(400, "nothing was uploaded for this batch");
    };
    let repeated = std::mem::replace(&mut b.completed, true);
    // The complete call finishes the key it carries (without reading it), every time.
    if let Some(k) = req.header("idempotency-key") {
        st.idempotency.set(k, KeyState::Done);
    }
    if repeated {
        st.stats.duplicates_suppressed += 1;
        return Response::json(200, &json!({ "success": true, "duplicate": true }));
    }
    let b = match st.batches.get(batch_id) {
        Some(b) => b,
        None => return Response::error(404, "unknown batch"),
    };
    let artifact = StoredArtifact {
        session_id: b.session_id.clone(),
        kind: b.kind.clone(),
        batch_id: batch_id.to_owned(),
        idempotency_key: b.idempotency_key.clone(),
        size_bytes: size,
        frame_count: items,
        start_time: b.start_time,
        end_time: b.end_time,
        path,
    };
    *st.stats.artifacts.entry(artifact.kind.clone()).or_default() += 1;
    if artifact.kind == "screenshots" {
        st.stats.frames_stored += items;
    }
    if artifact.kind == "events" {
        if let Some(batch) = read_gzip_json(&artifact.path) {
            st.summaries
                .entry(artifact.session_id.clone())
                .or_default()
                .add_batch(&batch);
        }
    }
    st.artifacts.push(artifact);
    Response::json(200, &json!({ "success": true }))
}

fn session_end(inner: &Inner, body: Option<&Value>) -> Response {
    let kept = match check_session_end(body.unwrap_or(&Value::Null)) {
        Ok(k) => k,
        Err((status, body)) => return Response::json(status, &body),
    };
    let session = kept["sessionId"].as_str().unwrap_or_default().to_owned();
    if kept["isSampledIn"] == json!(false) {
        return Response::json(
            200,
            &json!({"success": true, "ignored": true, "reason": "client_sampled_out"}),
        );
    }
    let dir = inner.opts.data_dir.join(safe(&session));
    let text = serde_json::to_vec_pretty(&kept).unwrap_or_default();
    if let Err(e) = write_atomic(&dir, &dir.join("session-end.json"), &text) {
        return Response::error(500, &format!("storage: {e}"));
    }
    let start = session
        .strip_prefix("session_")
        .and_then(|r| r.split('_').next())
        .and_then(|s| s.parse::<u64>().ok());
    let ended = kept["endedAt"].as_u64();
    let background = kept["totalBackgroundTimeMs"].as_u64().unwrap_or(0);
    let duration = match (start, ended) {
        (Some(s), Some(e)) => e.saturating_sub(s).saturating_sub(background) / 1000,
        _ => 0,
    };
    let mut st = lock(&inner.state);
    st.stats.sessions_ended += 1;
    st.summaries.entry(session).or_default().end = Some(kept);
    Response::json(
        200,
        &json!({"success": true, "durationSeconds": duration,
            "backgroundTimeSeconds": background / 1000}),
    )
}

/// Reads a stored gzip JSON body (bounded).
fn read_gzip_json(path: &Path) -> Option<Value> {
    let file = std::fs::File::open(path).ok()?;
    let mut raw = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(flate2::read::GzDecoder::new(file), 64 << 20),
        &mut raw,
    )
    .ok()?;
    serde_json::from_slice(&raw).ok()
}

fn fault_report(inner: &Inner, body: Option<&Value>) -> Response {
    let body = body.unwrap_or(&Value::Null);
    let anr = match check_fault(body) {
        Ok(anr) => anr,
        Err((status, refusal)) => {
            lock(&inner.state).stats.faults_rejected += 1;
            return Response::json(status, &refusal);
        }
    };
    let session = body["sessionId"].as_str().unwrap_or_default().to_owned();
    let n = {
        let mut st = lock(&inner.state);
        if let Some(id) = body["incidentId"].as_str() {
            if !st.incidents.insert(id.to_owned()) {
                st.stats.faults_deduplicated += 1;
                return Response::json(200, &json!({"ok": true, "deduplicated": true}));
            }
            if st.incidents.len() > 100_000 {
                st.incidents.clear();
            }
        }
        st.stats.faults_recorded += 1;
        let summary = st.summaries.entry(session).or_default();
        if anr {
            summary.anrs += 1;
        } else {
            summary.crashes += 1;
        }
        st.stats.faults_recorded
    };
    let dir = inner.opts.data_dir.join("faults");
    let text = serde_json::to_vec_pretty(body).unwrap_or_default();
    if let Err(e) = write_atomic(&dir, &dir.join(format!("fault-{n:05}.json")), &text) {
        return Response::error(500, &format!("storage: {e}"));
    }
    Response::json(200, &json!({"ok": true}))
}
