//! The uploader's handle: starts the spooler and upload threads, takes artifacts without
//! ever blocking the host, and waits (with deadlines) for them to be spooled or delivered.
//! The host never waits on the network; every outcome is counted.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::*};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::buffer::Buffer;
pub use super::config::{DeliveryConfig, DeliveryError};
use super::deliver::Deliverer;
use super::http::Transport;
use super::protocol;
pub use super::shared::BundleSource;
use super::shared::{consent_code, hand_over, snapshot_of, Shared, SpooledAck};
use super::spooler::run_spooler;
use super::stats::Counters;
pub use super::stats::{DeliveryDrop, DeliverySnapshot};
use crate::artifact::Artifact;
use crate::queue::DropOldestQueue;
use crate::spool::Spool;
use crate::wait::{lock, Deadline};

/// Handle to the spooler and upload threads.
pub struct Uploader {
    shared: Arc<Shared>,
    spooler: Mutex<Option<Thread>>,
    thread: Mutex<Option<Thread>>,
    /// The upload thread's share of the spool directory: dropped when it exits, or when a
    /// shutdown abandons its request in flight (as a kill would: a next owner resumes that
    /// artifact with its kept idempotency key, which the backend answers once).
    upload_ticket: Arc<Mutex<Option<crate::storage_owner::Ticket>>>,
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

impl std::fmt::Debug for Uploader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Uploader").finish_non_exhaustive()
    }
}

impl Uploader {
    /// Creates the spool's directories and starts the spooler and upload threads. What
    /// earlier runs left (the spool's index, the on-error buffer's triggered sessions) is
    /// read by the spooler thread before its first round (`spooler::open_stores`), not
    /// here: the launch thread never waits on the disk's reads, nor on its writes.
    pub fn start(config: DeliveryConfig) -> Result<Self, DeliveryError> {
        Self::start_with_consent(config, crate::consent::Consent::Granted)
    }

    /// [`Uploader::start`] under a tracking consent known before any thread starts (a
    /// launch with consent pending sends nothing, not even what earlier runs spooled).
    pub fn start_with_consent(
        config: DeliveryConfig,
        consent: crate::consent::Consent,
    ) -> Result<Self, DeliveryError> {
        let claim = crate::storage_owner::Claim::take(&config.spool_dir, config.handoff_wait);
        Self::start_claimed(config, consent, &claim)
    }

    /// [`Uploader::start_with_consent`] under a claim on the spool directory the caller
    /// holds ([`crate::storage_owner`]): the spooler thread opens the spool only once an
    /// earlier owner released it, and this uploader stops when a newer one takes it.
    pub fn start_claimed(
        config: DeliveryConfig,
        consent: crate::consent::Consent,
        claim: &crate::storage_owner::Claim,
    ) -> Result<Self, DeliveryError> {
        config.validate()?;
        let spool = Spool::empty_at(&config.spool_dir, config.spool)?;
        let buffer = Buffer::empty_at(config.spool_dir.join("buffer"), config.buffer)?;
        let transport = Transport::new(
            config.timeouts,
            &protocol::user_agent(&config.sdk_version, &config.device_metadata),
            &config.api_url,
        )?;
        let shared = Arc::new(Shared {
            spool: Mutex::new(spool),
            buffer: Mutex::new(buffer),
            promotions: Mutex::new(Vec::new()),
            buffering: Mutex::new(HashMap::new()),
            buffer_triggers: AtomicU64::new(0),
            inbox: DropOldestQueue::new(config.max_inbox),
            upload_bell: DropOldestQueue::new(1),
            spooled_ack: Mutex::new(SpooledAck::default()),
            spooled_cv: Condvar::new(),
            write_failures: AtomicU64::new(0),
            inbox_drops: AtomicU64::new(0),
            spooler_exited: AtomicBool::new(false),
            upload_exited: AtomicBool::new(false),
            config,
            source: Mutex::new(None),
            sampled_in: AtomicBool::new(true),
            counters: Counters::default(),
            closed_sessions: Mutex::new(HashMap::new()),
            disabled: AtomicBool::new(false),
            deferred: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            drain_until: Mutex::new(None),
            opt_out: AtomicBool::new(false),
            opt_outs: AtomicU64::new(0),
            purges_done: AtomicU64::new(0),
            denial_pending: AtomicBool::new(false),
            denial_deleted: AtomicU64::new(0),
            session_purges: Mutex::new(Vec::new()),
            purged: Mutex::new(Default::default()),
            idle_requested: AtomicU64::new(0),
            idle_acked: Mutex::new(0),
            idle_cv: Condvar::new(),
            consent: std::sync::atomic::AtomicU8::new(consent_code(consent)),
            handed_off: AtomicBool::new(false),
            storage_busy: AtomicBool::new(false),
        });
        let signal = shared.clone();
        claim.on_hand_off(move || {
            // Never blocks (it runs on the new client's constructor thread).
            signal.handed_off.store(true, Release);
            signal.stop.store(true, Release);
            signal.inbox.ring();
            signal.upload_bell.ring();
        });
        let spooler_shared = shared.clone();
        let ticket = claim.ticket();
        let spooler = Thread::spawn("rejourney-spool", move || {
            run_spooler(spooler_shared, ticket)
        })?;
        let worker = Deliverer::new(shared.clone(), transport);
        let upload_ticket = Arc::new(Mutex::new(Some(claim.ticket())));
        let mine = upload_ticket.clone();
        let thread = Thread::spawn("rejourney-upload", move || {
            worker.run();
            lock(&mine).take();
        })?;
        Ok(Self {
            shared,
            spooler: Mutex::new(Some(spooler)),
            thread: Mutex::new(Some(thread)),
            upload_ticket,
        })
    }

