//! The SDK facade: one [`Client`] per app process ties the capture pipeline, the session
//! lifecycle and delivery together. The FFI layer wraps exactly this type; every method is
//! cheap, non-blocking on the host's hot path, and returns a typed error for bad input.

use std::sync::atomic::{AtomicBool, Ordering::*};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

use crate::config::Config;
use crate::error::{FrameError, PolicyError};
use crate::frame::{FrameSpec, Rect};
use crate::masks::{mask_rects, MaskOptions, NodeError, ViewNode};
use crate::pipeline::{Pipeline, PipelineError, SessionTag};
use crate::policy::{Action, Decision};
use crate::session::{EndReason, Ended, Rotation, SessionConfig, SessionError, SessionManager};
use crate::spool::{ArtifactKind, ArtifactMeta};
use crate::telemetry::{SkipReason, TelemetrySnapshot};
use crate::upload::{
    idempotency_key, wall_clock_ms, Artifact, DeliveryConfig, DeliveryError, DeliverySnapshot,
    Uploader,
};

/// Everything a host configures.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub capture: Config,
    pub delivery: DeliveryConfig,
    pub session: SessionConfig,
    pub masks: MaskOptions,
}

impl ClientOptions {
    pub fn new(delivery: DeliveryConfig) -> Self {
        Self {
            capture: Config::default(),
            delivery,
            session: SessionConfig::default(),
            masks: MaskOptions::default(),
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
    Policy(#[from] PolicyError),
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
}

/// Told when sessions start and end (the host may show a badge, log, or link ids).
pub trait SessionObserver: Send + Sync {
    fn session_started(&self, session_id: &str);
    fn session_ended(&self, session_id: &str, reason: &str);
}

pub struct Client {
    observer: Mutex<Option<Arc<dyn SessionObserver>>>,
    pipeline: Arc<Pipeline>,
    uploader: Uploader,
    sessions: Mutex<SessionManager>,
    masks: MaskOptions,
    mask_scratch: Mutex<Vec<Rect>>,
    recording: AtomicBool,
    closed: AtomicBool,
    sdk_version: String,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Client {
    /// Validates everything, opens the spool (resuming earlier runs' artifacts) and starts
    /// the encoder and upload threads. Recording begins with [`Client::start`].
    pub fn new(opts: ClientOptions) -> Result<Self, ClientError> {
        let sessions = SessionManager::new(opts.session.clone())?;
        let uploader = Uploader::start(opts.delivery.clone())?;
        let pipeline = Arc::new(Pipeline::new(
            opts.capture.clone(),
            SessionTag {
                id: "".into(),
                start_ms: 0,
            },
        )?);
        pipeline.with_policy(|p| p.set_stopped(true));
        pipeline.set_bundle_notify(uploader.notifier());
        uploader.set_source(pipeline.clone());
        Ok(Self {
            observer: Mutex::new(None),
            pipeline,
            uploader,
            sessions: Mutex::new(sessions),
            masks: opts.masks,
            mask_scratch: Mutex::new(Vec::new()),
            recording: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            sdk_version: opts.delivery.sdk_version,
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
        self.begin_capture(&session);
        Ok(session.id)
    }

    fn begin_capture(&self, s: &crate::session::Session) {
        self.pipeline.set_session(SessionTag {
            id: s.id.as_str().into(),
            start_ms: s.start_ms,
        });
        self.uploader.set_sampled_in(s.sampled_in);
        // An unsampled session captures nothing; its events and end call still say so.
        self.pipeline.with_policy(|p| p.set_stopped(!s.sampled_in));
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

    /// Seals the ended session's frames and queues its end call behind them.
    fn finish_session(&self, ended: Ended) {
        let token = self.pipeline.flush();
        // Bounded: the encoder holds at most a few raw frames.
        self.pipeline.wait_flushed(token, Duration::from_secs(2));
        self.uploader.notify();
        let telemetry = serde_json::to_value(self.telemetry()).unwrap_or(json!({}));
        let body = ended.end_body(&self.sdk_version, telemetry);
        let meta = ArtifactMeta {
            kind: ArtifactKind::SessionEnd,
            session_id: ended.session.id.clone(),
            start_ms: ended.session.start_ms,
            end_ms: ended.ended_at_ms,
            item_count: 0,
            batch_number: 0,
            idempotency_key: idempotency_key(
                &ended.session.id,
                ArtifactKind::SessionEnd,
                ended.ended_at_ms,
            ),
            created_ms: wall_clock_ms(),
            is_sampled_in: ended.session.sampled_in,
        };
        self.uploader.enqueue(Artifact {
            meta,
            body: serde_json::to_vec(&body).unwrap_or_default(),
        });
        let observer = lock(&self.observer).clone();
        if let Some(o) = observer {
            o.session_ended(&ended.session.id, ended.reason.as_str());
        }
    }

    fn rotate(&self, r: Rotation) {
        self.finish_session(r.ended);
        self.begin_capture(&r.started);
    }

    /// The current session id, if recording.
    pub fn session_id(&self) -> Option<String> {
        lock(&self.sessions).current().map(|s| s.id.clone())
    }

    /// Asks whether to capture now (see [`crate::policy`]). Also rotates a session that
    /// reached its maximum duration and stops capturing sessions the backend closed.
    pub fn tick(&self, now_ms: u64) -> Result<Decision, ClientError> {
        self.check_open()?;
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
        if let Some(id) = self.session_id() {
            if self.uploader.is_session_closed(&id) {
                self.pipeline.with_policy(|p| p.set_stopped(true));
            }
        }
        Ok(self.pipeline.tick(now_ms))
    }

    /// Hands over a captured frame with the view tree it showed; the core decides the masks.
    pub fn submit_frame(
        &self,
        pixels: Vec<u8>,
        spec: FrameSpec,
        nodes: &[ViewNode],
        ts_ms: u64,
    ) -> Result<(), ClientError> {
        self.check_open()?;
        if !self.recording.load(Acquire) {
            return Err(ClientError::NotStarted);
        }
        let mut masks = lock(&self.mask_scratch);
        mask_rects(nodes, &self.masks, &mut masks)?;
        Ok(self.pipeline.submit_frame(pixels, spec, &masks, ts_ms)?)
    }

    /// Hands over a frame with explicit mask rectangles (points).
    pub fn submit_frame_with_masks(
        &self,
        pixels: Vec<u8>,
        spec: FrameSpec,
        masks: &[Rect],
        ts_ms: u64,
    ) -> Result<(), ClientError> {
        self.check_open()?;
        if !self.recording.load(Acquire) {
            return Err(ClientError::NotStarted);
        }
        Ok(self.pipeline.submit_frame(pixels, spec, masks, ts_ms)?)
    }

    pub fn report_capture_cost(&self, ms: f64) -> Result<(), ClientError> {
        Ok(self.pipeline.report_capture_cost(ms)?)
    }

    pub fn touch_began(&self) {
        self.pipeline.with_policy(|p| p.touch_began());
    }
    pub fn touch_ended(&self, now_ms: u64) {
        self.pipeline.with_policy(|p| p.touch_ended(now_ms));
    }
    pub fn scroll_began(&self) {
        self.pipeline.with_policy(|p| p.scroll_began());
    }
    pub fn scroll_ended(&self, now_ms: u64) {
        self.pipeline.with_policy(|p| p.scroll_ended(now_ms));
    }

    /// The app went to background: capture pauses and the open bundle is sealed so it can
    /// be delivered (the OS may kill us in background).
    pub fn app_backgrounded(&self, now_ms: u64) {
        self.pipeline.with_policy(|p| p.set_background(true));
        lock(&self.sessions).backgrounded(now_ms);
        self.pipeline.flush();
    }

    /// The app is back: the session continues, or a new one starts after a long absence.
    pub fn app_foregrounded(&self, now_ms: u64) {
        let rotation = lock(&self.sessions).foregrounded(now_ms);
        if let Some(r) = rotation {
            self.rotate(r);
        }
        self.pipeline.with_policy(|p| p.set_background(false));
    }

    /// Sets (or clears) the user id for this and later sessions.
    pub fn identify(&self, user_id: Option<String>) {
        lock(&self.sessions).identify(user_id);
    }

    /// Queues an artifact built elsewhere (event batches, hierarchy snapshots, faults).
    pub fn enqueue(&self, artifact: Artifact) -> Result<(), ClientError> {
        self.check_open()?;
        self.uploader.enqueue(artifact);
        Ok(())
    }

    /// Seals the open bundle and waits up to `timeout` until it is handed to the spooler
    /// (encoding done), without waiting for delivery.
    pub fn flush_capture(&self, timeout: Duration) -> bool {
        let token = self.pipeline.flush();
        self.pipeline.wait_flushed(token, timeout)
    }

    /// Seals the open bundle and waits up to `timeout` until everything captured so far is
    /// on disk in the spool (safe from a kill), without waiting for delivery.
    pub fn persist(&self, timeout: Duration) -> bool {
        let token = self.pipeline.flush();
        self.pipeline.wait_flushed(token, timeout) && self.uploader.wait_spooled(timeout)
    }

    /// Waits up to `timeout` until every submitted frame is encoded, without sealing the
    /// open bundle.
    pub fn sync_capture(&self, timeout: Duration) -> bool {
        self.pipeline.sync(timeout)
    }

    /// Seals the open bundle and waits up to `timeout` for everything to be delivered.
    /// Returns whether all of it was. Meant for tests, demos and app shutdown paths, not the
    /// main thread.
    pub fn flush(&self, timeout: Duration) -> bool {
        let token = self.pipeline.flush();
        let sealed = self.pipeline.wait_flushed(token, timeout);
        sealed && self.uploader.wait_idle(timeout)
    }

    /// Ends the session (its end call is queued behind its frames) and stops capturing.
    pub fn stop(&self, now_ms: u64) -> Result<(), ClientError> {
        self.check_open()?;
        self.recording.store(false, Release);
        self.pipeline.with_policy(|p| p.set_stopped(true));
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
        self.pipeline.with_policy(|p| p.set_stopped(true));
        lock(&self.sessions).end(now_ms, EndReason::OptOut);
        while self.pipeline.take_bundle().is_some() {}
        self.uploader.purge();
    }

    pub fn telemetry(&self) -> ClientSnapshot {
        ClientSnapshot {
            session_id: self.session_id(),
            capture: self.pipeline.telemetry(),
            delivery: self.uploader.snapshot(),
        }
    }

    /// Stops both threads, trying to deliver for up to `drain`; what remains stays spooled
    /// for the next start.
    pub fn shutdown(&self, drain: Duration) {
        if self.closed.swap(true, AcqRel) {
            return;
        }
        self.recording.store(false, Release);
        self.pipeline.stop();
        self.uploader.notify();
        self.uploader.shutdown(drain);
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.shutdown(Duration::ZERO);
    }
}
