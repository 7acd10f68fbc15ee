//! A stop-everything's deletion (opt-out, consent denied), split in two so the host never
//! waits on the disk:
//!
//! - [`request`], on the host's thread, only flips memory: the sessions are marked purged
//!   (what of them arrives later is deleted), the purge is counted as requested (the upload
//!   thread starts nothing and abandons what is in flight until it has run, and an artifact
//!   queued before it is dropped when the spooler takes it), and the inbox is emptied.
//! - [`run_pending`], on the spooler thread (before it persists anything handed over after
//!   the request), writes the durable marker `<spool>/purge-pending` (the purged session
//!   ids, one a line) FIRST, then forgets the spool and buffer in memory and deletes their
//!   files and the sessions' state files without holding their locks, then removes the
//!   marker. A stop-everything for one session (the remote config's off switches) is
//!   deferred the same way, without a marker ([`request_session`]).
//! - [`honour_marker`], on the spooler thread when it first opens the stores: a marker an
//!   earlier run left means its purge did not finish; it is finished before anything is
//!   read for upload (the run's spool and buffer are deleted, its sessions stay purged so
//!   their recovered end calls are dropped).
//!
//! Kill windows (the host's call has returned in each):
//! 1. Before the marker is on disk: nothing of the purge is on disk, so the next launch
//!    finds the old spool and uploads it, as if the process had died during the call before
//!    (the old synchronous deletion had the same window, as long as the call itself). It is
//!    the spooler's next step (one small file); a consent denial also writes its own answer
//!    on the consent thread, and a next launch that reads `denied` deletes everything.
//! 2. After the marker, before or during the deletions: the next launch finishes them
//!    before it uploads anything; nothing of the old spool is sent.
//! 3. After the deletions, before the marker is removed: the next launch deletes again (what
//!    it finds is older than the marker: nothing was spooled after it).
//!
//! Nothing handed over after the request is deleted by it: the spooler runs the purge
//! before it persists the next artifact, and the marker is removed (durably) before then.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering::*;

use super::shared::{count_drops, mark_purged, Shared, MAX_PURGED_SESSIONS};
use super::stats::DeliveryDrop;
use crate::wait::lock;

/// The marker's file name in the spool directory.
pub(super) const MARKER: &str = "purge-pending";

/// Largest marker read (at most `MAX_PURGED_SESSIONS` ids of a few dozen bytes).
const MAX_MARKER_BYTES: u64 = 64 * 1024;

/// The host's side: memory only. Returns how many waiting artifacts it dropped.
pub(super) fn request(shared: &Shared, sessions: &[&str], denial: bool) -> u64 {
    // First: an artifact checked after this is deleted.
    mark_purged(shared, sessions.iter().copied());
    if denial {
        shared.denial_pending.store(true, Release);
    }
    shared.opt_outs.fetch_add(1, AcqRel);
    shared.opt_out.store(true, Release);
    let mut n = 0;
    while shared.inbox.pop().is_some() {
        n += 1;
    }
    lock(&shared.buffering).clear();
    lock(&shared.promotions).clear();
    count_drops(shared, DeliveryDrop::Purged, n);
    if denial {
        shared.denial_deleted.fetch_add(n, AcqRel);
    }
    shared.inbox.ring();
    shared.upload_bell.ring();
    n
}

/// A stop-everything for one session (the remote config's off switches), host side: the
/// session is marked purged (nothing of it is persisted or uploaded from now; an upload of
/// it in flight is abandoned) and the spooler deletes its spooled and buffered files. No
/// marker: a kill first leaves its buffer to the next launch, which deletes it as every
/// untriggered buffer, and may upload what of it was in the spool (its faults).
pub(super) fn request_session(shared: &Shared, session_id: &str) {
    mark_purged(shared, [session_id]);
    lock(&shared.buffering).remove(session_id);
    {
        let mut asked = lock(&shared.session_purges);
        if !asked.iter().any(|s| s == session_id) && asked.len() < MAX_PURGED_SESSIONS {
            asked.push(session_id.to_owned());
        }
    }
    shared.inbox.ring();
    shared.upload_bell.ring();
}

