//! The uploader: a background thread that persists every artifact to the spool first, then
//! delivers the spool oldest-first through device auth → presign → PUT → complete, applying
//! the retry policy. The host never waits on it; every outcome is counted.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::*};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use super::http::{Response, Timeouts, Transport, TransportError};
use super::protocol::{self, Declined as Closed, Presign};
use super::retry::{classify, RetryPolicy, StatusClass};
use crate::bundle::Bundle;
use crate::deadline::Deadline;
use crate::queue::DropOldestQueue;
use crate::spool::{ArtifactKind, ArtifactMeta, Spool, SpoolError, SpoolLimits};

/// Where and how to deliver.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// Base URL of the ingest API, e.g. `https://api.rejourney.co`.
    pub api_url: String,
    /// Public project key (`x-rejourney-key`).
    pub api_key: String,
    /// Stable, hashed device id for device auth.
    pub device_id: String,
    /// Sent with device auth.
    pub device_metadata: Value,
    pub spool_dir: PathBuf,
    pub spool: SpoolLimits,
    pub retry: RetryPolicy,
    pub timeouts: Timeouts,
    /// Artifacts waiting to be spooled (events, hierarchy, session end, faults).
    pub max_inbox: usize,
    pub sdk_version: String,
}

impl DeliveryConfig {
    pub fn new(
        api_url: &str,
        api_key: &str,
        device_id: &str,
        spool_dir: impl Into<PathBuf>,
    ) -> Self {
        Self {
            api_url: api_url.trim_end_matches('/').to_owned(),
            api_key: api_key.to_owned(),
            device_id: device_id.to_owned(),
            device_metadata: Value::Object(Default::default()),
            spool_dir: spool_dir.into(),
            spool: SpoolLimits::default(),
            retry: RetryPolicy::default(),
            timeouts: Timeouts::default(),
            max_inbox: 256,
            sdk_version: crate::SDK_VERSION.to_owned(),
        }
    }

    pub fn validate(&self) -> Result<(), DeliveryError> {
        let url = url::Url::parse(&self.api_url)
            .map_err(|e| DeliveryError::Url(format!("{}: {e}", self.api_url)))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(DeliveryError::Url(format!(
                "{}: need an http(s) URL with a host",
                self.api_url
            )));
        }
        if self.api_key.trim().is_empty() {
            return Err(DeliveryError::ApiKey);
        }
        if self.device_id.trim().is_empty() {
            return Err(DeliveryError::DeviceId);
        }
        if self.max_inbox == 0 || self.retry.max_attempts == 0 {
            return Err(DeliveryError::Limit);
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("invalid API URL {0}")]
    Url(String),
    #[error("the API key is empty")]
    ApiKey,
    #[error("the device id is empty")]
    DeviceId,
    #[error("delivery limits must be positive")]
    Limit,
    #[error(transparent)]
    Spool(#[from] SpoolError),
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error("could not start the upload thread: {0}")]
    Thread(String),
}

/// An artifact for delivery: metadata plus the exact upload body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    pub meta: ArtifactMeta,
    pub body: Vec<u8>,
}

/// Wall-clock epoch ms: artifact ages are measured on it, never on host-supplied times.
pub fn wall_clock_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Artifact {
    /// A frame bundle as an artifact, with a fresh idempotency key.
    pub fn from_bundle(b: Bundle, is_sampled_in: bool) -> Self {
        let meta = ArtifactMeta {
            kind: ArtifactKind::Screenshots,
            session_id: b.session_id.to_string(),
            start_ms: b.start_ms,
            end_ms: b.end_ms,
            item_count: b.frame_count as u64,
            batch_number: 0,
            idempotency_key: idempotency_key(&b.session_id, ArtifactKind::Screenshots, b.start_ms),
            created_ms: wall_clock_ms(),
            is_sampled_in,
        };
        Self { meta, body: b.gz }
    }
}

/// `<session>:<kind>:<start>:<random>`: unique per artifact, generated once and persisted with
/// it so retries and restarts send the same key.
pub fn idempotency_key(session_id: &str, kind: ArtifactKind, start_ms: u64) -> String {
    format!(
        "{session_id}:{}:{start_ms}:{:016x}",
        kind.as_str(),
        fastrand::u64(..)
    )
}

/// Where the uploader pulls frame bundles from (the pipeline).
pub trait BundleSource: Send + Sync {
    fn take_bundle(&self) -> Option<Bundle>;
}

impl BundleSource for crate::pipeline::Pipeline {
    fn take_bundle(&self) -> Option<Bundle> {
        crate::pipeline::Pipeline::take_bundle(self)
    }
}

