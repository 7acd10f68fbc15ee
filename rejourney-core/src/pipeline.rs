//! The capture pipeline: one frame from `submit_frame` to a sealed bundle.
//!
//! ```text
//! host thread:  submit_frame ─ validate ─ redact (in place) ─▶ raw queue (drop-oldest, small)
//! encoder:      raw queue ─ fingerprint ─ [skip unchanged] ─ downscale? ─ JPEG ─ bundle
//!               bundle full / too old / flush ─ gzip ─▶ pending bundles (drop-oldest, 50/500)
//! consumer:     take_bundle() (the spool/uploader, the demo, tests)
//! ```
//!
//! Redaction happens on the caller's thread, before the buffer enters any queue, so no
//! unmasked pixel ever leaves `submit_frame`. A frame whose masks are invalid is dropped and
//! counted (fail closed). The caller never waits for an encode: the encoder runs on its own
//! thread and the queues drop their oldest item instead of blocking.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::*};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::bundle::{Bundle, BundleBuilder};
use crate::config::Config;
use crate::encode::{Encoder, PixelsRef};
use crate::error::{ConfigError, FrameError, PolicyError};
use crate::fingerprint::fingerprint;
use crate::frame::{FrameSpec, Rect};
use crate::frame_observer::{ObservedFrame, ObserverHub};
use crate::policy::{CapturePolicy, Decision};
use crate::queue::DropOldestQueue;
use crate::redact::Redactor;
use crate::scale::{target_size, Downscaler};
use crate::telemetry::{DropReason, Stage, Telemetry, TelemetrySnapshot};
use crate::wait::{lock, Deadline};

mod encoder_thread;
use encoder_thread::EncoderThread;

/// How often the encoder thread wakes to seal an open bundle that has grown too old.
const AGE_CHECK: Duration = Duration::from_millis(100);

/// The session frames are recorded for. Frames carry it so a session switch is ordered with
/// the frames around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionTag {
    pub id: Arc<str>,
    pub start_ms: u64,
}

/// A masked frame waiting for the encoder.
struct RawFrame {
    pixels: Vec<u8>,
    spec: FrameSpec,
    ts_ms: u64,
    session: Arc<SessionTag>,
    /// [`Shared::purges`] when it was submitted: a later purge deletes it.
    epoch: u64,
    /// The masks painted into it, kept only while a frame observer is registered.
    masks: Option<Vec<Rect>>,
}

/// State shared between the caller side and the encoder thread.
struct Shared {
    config: Config,
    telemetry: Arc<Telemetry>,
    raw: DropOldestQueue<RawFrame>,
    pending: DropOldestQueue<Bundle>,
    pending_frames: AtomicUsize,
    /// Latest time (epoch ms) the host told us about, for sealing old bundles.
    clock_ms: AtomicU64,
    paused: AtomicBool,
    stopping: AtomicBool,
    flush_requested: AtomicU64,
    /// Requests to acknowledge once queued frames are encoded, without sealing.
    sync_requested: AtomicU64,
    flush_done: Mutex<FlushState>,
    flush_cv: Condvar,
    /// Called after each sealed bundle (wakes the uploader).
    on_bundle: Mutex<Option<Notify>>,
    /// Work to run once the flush of its token is done (a session's end call, queued behind
    /// the session's last bundle without the host waiting for the encoder).
    after_flush: Mutex<Vec<(u64, AfterFlush)>>,
    /// Set by the encoder thread, under `after_flush`'s lock, as it takes the last follow-ups.
    encoder_done: AtomicBool,
    /// Purges so far ([`Pipeline::purge`]): frames and the open bundle of an earlier epoch
    /// are deleted by the encoder thread instead of encoded or sealed.
    purges: AtomicU64,
    /// The app's debug frame observer ([`crate::frame_observer`]).
    observer: Arc<ObserverHub>,
}

/// Work run on the encoder thread after a flush (see [`Pipeline::flush_then`]).
pub type AfterFlush = Box<dyn FnOnce() + Send>;

/// Progress of the encoder thread through flush and sync requests.
#[derive(Debug, Default)]
struct FlushState {
    flushed: u64,
    synced: u64,
}

/// A callback that wakes a consumer.
pub type Notify = Arc<dyn Fn() + Send + Sync>;

