//! Waiting and locking, one way for the whole crate.
//!
//! Waiting with a deadline: calls that take a timeout (`flush`, `persist`, `shutdown`,
//! `record_crash`) honour it as a total over all their stages: each stage waits for what is
//! left of one [`Deadline`], never for a fresh timeout of its own. A timeout too large to add
//! to the clock means "no deadline" instead of overflowing.

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Locks `m`, recovering from poison: our locks guard plain state and scratch buffers that a
/// panic elsewhere cannot leave unusable, and a host app must never see a panic from us.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A point in time to stop waiting at (`None`: never).
#[derive(Debug, Clone, Copy)]
pub struct Deadline(Option<Instant>);

/// Longest single condvar wait; an unbounded deadline waits in slices of this.
const SLICE: Duration = Duration::from_secs(3600);

impl Deadline {
    pub fn after(timeout: Duration) -> Self {
        Self(Instant::now().checked_add(timeout))
    }

    /// What is left (zero once passed).
    pub fn left(&self) -> Duration {
        match self.0 {
            Some(t) => t.saturating_duration_since(Instant::now()),
            None => Duration::MAX,
        }
    }

    pub fn passed(&self) -> bool {
        self.left().is_zero()
    }

    /// Waits on `cv` until `done` holds for the guarded value or the deadline passes.
    /// Returns the guard and whether `done` held. A poisoned lock is recovered (the values
    /// guarded this way are plain counters).
    pub fn wait_until<'a, T>(
        &self,
        cv: &Condvar,
        mut guard: MutexGuard<'a, T>,
        mut done: impl FnMut(&T) -> bool,
    ) -> (MutexGuard<'a, T>, bool) {
        loop {
            if done(&guard) {
                return (guard, true);
            }
            let left = self.left();
            if left.is_zero() {
                return (guard, false);
            }
            guard = cv
                .wait_timeout(guard, left.min(SLICE))
                .map(|r| r.0)
                .unwrap_or_else(|p| p.into_inner().0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[test]
    fn waits_until_done_or_deadline_and_never_overflows() {
        let far = Deadline::after(Duration::MAX);
        assert!(!far.passed());
        assert_eq!(far.left(), Duration::MAX);
        let pair = Arc::new((Mutex::new(0u32), Condvar::new()));
        let p = pair.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            *p.0.lock().unwrap() = 1;
            p.1.notify_all();
        });
        let (guard, ok) = far.wait_until(&pair.1, pair.0.lock().unwrap(), |v| *v == 1);
        drop(guard);
        assert!(ok);
        t.join().unwrap();
        let soon = Deadline::after(Duration::from_millis(10));
        let (guard, ok) = soon.wait_until(&pair.1, pair.0.lock().unwrap(), |v| *v == 2);
        drop(guard);
        assert!(!ok && soon.passed());
    }
}
