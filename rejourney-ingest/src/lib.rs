//! A local ingest server that speaks the Rejourney ingest protocol (`docs/PROTOCOL.md`):
//! device auth, segment presign / PUT / complete, events presign / PUT / batch complete,
//! session end, faults and remote config. It enforces the open-source backend's contract so
//! the SDK's tests catch protocol mistakes before production does:
//!
//! - schemas and messages: fault reports, the session end's zod schema
//!   (unknown keys stripped, counters integers), presign bodies, uploaded bodies;
//! - `Idempotency-Key` states per project ([`KeyState`]): presign reads them first and
//!   leaves the key `processing`, only a complete carrying it marks it `done`;
//! - per-upload `skipUpload` (replay disabled, recording limit, sampled out, duplicates),
//!   the project kill switch (403), the 413 for oversized uploads;
//! - what events *mean* ([`SessionSummary`]): screens, counters, frustration, API calls,
//!   the session's platform, crashes and ANRs deduplicated by incident id.
//!
//! It stores artifacts per session on disk and verifies every frame bundle with the strict
//! parser. Beside the protocol it serves development pages: `/` lists the stored sessions and
//! `/sessions/<id>` replays one (`pages`, `replay`); `rejourney-ingest replay` writes the same
//! player as one self-contained HTML file. For tests it injects faults per route ([`Fault`]). One thread per connection,
//! one request per connection: simple, and every fault is exact.

mod bounded;
mod events;
mod faults;
mod http;
mod idempotency;
mod incidents;
mod lifecycle;
mod normalize;
mod pages;
mod replay;
mod rollup;
mod serve;
mod session_end;
mod sessions;
mod storage;
mod stored;
mod uploads;
mod validate;

pub use events::SessionSummary;
pub use faults::{Fault, Faults, PolicySkip};
pub use idempotency::KeyState;
pub use replay::{
    page_data, render_replay, write_replay, ReplayError, ReplayOptions, ReplaySummary,
};
pub use sessions::{list_sessions, render_list, SessionRow, MAX_LISTED};
pub use stored::{load as load_session, session_ids, StoredError, StoredFile, StoredSession};

use std::collections::{HashMap, VecDeque};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering::*};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;

use bounded::BoundedMap;
use events::SessionState;
use idempotency::IdempotencyStore;
use incidents::Incidents;

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
    /// The project's `recordingEnabled` (default true). Off, screenshot presigns answer
    /// `skipUpload` "Recording disabled for project" while events, hierarchy, faults and
    /// session ends are accepted. Also [`IngestServer::set_recording_enabled`].
    pub recording_enabled: bool,
    /// The project's kill switch (default false): presigns answer 403 "Rejourney is disabled
    /// for this project". Also [`IngestServer::set_project_disabled`].
    pub project_disabled: bool,
    /// The project's `maxRecordingMinutes` (the backend's default is 10): a segment starting
    /// later than this after the session start, or ending later than it plus 2 minutes, is
    /// answered `skipUpload` "Recording limit exceeded (N minutes max)". `None`: no limit.
    pub max_recording_minutes: Option<u32>,
}

impl ServerOptions {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: data_dir.into(),
            api_key: None,
            max_body_bytes: 64 << 20,
            recording_enabled: true,
            project_disabled: false,
            max_recording_minutes: Some(10),
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
    /// `x-rejourney-key` / `x-api-key`, or `x-public-key` (remote config).
    pub api_key: Option<String>,
    /// `x-platform` and `x-bundle-id` (remote config).
    pub platform: Option<String>,
    pub bundle_id: Option<String>,
    pub upload_token: Option<String>,
    pub session_id: Option<String>,
    pub idempotency_key: Option<String>,
    pub content_type: Option<String>,
    pub user_agent: Option<String>,
    pub body_len: usize,
    /// The parsed body of JSON routes.
    pub json: Option<Value>,
    /// The status sent; `None` for resets and stalls.
    pub status: Option<u16>,
    pub received: Instant,
}

/// An ingested artifact (stored by its PUT, as the backend's upload relay does).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredArtifact {
    pub session_id: String,
    /// `screenshots`, `hierarchy` or `events`.
    pub kind: String,
    /// The batch id (events) or segment id (frames, hierarchy).
    pub batch_id: String,
    /// The key of the presign that issued its URL.
    pub idempotency_key: Option<String>,
    pub size_bytes: u64,
    /// Frames in a bundle, events in a batch, nodes in a snapshot.
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
    /// Complete calls repeated for an already completed upload.
    pub duplicates_suppressed: u64,
    /// PUTs repeated for an upload already stored (answered 204, nothing stored again).
    pub puts_already_stored: u64,
    pub bundles_rejected: u64,
    pub frames_stored: u64,
    /// Sessions ended (the first accepted end of each).
    pub sessions_ended: u64,
    /// Ends repeated for an ended session (answered with the first end's timing).
    pub session_end_repeats: u64,
    /// Ends answered `ignored` (`isSampledIn: false`).
    pub session_ends_ignored: u64,
    /// Fault reports stored (the first report of each incident).
    pub faults_recorded: u64,
    /// Fault reports refused for their shape (400).
    pub faults_rejected: u64,
    /// Fault reports answered `deduplicated: true` (the incident was known, from an earlier
    /// report or an `anr` event with its incident id).
    pub faults_deduplicated: u64,
    /// Distinct crash and ANR incidents, over all sessions (per session:
    /// [`SessionSummary::crashes`] / [`SessionSummary::anrs`]).
    pub crashes: u64,
    pub anrs: u64,
    /// Presigns the server itself answered `skipUpload`, by reason ("Already processed" for
    /// duplicates); injected faults are not counted.
    pub presign_skips: HashMap<String, u64>,
    /// Presigns answered 202 because their key was still `processing`.
    pub idempotency_processing: u64,
}

