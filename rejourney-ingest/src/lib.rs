//! A local ingest server that speaks the Rejourney ingest protocol (`docs/PROTOCOL.md`):
//! device auth, segment presign / PUT / complete, events presign / PUT / batch complete,
//! session end, faults and remote config. It enforces the backend's contract ([`contract`]:
//! fault and session-end schemas, `Idempotency-Key` states, per-upload `skipUpload`, the kill
//! switch, what events count for), stores artifacts per session on disk, and verifies every
//! frame bundle with the strict parser; the handlers are in [`routes`]. For tests it injects faults per route: status
//! codes, `Retry-After`, 202 `retryAfter`, `skipUpload`, resets, stalls, garbage, huge and
//! slow-dripping bodies, and expired presigned URLs.
//!
//! One thread per connection, one request per connection: simple, and every fault is exact.

mod contract;
mod faults;
mod http;
mod routes;

use faults::injected;
pub use faults::{Fault, Faults};
use routes::{complete, device_auth, fault_report, presign, put, session_end};

use contract::IdempotencyStore;
pub use contract::{KeyState, SessionSummary};

use std::collections::{HashMap, HashSet};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::*};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use http::{read_request, write_response, ReadError, Request, Response};

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
