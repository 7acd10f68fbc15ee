//! The upload state machine, on the upload thread: takes the oldest artifact that may go,
//! authenticates, presigns → PUTs → completes (or posts a JSON call), and settles the
//! outcome (delivered, retried with back-off, dropped and counted, declined, re-presigned).

use std::collections::HashMap;
use std::sync::atomic::Ordering::*;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::http::{Response, Transport, TransportError};
use super::protocol::{self, Declined as Closed, Presign};
use super::retry::{classify, StatusClass};
use super::shared::{consent_holds, count_drop, count_drops, delete_session, is_purged, Shared};
use super::spooler::declined;
use super::stage::{StageFile, UploadStage};
use super::stats::DeliveryDrop;
use crate::artifact::{wall_clock_ms, ArtifactKind, ArtifactMeta};
use crate::spool::SpoolEntry;
use crate::wait::lock;

mod presigned;
mod settle;

/// Per-artifact progress. Its upload stage (presigned, uploaded) is also kept on disk
/// beside the artifact ([`super::stage`]), loaded the first time this run sees it, so a
/// restart resumes where the last run stopped.
#[derive(Debug, Default)]
struct Progress {
    /// The stage file was read.
    loaded: bool,
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
    /// A stop-everything purged the artifact while its upload was in flight: what the
    /// server said no longer matters, and nothing more of it is sent.
    Abandoned,
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

/// How often a deferred upload thread looks again without being woken.
const DEFERRED_RECHECK: Duration = Duration::from_secs(30);

/// Fresh keys one artifact may use (202s and expired URLs) before it is dropped.
const MAX_REPRESIGNS: u32 = 20;

/// The reason recorded for a 402 (billing blocked: the whole session is declined).
const BILLING: &str = "billing";

pub(super) struct Deliverer {
    shared: Arc<Shared>,
    transport: Transport,
    token: Option<String>,
    progress: HashMap<u64, Progress>,
    not_before: Option<Instant>,
    consecutive_failures: u32,
    auth_failures: u32,
}

impl Deliverer {
    pub(super) fn new(shared: Arc<Shared>, transport: Transport) -> Self {
        Self {
            shared,
            transport,
            token: None,
            progress: HashMap::new(),
            not_before: None,
            consecutive_failures: 0,
            auth_failures: 0,
        }
    }

