//! The state the spooler thread, the upload thread and the client's handle share, and the
//! counters read from it. Its own module so the three depend on it, not on each other.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::*};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

use super::buffer::Buffer;
use super::config::DeliveryConfig;
use super::protocol::Declined as Closed;
use super::stats::{Counters, DeliveryDrop, DeliverySnapshot};
use crate::artifact::Artifact;
use crate::bundle::Bundle;
use crate::queue::DropOldestQueue;
use crate::spool::Spool;
use crate::wait::lock;

/// Where the uploader pulls frame bundles from (the pipeline).
pub trait BundleSource: Send + Sync {
    fn take_bundle(&self) -> Option<Bundle>;
    /// Seals what is open and waits up to `timeout` for it (a hand-over of the spool
    /// directory persists the open bundle before the spooler exits).
    fn seal(&self, _timeout: std::time::Duration) {}
}

pub(super) struct Shared {
    pub(super) config: DeliveryConfig,
    /// The spool, written by the spooler thread and read/pruned by the upload thread. Never
    /// held across a network call.
    pub(super) spool: Mutex<Spool>,
    /// The on-error buffer, written by the spooler thread only (and the opt-out purge).
    pub(super) buffer: Mutex<Buffer>,
    /// Sessions whose buffer is to move to the upload spool (the spooler does it, in order
    /// with what it persists), and whether the spooler writes the trigger marker first.
    pub(super) promotions: Mutex<Vec<(String, bool)>>,
    /// Sessions whose recording goes to the buffer now, and whether a trigger asked for
    /// it (then nothing more is evicted until the spooler moves it). Its own lock, never
    /// held across disk I/O: the host's thread reads it.
    pub(super) buffering: Mutex<HashMap<String, bool>>,
    /// Triggers that found a buffering session (counted here: the host's thread counts them).
    pub(super) buffer_triggers: AtomicU64,
    /// Artifacts waiting to be persisted; its doorbell wakes the spooler thread.
    pub(super) inbox: DropOldestQueue<Queued>,
    /// Doorbell of the upload thread (rung when something was persisted).
    pub(super) upload_bell: DropOldestQueue<()>,
    /// How far the spooler has persisted, and which requests saw a write fail.
    pub(super) spooled_ack: Mutex<SpooledAck>,
    /// Writes to the spool or buffer that failed (the spooler compares it around a round).
    pub(super) write_failures: AtomicU64,
    /// Artifacts the inbox dropped when full (host threads count them; the spooler reads it
    /// with the spool's quota evictions, so `persist` can say something recorded is lost).
    pub(super) inbox_drops: AtomicU64,
    /// The spooler and upload threads ended (waiters read these, never the join handles,
    /// whose lock a shutdown holds while it waits).
    pub(super) spooler_exited: AtomicBool,
    pub(super) upload_exited: AtomicBool,
    pub(super) spooled_cv: Condvar,
    pub(super) source: Mutex<Option<Arc<dyn BundleSource>>>,
    pub(super) sampled_in: AtomicBool,
    pub(super) counters: Counters,
    /// Sessions the backend declined: all of their uploads, or only their replay.
    pub(super) closed_sessions: Mutex<HashMap<String, Closed>>,
    /// The project is disabled: nothing more is uploaded.
    pub(super) disabled: AtomicBool,
    /// The device policy defers uploads (low battery, metered, offline): the upload thread
    /// starts nothing new; the spool keeps everything until it is cleared.
    pub(super) deferred: AtomicBool,
    pub(super) stop: AtomicBool,
    pub(super) drain_until: Mutex<Option<Instant>>,
    pub(super) opt_out: AtomicBool,
    /// Opt-outs so far (never reset, unlike `opt_out`, which the upload thread consumes):
    /// the spooler's first read of the disk deletes what it read if any came first
    /// (`open_stores`).
    pub(super) opt_outs: AtomicU64,
    /// Purges the spooler has run (`opt_outs` as of the last one, [`super::purge`]): while
    /// fewer than requested, nothing spooled is uploaded.
    pub(super) purges_done: AtomicU64,
    /// A consent denial requested a purge not run yet, and what denials deleted (telemetry
    /// `consent.deleted`).
    pub(super) denial_pending: AtomicBool,
    pub(super) denial_deleted: AtomicU64,
    /// Sessions a stop-everything for one session purged whose files the spooler has not
    /// deleted yet ([`super::purge::request_session`]; at most `MAX_PURGED_SESSIONS`).
    pub(super) session_purges: Mutex<Vec<String>>,
    /// Sessions a stop-everything purged (newest last, at most [`MAX_PURGED_SESSIONS`]):
    /// whatever of them arrives later is deleted, and an upload of theirs in flight is
    /// abandoned. Checked under the spool's (or buffer's) lock, set before either is cleared.
    pub(super) purged: Mutex<VecDeque<String>>,
    pub(super) idle_requested: AtomicU64,
    pub(super) idle_acked: Mutex<u64>,
    pub(super) idle_cv: Condvar,
    /// Tracking consent ([`crate::consent`]): pending holds every request, denied also
    /// deletes whatever arrives. [`consent_code`] values.
    pub(super) consent: std::sync::atomic::AtomicU8,
    /// A newer client took the spool directory over ([`crate::storage_owner`]): this
    /// uploader persists what it holds and stops.
    pub(super) handed_off: AtomicBool,
    /// The earlier owner never handed the directory over: nothing touches the disk, and
    /// whatever arrives is dropped (`storage_busy`).
    pub(super) storage_busy: AtomicBool,
}

