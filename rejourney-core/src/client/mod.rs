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
    batch_body, place_touch, EventConfig, EventCounters, EventError, EventRecorder, Gesture,
    NetworkRequest, PropValue, TouchPosition, TouchPrivacy,
};
use crate::frame::{FrameSpec, Rect};
use crate::hierarchy::{
    HierarchyConfig, HierarchyCounters, Job as TreeJob, SnapshotWorker as HierarchyWorker,
};
use crate::incident::{anr_body, crash_body, new_incident_id};
use crate::masks::{
    check_tree, mask_decisions, moving_masked_node, MaskOptions, NodeError, NodeList, ViewNode,
};
use crate::metrics::{sdk_telemetry, SdkCounts, TelemetryBaseline};
use crate::pipeline::{Pipeline, PipelineError, SessionTag};
use crate::policy::{Action, Decision};
use crate::session::{EndReason, Ended, Rotation, SessionConfig, SessionError, SessionManager};
use crate::session_store::{SessionRecord, SessionStore, SAVE_EVERY_MS};
use crate::strings::{StringLimits, StringTable, StringsError, StringsUpdate};
use crate::telemetry::{DropReason, SkipReason, TelemetrySnapshot};
use crate::upload::{
    wall_clock_ms, Artifact, BundleSource, DeliveryConfig, DeliveryError, DeliverySnapshot,
    Uploader,
};
use crate::wait::{lock, Deadline};

mod anr_sink;
mod capture;
mod consent;
mod device;
mod flush;
mod handoff;
mod lifecycle;
mod links;
mod modes;
mod observer;
mod record;
mod stalls;
mod stats;
mod wrapper;