/// The spooler's side of [`request_session`].
fn run_session_purges(shared: &Shared) {
    let asked = std::mem::take(&mut *lock(&shared.session_purges));
    for id in asked {
        let mut files = lock(&shared.spool).take_where(|m| m.session_id == id);
        let mut n = files.len() as u64 / 2;
        let buffered = lock(&shared.buffer).take_session(&id);
        n += buffered.len().saturating_sub(1) as u64 / 2;
        files.extend(buffered);
        delete(&shared.config.spool_dir, &files, &[]);
        count_drops(shared, DeliveryDrop::Purged, n);
    }
}

/// A purge was requested and has not run yet: nothing spooled may be uploaded.
pub(super) fn pending(shared: &Shared) -> bool {
    shared.purges_done.load(Acquire) < shared.opt_outs.load(Acquire)
}

/// The spooler's side: runs the purges requested so far, if any.
pub(super) fn run_pending(shared: &Shared) {
    run_session_purges(shared);
    let target = shared.opt_outs.load(Acquire);
    if shared.purges_done.load(Acquire) >= target {
        return;
    }
    let dir = shared.config.spool_dir.clone();
    let ids: Vec<String> = lock(&shared.purged).iter().cloned().collect();
    let marker = dir.join(MARKER);
    #[cfg(feature = "test-hooks")]
    crate::spool::test_hooks::stall(&dir);
    // Best effort: without it the deletion still runs; only a kill in it could then leave
    // the old spool to the next launch (window 1 of the module's doc).
    let marked = crate::durable_file::write(&marker, ids.join("\n").as_bytes()).is_ok();
    let mut files = lock(&shared.spool).take_all();
    let spooled = files.len() as u64 / 2;
    let buffer = lock(&shared.buffer).take_all();
    let n = spooled + buffer.len() as u64 / 2;
    files.extend(buffer);
    delete(&dir, &files, &ids);
    count_drops(shared, DeliveryDrop::Purged, n);
    if shared.denial_pending.swap(false, AcqRel) {
        shared.denial_deleted.fetch_add(n, AcqRel);
    }
    if marked {
        let _ = crate::durable_file::remove(&marker);
    }
    shared.purges_done.store(target, Release);
    shared.upload_bell.ring();
}

/// The purge an earlier run did not finish, if its marker is on disk: the sessions it named
/// stay purged in this process (their state files are deleted, and end calls recovered
/// from them are dropped). Returns whether there was one: then the caller deletes what it
/// read of the spool and buffer before anything of it is uploaded, then calls
/// [`forget_marker`]. An unreadable marker still means a purge (privacy fails closed).
pub(super) fn honour_marker(shared: &Shared) -> bool {
    let dir = &shared.config.spool_dir;
    let path = dir.join(MARKER);
    let Ok(meta) = std::fs::metadata(&path) else {
        return false;
    };
    let ids: Vec<String> = if meta.len() <= MAX_MARKER_BYTES {
        std::fs::read_to_string(&path)
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    } else {
        Vec::new()
    };
    mark_purged(shared, ids.iter().map(String::as_str));
    delete(dir, &[], &ids);
    true
}

/// The earlier run's purge is finished: its marker goes.
pub(super) fn forget_marker(shared: &Shared) {
    let _ = crate::durable_file::remove(&shared.config.spool_dir.join(MARKER));
}

/// Deletes `files` and the state files of `sessions`, off every lock.
pub(super) fn delete(dir: &Path, files: &[PathBuf], sessions: &[String]) {
    let states = dir.join(crate::session_store::DIR_NAME);
    let state_files = sessions
        .iter()
        .map(|id| crate::session_store::state_file(&states, id));
    for f in files.iter().cloned().chain(state_files) {
        #[cfg(feature = "test-hooks")]
        crate::spool::test_hooks::stall_delete(dir);
        let _ = std::fs::remove_file(f);
    }
}
