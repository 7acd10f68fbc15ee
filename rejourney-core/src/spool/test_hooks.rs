//! A stalled disk for the workspace's tests and benches (`test-hooks` feature, compiled
//! out of every other build): every spool write (and open) under a stalled directory sleeps
//! first; a held directory's writes or deletions wait until it is released (a disk that
//! answers nothing, for as long as a test needs, with no timing in the test).

use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

static STALLS: Mutex<Vec<(PathBuf, Duration)>> = Mutex::new(Vec::new());
static HELD: Mutex<Vec<(PathBuf, DiskOp)>> = Mutex::new(Vec::new());
static RELEASED: Condvar = Condvar::new();

/// What a held directory holds back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiskOp {
    /// Writes (spool and buffer files, the purge marker) and the open's scan.
    Write,
    /// Deletions (of artifacts, and of what a purge deletes).
    Delete,
}

/// Every write of a spool at or under `dir`, and the scan that opens it, sleeps
/// `per_write` first (zero: no more).
pub fn stall_writes(dir: &Path, per_write: Duration) {
    let mut s = crate::wait::lock(&STALLS);
    s.retain(|(d, _)| d != dir);
    if !per_write.is_zero() {
        s.push((dir.to_path_buf(), per_write));
    }
}

/// Holds every `op` at or under `dir` until [`release`].
pub fn hold(dir: &Path, op: DiskOp) {
    crate::wait::lock(&HELD).push((dir.to_path_buf(), op));
}

/// Lets what [`hold`] held go on.
pub fn release(dir: &Path, op: DiskOp) {
    crate::wait::lock(&HELD).retain(|(d, o)| !(d == dir && *o == op));
    RELEASED.notify_all();
}

/// A write (or the open's scan) under `dir`.
pub(crate) fn stall(dir: &Path) {
    let wait = crate::wait::lock(&STALLS)
        .iter()
        .filter(|(d, _)| dir.starts_with(d))
        .map(|(_, w)| *w)
        .max();
    if let Some(w) = wait {
        std::thread::sleep(w);
    }
    wait_held(dir, DiskOp::Write);
}

/// A deletion under `dir`.
pub(crate) fn stall_delete(dir: &Path) {
    wait_held(dir, DiskOp::Delete);
}

fn wait_held(dir: &Path, op: DiskOp) {
    let held = |h: &Vec<(PathBuf, DiskOp)>| h.iter().any(|(d, o)| *o == op && dir.starts_with(d));
    let mut h = crate::wait::lock(&HELD);
    while held(&h) {
        h = RELEASED.wait(h).unwrap_or_else(|p| p.into_inner());
    }
}