/// The pipeline. Cheap to call from any thread; owns one encoder thread.
pub struct Pipeline {
    shared: Arc<Shared>,
    policy: Mutex<CapturePolicy>,
    redactor: Mutex<Redactor>,
    session: Mutex<Arc<SessionTag>>,
    stopped: AtomicBool,
    /// Capture is stopped for now (no session, an unsampled or held session, a declined
    /// replay): `tick` says so, and a frame submitted anyway is dropped. A mirror of the
    /// policy's flag, read without its lock on the frame path.
    capture_stopped: AtomicBool,
    worker: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline").finish_non_exhaustive()
    }
}

/// Errors creating a pipeline.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("could not start the encoder thread: {0}")]
    Thread(String),
    #[error("could not create the JPEG encoder: {0}")]
    Encoder(String),
}

impl Pipeline {
    /// Validates `config` and starts the encoder thread for `session`.
    pub fn new(config: Config, session: SessionTag) -> Result<Self, PipelineError> {
        config.validate()?;
        let encoder = Encoder::new(config.jpeg_quality_percent())
            .map_err(|e| PipelineError::Encoder(e.to_string()))?;
        let shared = Arc::new(Shared {
            telemetry: Arc::new(Telemetry::new()),
            raw: DropOldestQueue::new(config.max_queued_raw_frames),
            pending: DropOldestQueue::new(config.max_pending_batches),
            pending_frames: AtomicUsize::new(0),
            clock_ms: AtomicU64::new(session.start_ms),
            paused: AtomicBool::new(false),
            stopping: AtomicBool::new(false),
            flush_requested: AtomicU64::new(0),
            sync_requested: AtomicU64::new(0),
            flush_done: Mutex::new(FlushState::default()),
            flush_cv: Condvar::new(),
            on_bundle: Mutex::new(None),
            after_flush: Mutex::new(Vec::new()),
            encoder_done: AtomicBool::new(false),
            purges: AtomicU64::new(0),
            observer: Arc::default(),
            config: config.clone(),
        });
        let session = Arc::new(session);
        let worker_shared = shared.clone();
        let builder = BundleBuilder::new(session.id.clone(), session.start_ms);
        let worker = std::thread::Builder::new()
            .name("rejourney-encoder".into())
            .spawn(move || EncoderThread::new(worker_shared, encoder, builder).run())
            .map_err(|e| PipelineError::Thread(e.to_string()))?;
        Ok(Self {
            policy: Mutex::new(CapturePolicy::new(&config)),
            redactor: Mutex::new(Redactor::new()),
            session: Mutex::new(session),
            stopped: AtomicBool::new(false),
            capture_stopped: AtomicBool::new(false),
            worker: Mutex::new(Some(worker)),
            shared,
        })
    }

    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// The frame observer's registration and counters.
    pub fn observer(&self) -> &ObserverHub {
        &self.shared.observer
    }

    pub fn telemetry(&self) -> TelemetrySnapshot {
        self.shared.telemetry.snapshot()
    }

    /// The live counters (for layers above that add their own, e.g. delivery).
    pub fn counters(&self) -> &Arc<Telemetry> {
        &self.shared.telemetry
    }

    pub fn session(&self) -> Arc<SessionTag> {
        lock(&self.session).clone()
    }

    /// Frames submitted after this call belong to `session`; the open bundle of the previous
    /// session is sealed when the first frame of the new one reaches the encoder.
    pub fn set_session(&self, session: SessionTag) {
        *lock(&self.session) = Arc::new(session);
        *lock(&self.policy) = CapturePolicy::new(&self.shared.config);
    }

    /// Asks the policy whether to capture at `now_ms` (the host's clock, epoch ms).
    pub fn tick(&self, now_ms: u64) -> Decision {
        self.shared.clock_ms.fetch_max(now_ms, Relaxed);
        let saturated = self.shared.raw.is_full();
        let (decision, counted) = lock(&self.policy).tick(now_ms, saturated);
        if let Some(reason) = counted {
            self.shared.telemetry.skipped(reason);
        }
        decision
    }

    /// Stops or resumes capture: the policy's ticks skip (`stopped`) and frames submitted
    /// anyway are dropped. The only way to stop capture short of [`Pipeline::stop`].
    pub fn set_capture_stopped(&self, stopped: bool) {
        let mut policy = lock(&self.policy);
        policy.set_stopped(stopped);
        self.capture_stopped.store(stopped, Release);
    }

    /// Whether capture is stopped for now ([`Pipeline::set_capture_stopped`]).
    pub fn is_capture_stopped(&self) -> bool {
        self.capture_stopped.load(Acquire)
    }

