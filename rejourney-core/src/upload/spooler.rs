//! The spooler thread: persists bundles and artifacts as soon as they exist, independent of
//! how long an upload takes (persist before upload: a kill loses nothing recorded), then
//! wakes the upload thread.

use std::sync::atomic::Ordering::{Acquire, Relaxed};

use super::buffer::is_buffered_kind;
use super::protocol::Declined as Closed;
use super::shared::{count_drop, is_purged, Shared};
use super::stats::DeliveryDrop;
use crate::artifact::{Artifact, ArtifactKind};
use crate::wait::lock;

/// The thread body.
pub(super) fn run_spooler(shared: std::sync::Arc<Shared>) {
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
        let next = match source.as_ref().and_then(|s| s.take_bundle()) {
            Some(b) => Some(Artifact::from_bundle(b, sampled)),
            None => shared.inbox.pop(),
        };
        let Some(a) = next else { break };
        if is_purged(shared, &a.meta.session_id) {
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
                let mut buffer = lock(&shared.buffer);
                // Checked again under the lock a purge clears it with (see `purged`).
                if is_purged(shared, &a.meta.session_id) {
                    drop(buffer);
                    count_drop(shared, DeliveryDrop::Purged);
                } else if buffer.put(&a.meta, &a.body, !triggered).is_err() {
                    drop(buffer);
                    count_drop(shared, DeliveryDrop::SpoolWriteFailed);
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

fn spool_one(shared: &Shared, meta: &crate::artifact::ArtifactMeta, body: &[u8]) {
    let mut spool = lock(&shared.spool);
    // Checked again under the lock a purge clears the spool with (see `purged`).
    if is_purged(shared, &meta.session_id) {
        drop(spool);
        count_drop(shared, DeliveryDrop::Purged);
        return;
    }
    let result = spool.put(meta, body);
    drop(spool);
    match result {
        Ok(_) => shared.counters.with(|c| c.spooled += 1),
        Err(_) => count_drop(shared, DeliveryDrop::SpoolWriteFailed),
    }
}

/// Moves triggered sessions' buffers to the upload spool, oldest first, after everything
/// handed over before the trigger was persisted (so the window's last bundle is included).
fn promote(shared: &Shared) {
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
