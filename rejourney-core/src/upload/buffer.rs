//! The on-error buffer: a second spool, beside the upload spool, that keeps the last window of
//! a buffered session's sealed artifacts (frame bundles, hierarchy snapshots, event batches:
//! already masked and encoded) and never uploads them unless something asks.
//!
//! Bounded twice: by time (an artifact that ended more than `window_ms` before the newest one
//! of its session is evicted) and by bytes and files (the spool's own quota evicts the oldest).
//! Both are counted. A trigger ([`Buffer::mark_triggered`]) first writes a small marker file,
//! durably, naming the session: if the app dies before the buffer is moved to the upload
//! spool, the next launch finds the marker and moves it then ([`Buffer::open`]). Buffers
//! without a marker from an earlier run were never asked for and are deleted (counted).

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use crate::artifact::{ArtifactKind, ArtifactMeta};
use crate::spool::{PendingPut, Spool, SpoolError, SpoolLimits};

/// Limits of the on-error buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufferLimits {
    /// How far back a buffered session is kept (ms of recording before the newest artifact).
    pub window_ms: u64,
    /// Most bytes on disk.
    pub max_bytes: u64,
    /// Most artifacts on disk.
    pub max_files: usize,
}

impl Default for BufferLimits {
    fn default() -> Self {
        Self {
            window_ms: 30_000,
            max_bytes: 8 * 1024 * 1024,
            max_files: 400,
        }
    }
}

/// Buffer counters (reported in the delivery telemetry).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct BufferCounters {
    /// Artifacts put in the buffer.
    pub buffered: u64,
    /// Evicted because they fell out of the window.
    pub evicted_window: u64,
    /// Deleted because their session ended (or the app restarted) with no trigger.
    pub discarded: u64,
    /// Moved to the upload spool by a trigger.
    pub promoted: u64,
    /// Triggers that found a buffering session.
    pub triggers: u64,
    /// Artifacts lost moving them (unreadable, or the upload spool refused them).
    pub promote_failed: u64,
}

/// Kinds that wait in the buffer; faults and session ends go straight to the upload spool.
pub fn is_buffered_kind(kind: ArtifactKind) -> bool {
    matches!(
        kind,
        ArtifactKind::Screenshots | ArtifactKind::Hierarchy | ArtifactKind::Events
    )
}

pub(super) struct Buffer {
    spool: Spool,
    limits: BufferLimits,
    pub(super) counters: BufferCounters,
}

/// The marker of a triggered session (its name is a hash; its content is the id).
fn marker_path(dir: &Path, session_id: &str) -> PathBuf {
    let h = crate::fingerprint::stable_hash(&[session_id.as_bytes()]);
    dir.join(format!("{h:016x}.trigger"))
}

/// Session ids longer than this in a marker are not ours.
const MAX_MARKER: u64 = 512;

impl Buffer {
    /// Opens the buffer at `dir`. Returns it and the sessions an earlier run triggered
    /// (oldest first): their artifacts and markers stay until the spooler moves them to the
    /// upload spool ([`Buffer::promote`], off the launch thread). The rest is deleted and
    /// counted.
    #[cfg(test)]
    pub(super) fn open(
        dir: PathBuf,
        limits: BufferLimits,
    ) -> Result<(Self, Vec<String>), SpoolError> {
        Self::open_keeping(dir, limits, &|_| false)
    }

    fn spool_limits(limits: BufferLimits) -> SpoolLimits {
        SpoolLimits {
            quota_bytes: limits.max_bytes,
            max_files: limits.max_files,
        }
    }

    /// A buffer at `dir` that has read nothing yet ([`Spool::empty_at`]), held until the
    /// spooler thread's [`Buffer::open_keeping`] replaces it.
    pub(super) fn empty_at(dir: PathBuf, limits: BufferLimits) -> Result<Self, SpoolError> {
        Ok(Self {
            spool: Spool::empty_at(dir, Self::spool_limits(limits))?,
            limits,
            counters: BufferCounters::default(),
        })
    }

