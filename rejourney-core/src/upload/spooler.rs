//! The spooler thread: persists bundles and artifacts as soon as they exist, independent of
//! how long an upload takes (persist before upload: a kill loses nothing recorded), then
//! wakes the upload thread.

use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};

use super::buffer::is_buffered_kind;
use super::buffer::Buffer;
use super::protocol::Declined as Closed;
use super::shared::{
    consent_denied, count_drop, count_drops, count_write_failure, is_purged, Shared,
};
use super::stats::DeliveryDrop;
use crate::artifact::{Artifact, ArtifactKind};
use crate::spool::{Spool, SpoolError};
use crate::wait::lock;

/// The thread body. It first reads what earlier runs left ([`open_stores`]); its first round
/// then moves what their triggered buffers hold (the launch thread neither reads nor writes).
pub(super) fn run_spooler(shared: std::sync::Arc<Shared>, ticket: crate::storage_owner::Ticket) {
    // Dropped last: the directory is released after this thread's final round.
    let _ticket = &ticket;
    struct Exited<'a>(&'a Shared);
    impl Drop for Exited<'_> {
        fn drop(&mut self) {
            self.0.spooler_exited.store(true, Release);
            let _guard = lock(&self.0.spooled_ack);
            self.0.spooled_cv.notify_all();
        }
    }
    let _exited = Exited(&shared);
    if !ticket.wait_turn() {
        // The earlier owner kept the directory: fail closed, never open it concurrently.
        shared.storage_busy.store(true, Release);
        shared.counters.with(|c| c.storage_wait_timeouts += 1);
    } else {
        open_stores(&shared);
    }
    loop {
        let requested = shared.idle_requested.load(Acquire);
        round(&shared, requested);
        shared.upload_bell.ring();
        if shared.stop.load(Acquire) {
            if shared.handed_off.load(Acquire) {
                // Handed over: the open bundle is sealed and persisted before the newer
                // owner opens the directory.
                let source = lock(&shared.source).clone();
                if let Some(s) = source {
                    s.seal(HAND_OFF_SEAL);
                }
            }
            round(&shared, shared.idle_requested.load(Acquire));
            return;
        }
        shared.inbox.wait(None);
    }
}

/// How long a handed-over spooler waits for the encoder to seal the open bundle (disk only).
const HAND_OFF_SEAL: std::time::Duration = std::time::Duration::from_millis(250);

/// Fail-closed round of a spooler whose directory was never handed over: everything that
/// arrives is dropped, counted.
fn drop_round(shared: &Shared, requested: u64) {
    let source = lock(&shared.source).clone();
    let mut dropped = 0u64;
    while source.as_ref().and_then(|s| s.take_bundle()).is_some() {
        dropped += 1;
    }
    while shared.inbox.pop().is_some() {
        dropped += 1;
    }
    count_drops(shared, DeliveryDrop::StorageBusy, dropped);
    lock(&shared.promotions).clear();
    let losses = super::shared::losses(shared);
    let mut acked = lock(&shared.spooled_ack);
    acked.ack(requested, dropped > 0, losses);
    shared.spooled_cv.notify_all();
}

/// Replaces the empty spool and buffer the uploader started with by what earlier runs left
/// on disk: the spool's index (each artifact's header read, corrupt files quarantined) and
/// the buffer's (untriggered sessions deleted, triggered ones queued to move first). Runs
/// before the first round, so nothing of this process is on disk yet but a trigger's marker
/// (kept). A purge an earlier run did not finish (its marker is on disk) is finished here,
/// before anything read is uploaded; one this process requested before the open runs at the
/// first round, on what was read. A directory that cannot be read leaves its store empty,
/// counted (`spool_open_failures`).
fn open_stores(shared: &Shared) {
    let cfg = &shared.config;
    let unfinished = super::purge::honour_marker(shared);
    let dir = &cfg.spool_dir;
    match Spool::open(&cfg.spool_dir, cfg.spool) {
        Ok((mut spool, report)) => {
            shared.counters.with(|c| {
                c.resumed_from_spool = report.resumed as u64;
                c.spool_quarantined = report.quarantined as u64;
            });
            if unfinished {
                let files = spool.take_all();
                count_drops(shared, DeliveryDrop::Purged, files.len() as u64 / 2);
                super::purge::delete(dir, &files, &[]);
                shared.counters.with(|c| c.resumed_from_spool = 0);
            }
            *lock(&shared.spool) = spool;
        }
        Err(_) => shared.counters.with(|c| c.spool_open_failures += 1),
    }
    let this_run = |id: &str| lock(&shared.buffering).contains_key(id);
    match Buffer::open_keeping(cfg.spool_dir.join("buffer"), cfg.buffer, &this_run) {
        Ok((mut buffer, triggered)) => {
            if unfinished {
                let files = buffer.take_all();
                count_drops(shared, DeliveryDrop::Purged, files.len() as u64 / 2);
                super::purge::delete(dir, &files, &[]);
            } else {
                let earlier = triggered.into_iter().map(|id| (id, false));
                lock(&shared.promotions).splice(0..0, earlier);
            }
            *lock(&shared.buffer) = buffer;
        }
        Err(_) => shared.counters.with(|c| c.spool_open_failures += 1),
    }
    if unfinished {
        super::purge::forget_marker(shared);
    }
}