/// Why an artifact was dropped without delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeliveryDrop {
    /// 400, 413 or another non-retryable 4xx.
    Rejected,
    MaxAttempts,
    MaxAge,
    /// The backend answered `skipUpload` for the upload (policy: sampled out, replay
    /// disabled, quota or recording limit reached).
    SkipUpload,
    /// The project is disabled (presign 403 "Rejourney is disabled").
    ProjectDisabled,
    /// 402: billing blocked for the session.
    Billing,
    SpoolCorrupt,
    SpoolWriteFailed,
    InboxFull,
}

impl DeliveryDrop {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rejected => "rejected",
            Self::MaxAttempts => "max_attempts",
            Self::MaxAge => "max_age",
            Self::SkipUpload => "skip_upload",
            Self::ProjectDisabled => "project_disabled",
            Self::Billing => "billing",
            Self::SpoolCorrupt => "spool_corrupt",
            Self::SpoolWriteFailed => "spool_write_failed",
            Self::InboxFull => "inbox_full",
        }
    }
}

/// Everything the uploader counted.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct DeliverySnapshot {
    pub spooled: u64,
    pub delivered: BTreeMap<String, u64>,
    pub bytes_uploaded: u64,
    pub requests: u64,
    pub retries: u64,
    pub connect_errors: u64,
    pub timeouts: u64,
    pub io_errors: u64,
    pub bad_responses: u64,
    pub statuses: BTreeMap<u16, u64>,
    pub dropped: BTreeMap<String, u64>,
    pub auth_failures: u64,
    pub presign_expired: u64,
    pub spool_files: u64,
    pub spool_bytes: u64,
    pub spool_evicted: u64,
    pub spool_evicted_bytes: u64,
    pub spool_quarantined: u64,
    pub resumed_from_spool: u64,
    pub uploads_paused: bool,
    /// Uploads the backend already had (`skipUpload` + `deduplicated`): counted delivered too.
    pub deduplicated: u64,
    /// Uploads the backend declined on purpose (`skipUpload`), by its reason.
    pub skipped: BTreeMap<String, u64>,
    /// The backend said the project is disabled: nothing more is sent.
    pub project_disabled: bool,
}

#[derive(Default)]
struct Counters {
    snap: Mutex<DeliverySnapshot>,
}

impl Counters {
    fn with(&self, f: impl FnOnce(&mut DeliverySnapshot)) {
        f(&mut self.snap.lock().unwrap_or_else(|p| p.into_inner()));
    }
}

struct Shared {
    config: DeliveryConfig,
    /// The spool, written by the spooler thread and read/pruned by the upload thread. Never
    /// held across a network call.
    spool: Mutex<Spool>,
    /// Artifacts waiting to be persisted; its doorbell wakes the spooler thread.
    inbox: DropOldestQueue<Artifact>,
    /// Doorbell of the upload thread (rung when something was persisted).
    upload_bell: DropOldestQueue<()>,
    /// Highest idle-request token the spooler has persisted everything for.
    spooled_ack: Mutex<u64>,
    spooled_cv: Condvar,
    source: Mutex<Option<Arc<dyn BundleSource>>>,
    sampled_in: AtomicBool,
    counters: Counters,
    /// Sessions the backend declined: all of their uploads, or only their replay.
    closed_sessions: Mutex<HashMap<String, Closed>>,
    /// The project is disabled: nothing more is uploaded.
    disabled: AtomicBool,
    stop: AtomicBool,
    drain_until: Mutex<Option<Instant>>,
    opt_out: AtomicBool,
    idle_requested: AtomicU64,
    idle_acked: Mutex<u64>,
    idle_cv: Condvar,
}

/// Handle to the spooler and upload threads.
pub struct Uploader {
    shared: Arc<Shared>,
    spooler: Mutex<Option<Thread>>,
    thread: Mutex<Option<Thread>>,
}

/// One of our threads, and a channel that disconnects when it exits: a wait for its end can
/// have a deadline (a join cannot), and a thread still busy at the deadline is left to end
/// by itself.
struct Thread {
    handle: JoinHandle<()>,
    exited: crossbeam_channel::Receiver<()>,
}

impl Thread {
    fn spawn(name: &str, body: impl FnOnce() + Send + 'static) -> Result<Self, DeliveryError> {
        let (alive, exited) = crossbeam_channel::bounded::<()>(0);
        let handle = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                let _alive = alive; // dropped when the body returns (or unwinds)
                body()
            })
            .map_err(|e| DeliveryError::Thread(e.to_string()))?;
        Ok(Self { handle, exited })
    }

    fn is_finished(&self) -> bool {
        self.handle.is_finished()
    }

    /// Joins the thread if it ends by `deadline`; otherwise abandons it (it holds only
    /// shared state, and ends after its current request). Returns whether it ended.
    fn join_until(self, deadline: Deadline) -> bool {
        use crossbeam_channel::RecvTimeoutError::Disconnected;
        if self.exited.recv_timeout(deadline.left()) == Err(Disconnected) {
            let _ = self.handle.join();
            true
        } else {
            false
        }
    }
}