    /// A stop-everything (opt-out, kill switch): stops capture and deletes every frame not
    /// yet handed on — the raw queue, the open bundle (the encoder thread deletes it, and
    /// any frame it is encoding now, before sealing) and the sealed bundles waiting —
    /// counted `purged` per frame. Never waits for the encoder. A bundle the uploader took a
    /// moment before is the uploader's to purge (by session).
    pub fn purge(&self) {
        self.set_capture_stopped(true);
        self.shared.purges.fetch_add(1, AcqRel);
        let t = &self.shared.telemetry;
        while self.shared.raw.pop().is_some() {
            t.dropped(DropReason::Purged, 1);
        }
        while let Some(b) = self.take_bundle() {
            Telemetry::add(&t.bundles_dropped, 1);
            t.dropped(DropReason::Purged, b.frame_count as u64);
        }
        self.shared.raw.ring();
    }

    /// Runs `f` on the capture policy (touch/scroll/background/cost reports).
    pub fn with_policy<R>(&self, f: impl FnOnce(&mut CapturePolicy) -> R) -> R {
        f(&mut lock(&self.policy))
    }

    /// Counts a frame the host offered but the caller dropped before submitting (e.g. its
    /// view tree was truncated, so masks could not be trusted).
    pub fn count_drop(&self, reason: DropReason) {
        let t = &self.shared.telemetry;
        Telemetry::add(&t.frames_offered, 1);
        t.dropped(reason, 1);
    }

    /// Validates a frame's geometry against its buffer length before anything else looks at
    /// it; an invalid frame is counted as offered and dropped.
    pub fn check_frame(&self, buffer_len: usize, spec: &FrameSpec) -> Result<(), FrameError> {
        let cfg = &self.shared.config;
        spec.validate(buffer_len, cfg.max_frame_side_px, cfg.max_frame_bytes)
            .inspect_err(|_| self.count_drop(DropReason::InvalidFrame))
    }

    pub fn report_capture_cost(&self, ms: f64) -> Result<(), PolicyError> {
        lock(&self.policy).report_capture_cost(ms)
    }

    /// Hands a captured frame to the pipeline: validates it, paints `masks` (points) black in
    /// place, and queues it for encoding. Never encodes on the caller's thread.
    ///
    /// On any error the frame is dropped and counted; nothing of it is ever encoded.
    pub fn submit_frame(
        &self,
        pixels: Vec<u8>,
        spec: FrameSpec,
        masks: &[Rect],
        ts_ms: u64,
    ) -> Result<(), FrameError> {
        self.submit_frame_accepted(pixels, spec, masks, ts_ms)
            .map(|_| ())
    }

    /// [`Pipeline::submit_frame`], saying whether the frame was queued (`false`: valid, but
    /// dropped because capture is stopped — then nothing else of it, such as its view tree,
    /// may leave either).
    pub fn submit_frame_accepted(
        &self,
        mut pixels: Vec<u8>,
        spec: FrameSpec,
        masks: &[Rect],
        ts_ms: u64,
    ) -> Result<bool, FrameError> {
        let start = Instant::now();
        let t = &self.shared.telemetry;
        Telemetry::add(&t.frames_offered, 1);
        Telemetry::add(&t.bytes_in, pixels.len() as u64);
        if self.stopped.load(Acquire) {
            t.dropped(DropReason::Stopped, 1);
            return Err(FrameError::Stopped);
        }
        let cfg = &self.shared.config;
        if let Err(e) = spec.validate(pixels.len(), cfg.max_frame_side_px, cfg.max_frame_bytes) {
            t.dropped(DropReason::InvalidFrame, 1);
            return Err(e);
        }
        let redact_start = Instant::now();
        let regions = match lock(&self.redactor).apply(&mut pixels, &spec, masks) {
            Ok(n) => n,
            Err(e) => {
                // Fail closed: the partly masked buffer is freed here, never queued.
                t.dropped(DropReason::InvalidMask, 1);
                return Err(e);
            }
        };
        t.time(Stage::Redact, redact_start.elapsed());
        if self.capture_stopped.load(Acquire) {
            // A host that submits without asking `tick` (or races it) records nothing the
            // session may not record: checked after the frame and its masks were validated,
            // so bad input still gets its typed error; counted, not an error.
            t.dropped(DropReason::Stopped, 1);
            return Ok(false);
        }
        Telemetry::add(&t.masked_regions, regions as u64);
        self.shared.clock_ms.fetch_max(ts_ms, Relaxed);
        let session = self.session();
        let epoch = self.shared.purges.load(Acquire);
        let masks = self.shared.observer.active().then(|| masks.to_vec());
        if self
            .shared
            .raw
            .push(RawFrame {
                pixels,
                spec,
                ts_ms,
                session,
                epoch,
                masks,
            })
            .is_some()
        {
            t.dropped(DropReason::RawQueueFull, 1);
        }
        t.time(Stage::Submit, start.elapsed());
        Ok(true)
    }