/// An artifact in the inbox, with the purges requested when it was handed over: one handed
/// over before a purge is deleted when the spooler takes it, even if the purge came while
/// the spooler held it.
pub(super) struct Queued {
    pub(super) purges_before: u64,
    pub(super) artifact: Artifact,
}

/// Hands an artifact to the spooler (never blocks; a full inbox drops its oldest, counted).
pub(super) fn hand_over(shared: &Shared, artifact: Artifact) {
    let purges_before = shared.opt_outs.load(Acquire);
    let queued = Queued {
        purges_before,
        artifact,
    };
    if shared.inbox.push(queued).is_some() {
        count_inbox_drop(shared);
    }
}

/// [`Shared::consent`] as a number (an atomic, read by both threads on every round).
pub(super) fn consent_code(c: crate::consent::Consent) -> u8 {
    match c {
        crate::consent::Consent::Granted => 0,
        crate::consent::Consent::Pending => 1,
        crate::consent::Consent::Denied => 2,
    }
}

/// Nothing may leave the phone (consent pending or denied).
pub(super) fn consent_holds(shared: &Shared) -> bool {
    shared.consent.load(Acquire) != 0
}

/// Consent denied: nothing arriving is kept.
pub(super) fn consent_denied(shared: &Shared) -> bool {
    shared.consent.load(Acquire) == 2
}

/// Idle-request tokens the spooler has persisted everything for, and the ranges of tokens
/// whose round had a write fail: `persist` answers true only when the bytes are on disk.
#[derive(Debug, Default)]
pub(super) struct SpooledAck {
    pub(super) through: u64,
    /// `(after, through]` token ranges of failed rounds, newest last (bounded).
    failed: std::collections::VecDeque<(u64, u64)>,
    /// A write failed in a round no request was waiting for: it was handed over after the
    /// last acked request, so it belongs to the next one.
    pending_failure: bool,
    /// Recorded artifacts lost so far (inbox overflow, spool quota evictions) as of the last
    /// round: a round that sees more fails its requests, as a failed write does.
    losses_seen: u64,
}

/// Failed rounds remembered: a waiter reads its answer as soon as its round is acked.
const FAILED_ROUNDS: usize = 64;

impl SpooledAck {
    /// Everything handed over before request `requested` was persisted (or, `failed`, not
    /// all). `losses`: recorded artifacts lost so far (dropped by the full inbox, evicted by
    /// the spool's quota); any since the last round also makes it a failed one, so `persist`
    /// never says "on disk" for a recording the bounds cut.
    pub(super) fn ack(&mut self, requested: u64, failed: bool, losses: u64) {
        let failed = failed || self.pending_failure || losses != self.losses_seen;
        self.losses_seen = losses;
        if requested <= self.through {
            self.pending_failure = failed;
            return;
        }
        if failed {
            if self.failed.len() >= FAILED_ROUNDS {
                self.failed.pop_front();
            }
            self.failed.push_back((self.through, requested));
        }
        self.through = requested;
        self.pending_failure = false;
    }