/// How long the spooler may take past a shutdown's deadline to persist what is already
/// recorded (disk only, no network): recorded data is not lost to a zero timeout.
const SPOOL_GRACE: Duration = Duration::from_millis(250);

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl std::fmt::Debug for Uploader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Uploader").finish_non_exhaustive()
    }
}

impl Uploader {
    /// Opens the spool (resuming what earlier runs left) and starts the upload thread.
    pub fn start(config: DeliveryConfig) -> Result<Self, DeliveryError> {
        config.validate()?;
        let (spool, report) = Spool::open(&config.spool_dir, config.spool)?;
        let transport = Transport::new(
            config.timeouts,
            &protocol::user_agent(&config.sdk_version, &config.device_metadata),
        )?;
        let shared = Arc::new(Shared {
            spool: Mutex::new(spool),
            inbox: DropOldestQueue::new(config.max_inbox),
            upload_bell: DropOldestQueue::new(1),
            spooled_ack: Mutex::new(0),
            spooled_cv: Condvar::new(),
            config,
            source: Mutex::new(None),
            sampled_in: AtomicBool::new(true),
            counters: Counters::default(),
            closed_sessions: Mutex::new(HashMap::new()),
            disabled: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            drain_until: Mutex::new(None),
            opt_out: AtomicBool::new(false),
            idle_requested: AtomicU64::new(0),
            idle_acked: Mutex::new(0),
            idle_cv: Condvar::new(),
        });
        shared.counters.with(|c| {
            c.resumed_from_spool = report.resumed as u64;
            c.spool_quarantined = report.quarantined as u64;
        });
        let spooler_shared = shared.clone();
        let spooler = Thread::spawn("rejourney-spool", move || run_spooler(spooler_shared))?;
        let worker = Worker {
            shared: shared.clone(),
            transport,
            token: None,
            progress: HashMap::new(),
            not_before: None,
            consecutive_failures: 0,
            auth_failures: 0,
        };
        let thread = Thread::spawn("rejourney-upload", move || worker.run())?;
        Ok(Self {
            shared,
            spooler: Mutex::new(Some(spooler)),
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Pulls frame bundles from `source` whenever [`Uploader::notify`] rings.
    pub fn set_source(&self, source: Arc<dyn BundleSource>) {
        *self.shared.source.lock().unwrap_or_else(|p| p.into_inner()) = Some(source);
        self.notify();
    }

    /// Whether new bundles are marked `isSampledIn`.
    pub fn set_sampled_in(&self, sampled: bool) {
        self.shared.sampled_in.store(sampled, Relaxed);
    }

    /// Wakes the upload thread (new bundles are ready).
    pub fn notify(&self) {
        self.shared.inbox.ring();
    }

    /// A closure that wakes the upload thread, for the pipeline to call on each sealed bundle.
    pub fn notifier(&self) -> Arc<dyn Fn() + Send + Sync> {
        let shared = self.shared.clone();
        Arc::new(move || shared.inbox.ring())
    }

    /// A closure that queues an artifact, for threads that do not own the uploader (the ANR
    /// watchdog).
    pub fn enqueuer(&self) -> Arc<dyn Fn(Artifact) + Send + Sync> {
        let shared = self.shared.clone();
        Arc::new(move |artifact| {
            if shared.inbox.push(artifact).is_some() {
                shared.counters.with(|c| {
                    *c.dropped
                        .entry(DeliveryDrop::InboxFull.as_str().into())
                        .or_default() += 1
                });
            }
        })
    }

    /// Queues an artifact for spooling and delivery. Never blocks; if the inbox is full the
    /// oldest waiting artifact is dropped and counted.
    pub fn enqueue(&self, artifact: Artifact) {
        if self.shared.inbox.push(artifact).is_some() {
            self.shared.counters.with(|c| {
                *c.dropped
                    .entry(DeliveryDrop::InboxFull.as_str().into())
                    .or_default() += 1
            });
        }
    }

    /// Whether the backend declined this session's replay (a policy `skipUpload` on its
    /// frames, or 402): capturing more frames for it is pointless.
    pub fn is_session_closed(&self, session_id: &str) -> bool {
        lock(&self.shared.closed_sessions).contains_key(session_id)
    }

    /// Whether the backend said the project is disabled.
    pub fn is_disabled(&self) -> bool {
        self.shared.disabled.load(Acquire)
    }

    pub fn snapshot(&self) -> DeliverySnapshot {
        snapshot_of(&self.shared)
    }

    /// A closure that reads the counters, for work that runs on other threads (a session's
    /// end call is built on the encoder thread).
    pub fn snapshotter(&self) -> Arc<dyn Fn() -> DeliverySnapshot + Send + Sync> {
        let shared = self.shared.clone();
        Arc::new(move || snapshot_of(&shared))
    }

    /// Waits until everything handed over before this call is delivered or dropped, or until
    /// `timeout`. Returns whether it got there.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        let token = self.shared.idle_requested.fetch_add(1, AcqRel) + 1;
        self.shared.inbox.ring();
        let acked = lock(&self.shared.idle_acked);
        Deadline::after(timeout)
            .wait_until(&self.shared.idle_cv, acked, |a| {
                *a >= token || self.finished()
            })
            .0
            .ge(&token)
    }

    /// Waits until everything handed over before this call is on disk (not necessarily
    /// delivered), or until `timeout`. Returns whether it got there.
    pub fn wait_spooled(&self, timeout: Duration) -> bool {
        let token = self.shared.idle_requested.fetch_add(1, AcqRel) + 1;
        self.shared.inbox.ring();
        let spooler_gone = || lock(&self.spooler).as_ref().is_none_or(|t| t.is_finished());
        let acked = lock(&self.shared.spooled_ack);
        Deadline::after(timeout)
            .wait_until(&self.shared.spooled_cv, acked, |a| {
                *a >= token || spooler_gone()
            })
            .0
            .ge(&token)
    }

    /// Opt-out: deletes every spooled artifact and everything waiting.
    pub fn purge(&self) {
        self.shared.opt_out.store(true, Release);
        while self.shared.inbox.pop().is_some() {}
        lock(&self.shared.spool).clear();
        self.shared.upload_bell.ring();
    }

    fn finished(&self) -> bool {
        lock(&self.thread).as_ref().is_none_or(|t| t.is_finished())
    }

    /// Stops the upload thread after trying to deliver for up to `drain`, which bounds the
    /// whole call: a request still in flight then is abandoned (its thread ends by itself
    /// when the request does). What is not delivered stays in the spool for the next start.
    /// What is recorded but not yet on disk is persisted first, within `SPOOL_GRACE` past the
    /// deadline (disk only), so a zero timeout loses nothing.
    pub fn shutdown(&self, drain: Duration) {
        let deadline = Deadline::after(drain);
        let now = Instant::now();
        let until = now
            .checked_add(drain)
            .unwrap_or(now + Duration::from_secs(365 * 86_400));
        *lock(&self.shared.drain_until) = Some(until);
        self.shared.stop.store(true, Release);
        self.shared.inbox.ring();
        // The spooler persists what is waiting, then exits; then the upload thread drains.
        if let Some(t) = lock(&self.spooler).take() {
            t.join_until(Deadline::after(deadline.left().max(SPOOL_GRACE)));
        }
        self.shared.upload_bell.ring();
        if let Some(t) = lock(&self.thread).take() {
            t.join_until(deadline);
        }
    }
}

impl Drop for Uploader {
    fn drop(&mut self) {
        self.shutdown(Duration::ZERO);
    }
}

/// Per-artifact progress kept in memory (a restart redoes presign, which is idempotent).
#[derive(Debug, Default)]
struct Progress {
    attempts: u32,
    represigns: u32,
    presigned: Option<(String, String)>,
    uploaded: bool,
    /// This artifact waits (a 202 on its presign) without holding back the others.
    not_before: Option<Instant>,
}

/// How one attempt ended.
#[derive(Debug)]
enum Outcome {
    Done,
    Retry {
        hint: Option<Duration>,
        charge: bool,
    },
    Drop(DeliveryDrop),
    Unauthorized,
    /// The backend declined this upload and, by its reason, more of the session.
    Decline {
        scope: Closed,
        reason: String,
    },
    /// The backend already has it.
    Duplicate,
    /// 202 on presign: this artifact (only) tries again later, with a fresh key.
    Later(Duration),
    /// The project is disabled: stop uploading altogether.
    Disabled,
}

/// The spooler thread: persists bundles and artifacts as soon as they exist, independent of
/// how long an upload takes, then wakes the upload thread.
fn run_spooler(shared: Arc<Shared>) {
    loop {
        let requested = shared.idle_requested.load(Acquire);
        ingest(&shared);
        ack_spooled(&shared, requested);
        shared.upload_bell.ring();
        if shared.stop.load(Acquire) {
            ingest(&shared);
            ack_spooled(&shared, shared.idle_requested.load(Acquire));
            return;
        }
        shared.inbox.wait(None);
    }
}

fn ack_spooled(shared: &Shared, requested: u64) {
    let mut acked = lock(&shared.spooled_ack);
    *acked = (*acked).max(requested);
    shared.spooled_cv.notify_all();
}

fn snapshot_of(shared: &Shared) -> DeliverySnapshot {
    let mut snap = lock(&shared.counters.snap).clone();
    // Spool figures are read live: the upload thread may be asleep in a back-off.
    let spool = lock(&shared.spool);
    snap.spool_files = spool.len() as u64;
    snap.spool_bytes = spool.total_bytes();
    snap.spool_evicted = spool.counters.evicted;
    snap.spool_evicted_bytes = spool.counters.evicted_bytes;
    snap.spool_quarantined = snap.spool_quarantined.max(spool.counters.quarantined);
    snap.project_disabled = shared.disabled.load(Acquire);
    snap
}

fn count_drop(shared: &Shared, reason: DeliveryDrop) {
    shared
        .counters
        .with(|c| *c.dropped.entry(reason.as_str().into()).or_default() += 1);
}

/// The `Idempotency-Key` of an upload: the artifact's persisted key for its first presign,
/// a fresh one for each re-presign (after an expired URL or a 202). Presign and complete
/// send the same key.
fn upload_key(meta: &ArtifactMeta, represigns: u32) -> String {
    if represigns == 0 {
        meta.idempotency_key.clone()
    } else {
        format!("{}:r{represigns}", meta.idempotency_key)
    }
}

/// Whether the uploads of `kind` for session `id` were declined by the backend.
fn declined(shared: &Shared, id: &str, kind: ArtifactKind) -> bool {
    match lock(&shared.closed_sessions).get(id) {
        None => false,
        Some(Closed::All) => true,
        Some(Closed::Replay) => matches!(kind, ArtifactKind::Screenshots | ArtifactKind::Hierarchy),
    }
}

/// Fresh keys one artifact may use (202s and expired URLs) before it is dropped.
const MAX_REPRESIGNS: u32 = 20;

/// The reason recorded for a 402 (billing blocked: the whole session is declined).
const BILLING: &str = "billing";

/// Moves every waiting bundle and artifact into the spool (persist before upload).
fn ingest(shared: &Shared) {
    let source = lock(&shared.source).clone();
    let sampled = shared.sampled_in.load(Relaxed);
    loop {
        let next = match source.as_ref().and_then(|s| s.take_bundle()) {
            Some(b) => Some(Artifact::from_bundle(b, sampled)),
            None => shared.inbox.pop(),
        };
        let Some(a) = next else { break };
        if shared.disabled.load(Acquire) {
            count_drop(shared, DeliveryDrop::ProjectDisabled);
            continue;
        }
        if declined(shared, &a.meta.session_id, a.meta.kind) {
            count_drop(shared, DeliveryDrop::SkipUpload);
            continue;
        }
        let result = lock(&shared.spool).put(&a.meta, &a.body);
        match result {
            Ok(_) => shared.counters.with(|c| c.spooled += 1),
            Err(_) => count_drop(shared, DeliveryDrop::SpoolWriteFailed),
        }
    }
}

struct Worker {
    shared: Arc<Shared>,
    transport: Transport,
    token: Option<String>,
    progress: HashMap<u64, Progress>,
    not_before: Option<Instant>,
    consecutive_failures: u32,
    auth_failures: u32,
}

impl Worker {
    fn run(mut self) {
        self.deliver();
        // Waiters for idleness stop waiting for a thread that is gone.
        let _guard = lock(&self.shared.idle_acked);
        self.shared.idle_cv.notify_all();
    }

    fn deliver(&mut self) {
        loop {
            let spooled = *lock(&self.shared.spooled_ack);
            if self.shared.opt_out.swap(false, AcqRel) {
                lock(&self.shared.spool).clear();
                self.progress.clear();
            }
            self.publish();
            let stopping = self.shared.stop.load(Acquire);
            let drain_until = *lock(&self.shared.drain_until);
            if self.shared.disabled.load(Acquire) {
                self.drop_everything();
            }
            let (oldest, wait_for) = self.next_entry();
            if stopping && (oldest.is_none() || drain_until.is_none_or(|d| Instant::now() >= d)) {
                return;
            }
            let Some(entry) = oldest else {
                if wait_for.is_none() {
                    self.ack_idle(spooled);
                }
                let wait = if stopping {
                    Some(Duration::from_millis(10))
                } else {
                    wait_for
                };
                self.shared.upload_bell.wait(wait);
                continue;
            };
            if let Some(t) = self.not_before {
                let now = Instant::now();
                if t > now {
                    let mut wait = t - now;
                    if let Some(d) = drain_until.filter(|_| stopping) {
                        wait = wait.min(d.saturating_duration_since(now));
                    }
                    self.shared.upload_bell.wait(Some(wait));
                    continue;
                }
            }
            let outcome = self.attempt(&entry);
            self.settle(&entry, outcome);
        }
    }

    /// The oldest artifact that may go now: not waiting out its own back-off, and (for a
    /// session end) with nothing of its session before it still in the spool, so a session
    /// closes after its frames. Otherwise how long until one may.
    fn next_entry(&self) -> (Option<crate::spool::SpoolEntry>, Option<Duration>) {
        let now = Instant::now();
        let spool = lock(&self.shared.spool);
        let mut earliest: Option<Duration> = None;
        let mut waiting_sessions: Vec<&str> = Vec::new();
        for e in spool.entries() {
            let not_before = self.progress.get(&e.id).and_then(|p| p.not_before);
            if let Some(t) = not_before.filter(|t| *t > now) {
                let left = t - now;
                earliest = Some(earliest.map_or(left, |e| e.min(left)));
                waiting_sessions.push(&e.meta.session_id);
                continue;
            }
            if e.meta.kind == ArtifactKind::SessionEnd
                && waiting_sessions.contains(&e.meta.session_id.as_str())
            {
                continue;
            }
            return (Some(e.clone()), None);
        }
        (None, earliest)
    }

    /// The project is disabled: every artifact is dropped and counted, none sent.
    fn drop_everything(&mut self) {
        let ids: Vec<u64> = lock(&self.shared.spool).entries().map(|e| e.id).collect();
        for id in ids {
            self.drop_entry(id, DeliveryDrop::ProjectDisabled);
        }
    }

    fn ack_idle(&self, requested: u64) {
        let mut acked = lock(&self.shared.idle_acked);
        if requested > *acked {
            *acked = requested;
            self.shared.idle_cv.notify_all();
        }
    }

    fn count_drop(&self, reason: DeliveryDrop) {
        count_drop(&self.shared, reason);
    }

    fn publish(&self) {
        let (files, bytes, sc) = {
            let spool = lock(&self.shared.spool);
            (
                spool.len() as u64,
                spool.total_bytes(),
                spool.counters.clone(),
            )
        };
        let paused = self.token.is_none() && self.auth_failures > 0;
        self.shared.counters.with(|c| {
            c.spool_files = files;
            c.spool_bytes = bytes;
            c.spool_evicted = sc.evicted;
            c.spool_quarantined = c.spool_quarantined.max(sc.quarantined);
            c.uploads_paused = paused;
        });
    }

    fn attempt(&mut self, entry: &crate::spool::SpoolEntry) -> Outcome {
        let age_ms = wall_clock_ms().saturating_sub(entry.meta.created_ms);
        if age_ms > self.shared.config.retry.max_age.as_millis() as u64 {
            return Outcome::Drop(DeliveryDrop::MaxAge);
        }
        if declined(&self.shared, &entry.meta.session_id, entry.meta.kind) {
            return Outcome::Drop(DeliveryDrop::SkipUpload);
        }
        let read = lock(&self.shared.spool).read(entry.id);
        let (meta, body) = match read {
            Ok(x) => x,
            Err(_) => {
                self.progress.remove(&entry.id);
                self.count_drop(DeliveryDrop::SpoolCorrupt);
                return Outcome::Done; // already removed by the spool; nothing to settle
            }
        };
        if self.token.is_none() {
            if let Some(failed) = self.authenticate() {
                return failed;
            }
        }
        match meta.kind {
            ArtifactKind::SessionEnd => {
                self.post_json_artifact(protocol::SESSION_END, &meta, &body)
            }
            ArtifactKind::Fault => self.post_json_artifact(protocol::FAULT, &meta, &body),
            _ => self.upload(entry.id, &meta, body),
        }
    }

    fn headers<'a>(
        &'a self,
        session: Option<&'a str>,
        key: Option<&'a str>,
    ) -> Vec<(&'a str, &'a str)> {
        let mut h = vec![("x-rejourney-key", self.shared.config.api_key.as_str())];
        if let Some(t) = &self.token {
            h.push(("x-upload-token", t.as_str()));
        }
        if let Some(s) = session {
            h.push(("x-session-id", s));
        }
        if let Some(k) = key {
            h.push(("idempotency-key", k));
        }
        h
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.shared.config.api_url)
    }