    /// Whether a newer client took the spool directory over (this one stopped).
    pub fn is_handed_off(&self) -> bool {
        self.shared.handed_off.load(Acquire)
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
        Arc::new(move |artifact| hand_over(&shared, artifact))
    }

    /// Queues an artifact for spooling and delivery. Never blocks; if the inbox is full the
    /// oldest waiting artifact is dropped and counted.
    pub fn enqueue(&self, artifact: Artifact) {
        hand_over(&self.shared, artifact);
    }

    /// Whether the backend declined this session's replay (a policy `skipUpload` on its
    /// frames, or 402): capturing more frames for it is pointless.
    pub fn is_session_closed(&self, session_id: &str) -> bool {
        lock(&self.shared.closed_sessions).contains_key(session_id)
    }

    /// Defers (or resumes) uploads for the device's sake ([`crate::device_policy`]). A
    /// request in flight finishes; nothing new starts until resumed, and what waits stays
    /// in the spool. Resuming wakes the upload thread at once.
    pub fn set_deferred(&self, deferred: bool) {
        if self.shared.deferred.swap(deferred, AcqRel) != deferred {
            self.shared.upload_bell.ring();
        }
    }

    /// Follows the tracking consent ([`crate::consent`]): pending holds every request (the
    /// spool keeps what arrives), denied also deletes what arrives from now on (the caller
    /// purges what is already there), granted resumes uploads at once.
    pub fn set_consent(&self, consent: crate::consent::Consent) {
        let code = consent_code(consent);
        if self.shared.consent.swap(code, AcqRel) != code {
            self.shared.upload_bell.ring();
        }
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
    /// delivered), or until `timeout`. Returns whether it got there: false too if a write of
    /// it failed (a full disk, an I/O error, an artifact larger than the quota) or a bound
    /// lost a recording since the last round (the inbox dropped one, the quota evicted one).
    pub fn wait_spooled(&self, timeout: Duration) -> bool {
        let token = self.shared.idle_requested.fetch_add(1, AcqRel) + 1;
        self.shared.inbox.ring();
        let acked = lock(&self.shared.spooled_ack);
        let spooler_gone = || self.shared.spooler_exited.load(Acquire);
        let (acked, _) = Deadline::after(timeout).wait_until(&self.shared.spooled_cv, acked, |a| {
            a.through >= token || spooler_gone()
        });
        acked.through >= token && !acked.failed(token)
    }

    /// From now on, the session's recording (frames, hierarchy, events) waits in the
    /// on-error buffer instead of being uploaded. Call before handing over its artifacts.
    pub fn begin_buffering(&self, session_id: &str) {
        lock(&self.shared.buffering).insert(session_id.to_owned(), false);
    }

    /// Whether the session's recording is being buffered (cheap; never waits on the disk).
    pub fn is_buffering(&self, session_id: &str) -> bool {
        lock(&self.shared.buffering).get(session_id) == Some(&false)
    }

    /// An error or crash asks for the session's buffer: the spooler moves it to the upload
    /// spool after what was handed over before this call, and the session's later artifacts
    /// are uploaded directly. With `durable_now` the trigger marker is written before this
    /// returns (a small file and an fsync: for crash handlers and the watchdog, so a next
    /// launch uploads the buffer if the process dies now); otherwise the spooler writes it.
    /// Returns whether the session was buffering.
    pub fn trigger_buffer(&self, session_id: &str, durable_now: bool) -> bool {
        trigger_on(&self.shared, session_id, durable_now)
    }

    /// The session turned out to be recorded after all (its plan was decided after its
    /// first artifacts): what it buffered is uploaded like the rest, no trigger counted.
    pub fn release_buffer(&self, session_id: &str) {
        let asked = match lock(&self.shared.buffering).get_mut(session_id) {
            Some(t) if !*t => {
                *t = true;
                true
            }
            _ => false,
        };
        if asked {
            lock(&self.shared.promotions).push((session_id.to_owned(), false));
            self.shared.inbox.ring();
        }
    }

    /// A closure that triggers a session's buffer durably, for the ANR watchdog's thread.
    pub fn buffer_trigger(&self) -> Arc<dyn Fn(&str) -> bool + Send + Sync> {
        let shared = self.shared.clone();
        Arc::new(move |session_id: &str| trigger_on(&shared, session_id, true))
    }

    /// Opt-out: deletes every artifact waiting, spooled or buffered, of any session; and
    /// from now on whatever of `sessions` still arrives (their last trees, bundle and end
    /// call, queued on other threads); an upload in flight is abandoned when its request
    /// returns (not counted delivered, not completed, not sent again). Counted `purged`.
    /// Never waits on the disk: this only flips memory, and the spooler thread deletes
    /// (after a durable marker a next launch honours if the process dies first: see
    /// [`super::purge`]). `denial`: a consent denial asked (counted for its telemetry).
    pub fn purge(&self, sessions: &[&str], denial: bool) {
        super::purge::request(&self.shared, sessions, denial);
    }

    /// Artifacts consent denials deleted so far (waiting, spooled or buffered).
    pub fn denial_deleted(&self) -> u64 {
        self.shared.denial_deleted.load(Acquire)
    }

    /// A stop-everything for one session (its project was switched off, its key refused):
    /// everything of it, spooled, buffered or still to come, is deleted like an opt-out's.
    /// Memory only, like [`Uploader::purge`]: the spooler deletes its files.
    pub fn purge_session(&self, session_id: &str) {
        super::purge::request_session(&self.shared, session_id);
    }

    /// Whether the upload thread ended (an atomic: never the lock a shutdown holds).
    fn finished(&self) -> bool {
        self.shared.upload_exited.load(Acquire)
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
        // Each handle is taken out first: no lock is held while waiting for a thread.
        let spooler = lock(&self.spooler).take();
        if let Some(t) = spooler {
            t.join_until(Deadline::after(deadline.left().max(SPOOL_GRACE)));
        }
        self.shared.upload_bell.ring();
        let thread = lock(&self.thread).take();
        if let Some(t) = thread {
            t.join_until(deadline);
        }
        lock(&self.upload_ticket).take();
    }
}

fn trigger_on(shared: &Shared, session_id: &str, durable_now: bool) -> bool {
    // Marked at once: nothing more of this session is evicted from the window being moved
    // (artifacts captured before the trigger may still be on their way to the buffer).
    match lock(&shared.buffering).get_mut(session_id) {
        Some(t) if !*t => *t = true,
        _ => return false,
    }
    shared.buffer_triggers.fetch_add(1, Relaxed);
    // Queued with the flag, before any disk work: a host thread that sees the session
    // triggered (its next tick records) and then flushes finds the move queued, so the
    // flush covers it. The spooler writes the marker before it moves (a kill mid-move
    // keeps the rest for the next launch).
    lock(&shared.promotions).push((session_id.to_owned(), true));
    shared.inbox.ring();
    if durable_now {
        // Also here, before returning, for a process that dies before the spooler runs. If
        // the spooler moved and cleared first, this leaves a marker of an empty buffer: the
        // next launch moves nothing and removes it.
        let dir = shared.config.spool_dir.join("buffer");
        // Best effort: without the marker the buffer still moves in this process.
        let _ = Buffer::mark_triggered(&dir, session_id);
    }
    true
}

impl Drop for Uploader {
    fn drop(&mut self) {
        self.shutdown(Duration::ZERO);
    }
}