    /// [`Buffer::open`], run by the spooler thread after this process began: the trigger
    /// markers of `this_run`'s sessions (written by a trigger before the open) are neither
    /// deleted nor returned (the trigger itself queued their move).
    pub(super) fn open_keeping(
        dir: PathBuf,
        limits: BufferLimits,
        this_run: &dyn Fn(&str) -> bool,
    ) -> Result<(Self, Vec<String>), SpoolError> {
        let (spool, _) = Spool::open(&dir, Self::spool_limits(limits))?;
        let mut triggered = HashSet::new();
        let mut markers = Vec::new();
        if let Ok(listing) = fs::read_dir(&dir) {
            for e in listing.flatten() {
                let p = e.path();
                if p.extension().and_then(|x| x.to_str()) != Some("trigger") {
                    continue;
                }
                let small = fs::metadata(&p).is_ok_and(|m| m.len() <= MAX_MARKER);
                match (small, fs::read_to_string(&p)) {
                    (true, Ok(id)) if this_run(&id) => {}
                    (true, Ok(id)) if marker_path(&dir, &id) == p => {
                        triggered.insert(id.clone());
                        markers.push((id, p));
                    }
                    _ => {
                        let _ = fs::remove_file(&p);
                    }
                }
            }
        }
        let mut b = Self {
            spool,
            limits,
            counters: BufferCounters::default(),
        };
        let mut kept: Vec<String> = Vec::new();
        let ids: Vec<(u64, String)> = b
            .spool
            .entries()
            .map(|e| (e.id, e.meta.session_id.clone()))
            .collect();
        for (id, session) in ids {
            if triggered.contains(&session) {
                if !kept.contains(&session) {
                    kept.push(session);
                }
            } else {
                b.counters.discarded += 1;
                b.spool.remove(id);
            }
        }
        // A marker with nothing left to move (the move finished before the app died).
        for (id, path) in markers {
            if !kept.contains(&id) {
                let _ = fs::remove_file(path);
            }
        }
        Ok((b, kept))
    }

    pub(super) fn dir(&self) -> &Path {
        self.spool.dir()
    }

    /// Keeps an artifact of a buffering session, then evicts what of its kind fell out of
    /// the window.
    /// `evict` is false once a trigger asked for the session (the window is being moved).
    /// (The spooler writes through [`Buffer::begin_put`] instead, without the lock.)
    #[cfg(test)]
    pub(super) fn put(
        &mut self,
        meta: &ArtifactMeta,
        body: &[u8],
        evict: bool,
    ) -> Result<(), SpoolError> {
        let pending = self.begin_put(meta, body.len())?;
        let written = pending.write(body);
        self.finish_put(pending, written, evict)
    }

    /// Reserves a write (see [`Spool::begin_put`]): the caller writes it without the lock
    /// that guards the buffer, then settles it with [`Buffer::finish_put`].
    pub(super) fn begin_put(
        &mut self,
        meta: &ArtifactMeta,
        body_len: usize,
    ) -> Result<PendingPut, SpoolError> {
        self.spool.begin_put(meta, body_len)
    }

    /// Settles a reserved write, then evicts what of its kind fell out of the window.
    pub(super) fn finish_put(
        &mut self,
        pending: PendingPut,
        written: std::io::Result<()>,
        evict: bool,
    ) -> Result<(), SpoolError> {
        let meta = pending.meta().clone();
        self.spool.finish_put(pending, written)?;
        self.counters.buffered += 1;
        if !evict {
            return Ok(());
        }
        // Per kind: frames, trees and events are each timed by their own source (the host's
        // clock, the SDK's), so one kind's newest item never evicts another kind.
        let same = |e: &&crate::spool::SpoolEntry| {
            e.meta.session_id == meta.session_id && e.meta.kind == meta.kind
        };
        let newest = self
            .spool
            .entries()
            .filter(same)
            .map(|e| e.meta.end_ms)
            .max()
            .unwrap_or(0);
        let old: Vec<u64> = self
            .spool
            .entries()
            .filter(same)
            .filter(|e| e.meta.end_ms.saturating_add(self.limits.window_ms) < newest)
            .map(|e| e.id)
            .collect();
        for id in old {
            self.spool.remove(id);
            self.counters.evicted_window += 1;
        }
        Ok(())
    }

