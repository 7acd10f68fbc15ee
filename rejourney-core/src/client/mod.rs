//! The SDK facade: one [`Client`] per app process ties the capture pipeline, the session
//! lifecycle and delivery together. The FFI layer wraps exactly this type; every method is
//! cheap, non-blocking on the host's hot path, and returns a typed error for bad input.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::*};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use crate::anr::{AnrReport, Pulse, Watchdog};
use crate::artifact::gzip;
use crate::artifact::ArtifactKind;
use crate::config::Config;
use crate::error::{FrameError, PolicyError};
use crate::events::{
    batch_body, EventConfig, EventCounters, EventError, EventRecorder, Gesture, NetworkRequest,
    PropValue,
};
use crate::frame::{FrameSpec, Rect};
use crate::hierarchy::{
    HierarchyConfig, HierarchyCounters, Job as TreeJob, SnapshotWorker as HierarchyWorker,
};
use crate::incident::{anr_body, crash_body, new_incident_id};
use crate::masks::{
    check_tree, mask_decisions, moving_masked_node, MaskOptions, NodeError, NodeList, ViewNode,
};
use crate::metrics::{sdk_telemetry, SdkCounts};
use crate::pipeline::{Pipeline, PipelineError, SessionTag};
use crate::policy::{Action, Decision};
use crate::session::{EndReason, Ended, Rotation, SessionConfig, SessionError, SessionManager};
use crate::strings::{StringLimits, StringTable, StringsError, StringsUpdate};
use crate::telemetry::{DropReason, SkipReason, TelemetrySnapshot};
use crate::upload::{
    wall_clock_ms, Artifact, BundleSource, DeliveryConfig, DeliveryError, DeliverySnapshot,
    Uploader,
};
use crate::wait::{lock, Deadline};

mod capture;
mod flush;
mod modes;
mod record;
mod stats;

pub use modes::RemoteOptions;

use stats::Stats;

/// Everything a host configures.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub capture: Config,
    pub delivery: DeliveryConfig,
    pub session: SessionConfig,
    pub masks: MaskOptions,
    pub events: EventConfig,
    pub hierarchy: HierarchyConfig,
    /// Main-thread silence that counts as an ANR; 0 turns the watchdog off.
    pub anr_threshold_ms: u64,
    /// `deviceInfo` of event batches (platform, model, osVersion, appVersion, appId, screen).
    pub device_info: Value,
    /// Remote configuration (off by default for Rust callers; the FFI turns it on).
    pub remote: RemoteOptions,
    /// The app's own choices that the remote config may refine (`None`: the server's value).
    pub choices: crate::remote_config::LocalChoices,
    /// Capture interval while a session is buffered for on-error upload (never faster than
    /// the recording interval).
    pub buffer_interval_ms: u64,
    /// Limits of the shim's string table (class names, test ids, tags).
    pub strings: StringLimits,
}