use lifecycle::{end_artifact, record_stall};

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
    /// Device-aware capture and upload ([`crate::device_policy`]).
    pub device: crate::device_policy::DevicePolicyConfig,
    /// Session links: the dashboard's origin and the hosts that get the session header.
    pub links: crate::session_links::LinkOptions,
    /// Tracking consent when no earlier run kept one ([`crate::consent`]; default granted).
    pub initial_consent: crate::consent::Consent,
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
            device: Default::default(),
            links: Default::default(),
            initial_consent: Default::default(),
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
    /// An invalid device-policy option (`low_battery_threshold`, `throttle_factor`).
    #[error(transparent)]
    Device(#[from] crate::device_policy::DeviceStateError),
    /// An invalid `dashboard_url` or `trace_hosts` entry.
    #[error(transparent)]
    Links(#[from] crate::session_links::LinkError),
    #[error("invalid argument: {0}")]
    InvalidArgument(&'static str),
    #[error("recording has not been started")]
    NotStarted,
    /// The user denied tracking consent: nothing is recorded until it changes.
    #[error("tracking consent is denied")]
    ConsentDenied,
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
    /// The session state files (written, failed, earlier sessions ended at launch).
    pub session_store: crate::session_store::StoreCounters,
    /// The device state and what the device policy did.
    pub device: crate::device_policy::DeviceCounters,
    /// The debug frame observer's deliveries and drops.
    pub frame_observer: crate::frame_observer::ObserverCounters,
    /// The tracking consent and what it did.
    pub consent: crate::consent::ConsentCounters,
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
    /// Before a walk, a shim whose string table holds this many strings, or this many
    /// UTF-8 bytes, starts a new one ([`StringLimits::reset_at`]).
    pub strings_reset_strings: u32,
    pub strings_reset_bytes: u64,
}

/// See [`Client::masks`].
struct MaskState {
    opts: MaskOptions,
    rects: Vec<Rect>,
    masked: Vec<bool>,
    /// The shim's string table (class names, test ids, tags), updated with each frame.
    strings: StringTable,
    /// Touch privacy: the masks of the last frame whose whole tree was checked, whether they
    /// describe the screen the user sees (not before a session's first such frame or after
    /// a screen change), and the mode ([`crate::events::place_touch`]).
    touch: record::TouchMasks,
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
    /// The SDK's own API (its URL prefix): its requests are never recorded as network events.
    own_hosts: Vec<String>,
    recording: AtomicBool,
    closed: AtomicBool,
    sdk_version: String,
    /// The remote config fetch thread (`None` when remote config is off).
    remote: Option<crate::remote_config::RemoteConfigSource>,
    remote_hold_ms: u64,
    /// The running session's plan (mode, interval, masks, duration).
    plan: Mutex<modes::PlanState>,
    /// The counters as the running session began: its end call reports its own share.
    telemetry_since: Mutex<TelemetryBaseline>,
    /// The running session's state on disk (a killed app's session is ended next launch).
    store: SessionStore,
    /// Host time of the last state handed to the store.
    saved_ms: AtomicU64,
    /// Sessions begun by this process, newest last (at most [`RECENT_SESSIONS`]): an opt-out
    /// purges whatever of them is still on its way.
    recent: Mutex<std::collections::VecDeque<Arc<str>>>,
    /// A main-thread stall whose `anr` event waits for its real duration.
    stalls: stalls::Stalls,
    /// What the device's state allows (capture rate, uploads).
    device: crate::device_policy::DeviceGate,
    /// Replay URLs and tracing headers ([`crate::session_links`]).
    links: crate::session_links::SessionLinks,
    /// The user's tracking consent ([`crate::consent`]).
    consent: consent::ConsentState,
    /// Session ends on their way to the uploader (a hand-over of the spool waits for them).
    ends: handoff::EndsInFlight,
}

/// Sessions an opt-out remembers to purge (more than a process ends with work in flight).
const RECENT_SESSIONS: usize = 16;

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
        opts.device.validate()?;
        let links = crate::session_links::SessionLinks::new(&opts.delivery.api_url, &opts.links)?;
        // Before any thread starts: the remote-config fetch uses the same API URL.
        opts.delivery.validate()?;
        // Before any thread that could send starts: a launch with consent pending or
        // denied sends nothing at all.
        let consent = consent::ConsentState::open(&opts.delivery.spool_dir, opts.initial_consent)?;
        let held = consent.get() != crate::consent::Consent::Granted;
        let remote = modes::start_remote(&opts, held)?;
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
        // One client per directory at a time: an earlier one over it is told to hand it
        // over, and this one's disk threads wait for that, not this caller.
        let dir = &opts.delivery.spool_dir;
        let claim = crate::storage_owner::Claim::take(dir, opts.delivery.handoff_wait);
        let uploader = Uploader::start_claimed(opts.delivery.clone(), consent.get(), &claim)?;
        let pipeline = Arc::new(Pipeline::new(
            opts.capture.clone(),
            SessionTag {
                id: "".into(),
                start_ms: 0,
            },
        )?);
        pipeline.set_capture_stopped(true);
        pipeline.set_bundle_notify(uploader.notifier());
        let ends = handoff::EndsInFlight::default();
        let source = Arc::new(handoff::HandOffSource {
            pipeline: pipeline.clone(),
            ends: ends.clone(),
            after_seal: Mutex::new(None),
        });
        uploader.set_source(source.clone());
        let current: Arc<Mutex<Option<SessionRef>>> = Arc::new(Mutex::new(None));
        let touch_privacy = opts.events.touch_privacy;
        let events = Arc::new(Mutex::new(EventState {
            rec: EventRecorder::new(opts.events),
            batch_number: 0,
        }));
        let host_ms = Arc::new(AtomicU64::new(0));
        let anrs = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let stalls = stalls::Stalls::default();
        let watchdog = if opts.anr_threshold_ms > 0 {
            let sink = anr_sink::AnrSink {
                current: current.clone(),
                anrs: anrs.clone(),
                enqueue: uploader.enqueuer(),
                trigger: uploader.buffer_trigger(),
                events: events.clone(),
                host_ms: host_ms.clone(),
                stalls: stalls.clone(),
            }
            .into_fn();
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
        // Sessions earlier processes never ended (killed in background, crashed) are ended
        // now, at their last activity, through the spool.
        let (enqueue, sdk) = (uploader.enqueuer(), opts.delivery.sdk_version.clone());
        let store = SessionStore::start_after(
            opts.delivery.spool_dir.join(crate::session_store::DIR_NAME),
            claim.ticket(),
            move |earlier| {
                for r in earlier {
                    let ended = r.ended();
                    let body = ended.end_body(&sdk, r.metrics.to_json(), Value::Null);
                    enqueue(end_artifact(&ended, body));
                }
            },
        )
        .map_err(|e| ClientError::Delivery(DeliveryError::Thread(e.to_string())))?;
        let handed = store.clone();
        // On a hand-over, once the session ends on their way are queued (their state files
        // removed), the store writes what it holds and exits: the newer owner's store ends
        // only a session this one did not (as a next launch would).
        *lock(&source.after_seal) = Some(Box::new(move || handed.signal_stop()));
        drop(claim);
        let own_hosts = crate::events::own_api_prefix(&opts.delivery.api_url)
            .into_iter()
            .collect();
        let client = Self {
            observer: Mutex::new(None),
            pipeline,
            uploader,
            sessions: Mutex::new(sessions),
            capture_request: CaptureRequest {
                walk_max_nodes: opts.capture.walk_max_nodes,
                walk_budget_ms: opts.capture.walk_budget_ms,
                capture_scale: opts.capture.capture_scale,
                strings_reset_strings: opts.strings.reset_at().0,
                strings_reset_bytes: opts.strings.reset_at().1,
            },
            masks: Mutex::new(MaskState {
                opts: opts.masks,
                rects: Vec::new(),
                masked: Vec::new(),
                strings: StringTable::new(opts.strings),
                touch: record::TouchMasks::new(touch_privacy),
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
            telemetry_since: Mutex::new(TelemetryBaseline::default()),
            store,
            saved_ms: AtomicU64::new(0),
            recent: Mutex::new(Default::default()),
            stalls,
            device: crate::device_policy::DeviceGate::new(opts.device),
            links,
            consent,
            ends,
        };
        // A denial kept by an earlier run finishes its deletion (and ends nothing).
        client.apply_consent(client.consent.get(), 0);
        Ok(client)
    }

    fn check_open(&self) -> Result<(), ClientError> {
        // A newer client over the same spool directory took it over: this one is done.
        if self.closed.load(Acquire) || self.uploader.is_handed_off() {
            Err(ClientError::Closed)
        } else {
            Ok(())
        }
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
        let over = lock(&self.sessions).check_duration(now_ms);
        if let Some(ended) = over {
            // `maxRecordingMinutes`: the session ends and recording stops (no rotation).
            self.recording.store(false, Release);
            self.pipeline.set_capture_stopped(true);
            self.finish_session(ended);
            return Ok(Decision {
                action: Action::Skip(SkipReason::Stopped),
                next_check_ms: 1000,
            });
        }
        // Last activity, at most every few seconds (a kill loses no more than that).
        if now_ms.saturating_sub(self.saved_ms.load(Relaxed)) >= SAVE_EVERY_MS {
            self.save_session(now_ms);
        }
        if self.uploader.is_disabled() {
            // The backend disabled the project: record nothing more (telemetry says why),
            // and what is recorded but not yet handed on is deleted.
            self.recording.store(false, Release);
            self.pipeline.purge();
            lock(&self.events).rec.clear();
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
        // The device policy's capture side (a new session's policy starts without it).
        let (factor, stopped) = self.device.capture();
        self.pipeline.with_policy(|p| p.set_device(factor, stopped));
        Ok(self.pipeline.tick(now_ms))
    }

    /// Queues an artifact built elsewhere (event batches, hierarchy snapshots, faults).
    pub fn enqueue(&self, artifact: Artifact) -> Result<(), ClientError> {
        self.check_open()?;
        self.uploader.enqueue(artifact);
        Ok(())
    }

    pub fn telemetry(&self) -> ClientSnapshot {
        let mut snap = self.stats.read(self.session_id());
        snap.plan = self.session_plan();
        snap.remote_config = self.remote_state();
        snap.strings = lock(&self.masks).strings.counters();
        snap.session_store = self.store.counters();
        snap.device = self.device.counters();
        snap.frame_observer = self.pipeline.observer().counters();
        snap.consent = self.consent.counters();
        snap.consent.deleted = self.uploader.denial_deleted();
        snap
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.shutdown(Duration::ZERO);
    }
}