/// One presigned upload.
#[derive(Debug)]
pub(crate) struct Batch {
    pub session_id: String,
    pub kind: String,
    pub idempotency_key: Option<String>,
    pub start_time: u64,
    pub end_time: u64,
    /// The URL issued last is already expired (its PUT answers 403).
    pub expired: bool,
    /// Stored body: path, bytes, items.
    pub uploaded: Option<(PathBuf, u64, u64)>,
    pub completed: bool,
}

/// Entries kept at most in each client-fed table.
const MAX_ENTRIES: usize = 100_000;
/// Bytes of request bodies whose parsed JSON the request log keeps, in total: past it the
/// oldest records lose their parsed body (the record itself stays). Without it 100 000 records
/// of 5 MB bodies could hold hundreds of GB.
const MAX_LOGGED_JSON_BYTES: usize = 32 << 20;
/// Sessions tracked at most (each holds its screens, taps and incidents).
const MAX_SESSIONS: usize = 10_000;

#[derive(Debug)]
pub(crate) struct State {
    pub tokens: BoundedMap<String, ()>,
    pub batches: BoundedMap<String, Batch>,
    pub idempotency: IdempotencyStore,
    pub incidents: Incidents,
    pub sessions: BoundedMap<String, SessionState>,
    pub requests: VecDeque<RequestRecord>,
    /// Requests dropped from the front of `requests`, to find a record by its sequence.
    pub requests_dropped: usize,
    /// Body bytes of the records that still hold their parsed JSON.
    pub logged_json: usize,
    /// Records before this index (from the front) hold no parsed JSON any more.
    pub json_kept_from: usize,
    pub artifacts: VecDeque<StoredArtifact>,
    pub stats: ServerStats,
    pub next_id: u64,
}

impl Default for State {
    fn default() -> Self {
        Self {
            tokens: BoundedMap::new(MAX_ENTRIES),
            batches: BoundedMap::new(MAX_ENTRIES),
            idempotency: IdempotencyStore::default(),
            incidents: Incidents::default(),
            sessions: BoundedMap::new(MAX_SESSIONS),
            requests: VecDeque::new(),
            requests_dropped: 0,
            logged_json: 0,
            json_kept_from: 0,
            artifacts: VecDeque::new(),
            stats: ServerStats::default(),
            next_id: 0,
        }
    }
}

impl State {
    /// Keeps a request record (the oldest go past [`MAX_ENTRIES`], and the oldest parsed
    /// bodies past [`MAX_LOGGED_JSON_BYTES`]); returns its sequence.
    pub fn record(&mut self, r: RequestRecord) -> usize {
        if r.json.is_some() {
            self.logged_json += r.body_len;
        }
        self.requests.push_back(r);
        if self.requests.len() > MAX_ENTRIES {
            if let Some(old) = self.requests.pop_front() {
                if old.json.is_some() {
                    self.logged_json -= old.body_len;
                }
            }
            self.requests_dropped += 1;
            self.json_kept_from = self.json_kept_from.saturating_sub(1);
        }
        while self.logged_json > MAX_LOGGED_JSON_BYTES {
            let Some(old) = self.requests.get_mut(self.json_kept_from) else {
                break;
            };
            if old.json.take().is_some() {
                self.logged_json -= old.body_len;
            }
            self.json_kept_from += 1;
        }
        self.requests_dropped + self.requests.len() - 1
    }

    pub fn record_mut(&mut self, seq: usize) -> Option<&mut RequestRecord> {
        let i = seq.checked_sub(self.requests_dropped)?;
        self.requests.get_mut(i)
    }

    pub fn store_artifact(&mut self, a: StoredArtifact) {
        self.artifacts.push_back(a);
        if self.artifacts.len() > MAX_ENTRIES {
            self.artifacts.pop_front();
        }
    }
}

pub(crate) struct Inner {
    pub opts: ServerOptions,
    pub addr: SocketAddr,
    pub faults: Faults,
    pub state: Mutex<State>,
    pub stop: AtomicBool,
    pub down: AtomicBool,
    pub connections: AtomicUsize,
    pub recording_enabled: AtomicBool,
    pub project_disabled: AtomicBool,
    /// `maxRecordingMinutes`; 0 for none.
    pub max_recording_minutes: AtomicU32,
    /// Fields laid over the `GET /api/sdk/config` answer (any JSON, malformed on purpose
    /// included); `null` removes a field.
    pub sdk_config_fields: Mutex<serde_json::Map<String, serde_json::Value>>,
}