    /// Sends and counts one request.
    fn send(&self, result: Result<Response, TransportError>) -> Result<Response, Outcome> {
        self.shared.counters.with(|c| c.requests += 1);
        match result {
            Ok(r) => {
                self.shared
                    .counters
                    .with(|c| *c.statuses.entry(r.status).or_default() += 1);
                Ok(r)
            }
            Err(e) => {
                self.shared.counters.with(|c| match e {
                    TransportError::Connect(_) => c.connect_errors += 1,
                    TransportError::Timeout => c.timeouts += 1,
                    _ => c.io_errors += 1,
                });
                // Unreachable server: offline, not the artifact's fault.
                let charge = !matches!(e, TransportError::Connect(_));
                Err(Outcome::Retry { hint: None, charge })
            }
        }
    }

    /// The outcome for a non-2xx answer to an SDK API call.
    fn failure(&self, r: &Response) -> Outcome {
        match classify(r.status) {
            StatusClass::Success => Outcome::Done,
            StatusClass::Retryable => Outcome::Retry {
                hint: r.retry_after,
                charge: true,
            },
            StatusClass::Unauthorized => Outcome::Unauthorized,
            StatusClass::PaymentRequired => Outcome::Decline {
                scope: Closed::All,
                reason: BILLING.into(),
            },
            StatusClass::Rejected => Outcome::Drop(DeliveryDrop::Rejected),
        }
    }