    /// Writes the session's trigger marker durably (survives the app dying right after).
    pub(super) fn mark_triggered(dir: &Path, session_id: &str) -> std::io::Result<()> {
        let path = marker_path(dir, session_id);
        let tmp = path.with_extension("tmp-trigger");
        {
            use std::io::Write;
            let mut f = fs::File::create(&tmp)?;
            f.write_all(session_id.as_bytes())?;
            f.sync_all()?;
        }
        fs::rename(&tmp, &path)?;
        fs::File::open(dir).and_then(|d| d.sync_all())
    }

    /// Takes the session's buffered artifacts out, oldest first, marked sampled in.
    pub(super) fn promote(&mut self, session_id: &str) -> Vec<(ArtifactMeta, Vec<u8>)> {
        let ids = self.ids_of(session_id);
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            match self.spool.read(id) {
                Ok((mut meta, body)) => {
                    meta.is_sampled_in = true;
                    out.push((meta, body));
                }
                Err(_) => self.counters.promote_failed += 1,
            }
            self.spool.remove(id);
        }
        self.counters.promoted += out.len() as u64;
        out
    }

    /// The buffer's artifacts of one session, oldest first.
    fn ids_of(&self, session_id: &str) -> Vec<u64> {
        self.spool
            .entries()
            .filter(|e| e.meta.session_id == session_id)
            .map(|e| e.id)
            .collect()
    }

    /// The moved artifacts are safe in the upload spool: the marker can go.
    pub(super) fn clear_marker(&self, session_id: &str) {
        let _ = fs::remove_file(marker_path(self.spool.dir(), session_id));
    }

    /// The session ended with no trigger: its buffer is deleted.
    pub(super) fn discard(&mut self, session_id: &str) {
        let ids = self.ids_of(session_id);
        for id in ids {
            self.spool.remove(id);
            self.counters.discarded += 1;
        }
    }

    /// A stop-everything for one session: its buffered artifacts and trigger marker are
    /// deleted (counted by the caller as purged, not as discarded). Returns how many.
    pub(super) fn purge_session(&mut self, session_id: &str) -> u64 {
        let ids = self.ids_of(session_id);
        for &id in &ids {
            self.spool.remove(id);
        }
        self.clear_marker(session_id);
        ids.len() as u64
    }

    /// Opt-out: everything goes.
    pub(super) fn clear(&mut self) {
        self.spool.clear();
    }

    /// Opt-out, deferred: everything is forgotten in memory; the files to delete are
    /// returned ([`Spool::take_all`]).
    pub(super) fn take_all(&mut self) -> Vec<std::path::PathBuf> {
        self.spool.take_all()
    }

    /// One session's part of [`Buffer::take_all`]: its artifacts' files, then its trigger
    /// marker (so the count of artifacts is `(len - 1) / 2`).
    pub(super) fn take_session(&mut self, session_id: &str) -> Vec<std::path::PathBuf> {
        let mut files = self.spool.take_where(|m| m.session_id == session_id);
        files.push(marker_path(self.spool.dir(), session_id));
        files
    }

    pub(super) fn files(&self) -> u64 {
        self.spool.len() as u64
    }

    pub(super) fn bytes(&self) -> u64 {
        self.spool.total_bytes()
    }

    /// Evicted by the byte/file quota (the spool's own count).
    pub(super) fn evicted_quota(&self) -> u64 {
        self.spool.counters.evicted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(session: &str, kind: ArtifactKind, end_ms: u64) -> ArtifactMeta {
        ArtifactMeta {
            kind,
            session_id: session.into(),
            start_ms: end_ms.saturating_sub(1000),
            end_ms,
            item_count: 1,
            batch_number: 0,
            idempotency_key: format!("{session}:{end_ms}"),
            created_ms: 0,
            is_sampled_in: true,
        }
    }

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "rj-buffer-{name}-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ));
        let _ = fs::remove_dir_all(&d);
        d
    }

    fn limits() -> BufferLimits {
        BufferLimits {
            window_ms: 10_000,
            max_bytes: 1 << 20,
            max_files: 100,
        }
    }

    #[test]
    fn keeps_only_the_window_and_promotes_in_order() {
        let (mut b, left) = Buffer::open(scratch("window"), limits()).unwrap();
        assert!(left.is_empty());
        for t in (1..=30).map(|i| i * 1000) {
            b.put(&meta("s1", ArtifactKind::Screenshots, t), &[1, 2, 3], true)
                .unwrap();
        }
        // 30 s recorded, a 10 s window: ends 20 000..=30 000 are kept.
        assert_eq!(b.files(), 11);
        assert_eq!(b.counters.evicted_window, 19);
        let out = b.promote("s1");
        let ends: Vec<u64> = out.iter().map(|(m, _)| m.end_ms).collect();
        assert_eq!(ends, (20..=30).map(|i| i * 1000).collect::<Vec<_>>());
        assert!(out
            .iter()
            .all(|(m, body)| m.is_sampled_in && body == &[1, 2, 3]));
        assert_eq!(b.files(), 0);
    }

    #[test]
    fn the_byte_quota_evicts_the_oldest() {
        let mut l = limits();
        l.max_bytes = 4096;
        let (mut b, _) = Buffer::open(scratch("quota"), l).unwrap();
        for t in 0..10 {
            b.put(&meta("s", ArtifactKind::Events, t), &[0u8; 1000], true)
                .unwrap();
        }
        assert!(b.bytes() <= 4096);
        assert!(b.evicted_quota() >= 6);
        let ends: Vec<u64> = b.promote("s").iter().map(|(m, _)| m.end_ms).collect();
        assert_eq!(*ends.last().unwrap(), 9, "the newest survives");
    }

    #[test]
    fn next_launch_moves_triggered_buffers_and_deletes_the_rest() {
        let path = scratch("relaunch");
        {
            let (mut b, _) = Buffer::open(path.clone(), limits()).unwrap();
            b.put(&meta("crashed", ArtifactKind::Screenshots, 5), b"a", true)
                .unwrap();
            b.put(&meta("quiet", ArtifactKind::Screenshots, 6), b"b", true)
                .unwrap();
            b.put(&meta("crashed", ArtifactKind::Events, 7), b"c", true)
                .unwrap();
            Buffer::mark_triggered(b.dir(), "crashed").unwrap();
            // The app dies here.
        }
        let (mut b, triggered) = Buffer::open(path.clone(), limits()).unwrap();
        assert_eq!(triggered, vec!["crashed".to_owned()]);
        assert_eq!(b.counters.discarded, 1);
        assert!(marker_path(&path, "crashed").exists(), "kept until moved");
        let moved = b.promote("crashed");
        let got: Vec<(String, u64)> = moved
            .iter()
            .map(|(m, _)| (m.session_id.clone(), m.end_ms))
            .collect();
        assert_eq!(got, vec![("crashed".into(), 5), ("crashed".into(), 7)]);
        assert_eq!(b.files(), 0);
        b.clear_marker("crashed");
        drop(b);
        let (_, triggered) = Buffer::open(path.clone(), limits()).unwrap();
        assert!(triggered.is_empty());
        assert!(!marker_path(&path, "crashed").exists());
    }

    #[test]
    fn discard_deletes_one_session() {
        let (mut b, _) = Buffer::open(scratch("discard"), limits()).unwrap();
        b.put(&meta("a", ArtifactKind::Hierarchy, 1), b"x", true)
            .unwrap();
        b.put(&meta("b", ArtifactKind::Hierarchy, 1), b"y", true)
            .unwrap();
        b.discard("a");
        assert_eq!((b.files(), b.counters.discarded), (1, 1));
    }
}
