//! The running session's state on disk, so a session whose app is killed still ends.
//!
//! Most mobile sessions end with the app backgrounded and then killed by the OS or the user:
//! no `stop`, no end call. Each session's state (id, start, last activity, background time,
//! sampling, the counters its end call carries) is kept in a small file,
//! `<spool>/sessions/<id>.json`, rewritten as it changes; the next launch finds the files of
//! sessions that never ended and ends each one with its real end time (its last activity)
//! through the spool, so the end call survives another kill.
//!
//! Cheap by construction: the host only hands the latest state to a slot (no disk on its
//! thread); one writer thread writes each state durably ([`crate::durable_file::write`]:
//! temp file, fsync, rename, directory fsync; a power cut then loses no state counted
//! `written`, where a rename without fsync could leave an empty file on some filesystems).
//! The fsyncs cost the writer thread only (one per save below). The client hands a
//! new state on every session change and at most every [`SAVE_EVERY_MS`] of host time
//! otherwise, so a kill at any moment loses at most those last seconds of activity.
//!
//! Bounded: at most [`MAX_RECOVERED`] earlier sessions are ended at launch (the oldest first;
//! the rest are deleted, counted), a file larger than [`MAX_FILE_BYTES`] or unreadable is
//! deleted (counted), and at most one pending state per session waits in the slot.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::metrics::SessionMetrics;
use crate::session::{EndReason, Ended, Session};
use crate::wait::{lock, Deadline};

/// Host time between two saves of an unchanged session's last activity.
pub const SAVE_EVERY_MS: u64 = 2_000;
/// Earlier sessions ended at most per launch.
pub const MAX_RECOVERED: usize = 32;
/// Largest state file read (a state is a few hundred bytes).
const MAX_FILE_BYTES: u64 = 16 * 1024;

/// What the end call of a session needs, as last saved.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SessionRecord {
    pub id: String,
    pub start_ms: u64,
    /// The host's time of the session's last foreground activity (a backgrounded session's
    /// is when it went to background: that is when the user left).
    pub last_activity_ms: u64,
    /// Background time of the periods that ended (an open one is not part of the session).
    pub background_total_ms: u64,
    pub sampled_in: bool,
    pub metrics: SessionMetrics,
}

impl SessionRecord {
    /// The state of `s` at host time `now_ms`.
    pub fn of(s: &Session, now_ms: u64, metrics: SessionMetrics) -> Self {
        let last = s.background_since().unwrap_or(now_ms).max(s.start_ms);
        Self {
            id: s.id.clone(),
            start_ms: s.start_ms,
            last_activity_ms: last,
            background_total_ms: s.background_total_ms,
            sampled_in: s.sampled_in,
            metrics,
        }
    }

    /// The session ended at its last activity by a process that did not survive.
    pub fn ended(&self) -> Ended {
        Ended {
            session: Session::restored(
                self.id.clone(),
                self.start_ms,
                self.sampled_in,
                self.background_total_ms,
            ),
            ended_at_ms: self.last_activity_ms.max(self.start_ms),
            reason: EndReason::Recovered,
        }
    }
}

/// What the store counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct StoreCounters {
    /// State files written.
    pub written: u64,
    /// Writes that failed (disk full, read-only): the session may not be recovered.
    pub write_failed: u64,
    /// Earlier sessions ended at launch.
    pub recovered: u64,
    /// State files deleted unread: unreadable, too large, or beyond [`MAX_RECOVERED`].
    pub discarded: u64,
}

#[derive(Default)]
struct Slot {
    /// The latest state per session (`None`: delete its file).
    pending: BTreeMap<String, Option<SessionRecord>>,
    /// Hand-overs made and hand-overs written (waits compare them).
    handed: u64,
    written: u64,
    stop: bool,
    /// Delete every state file (consent denied), before any state handed after it.
    clear: bool,
}

struct Shared {
    dir: PathBuf,
    slot: Mutex<Slot>,
    cv: Condvar,
    written: AtomicU64,
    write_failed: AtomicU64,
    recovered: AtomicU64,
    discarded: AtomicU64,
}

/// The writer thread and its slot. Cloning shares them.
#[derive(Clone)]
pub struct SessionStore {
    shared: Arc<Shared>,
    thread: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl std::fmt::Debug for SessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionStore")
            .field("dir", &self.shared.dir)
            .finish_non_exhaustive()
    }
}

/// The earlier sessions' records in `dir`, oldest first, at most [`MAX_RECOVERED`]; every
/// other file there is deleted (counted in `discarded`).
fn read_earlier(dir: &Path, discarded: &AtomicU64) -> Vec<(PathBuf, SessionRecord)> {
    let Ok(listing) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for path in listing.filter_map(|e| e.ok().map(|e| e.path())) {
        let is_state = path.extension().is_some_and(|e| e == "json");
        let small = fs::metadata(&path).is_ok_and(|m| m.is_file() && m.len() <= MAX_FILE_BYTES);
        let record = (is_state && small)
            .then(|| fs::read(&path).ok())
            .flatten()
            .and_then(|b| serde_json::from_slice::<SessionRecord>(&b).ok());
        match record {
            Some(r) => found.push((path, r)),
            None => {
                // Half-written temp files and anything else we did not write.
                if fs::remove_file(&path).is_ok() && is_state {
                    discarded.fetch_add(1, Relaxed);
                }
            }
        }
    }
    found.sort_by_key(|(_, r)| r.start_ms);
    if found.len() > MAX_RECOVERED {
        for (path, _) in found.drain(..found.len() - MAX_RECOVERED) {
            let _ = fs::remove_file(path);
            discarded.fetch_add(1, Relaxed);
        }
    }
    found
}