    fn bad_response(&self) -> Outcome {
        self.shared.counters.with(|c| c.bad_responses += 1);
        Outcome::Retry {
            hint: None,
            charge: true,
        }
    }

    /// Device auth. Returns the failure outcome, or `None` once a token is held.
    fn authenticate(&mut self) -> Option<Outcome> {
        let cfg = &self.shared.config;
        let body = protocol::device_auth_body(&cfg.device_id, &cfg.device_metadata);
        let res = self.transport.post_json(
            &self.url(protocol::DEVICE_AUTH),
            &self.headers(None, None),
            &body,
        );
        let r = match self.send(res) {
            Ok(r) => r,
            Err(o) => return Some(o),
        };
        if classify(r.status) != StatusClass::Success {
            return Some(match self.failure(&r) {
                Outcome::Drop(_) | Outcome::Decline { .. } => Outcome::Unauthorized,
                o => o,
            });
        }
        match protocol::parse_auth(&r.body) {
            Ok(t) => {
                self.token = Some(t);
                self.auth_failures = 0;
                None
            }
            Err(_) => Some(self.bad_response()),
        }
    }

    fn post_json_artifact(&mut self, path: &str, meta: &ArtifactMeta, body: &[u8]) -> Outcome {
        let Ok(json) = serde_json::from_slice::<Value>(body) else {
            return Outcome::Drop(DeliveryDrop::Rejected);
        };
        let res = self.transport.post_json(
            &self.url(path),
            &self.headers(Some(&meta.session_id), Some(&meta.idempotency_key)),
            &json,
        );
        match self.send(res) {
            Ok(r) if classify(r.status) == StatusClass::Success => Outcome::Done,
            Ok(r) => self.failure(&r),
            Err(o) => o,
        }
    }