    /// Whether a write failed in the round that covered `token`.
    pub(super) fn failed(&self, token: u64) -> bool {
        self.failed.iter().any(|&(a, b)| token > a && token <= b)
    }
}

/// The inbox dropped its oldest artifact: counted for telemetry (`dropped.inbox_full`) and
/// for the next `persist`'s answer.
pub(super) fn count_inbox_drop(shared: &Shared) {
    shared.inbox_drops.fetch_add(1, AcqRel);
    count_drop(shared, DeliveryDrop::InboxFull);
}

/// Recorded artifacts lost to a bound so far: the inbox's drops and the upload spool's quota
/// evictions. The on-error buffer's evictions are not losses: it is a window by design
/// (counted in `buffer_evicted_*`).
pub(super) fn losses(shared: &Shared) -> u64 {
    let evicted = lock(&shared.spool).counters.evicted;
    shared.inbox_drops.load(Acquire).saturating_add(evicted)
}

/// A failed spool or buffer write, counted for telemetry and for the waiters of its round.
pub(super) fn count_write_failure(shared: &Shared) {
    shared.write_failures.fetch_add(1, AcqRel);
    count_drop(shared, DeliveryDrop::SpoolWriteFailed);
}

pub(super) fn snapshot_of(shared: &Shared) -> DeliverySnapshot {
    let mut snap = lock(&shared.counters.snap).clone();
    // Spool figures are read live: the upload thread may be asleep in a back-off.
    let spool = lock(&shared.spool);
    snap.spool_files = spool.len() as u64;
    snap.spool_bytes = spool.total_bytes();
    snap.spool_evicted = spool.counters.evicted;
    snap.spool_evicted_bytes = spool.counters.evicted_bytes;
    snap.spool_quarantined = snap.spool_quarantined.max(spool.counters.quarantined);
    drop(spool);
    let buffer = lock(&shared.buffer);
    snap.buffer = buffer.counters;
    snap.buffer.triggers = shared.buffer_triggers.load(Relaxed);
    snap.buffer_files = buffer.files();
    snap.buffer_bytes = buffer.bytes();
    snap.buffer_evicted_quota = buffer.evicted_quota();
    drop(buffer);
    snap.project_disabled = shared.disabled.load(Acquire);
    snap
}

pub(super) fn count_drop(shared: &Shared, reason: DeliveryDrop) {
    count_drops(shared, reason, 1);
}

pub(super) fn count_drops(shared: &Shared, reason: DeliveryDrop, n: u64) {
    if n > 0 {
        shared
            .counters
            .with(|c| *c.dropped.entry(reason.as_str().into()).or_default() += n);
    }
}

/// Purged sessions remembered (each a few dozen bytes; a process has few sessions).
pub(super) const MAX_PURGED_SESSIONS: usize = 256;

/// Whether a stop-everything purged `session_id`.
pub(super) fn is_purged(shared: &Shared, session_id: &str) -> bool {
    lock(&shared.purged).iter().any(|s| s == session_id)
}

/// Remembers `sessions` as purged (before their artifacts are deleted: see `purged`).
pub(super) fn mark_purged<'a>(shared: &Shared, sessions: impl IntoIterator<Item = &'a str>) {
    let mut purged = lock(&shared.purged);
    for s in sessions {
        if !purged.iter().any(|p| p == s) {
            if purged.len() >= MAX_PURGED_SESSIONS {
                purged.pop_front();
            }
            purged.push_back(s.to_owned());
        }
    }
}

/// Deletes every spooled and buffered artifact of `session_id` (spool, buffer and the
/// buffering flag); returns how many.
pub(super) fn delete_session(shared: &Shared, session_id: &str) -> u64 {
    let mut n = 0;
    {
        let mut spool = lock(&shared.spool);
        let ids: Vec<u64> = spool
            .entries()
            .filter(|e| e.meta.session_id == session_id)
            .map(|e| e.id)
            .collect();
        n += ids.len() as u64;
        for id in ids {
            spool.remove(id);
        }
    }
    lock(&shared.buffering).remove(session_id);
    n + lock(&shared.buffer).purge_session(session_id)
}