    /// Registers the callback run after each sealed bundle.
    pub fn set_bundle_notify(&self, notify: Notify) {
        *lock(&self.shared.on_bundle) = Some(notify);
    }

    /// Takes the oldest sealed bundle, if any.
    pub fn take_bundle(&self) -> Option<Bundle> {
        let b = self.shared.pending.pop()?;
        self.shared.pending_frames.fetch_sub(b.frame_count, AcqRel);
        Some(b)
    }

    /// Blocks up to `timeout` for a bundle to be sealed (for consumer threads).
    pub fn wait_for_bundle(&self, timeout: Duration) -> Option<Bundle> {
        if let Some(b) = self.take_bundle() {
            return Some(b);
        }
        self.shared.pending.wait(Some(timeout));
        self.take_bundle()
    }

    pub fn pending_bundles(&self) -> usize {
        self.shared.pending.len()
    }

    /// Holds (or releases) the encoder thread: frames queue up and are dropped oldest-first.
    /// Used when the host needs every cycle (and by tests to stall the encoder).
    pub fn set_encoder_paused(&self, paused: bool) {
        self.shared.paused.store(paused, Release);
        self.shared.raw.ring();
    }

    /// Asks the encoder to seal the open bundle after the frames already queued. Returns a
    /// token for [`Pipeline::wait_flushed`].
    pub fn flush(&self) -> u64 {
        let token = self.shared.flush_requested.fetch_add(1, AcqRel) + 1;
        self.shared.raw.ring();
        token
    }

    /// Seals the open bundle after the frames already queued, then runs `then` on the encoder
    /// thread (after the bundle is handed on). Never waits. A stopped pipeline runs `then`
    /// at once, here.
    pub fn flush_then(&self, then: AfterFlush) {
        {
            let mut after = lock(&self.shared.after_flush);
            if !self.shared.encoder_done.load(Acquire) {
                // Under the lock, so the encoder cannot pass this token before it is listed.
                let token = self.shared.flush_requested.fetch_add(1, AcqRel) + 1;
                after.push((token, then));
                drop(after);
                self.shared.raw.ring();
                return;
            }
        }
        then();
    }

    /// Waits until the flush `token` is done. Returns false on timeout.
    pub fn wait_flushed(&self, token: u64, timeout: Duration) -> bool {
        self.wait_for(|st| st.flushed >= token, timeout)
    }

    /// Waits until every frame submitted so far is encoded into the open bundle, without
    /// sealing it (for hosts and tests that pace submissions). Returns false on timeout.
    pub fn sync(&self, timeout: Duration) -> bool {
        let token = self.shared.sync_requested.fetch_add(1, AcqRel) + 1;
        self.shared.raw.ring();
        self.wait_for(|st| st.synced >= token, timeout)
    }

    fn wait_for(&self, done: impl Fn(&FlushState) -> bool, timeout: Duration) -> bool {
        // A finished encoder acknowledges nothing more: stop waiting for it (checked on each
        // wake-up; its last act is a notify).
        let deadline = Deadline::after(timeout);
        let st = lock(&self.shared.flush_done);
        let (st, ok) = deadline.wait_until(&self.shared.flush_cv, st, |st| {
            done(st) || self.worker_finished()
        });
        ok && done(&st)
    }

    fn worker_finished(&self) -> bool {
        lock(&self.worker).as_ref().is_none_or(|h| h.is_finished())
    }

    /// Stops accepting frames, encodes what is queued, seals the open bundle and joins the
    /// encoder thread. Bundles stay available through [`Pipeline::take_bundle`].
    pub fn stop(&self) {
        self.stopped.store(true, Release);
        self.set_capture_stopped(true);
        self.shared.paused.store(false, Release);
        self.shared.stopping.store(true, Release);
        self.shared.raw.ring();
        if let Some(h) = lock(&self.worker).take() {
            // The thread body catches nothing that can panic on host data; a join error
            // would mean a bug in our code, which we record rather than propagate.
            if h.join().is_err() {
                self.shared.telemetry.dropped(DropReason::EncodeFailed, 0);
            }
        }
    }

    pub fn is_stopped(&self) -> bool {
        self.stopped.load(Acquire)
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        self.stop();
    }
}