    /// presign → PUT → complete, resuming from whatever step last succeeded.
    fn upload(&mut self, id: u64, meta: &ArtifactMeta, body: Vec<u8>) -> Outcome {
        let size = body.len();
        let sdk = self.shared.config.sdk_version.clone();
        let represigns = self.progress.entry(id).or_default().represigns;
        if self
            .progress
            .get(&id)
            .is_some_and(|p| p.presigned.is_none())
        {
            let key = upload_key(meta, represigns);
            let mut req = protocol::presign_body(meta, size, &sdk);
            protocol::add_device_fields(&mut req, &self.shared.config.device_metadata);
            let res = self.transport.post_json(
                &self.url(protocol::presign_path(meta.kind)),
                &self.headers(Some(&meta.session_id), Some(&key)),
                &req,
            );
            let r = match self.send(res) {
                Ok(r) => r,
                Err(o) => return o,
            };
            if r.status == 403 && protocol::is_project_disabled(&r.body) {
                return Outcome::Disabled;
            }
            if classify(r.status) != StatusClass::Success {
                return self.failure(&r);
            }
            match protocol::parse_presign(r.status, &r.body) {
                Ok(Presign::Upload { url, batch_id }) => {
                    if let Some(p) = self.progress.get_mut(&id) {
                        p.presigned = Some((url, batch_id));
                    }
                }
                Ok(Presign::Skip {
                    deduplicated: true, ..
                }) => return Outcome::Duplicate,
                Ok(Presign::Skip { reason, .. }) => {
                    return Outcome::Decline {
                        scope: protocol::skip_scope(&reason, meta.kind),
                        reason,
                    }
                }
                Ok(Presign::Later(d)) => return Outcome::Later(d),
                Err(_) => return self.bad_response(),
            }
        }
        let Some((url, batch_id)) = self.progress.get(&id).and_then(|p| p.presigned.clone()) else {
            return self.bad_response();
        };
        if !self.progress.get(&id).is_some_and(|p| p.uploaded) {
            let res = self.transport.put_gzip(&url, body);
            let r = match self.send(res) {
                Ok(r) => r,
                Err(o) => return o,
            };
            match r.status {
                200..=299 => {
                    self.shared
                        .counters
                        .with(|c| c.bytes_uploaded += size as u64);
                    if let Some(p) = self.progress.get_mut(&id) {
                        p.uploaded = true;
                    }
                }
                // An expired or revoked presigned URL: presign again, do not retry the PUT.
                401 | 403 => {
                    self.shared.counters.with(|c| c.presign_expired += 1);
                    if let Some(p) = self.progress.get_mut(&id) {
                        p.presigned = None;
                        p.represigns += 1;
                    }
                    return Outcome::Retry {
                        hint: Some(Duration::ZERO),
                        charge: true,
                    };
                }
                _ => return self.failure(&r),
            }
        }
        let (path, req) = protocol::complete_request(meta, &batch_id, size, &sdk);
        // The presign's own key: the backend marks a key done only on the complete call
        // that carries it, and answers a presign repeating an unfinished key 202 for days.
        let key = upload_key(meta, represigns);
        let res = self.transport.post_json(
            &self.url(path),
            &self.headers(Some(&meta.session_id), Some(&key)),
            &req,
        );
        match self.send(res) {
            Ok(r) if classify(r.status) == StatusClass::Success => Outcome::Done,
            Ok(r) => self.failure(&r),
            Err(o) => o,
        }
    }