/// Persists everything waiting, then acknowledges `requested`, saying whether a write failed.
fn round(shared: &Shared, requested: u64) {
    if shared.storage_busy.load(Acquire) {
        return drop_round(shared, requested);
    }
    let failures = shared.write_failures.load(Acquire);
    super::purge::run_pending(shared);
    ingest(shared);
    let failed = shared.write_failures.load(Acquire) != failures;
    let losses = super::shared::losses(shared);
    let mut acked = lock(&shared.spooled_ack);
    acked.ack(requested, failed, losses);
    shared.spooled_cv.notify_all();
}

/// Whether the uploads of `kind` for session `id` were declined by the backend.
pub(super) fn declined(shared: &Shared, id: &str, kind: ArtifactKind) -> bool {
    match lock(&shared.closed_sessions).get(id) {
        None | Some(Closed::Upload) => false,
        Some(Closed::All) => true,
        Some(Closed::Replay) => matches!(kind, ArtifactKind::Screenshots | ArtifactKind::Hierarchy),
    }
}

/// Moves every waiting bundle and artifact into the spool (persist before upload).
fn ingest(shared: &Shared) {
    let source = lock(&shared.source).clone();
    let sampled = shared.sampled_in.load(Relaxed);
    loop {
        // Bundles are of this process's sessions: a purge names them (`is_purged`).
        let next = match source.as_ref().and_then(|s| s.take_bundle()) {
            Some(b) => Some((u64::MAX, Artifact::from_bundle(b, sampled))),
            None => shared.inbox.pop().map(|q| (q.purges_before, q.artifact)),
        };
        let Some((purges_before, a)) = next else {
            break;
        };
        // A purge requested by now runs before this is persisted; one requested after it
        // was handed over deletes it.
        super::purge::run_pending(shared);
        let stale = purges_before < shared.opt_outs.load(Acquire);
        if stale || is_purged(shared, &a.meta.session_id) || consent_denied(shared) {
            count_drop(shared, DeliveryDrop::Purged);
            continue;
        }
        if shared.disabled.load(Acquire) {
            count_drop(shared, DeliveryDrop::ProjectDisabled);
            continue;
        }
        if declined(shared, &a.meta.session_id, a.meta.kind) {
            count_drop(shared, DeliveryDrop::SkipUpload);
            continue;
        }
        // A buffering session's recording waits in the buffer; its end (no trigger came)
        // deletes the buffer and goes out saying it was not sampled in.
        let buffering = lock(&shared.buffering).get(&a.meta.session_id).copied();
        if let Some(triggered) = buffering {
            if is_buffered_kind(a.meta.kind) {
                if is_purged(shared, &a.meta.session_id) {
                    count_drop(shared, DeliveryDrop::Purged);
                } else {
                    buffer_one(shared, &a.meta, &a.body, !triggered);
                }
                continue;
            }
            if a.meta.kind == ArtifactKind::SessionEnd && !triggered {
                lock(&shared.buffering).remove(&a.meta.session_id);
                lock(&shared.buffer).discard(&a.meta.session_id);
            }
        }
        spool_one(shared, &a.meta, &a.body);
    }
    promote(shared);
}

/// Writes one artifact to the upload spool. The spool's lock is held only to reserve and to
/// settle the write, never across the disk: telemetry, opt-out and the upload thread do not
/// wait on a slow disk.
fn spool_one(shared: &Shared, meta: &crate::artifact::ArtifactMeta, body: &[u8]) {
    if is_purged(shared, &meta.session_id) {
        count_drop(shared, DeliveryDrop::Purged);
        return;
    }
    let reserved = lock(&shared.spool).begin_put(meta, body.len());
    let result = reserved.and_then(|p| {
        let written = p.write(body);
        lock(&shared.spool).finish_put(p, written)
    });
    match result {
        Ok(_) => shared.counters.with(|c| c.spooled += 1),
        // Opted out during the write: deleted on purpose, not a failure.
        Err(SpoolError::Cleared) => {}
        Err(_) => count_write_failure(shared),
    }
}

/// Writes one artifact of a buffering session to the on-error buffer, likewise unlocked.
fn buffer_one(shared: &Shared, meta: &crate::artifact::ArtifactMeta, body: &[u8], evict: bool) {
    let reserved = lock(&shared.buffer).begin_put(meta, body.len());
    let result = reserved.and_then(|p| {
        let written = p.write(body);
        lock(&shared.buffer).finish_put(p, written, evict)
    });
    match result {
        Ok(()) | Err(SpoolError::Cleared) => {}
        Err(_) => count_write_failure(shared),
    }
}

/// Moves triggered sessions' buffers to the upload spool, oldest first, after everything
/// handed over before the trigger was persisted (so the window's last bundle is included).
fn promote(shared: &Shared) {
    super::purge::run_pending(shared);
    let asked = std::mem::take(&mut *lock(&shared.promotions));
    for (id, marker) in asked {
        if marker {
            // Written here when the caller could not wait for the disk: the buffer is
            // moved next, so this only covers a kill during the move.
            let dir = lock(&shared.buffer).dir().to_path_buf();
            let _ = super::buffer::Buffer::mark_triggered(&dir, &id);
        }
        lock(&shared.buffering).remove(&id);
        let moved = lock(&shared.buffer).promote(&id);
        for (meta, body) in &moved {
            if declined(shared, &meta.session_id, meta.kind) {
                count_drop(shared, DeliveryDrop::SkipUpload);
                continue;
            }
            spool_one(shared, meta, body);
        }
        lock(&shared.buffer).clear_marker(&id);
    }
}
