//! Tracking consent (Datadog's `TrackingConsent` is the model): whether the user let the app
//! record them, and what each answer does to what is on the phone.
//!
//! - `Pending`: recorded as usual into the on-device spool, and nothing leaves the phone:
//!   no device auth, presign, PUT, complete, session end, fault or remote-config request (a
//!   request alone tells the server the app is in use). Bounded by the spool's quota and
//!   maximum age, evicting the oldest (counted `spool_evicted`).
//! - `Granted`: what pending kept is uploaded (same sessions, the same idempotency keys:
//!   exactly once), and recording goes on.
//! - `Denied`: everything of the user on the phone is deleted (raw frames, open and sealed
//!   bundles, queued trees and events, spool, on-error buffer, session state files) and
//!   nothing more is recorded until the consent changes. Stricter than Datadog, which keeps
//!   uploading what was granted before: here a denial is an opt-out. The core stores no
//!   device id of its own (the host passes it); the remote-config cache holds the project's
//!   settings, not the user's, and is kept.
//!
//! The answer is kept in `<storage>/consent` (one word, written durably off the host's
//! thread by [`ConsentStore`]) and read when the core opens, so it survives restarts; the
//! app's option `initial_consent` (default `Granted`, so apps that never ask keep working)
//! applies only when nothing was kept. An unreadable file reads as `Pending`: nothing leaves
//! the phone and nothing is deleted until the app asks again (privacy fails closed without
//! destroying what the user may still grant). The decisions are pure ([`decide`],
//! [`at_launch`]) and shared by every platform (`tests/conformance/consent.json`).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use crate::wait::{lock, Deadline};

/// The user's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum Consent {
    /// Not asked yet, or not answered: record on the phone, send nothing.
    Pending,
    /// Record and upload (the default: apps that never ask keep working).
    #[default]
    Granted,
    /// Delete what is on the phone and record nothing.
    Denied,
}

impl Consent {
    /// The name on every platform and in the consent file.
    pub fn as_str(self) -> &'static str {
        match self {
            Consent::Pending => "pending",
            Consent::Granted => "granted",
            Consent::Denied => "denied",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Consent::Pending),
            "granted" => Some(Consent::Granted),
            "denied" => Some(Consent::Denied),
            _ => None,
        }
    }
}

/// What a consent means for the SDK (the same on every platform).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct ConsentDecision {
    /// Sessions are recorded (into the spool).
    pub records: bool,
    /// Requests may leave the phone (uploads, device auth, remote config).
    pub uploads: bool,
    /// Everything of the user on the phone is deleted now.
    pub deletes: bool,
}

/// What moving to `to` does. Entering `Denied` deletes (again at a launch with `Denied`
/// kept: a deletion the process did not finish is finished then).
pub fn decide(to: Consent) -> ConsentDecision {
    ConsentDecision {
        records: to != Consent::Denied,
        uploads: to == Consent::Granted,
        deletes: to == Consent::Denied,
    }
}

/// The consent a launch starts with: the kept answer (`persisted`, the file's content, `None`
/// when there is no file), else the app's `initial` option. Unreadable content is `Pending`.
pub fn at_launch(persisted: Option<&str>, initial: Consent) -> Consent {
    match persisted {
        None => initial,
        Some(text) => Consent::parse(text.trim()).unwrap_or(Consent::Pending),
    }
}

/// The consent file in a storage directory.
pub fn file_path(storage_dir: &Path) -> PathBuf {
    storage_dir.join("consent")
}

/// Largest consent file read (it holds one word).
const MAX_FILE_BYTES: u64 = 64;

/// Reads the kept answer (one small read: the core opens off the host's hot path). `None`
/// when there is no file; an oversized or unreadable one reads as garbage (`Pending`).
pub fn read_persisted(storage_dir: &Path) -> Option<String> {
    let path = file_path(storage_dir);
    let meta = fs::metadata(&path).ok()?;
    if !meta.is_file() || meta.len() > MAX_FILE_BYTES {
        return Some(String::new());
    }
    Some(fs::read_to_string(&path).unwrap_or_default())
}

/// Consent counters (telemetry `consent`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ConsentCounters {
    pub state: Consent,
    /// The launch found an answer kept by an earlier run.
    pub loaded: bool,
    /// `set_consent` calls that changed the state.
    pub changes: u64,
    /// Artifacts (spooled, buffered or waiting) deleted by a denial.
    pub deleted: u64,
    /// Consent files written, and writes that failed (then the next launch may start
    /// from an older answer).
    pub written: u64,
    pub write_failed: u64,
}