    fn settle(&mut self, entry: &crate::spool::SpoolEntry, outcome: Outcome) {
        let policy = self.shared.config.retry;
        match outcome {
            Outcome::Done => {
                let removed = {
                    let mut spool = lock(&self.shared.spool);
                    let known = spool.entries().any(|e| e.id == entry.id);
                    spool.remove(entry.id);
                    known
                };
                if removed {
                    self.shared.counters.with(|c| {
                        *c.delivered
                            .entry(entry.meta.kind.as_str().into())
                            .or_default() += 1
                    });
                }
                self.progress.remove(&entry.id);
                self.consecutive_failures = 0;
                self.not_before = None;
            }
            Outcome::Retry { hint, charge } => {
                self.shared.counters.with(|c| c.retries += 1);
                let p = self.progress.entry(entry.id).or_default();
                if charge {
                    p.attempts += 1;
                }
                if p.attempts >= policy.max_attempts {
                    self.drop_entry(entry.id, DeliveryDrop::MaxAttempts);
                    return;
                }
                self.consecutive_failures = self.consecutive_failures.saturating_add(1);
                let wait = policy.delay(self.consecutive_failures, hint, fastrand::f64());
                self.not_before = Some(Instant::now() + wait);
            }
            Outcome::Drop(reason) => {
                self.drop_entry(entry.id, reason);
                self.not_before = None;
            }
            Outcome::Decline { scope, reason } => {
                let mut closed = lock(&self.shared.closed_sessions);
                let was = closed.get(&entry.meta.session_id).copied();
                if was != Some(Closed::All) {
                    // Bounded: sessions of this process only, and few are declined.
                    if closed.len() >= 1_000 {
                        closed.clear();
                    }
                    closed.insert(entry.meta.session_id.clone(), scope);
                }
                drop(closed);
                let drop_reason = if reason == BILLING {
                    DeliveryDrop::Billing
                } else {
                    self.shared
                        .counters
                        .with(|c| *c.skipped.entry(reason).or_default() += 1);
                    DeliveryDrop::SkipUpload
                };
                self.drop_entry(entry.id, drop_reason);
            }
            Outcome::Duplicate => {
                self.shared.counters.with(|c| c.deduplicated += 1);
                self.settle(entry, Outcome::Done);
            }
            Outcome::Later(hint) => {
                // The key is stuck `processing` (a presign whose answer we lost): a fresh
                // key, and only this artifact waits.
                self.shared.counters.with(|c| c.retries += 1);
                // Not a failure (no attempt charged), but bounded: each 202 costs a key.
                let p = self.progress.entry(entry.id).or_default();
                p.represigns += 1;
                p.presigned = None;
                p.not_before = Some(Instant::now() + hint.min(Duration::from_secs(300)));
                if p.represigns > MAX_REPRESIGNS {
                    self.drop_entry(entry.id, DeliveryDrop::MaxAttempts);
                }
            }
            Outcome::Disabled => {
                self.shared.disabled.store(true, Release);
                self.drop_everything();
            }
            Outcome::Unauthorized => {
                // Credentials, not the artifact, are at fault: keep it, drop the token, and
                // pause uploads with back-off until device auth succeeds again.
                self.token = None;
                self.auth_failures = self.auth_failures.saturating_add(1);
                self.shared.counters.with(|c| c.auth_failures += 1);
                let wait = policy.backoff(self.auth_failures, 0.5 + fastrand::f64() / 2.0);
                self.not_before = Some(Instant::now() + wait);
            }
        }
    }

    fn drop_entry(&mut self, id: u64, reason: DeliveryDrop) {
        lock(&self.shared.spool).remove(id);
        self.progress.remove(&id);
        self.count_drop(reason);
    }
}