/// A running server; stops on [`IngestServer::shutdown`] or drop.
pub struct IngestServer {
    inner: Arc<Inner>,
    accept: Option<JoinHandle<()>>,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Wall-clock epoch ms (the backend's "now").
pub(crate) fn now_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_millis() as f64)
}

impl IngestServer {
    /// Binds and starts serving; returns once listening.
    pub fn start(opts: ServerOptions) -> std::io::Result<Self> {
        std::fs::create_dir_all(&opts.data_dir)?;
        let listener = TcpListener::bind(opts.bind)?;
        let addr = listener.local_addr()?;
        let inner = Arc::new(Inner {
            addr,
            faults: Faults::default(),
            state: Mutex::new(State::default()),
            stop: AtomicBool::new(false),
            down: AtomicBool::new(false),
            connections: AtomicUsize::new(0),
            recording_enabled: AtomicBool::new(opts.recording_enabled),
            project_disabled: AtomicBool::new(opts.project_disabled),
            max_recording_minutes: AtomicU32::new(opts.max_recording_minutes.unwrap_or(0)),
            sdk_config_fields: Mutex::new(serde_json::Map::new()),
            opts,
        });
        let accept_inner = inner.clone();
        let accept = std::thread::Builder::new()
            .name("ingest-accept".into())
            .spawn(move || serve::accept_loop(accept_inner, listener))?;
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

    /// Requests received, oldest first (the latest 100 000).
    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.inner.state).requests.iter().cloned().collect()
    }

    /// Artifacts ingested (by their PUT), oldest first (the latest 100 000).
    pub fn artifacts(&self) -> Vec<StoredArtifact> {
        lock(&self.inner.state).artifacts.iter().cloned().collect()
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

    /// The project's kill switch: presigns answer 403 "Rejourney is disabled for this
    /// project" (device auth, session end and faults still answer as usual).
    pub fn set_project_disabled(&self, disabled: bool) {
        self.inner.project_disabled.store(disabled, Release);
    }

    /// The project's `maxRecordingMinutes` (`None`: no limit).
    /// Lays `fields` over the `GET /api/sdk/config` answer (replacing earlier ones): e.g.
    /// `{"sampleRate": 25, "recordingFps": 3}`, a malformed `{"sampleRate": "all"}`, or
    /// `{"recordingFps": null}` to leave a field out as older backends do.
    pub fn set_sdk_config_fields(&self, fields: serde_json::Value) {
        let map = fields.as_object().cloned().unwrap_or_default();
        *lock(&self.inner.sdk_config_fields) = map;
    }

    pub fn set_max_recording_minutes(&self, minutes: Option<u32>) {
        self.inner
            .max_recording_minutes
            .store(minutes.unwrap_or(0), Release);
    }

    /// Sets an `Idempotency-Key`'s state (to reproduce keys left over from an earlier run).
    pub fn set_idempotency(&self, key: &str, state: KeyState) {
        lock(&self.inner.state).idempotency.set(key, state);
    }

    /// An `Idempotency-Key`'s state, if the server knows the key.
    pub fn idempotency(&self, key: &str) -> Option<KeyState> {
        lock(&self.inner.state).idempotency.get(key)
    }

    /// What the backend would have computed for a session (screens, counters, platform,
    /// crashes and ANRs, the session end as kept), once its end call and its event rollup
    /// both ran (see [`rollup`]: counters the end call also sent are counted twice, as on
    /// the backend); `None` for a session never seen.
    pub fn session_summary(&self, session_id: &str) -> Option<SessionSummary> {
        lock(&self.inner.state)
            .sessions
            .get(session_id)
            .map(|s| rollup::rolled_up(&s.summary))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn record(body_len: usize) -> RequestRecord {
        RequestRecord {
            route: Route::Fault,
            method: "POST".into(),
            path: "/api/ingest/fault".into(),
            api_key: None,
            platform: None,
            bundle_id: None,
            upload_token: None,
            session_id: None,
            idempotency_key: None,
            content_type: None,
            user_agent: None,
            body_len,
            json: Some(Value::Null),
            status: None,
            received: Instant::now(),
        }
    }

    #[test]
    fn the_request_log_keeps_parsed_bodies_within_a_budget() {
        let mut st = State::default();
        for _ in 0..10 {
            st.record(record(MAX_LOGGED_JSON_BYTES / 4));
        }
        let kept: Vec<bool> = st.requests.iter().map(|r| r.json.is_some()).collect();
        assert_eq!(kept, [[false; 6].as_slice(), &[true; 4]].concat());
        assert_eq!(st.logged_json, MAX_LOGGED_JSON_BYTES);
        assert_eq!(st.record(record(1)), 10, "records stay; sequences go on");
    }
}