    pub(super) fn run(mut self) {
        struct Exited<'a>(&'a Shared);
        impl Drop for Exited<'_> {
            fn drop(&mut self) {
                // Waiters for idleness stop waiting for a thread that is gone.
                self.0.upload_exited.store(true, Release);
                let _guard = lock(&self.0.idle_acked);
                self.0.idle_cv.notify_all();
            }
        }
        let shared = self.shared.clone();
        let _exited = Exited(&shared);
        self.deliver();
    }

    fn deliver(&mut self) {
        loop {
            let spooled = lock(&self.shared.spooled_ack).through;
            if self.shared.opt_out.swap(false, AcqRel) {
                // The spooler deletes what the purge covers (`purge::run_pending`); clearing
                // the spool here would delete what was recorded after it (a new session
                // spooled while this thread was out on a request).
                self.progress.clear();
            }
            self.publish();
            let stopping = self.shared.stop.load(Acquire);
            let drain_until = *lock(&self.shared.drain_until);
            // The project is disabled: nothing more is sent by this process; what other
            // sessions left in the spool stays there for a launch the project is enabled in.
            let (oldest, wait_for) = if self.shared.disabled.load(Acquire) {
                (None, None)
            } else if super::purge::pending(&self.shared) {
                // A stop-everything's deletion waits for the spooler: nothing spooled goes
                // meanwhile (not idle: a flush waits for the deletion too).
                (None, Some(DEFERRED_RECHECK))
            } else if self.shared.deferred.load(Acquire) || consent_holds(&self.shared) {
                // Deferred for the device's sake, or consent pending (nothing leaves the
                // phone, not even device auth): the spool keeps it; not idle while it
                // holds anything (a flush waits), woken when uploads resume.
                let waiting = !lock(&self.shared.spool).is_empty();
                (None, waiting.then_some(DEFERRED_RECHECK))
            } else {
                self.next_entry()
            };
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
    fn next_entry(&self) -> (Option<SpoolEntry>, Option<Duration>) {
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

    /// The project is disabled for the session an answer named: its artifacts are dropped
    /// and counted. Other sessions' artifacts (crash reports of earlier launches) are kept.
    fn drop_session(&mut self, session_id: &str) {
        let ids: Vec<u64> = lock(&self.shared.spool)
            .entries()
            .filter(|e| e.meta.session_id == session_id)
            .map(|e| e.id)
            .collect();
        for id in ids {
            self.drop_entry(id, DeliveryDrop::ProjectDisabled);
        }
        lock(&self.shared.buffering).clear();
        let buffered = {
            let mut buffer = lock(&self.shared.buffer);
            let n = buffer.files();
            buffer.clear();
            n
        };
        count_drops(&self.shared, DeliveryDrop::ProjectDisabled, buffered);
    }

    /// Whether the artifact was purged while its upload was under way (a stop-everything
    /// cleared it from the spool, or purged its session).
    fn abandoned(&self, id: u64, meta: &ArtifactMeta) -> bool {
        is_purged(&self.shared, &meta.session_id)
            || super::purge::pending(&self.shared)
            || !lock(&self.shared.spool).entries().any(|e| e.id == id)
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

    fn attempt(&mut self, entry: &SpoolEntry) -> Outcome {
        let age_ms = wall_clock_ms().saturating_sub(entry.meta.created_ms);
        if age_ms > self.shared.config.retry.max_age.as_millis() as u64 {
            return Outcome::Drop(DeliveryDrop::MaxAge);
        }
        if declined(&self.shared, &entry.meta.session_id, entry.meta.kind) {
            return Outcome::Drop(DeliveryDrop::SkipUpload);
        }
        if self.abandoned(entry.id, &entry.meta) {
            return Outcome::Abandoned;
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
    /// After a shutdown's deadline no new request starts (the thread was abandoned and must
    /// not race the next launch for the same spool files).
    fn cancelled(&self) -> bool {
        self.shared.stop.load(Acquire)
            && lock(&self.shared.drain_until).is_none_or(|d| Instant::now() >= d)
    }

    fn post_json(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        body: &Value,
    ) -> Result<Response, TransportError> {
        if self.cancelled() {
            return Err(TransportError::Cancelled);
        }
        self.transport.post_json(url, headers, body)
    }

    fn put_gzip(&self, url: &str, body: Vec<u8>) -> Result<Response, TransportError> {
        if self.cancelled() {
            return Err(TransportError::Cancelled);
        }
        self.transport.put_gzip(url, body)
    }

    fn send(&self, result: Result<Response, TransportError>) -> Result<Response, Outcome> {
        match result {
            Err(TransportError::Cancelled) => {
                return Err(Outcome::Retry {
                    hint: None,
                    charge: false,
                })
            }
            // Never sent: the URL breaks the HTTP policy (`url_policy`).
            Err(TransportError::Refused(_)) => {
                return Err(Outcome::Drop(DeliveryDrop::InsecureUrl))
            }
            _ => {}
        }
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
                    TransportError::Redirected(s) => {
                        c.redirects += 1;
                        *c.statuses.entry(s).or_default() += 1;
                    }
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
        let res = self.post_json(
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
        let res = self.post_json(
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

    /// Deletes an artifact and counts why, once: one a purge already took from the spool
    /// (an upload abandoned when its request returned) was counted by the purge.
    fn drop_entry(&mut self, id: u64, reason: DeliveryDrop) {
        let known = {
            let mut spool = lock(&self.shared.spool);
            let known = spool.entries().any(|e| e.id == id);
            spool.remove(id);
            known
        };
        self.progress.remove(&id);
        if known {
            self.count_drop(reason);
        }
    }
}
