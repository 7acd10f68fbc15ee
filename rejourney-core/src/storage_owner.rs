//! One storage directory, one owner at a time. A process-wide registry maps each spool
//! directory (canonical path) to the client that owns it. A new client over a directory
//! with a live owner neither fails nor blocks its caller: it tells the old owner to hand
//! the directory over (persist what it holds, stop its disk and upload threads) and its own
//! disk threads wait, each with a [`Ticket`], until every thread of the old owner has
//! exited. Two cores never run over one spool: no double upload, no deleted temp files, no
//! session store ending a session its owner still records.
//!
//! The wait is bounded by one total ([`crate::upload::DeliveryConfig::handoff_wait`]); past
//! it, the new owner fails closed: it never opens the directory, and drops what it records,
//! counted (`storage_busy`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use crate::wait::{lock, Deadline};

/// Directory → its newest owner.
static OWNERS: Mutex<Option<HashMap<PathBuf, Arc<Owner>>>> = Mutex::new(None);

type HandOff = Box<dyn Fn() + Send + Sync>;

/// One client's hold on a directory.
#[derive(Default)]
struct Owner {
    state: Mutex<OwnerState>,
    released_cv: Condvar,
    /// What tells this owner's parts to hand the directory over (never blocks).
    hand_offs: Mutex<Vec<HandOff>>,
}

#[derive(Default)]
struct OwnerState {
    /// Threads of this owner that may still touch the directory.
    tickets: usize,
    /// Every ticket is handed out (the client is built, or failed to be).
    sealed: bool,
    released: bool,
    handed_off: bool,
}

impl Owner {
    /// Releases the directory once sealed and no thread of this owner is left.
    fn settle(self: &Arc<Self>, dir: &Path, mut st: std::sync::MutexGuard<'_, OwnerState>) {
        if st.sealed && st.tickets == 0 && !st.released {
            st.released = true;
            drop(st);
            self.released_cv.notify_all();
            let mut owners = lock(&OWNERS);
            if let Some(map) = owners.as_mut() {
                if map.get(dir).is_some_and(|o| Arc::ptr_eq(o, self)) {
                    map.remove(dir);
                }
            }
        }
    }

    fn hand_off(&self) {
        let first = !std::mem::replace(&mut lock(&self.state).handed_off, true);
        if first {
            for f in lock(&self.hand_offs).iter() {
                f();
            }
        }
    }
}

/// The claim a client being built holds on its directory. Dropping it seals it: the
/// tickets handed out so far are all the owner's threads.
pub struct Claim {
    dir: PathBuf,
    me: Arc<Owner>,
    previous: Option<Arc<Owner>>,
    deadline: Deadline,
}

impl std::fmt::Debug for Claim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Claim").field("dir", &self.dir).finish()
    }
}

/// The registry's key for `dir`: its canonical path (created first, so a relative and an
/// absolute spelling of one directory are one key).
fn key_of(dir: &Path) -> PathBuf {
    let _ = std::fs::create_dir_all(dir);
    std::fs::canonicalize(dir)
        .or_else(|_| std::path::absolute(dir))
        .unwrap_or_else(|_| dir.to_path_buf())
}

impl Claim {
    /// Becomes the newest owner of `dir`, telling a live owner to hand it over. Never
    /// waits. `wait` bounds, in total, how long this owner's threads wait for the old one.
    pub fn take(dir: &Path, wait: Duration) -> Self {
        let dir = key_of(dir);
        let me = Arc::new(Owner::default());
        let previous = {
            let mut owners = lock(&OWNERS);
            owners
                .get_or_insert_with(HashMap::new)
                .insert(dir.clone(), me.clone())
        };
        if let Some(p) = &previous {
            p.hand_off();
        }
        Self {
            dir,
            me,
            previous,
            deadline: Deadline::after(wait),
        }
    }

    /// Registers what tells this owner's part to hand the directory over (run at once if a
    /// newer owner already asked).
    pub fn on_hand_off(&self, f: impl Fn() + Send + Sync + 'static) {
        let mut fs = lock(&self.me.hand_offs);
        if lock(&self.me.state).handed_off {
            f();
        }
        fs.push(Box::new(f));
    }

    /// A ticket for one thread that touches the directory: the directory is released only
    /// once every ticket is dropped.
    pub fn ticket(&self) -> Ticket {
        lock(&self.me.state).tickets += 1;
        Ticket {
            dir: self.dir.clone(),
            me: self.me.clone(),
            previous: self.previous.clone(),
            deadline: self.deadline,
        }
    }

    /// Whether a newer owner took the directory over.
    pub fn handed_off(&self) -> bool {
        lock(&self.me.state).handed_off
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        let mut st = lock(&self.me.state);
        st.sealed = true;
        self.me.settle(&self.dir, st);
    }
}

/// One thread's share of a directory's ownership.
pub struct Ticket {
    dir: PathBuf,
    me: Arc<Owner>,
    previous: Option<Arc<Owner>>,
    deadline: Deadline,
}

impl std::fmt::Debug for Ticket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ticket").field("dir", &self.dir).finish()
    }
}

impl Ticket {
    /// Waits (on this thread, never the host's) until the previous owner released the
    /// directory, at most until the claim's deadline. False: it did not, the directory
    /// must not be touched.
    pub fn wait_turn(&self) -> bool {
        let Some(p) = &self.previous else {
            return true;
        };
        let st = lock(&p.state);
        let (_st, released) = self.deadline.wait_until(&p.released_cv, st, |s| s.released);
        released
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut st = lock(&self.me.state);
        st.tickets = st.tickets.saturating_sub(1);
        self.me.settle(&self.dir, st);
    }
}