/// The store's directory under the storage (spool) directory.
pub const DIR_NAME: &str = "sessions";

/// The state file of session `id` in the store's directory `dir` (a purge deletes it too).
pub fn state_file(dir: &Path, id: &str) -> PathBuf {
    // Session ids are ours (`session_<ms>_<hex>`); anything else is made a safe name.
    let safe: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    dir.join(format!("{safe}.json"))
}

fn write(dir: &Path, r: &SessionRecord) -> std::io::Result<()> {
    let bytes = serde_json::to_vec(r).unwrap_or_default();
    crate::durable_file::write(&state_file(dir, &r.id), &bytes)
}

impl SessionStore {
    /// Starts the writer thread. It first ends the sessions earlier runs left behind: each
    /// goes to `recovered` (which queues its end call), then its file is deleted.
    pub fn start(
        dir: PathBuf,
        recovered: impl FnOnce(Vec<SessionRecord>) + Send + 'static,
    ) -> std::io::Result<Self> {
        let claim = crate::storage_owner::Claim::take(&dir, std::time::Duration::ZERO);
        Self::start_after(dir, claim.ticket(), recovered)
    }

    /// [`SessionStore::start`] once `ticket`'s turn comes: an earlier client over the same
    /// directory released it ([`crate::storage_owner`]). If it never does, this store
    /// touches nothing on disk (its saves are never written; `persist` says so).
    pub fn start_after(
        dir: PathBuf,
        ticket: crate::storage_owner::Ticket,
        recovered: impl FnOnce(Vec<SessionRecord>) + Send + 'static,
    ) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            dir,
            // The recovery counts as the first hand-over: waits see its end calls queued.
            slot: Mutex::new(Slot {
                handed: 1,
                ..Slot::default()
            }),
            cv: Condvar::new(),
            written: AtomicU64::new(0),
            write_failed: AtomicU64::new(0),
            recovered: AtomicU64::new(0),
            discarded: AtomicU64::new(0),
        });
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("rejourney-session-state".into())
            .spawn(move || {
                let _ticket = &ticket;
                if !ticket.wait_turn() {
                    return;
                }
                let earlier = read_earlier(&s.dir, &s.discarded);
                let (paths, records): (Vec<_>, Vec<_>) = earlier.into_iter().unzip();
                s.recovered.fetch_add(records.len() as u64, Relaxed);
                if !records.is_empty() {
                    recovered(records);
                }
                for p in paths {
                    let _ = fs::remove_file(p);
                }
                {
                    let mut slot = lock(&s.slot);
                    slot.written = slot.written.max(1);
                    s.cv.notify_all();
                }
                run(&s);
            })?;
        Ok(Self {
            shared,
            thread: Arc::new(Mutex::new(Some(thread))),
        })
    }

    fn hand(&self, id: &str, state: Option<SessionRecord>) {
        let mut slot = lock(&self.shared.slot);
        if slot.stop {
            return;
        }
        slot.pending.insert(id.to_owned(), state);
        slot.handed += 1;
        self.shared.cv.notify_all();
    }

    /// Saves a session's latest state (written on the store's thread).
    pub fn save(&self, r: SessionRecord) {
        let id = r.id.clone();
        self.hand(&id, Some(r));
    }

    /// The session ended (its end call is queued) or must be forgotten: delete its state.
    pub fn remove(&self, id: &str) {
        self.hand(id, None);
    }

    /// Forgets every session: states waiting are dropped and every file in the directory
    /// is deleted on the store's thread (consent denied: nothing of the user stays).
    pub fn clear(&self) {
        let mut slot = lock(&self.shared.slot);
        slot.pending.clear();
        slot.clear = true;
        slot.handed += 1;
        self.shared.cv.notify_all();
    }

    /// Waits up to `timeout` until every state handed so far is written (and the earlier
    /// sessions' end calls are queued).
    pub fn wait_written(&self, timeout: Duration) -> bool {
        let guard = lock(&self.shared.slot);
        let target = guard.handed;
        Deadline::after(timeout)
            .wait_until(&self.shared.cv, guard, |s| s.written >= target)
            .1
    }

    /// Writes what is pending (for at most `timeout`), then stops the thread. The states
    /// stay on disk: a session not ended by then is ended by the next launch.
    /// Tells the thread to exit once what is pending is written, without waiting.
    pub fn signal_stop(&self) {
        lock(&self.shared.slot).stop = true;
        self.shared.cv.notify_all();
    }

    pub fn stop(&self, timeout: Duration) {
        let done = self.wait_written(timeout);
        lock(&self.shared.slot).stop = true;
        self.shared.cv.notify_all();
        let handle = lock(&self.thread).take();
        if let (true, Some(h)) = (done, handle) {
            // Nothing is pending: the thread exits at once.
            let _ = h.join();
        }
    }

    pub fn counters(&self) -> StoreCounters {
        let s = &self.shared;
        StoreCounters {
            written: s.written.load(Relaxed),
            write_failed: s.write_failed.load(Relaxed),
            recovered: s.recovered.load(Relaxed),
            discarded: s.discarded.load(Relaxed),
        }
    }
}