impl ClientOptions {
    pub fn new(delivery: DeliveryConfig) -> Self {
        Self {
            capture: Config::default(),
            delivery,
            session: SessionConfig::default(),
            masks: MaskOptions::default(),
            events: EventConfig::default(),
            hierarchy: HierarchyConfig::default(),
            anr_threshold_ms: 5_000,
            device_info: json!({}),
            remote: RemoteOptions::default(),
            choices: Default::default(),
            buffer_interval_ms: 0,
            strings: StringLimits::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error(transparent)]
    Delivery(#[from] DeliveryError),
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error(transparent)]
    Frame(#[from] FrameError),
    #[error(transparent)]
    Nodes(#[from] NodeError),
    #[error(transparent)]
    Strings(#[from] StringsError),
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error(transparent)]
    Event(#[from] EventError),
    #[error("invalid argument: {0}")]
    InvalidArgument(&'static str),
    #[error("recording has not been started")]
    NotStarted,
    #[error("the client is shut down")]
    Closed,
}

/// Capture and delivery counters together.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ClientSnapshot {
    pub session_id: Option<String>,
    pub capture: TelemetrySnapshot,
    pub delivery: DeliverySnapshot,
    pub events: EventCounters,
    pub hierarchy: HierarchyCounters,
    pub anrs: u64,
    /// Crash faults recorded (`record_crash`) by this process.
    pub crashes: u64,
    /// What the running session does (`None` before a session, or while it waits for the
    /// remote config).
    pub plan: Option<crate::remote_config::SessionPlan>,
    /// What is known of the remote config (`None` when it is off).
    pub remote_config: Option<crate::remote_config::RemoteState>,
    pub strings: crate::strings::StringCounters,
}

/// Told when sessions start and end (the host may show a badge, log, or link ids).
pub trait SessionObserver: Send + Sync {
    fn session_started(&self, session_id: &str);
    fn session_ended(&self, session_id: &str, reason: &str);
}

/// What the core asks of each capture it decides on ([`Client::capture_request`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CaptureRequest {
    /// Views a shim's walk may visit before it stops and reports a partial frame.
    pub walk_max_nodes: u32,
    /// Main-thread time the walk may take, same consequence.
    pub walk_budget_ms: f64,
    /// Pixels per point to draw at; larger frames are downsized by the core.
    pub capture_scale: f32,
}

/// See [`Client::masks`].
struct MaskState {
    opts: MaskOptions,
    rects: Vec<Rect>,
    masked: Vec<bool>,
    /// The shim's string table (class names, test ids, tags), updated with each frame.
    strings: StringTable,
}

/// Most classes or test ids the app may add while running (each frame scans them).
pub const MAX_MASK_RULES: usize = 1_000;

pub struct Client {
    observer: Mutex<Option<Arc<dyn SessionObserver>>>,
    pipeline: Arc<Pipeline>,
    uploader: Uploader,
    sessions: Mutex<SessionManager>,
    /// The mask rules (classes and test ids can be added while running) and the scratch
    /// vectors every frame's decision reuses, under one lock.
    masks: Mutex<MaskState>,
    capture_request: CaptureRequest,
    events: Arc<Mutex<EventState>>,
    /// The host's clock as of its last `tick` (0 before the first): timestamps for events the
    /// host does not time itself (identity changes, ANRs seen from the watchdog thread).
    host_ms: Arc<AtomicU64>,
    hierarchy: HierarchyWorker<SessionRef>,
    /// The session artifacts are attributed to (shared with the ANR watchdog's thread).
    current: Arc<Mutex<Option<SessionRef>>>,
    watchdog: Mutex<Option<Watchdog>>,
    /// The watchdog's lock-free handle for the host's thread.
    pulse: Option<Pulse>,
    stats: Stats,
    device_info: Value,
    /// Hosts of the SDK's own API: its requests are never recorded as network events.
    own_hosts: Vec<String>,
    recording: AtomicBool,
    closed: AtomicBool,
    sdk_version: String,
    /// The remote config fetch thread (`None` when remote config is off).
    remote: Option<crate::remote_config::RemoteConfigSource>,
    remote_hold_ms: u64,
    /// The running session's plan (mode, interval, masks, duration).
    plan: Mutex<modes::PlanState>,
}

/// Which session new artifacts belong to.
#[derive(Debug, Clone, PartialEq)]
struct SessionRef {
    /// Shared, so attributing a frame's tree to its session copies no string.
    id: Arc<str>,
    sampled_in: bool,
}

#[derive(Debug)]
struct EventState {
    rec: EventRecorder,
    /// Next batch number within the current session.
    batch_number: u64,
}

fn artifact(
    s: &SessionRef,
    kind: ArtifactKind,
    start_ms: u64,
    end_ms: u64,
    items: u64,
    batch: u64,
    body: Vec<u8>,
) -> Artifact {
    Artifact::new(
        kind,
        &s.id,
        s.sampled_in,
        start_ms,
        end_ms,
        items,
        batch,
        body,
    )
}

/// The session end call as an artifact.
fn end_artifact(ended: &Ended, body: Value) -> Artifact {
    let s = &ended.session;
    let body = serde_json::to_vec(&body).unwrap_or_default();
    let (kind, end) = (ArtifactKind::SessionEnd, ended.ended_at_ms);
    Artifact::new(kind, &s.id, s.sampled_in, s.start_ms, end, 0, 0, body)
}

/// The uploader pulls sealed frame bundles straight from the pipeline.
impl BundleSource for Pipeline {
    fn take_bundle(&self) -> Option<crate::bundle::Bundle> {
        Pipeline::take_bundle(self)
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").finish_non_exhaustive()
    }
}

impl Client {
    /// Validates everything, opens the spool (resuming earlier runs' artifacts) and starts
    /// the encoder and upload threads. Recording begins with [`Client::start`].
    pub fn new(mut opts: ClientOptions) -> Result<Self, ClientError> {
        let sessions = SessionManager::new(opts.session.clone())?;
        // Before any thread starts: the remote-config fetch uses the same API URL.
        opts.delivery.validate()?;
        let remote = modes::start_remote(&opts)?;
        let plan = modes::PlanState::new(&opts);
        // Device auth and presigns describe the device the same way event batches do.
        let no_metadata = opts
            .delivery
            .device_metadata
            .as_object()
            .is_none_or(|m| m.is_empty());
        if no_metadata {
            opts.delivery.device_metadata = opts.device_info.clone();
        }
        let uploader = Uploader::start(opts.delivery.clone())?;
        let pipeline = Arc::new(Pipeline::new(
            opts.capture.clone(),
            SessionTag {
                id: "".into(),
                start_ms: 0,
            },
        )?);
        pipeline.set_capture_stopped(true);
        pipeline.set_bundle_notify(uploader.notifier());
        uploader.set_source(pipeline.clone());
        let current: Arc<Mutex<Option<SessionRef>>> = Arc::new(Mutex::new(None));
        let events = Arc::new(Mutex::new(EventState {
            rec: EventRecorder::new(opts.events),
            batch_number: 0,
        }));
        let host_ms = Arc::new(AtomicU64::new(0));
        let anrs = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let watchdog = if opts.anr_threshold_ms > 0 {
            let (current, anrs, enqueue) = (current.clone(), anrs.clone(), uploader.enqueuer());
            let trigger = uploader.buffer_trigger();
            let (events, host_ms) = (events.clone(), host_ms.clone());
            // Runs on the watchdog thread while the main thread is stuck: the incident goes
            // to the spool at once, so it survives the OS killing the app.
            let sink = move |r: AnrReport| {
                let AnrReport::Started { duration_ms } = r else {
                    return;
                };
                anrs.fetch_add(1, Relaxed);
                let Some(s) = lock(&current).clone() else {
                    return;
                };
                let now = wall_clock_ms();
                let incident = new_incident_id();
                let body = serde_json::to_vec(&anr_body(&incident, &s.id, now, duration_ms))
                    .unwrap_or_default();
                enqueue(artifact(&s, ArtifactKind::Fault, now, now, 1, 0, body));
                // An ANR flushes an on-error buffer (durably: the OS may kill the app now);
                // the host's next tick switches the session to recording.
                trigger(&s.id);
                // Also in the event stream (same incident id: the backend counts it once), at
                // the host's time of its last tick. Never wait for the lock on this thread:
                // the fault above already carries the incident.
                if let Ok(mut ev) = events.try_lock() {
                    let at = host_ms.load(Relaxed);
                    ev.rec
                        .anr(if at == 0 { now } else { at }, duration_ms, &incident);
                }
            };
            Some(
                Watchdog::start(opts.anr_threshold_ms, sink)
                    .map_err(|e| ClientError::Delivery(DeliveryError::Thread(e.to_string())))?,
            )
        } else {
            None
        };
        let enqueue = uploader.enqueuer();
        let hierarchy = HierarchyWorker::start(opts.hierarchy.clone(), move |snap, session| {
            let body = gzip(&snap.json);
            let (ts, kind) = (snap.timestamp_ms, ArtifactKind::Hierarchy);
            enqueue(artifact(session, kind, ts, ts, 1, 0, body));
        })
        .map_err(|e| ClientError::Delivery(DeliveryError::Thread(e.to_string())))?;
        let pulse = watchdog.as_ref().map(Watchdog::pulse);
        let stats = Stats {
            pipeline: pipeline.clone(),
            delivery: uploader.snapshotter(),
            events: events.clone(),
            hierarchy: Arc::new(hierarchy.counters_reader()),
            anrs,
            sessions_started: Arc::new(AtomicU64::new(0)),
            crashes: Arc::new(AtomicU64::new(0)),
        };
        let own_hosts = url::Url::parse(&opts.delivery.api_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .into_iter()
            .collect();
        Ok(Self {
            observer: Mutex::new(None),
            pipeline,
            uploader,
            sessions: Mutex::new(sessions),
            capture_request: CaptureRequest {
                walk_max_nodes: opts.capture.walk_max_nodes,
                walk_budget_ms: opts.capture.walk_budget_ms,
                capture_scale: opts.capture.capture_scale,
            },
            masks: Mutex::new(MaskState {
                opts: opts.masks,
                rects: Vec::new(),
                masked: Vec::new(),
                strings: StringTable::new(opts.strings),
            }),
            events,
            host_ms,
            hierarchy,
            current,
            watchdog: Mutex::new(watchdog),
            pulse,
            stats,
            device_info: opts.device_info,
            own_hosts,
            recording: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            sdk_version: opts.delivery.sdk_version,
            remote_hold_ms: opts.remote.hold_ms,
            remote,
            plan: Mutex::new(plan),
        })
    }

    fn check_open(&self) -> Result<(), ClientError> {
        if self.closed.load(Acquire) {
            Err(ClientError::Closed)
        } else {
            Ok(())
        }
    }

    /// Starts recording a new session (ending a running one). Returns the session id.
    pub fn start(&self, now_ms: u64) -> Result<String, ClientError> {
        self.check_open()?;
        let (ended, session) = lock(&self.sessions).start(now_ms);
        if let Some(e) = ended {
            self.finish_session(e);
        }
        // Every new session asks the server again (the first one's fetch is in flight).
        if self.stats.sessions_started.load(Relaxed) > 0 {
            self.refetch_remote();
        }
        self.begin_capture(&session);
        Ok(session.id)
    }

    fn begin_capture(&self, s: &crate::session::Session) {
        self.stats.sessions_started.fetch_add(1, Relaxed);
        *lock(&self.current) = Some(SessionRef {
            id: s.id.as_str().into(),
            sampled_in: s.sampled_in,
        });
        lock(&self.events).batch_number = 0;
        self.pipeline.set_session(SessionTag {
            id: s.id.as_str().into(),
            start_ms: s.start_ms,
        });
        // The plan decides what is captured: an unsampled session captures nothing (its
        // events and end call still say so), a buffered one keeps its last window on the
        // device, and the first capture may wait briefly for the remote config.
        self.plan_new_session(s);
        self.recording.store(true, Release);
        let observer = lock(&self.observer).clone();
        if let Some(o) = observer {
            o.session_started(&s.id);
        }
    }

    /// Registers (or clears) the session observer.
    pub fn set_observer(&self, observer: Option<Arc<dyn SessionObserver>>) {
        *lock(&self.observer) = observer;
    }

    /// Cuts and queues event batches for the current session: the due ones, or everything
    /// buffered when `force`.
    fn flush_events(&self, now_ms: u64, force: bool) {
        let Some(session) = lock(&self.current).clone() else {
            return;
        };
        let off = self.events_off();
        let mut st = lock(&self.events);
        while let Some(batch) = st.rec.take_batch(now_ms, force) {
            if off {
                // The server switched the project off: nothing is sent.
                continue;
            }
            let body = gzip(&batch_body(&batch, &self.device_info));
            let n = st.batch_number;
            st.batch_number += 1;
            let items = batch.events.len() as u64;
            self.uploader.enqueue(artifact(
                &session,
                ArtifactKind::Events,
                batch.first_ms,
                batch.last_ms,
                items,
                n,
                body,
            ));
            if !force {
                break;
            }
        }
    }

    /// Seals the ended session's frames and queues its end call behind them, without the
    /// caller waiting: the hierarchy worker finishes the session's last trees, then the
    /// encoder seals its last bundle, then the end call (with the session's final figures)
    /// is queued, so the spool holds them in that order.
    fn finish_session(&self, ended: Ended) {
        self.flush_events(ended.ended_at_ms, true);
        let metrics = lock(&self.events).rec.take_metrics();
        let (pipeline, stats) = (self.pipeline.clone(), self.stats.clone());
        let (enqueue, sdk) = (self.uploader.enqueuer(), self.sdk_version.clone());
        let session_id = ended.session.id.clone();
        let reason = ended.reason.as_str();
        self.hierarchy.then(Box::new(move || {
            let encoder = pipeline.clone();
            encoder.flush_then(Box::new(move || {
                let body = ended.end_body(&sdk, metrics.to_json(), stats.sdk_telemetry());
                enqueue(end_artifact(&ended, body));
            }));
        }));
        *lock(&self.current) = None;
        let observer = lock(&self.observer).clone();
        if let Some(o) = observer {
            o.session_ended(&session_id, reason);
        }
    }

    fn rotate(&self, r: Rotation) {
        self.finish_session(r.ended);
        self.refetch_remote();
        self.begin_capture(&r.started);
    }

    /// The current session id, if recording.
    pub fn session_id(&self) -> Option<String> {
        lock(&self.sessions).current().map(|s| s.id.clone())
    }

    /// Asks whether to capture now (see [`crate::policy`]). Also rotates a session that
    /// reached its maximum duration and stops capturing sessions the backend closed. The next
    /// tick is within [`crate::policy::MIN_TICK_MS`]..=[`crate::policy::MAX_TICK_MS`].
    pub fn tick(&self, now_ms: u64) -> Result<Decision, ClientError> {
        self.decide_tick(now_ms).map(Decision::clamped)
    }

    /// What the core asks of each capture: the walk's budget and the scale to draw at.
    pub fn capture_request(&self) -> CaptureRequest {
        self.capture_request
    }

    fn decide_tick(&self, now_ms: u64) -> Result<Decision, ClientError> {
        self.check_open()?;
        self.host_ms.store(now_ms, Relaxed);
        if !self.recording.load(Acquire) {
            return Ok(Decision {
                action: Action::Skip(SkipReason::Stopped),
                next_check_ms: 1000,
            });
        }
        let rotation = lock(&self.sessions).check_duration(now_ms);
        if let Some(r) = rotation {
            self.rotate(r);
        }
        if self.uploader.is_disabled() {
            // The backend disabled the project: record nothing more (telemetry says why).
            self.recording.store(false, Release);
            self.pipeline.set_capture_stopped(true);
            return Ok(Decision {
                action: Action::Skip(SkipReason::Stopped),
                next_check_ms: 1000,
            });
        }
        if let Some(id) = self.session_id() {
            if self.uploader.is_session_closed(&id) {
                // Its replay was declined: no more frames; events and the end call go on.
                self.pipeline.set_capture_stopped(true);
            }
        }
        if let Some(held) = self.poll_plan(now_ms) {
            return Ok(held);
        }
        self.flush_events(now_ms, false);
        Ok(self.pipeline.tick(now_ms))
    }

    /// Queues an artifact built elsewhere (event batches, hierarchy snapshots, faults).
    pub fn enqueue(&self, artifact: Artifact) -> Result<(), ClientError> {
        self.check_open()?;
        self.uploader.enqueue(artifact);
        Ok(())
    }

    /// Ends the session (its end call is queued behind its frames) and stops capturing.
    pub fn stop(&self, now_ms: u64) -> Result<(), ClientError> {
        self.check_open()?;
        self.recording.store(false, Release);
        self.pipeline.set_capture_stopped(true);
        let ended = lock(&self.sessions).end(now_ms, EndReason::Stopped);
        match ended {
            Some(e) => {
                self.finish_session(e);
                Ok(())
            }
            None => Err(ClientError::NotStarted),
        }
    }

    /// Opt-out: stops capture and deletes everything not yet delivered.
    pub fn opt_out(&self, now_ms: u64) {
        self.recording.store(false, Release);
        self.pipeline.set_capture_stopped(true);
        lock(&self.sessions).end(now_ms, EndReason::OptOut);
        *lock(&self.current) = None;
        lock(&self.events).rec.clear();
        while self.pipeline.take_bundle().is_some() {}
        self.uploader.purge();
    }

    pub fn telemetry(&self) -> ClientSnapshot {
        let mut snap = self.stats.read(self.session_id());
        snap.plan = self.session_plan();
        snap.remote_config = self.remote_state();
        snap.strings = lock(&self.masks).strings.counters();
        snap
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.shutdown(Duration::ZERO);
    }
}