#[derive(Default)]
struct Slot {
    pending: Option<Consent>,
    handed: u64,
    written: u64,
    stop: bool,
}

struct Shared {
    path: PathBuf,
    slot: Mutex<Slot>,
    cv: Condvar,
    written: AtomicU64,
    write_failed: AtomicU64,
}

/// Writes the latest answer on its own thread ([`crate::durable_file::write`]: temp file,
/// fsync, rename, directory fsync):
/// the host's `set_consent` never waits on the disk. Only the latest answer waits.
#[derive(Clone)]
pub struct ConsentStore {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for ConsentStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsentStore").finish_non_exhaustive()
    }
}

impl ConsentStore {
    /// Starts the writer thread for `<storage_dir>/consent`.
    pub fn start(storage_dir: &Path) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            path: file_path(storage_dir),
            slot: Mutex::new(Slot::default()),
            cv: Condvar::new(),
            written: AtomicU64::new(0),
            write_failed: AtomicU64::new(0),
        });
        let s = shared.clone();
        std::thread::Builder::new()
            .name("rejourney-consent".into())
            .spawn(move || run(&s))?;
        Ok(Self { shared })
    }

    /// Keeps `c` (written on the store's thread).
    pub fn save(&self, c: Consent) {
        let mut slot = lock(&self.shared.slot);
        slot.pending = Some(c);
        slot.handed += 1;
        self.shared.cv.notify_all();
    }

    /// Waits up to `timeout` until every answer handed so far is written (or failed).
    pub fn wait_written(&self, timeout: Duration) -> bool {
        let guard = lock(&self.shared.slot);
        let target = guard.handed;
        Deadline::after(timeout)
            .wait_until(&self.shared.cv, guard, |s| s.written >= target)
            .1
    }

    /// Writes what waits (for at most `timeout`), then ends the thread.
    pub fn stop(&self, timeout: Duration) {
        self.wait_written(timeout);
        lock(&self.shared.slot).stop = true;
        self.shared.cv.notify_all();
    }

    /// Files written and writes failed.
    pub fn counts(&self) -> (u64, u64) {
        let s = &self.shared;
        (s.written.load(Relaxed), s.write_failed.load(Relaxed))
    }
}

fn run(s: &Shared) {
    loop {
        let (c, handed) = {
            let mut slot = lock(&s.slot);
            while slot.pending.is_none() && !slot.stop {
                slot = s.cv.wait(slot).unwrap_or_else(|p| p.into_inner());
            }
            match slot.pending.take() {
                Some(c) => (c, slot.handed),
                None => return,
            }
        };
        match crate::durable_file::write(&s.path, c.as_str().as_bytes()) {
            Ok(()) => s.written.fetch_add(1, Relaxed),
            Err(_) => s.write_failed.fetch_add(1, Relaxed),
        };
        let mut slot = lock(&s.slot);
        slot.written = slot.written.max(handed);
        s.cv.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "rj-consent-{name}-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ));
        let _ = fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn the_kept_answer_wins_over_the_option_and_garbage_is_pending() {
        assert_eq!(at_launch(None, Consent::Granted), Consent::Granted);
        assert_eq!(at_launch(None, Consent::Pending), Consent::Pending);
        assert_eq!(at_launch(Some("denied"), Consent::Granted), Consent::Denied);
        assert_eq!(
            at_launch(Some("granted\n"), Consent::Pending),
            Consent::Granted
        );
        assert_eq!(at_launch(Some("yes"), Consent::Granted), Consent::Pending);
        assert_eq!(at_launch(Some(""), Consent::Denied), Consent::Pending);
    }

    #[test]
    fn a_saved_answer_is_read_back_by_the_next_launch() {
        let dir = scratch("roundtrip");
        assert_eq!(read_persisted(&dir), None);
        let store = ConsentStore::start(&dir).unwrap();
        store.save(Consent::Pending);
        store.save(Consent::Denied);
        assert!(store.wait_written(Duration::from_secs(10)));
        store.stop(Duration::from_secs(1));
        assert_eq!(read_persisted(&dir).as_deref(), Some("denied"));
        assert!(store.counts().0 >= 1);
    }

    #[test]
    fn an_oversized_file_reads_as_garbage() {
        let dir = scratch("big");
        fs::create_dir_all(&dir).unwrap();
        fs::write(file_path(&dir), "granted".repeat(100)).unwrap();
        let kept = read_persisted(&dir);
        assert_eq!(
            at_launch(kept.as_deref(), Consent::Granted),
            Consent::Pending
        );
    }
}