/// Deletes every file in the store's directory.
fn remove_all(dir: &Path) {
    if let Ok(listing) = fs::read_dir(dir) {
        for p in listing.filter_map(|e| e.ok().map(|e| e.path())) {
            if p.is_file() {
                let _ = fs::remove_file(p);
            }
        }
    }
}

/// The writer loop: takes everything pending, writes or deletes each, until stopped.
fn run(s: &Shared) {
    loop {
        let (batch, handed, clear) = {
            let mut slot = lock(&s.slot);
            while slot.pending.is_empty() && !slot.clear && !slot.stop {
                slot = s.cv.wait(slot).unwrap_or_else(|p| p.into_inner());
            }
            if slot.pending.is_empty() && !slot.clear {
                return;
            }
            let clear = std::mem::take(&mut slot.clear);
            (std::mem::take(&mut slot.pending), slot.handed, clear)
        };
        // Outside the lock (the host's saves never wait on the disk); the states handed
        // with it came after the clear, so they are written after it.
        if clear {
            remove_all(&s.dir);
        }
        for (id, state) in batch {
            match state {
                Some(r) => match write(&s.dir, &r) {
                    Ok(()) => s.written.fetch_add(1, Relaxed),
                    Err(_) => s.write_failed.fetch_add(1, Relaxed),
                },
                None => {
                    let _ = fs::remove_file(state_file(&s.dir, &id));
                    0
                }
            };
        }
        let mut slot = lock(&s.slot);
        slot.written = slot.written.max(handed);
        s.cv.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "rj-session-store-{name}-{}-{:x}",
            std::process::id(),
            fastrand::u64(..)
        ));
        let _ = fs::remove_dir_all(&d);
        d
    }

    fn record(id: &str, start: u64, last: u64) -> SessionRecord {
        SessionRecord {
            id: id.into(),
            start_ms: start,
            last_activity_ms: last,
            background_total_ms: 7,
            sampled_in: true,
            metrics: SessionMetrics {
                crash_count: 1,
                anr_count: 0,
            },
        }
    }

    fn collect(d: &Path) -> (SessionStore, Arc<Mutex<Vec<SessionRecord>>>) {
        let got = Arc::new(Mutex::new(Vec::new()));
        let g = got.clone();
        let store = SessionStore::start(d.to_owned(), move |r| *lock(&g) = r).unwrap();
        (store, got)
    }

    #[test]
    fn a_session_left_behind_is_ended_at_its_last_activity_by_the_next_start() {
        let d = dir("recover");
        let (store, got) = collect(&d);
        store.save(record("session_1_a", 1_000, 1_500));
        store.save(record("session_1_a", 1_000, 9_000));
        store.save(record("session_2_b", 2_000, 3_000));
        store.remove("session_2_b");
        assert!(store.wait_written(Duration::from_secs(10)));
        store.stop(Duration::from_secs(10));
        assert!(lock(&got).is_empty(), "nothing earlier");
        // Next launch.
        let (store, got) = collect(&d);
        assert!(store.wait_written(Duration::from_secs(10)));
        store.stop(Duration::from_secs(10));
        let got = lock(&got).clone();
        assert_eq!(got, vec![record("session_1_a", 1_000, 9_000)]);
        let ended = got[0].ended();
        assert_eq!(
            (ended.ended_at_ms, ended.reason),
            (9_000, EndReason::Recovered)
        );
        assert_eq!(ended.session.background_total_ms, 7);
        assert_eq!(store.counters().recovered, 1);
        // Deleted once handed over: a third launch has nothing.
        let (store, got) = collect(&d);
        store.stop(Duration::from_secs(10));
        assert!(lock(&got).is_empty());
    }

    #[test]
    fn garbage_and_the_excess_are_deleted_and_counted() {
        let d = dir("garbage");
        fs::create_dir_all(&d).unwrap();
        fs::write(d.join("x.json"), b"{not json").unwrap();
        fs::write(d.join("y.tmp"), b"half").unwrap();
        for i in 0..(MAX_RECOVERED + 3) as u64 {
            write(&d, &record(&format!("session_{i}_x"), i, i)).unwrap();
        }
        let (store, got) = collect(&d);
        store.stop(Duration::from_secs(10));
        let got = lock(&got).clone();
        assert_eq!(got.len(), MAX_RECOVERED);
        assert_eq!(got[0].start_ms, 3, "the oldest beyond the limit go");
        assert_eq!(store.counters().discarded, 4);
        assert_eq!(fs::read_dir(&d).unwrap().count(), 0);
    }
}
