//! What a client hands over with its spool directory ([`crate::storage_owner`]): when a
//! newer client takes the directory, the old spooler's last round waits (bounded) for the
//! session ends still on their way through the hierarchy worker and the encoder, and for
//! the open bundle, so a `stop` right before a restart loses nothing.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use crate::pipeline::Pipeline;
use crate::upload::BundleSource;
use crate::wait::{lock, Deadline};

/// Session ends queued behind their frames and trees, not yet handed to the uploader.
#[derive(Clone, Default)]
pub(super) struct EndsInFlight(Arc<(Mutex<u64>, Condvar)>);

/// One end on its way; dropped once it is handed over (or abandoned).
pub(super) struct EndOnItsWay(EndsInFlight);

impl EndsInFlight {
    pub(super) fn begin(&self) -> EndOnItsWay {
        *lock(&self.0 .0) += 1;
        EndOnItsWay(self.clone())
    }

    /// Waits until no end is on its way, at most until `deadline`.
    fn wait_none(&self, deadline: Deadline) {
        let n = lock(&self.0 .0);
        let _ = deadline.wait_until(&self.0 .1, n, |n| *n == 0);
    }
}

impl Drop for EndOnItsWay {
    fn drop(&mut self) {
        let mut n = lock(&self.0 .0 .0);
        *n = n.saturating_sub(1);
        self.0 .0 .1.notify_all();
    }
}

/// The uploader's bundle source: the pipeline, sealed with the ends in flight on a hand-over.
pub(super) struct HandOffSource {
    pub(super) pipeline: Arc<Pipeline>,
    pub(super) ends: EndsInFlight,
    /// Run once the ends are handed over (stops the session store: their removals are
    /// written before the newer owner's store reads the directory).
    pub(super) after_seal: Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl BundleSource for HandOffSource {
    fn take_bundle(&self) -> Option<crate::bundle::Bundle> {
        self.pipeline.take_bundle()
    }

    fn seal(&self, timeout: Duration) {
        let deadline = Deadline::after(timeout);
        self.ends.wait_none(deadline);
        let token = self.pipeline.flush();
        self.pipeline.wait_flushed(token, deadline.left());
        let after = lock(&self.after_seal).take();
        if let Some(f) = after {
            f();
        }
    }
}
