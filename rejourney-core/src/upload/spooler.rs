//! The spooler thread: persists bundles and artifacts as soon as they exist, independent of
//! how long an upload takes (persist before upload: a kill loses nothing recorded), then
//! wakes the upload thread.

use std::sync::atomic::Ordering::{Acquire, Relaxed};

use super::protocol::Declined as Closed;
use super::shared::{count_drop, Shared};
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
        None => false,
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
