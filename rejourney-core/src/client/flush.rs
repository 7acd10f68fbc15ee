//! The flush-like calls: each seals what is open and waits, with one deadline bounding the
//! whole call, for a different point of the pipeline (encoded, on disk, delivered).

use super::*;

impl Client {
    /// Seals the open bundle and waits up to `timeout` until it is handed to the spooler
    /// (encoding done), without waiting for delivery.
    pub fn flush_capture(&self, timeout: Duration) -> bool {
        let token = self.pipeline.flush();
        self.pipeline.wait_flushed(token, timeout)
    }

    /// Seals the open bundle and waits up to `timeout` until everything captured so far is
    /// on disk in the spool (safe from a kill), without waiting for delivery.
    /// `timeout` bounds the whole call. False also when a bound cut the recording since the
    /// last answer (an artifact dropped by the full inbox, or evicted by the spool's quota:
    /// counted as `dropped.inbox_full` and `spool_evicted`), so "on disk" is never said of
    /// something lost.
    pub fn persist(&self, timeout: Duration) -> bool {
        let deadline = Deadline::after(timeout);
        self.flush_events(wall_clock_ms(), true);
        self.hierarchy.drain(deadline.left());
        let token = self.pipeline.flush();
        self.pipeline.wait_flushed(token, deadline.left())
            && self.uploader.wait_spooled(deadline.left())
            && self.store.wait_written(deadline.left())
    }

    /// Waits up to `timeout` until every submitted frame is encoded, without sealing the
    /// open bundle.
    pub fn sync_capture(&self, timeout: Duration) -> bool {
        self.pipeline.sync(timeout)
    }

    /// Seals the open bundle and waits up to `timeout` for everything to be delivered.
    /// Returns whether all of it was. Meant for tests, demos and app shutdown paths, not the
    /// main thread.
    /// `timeout` bounds the whole call.
    pub fn flush(&self, timeout: Duration) -> bool {
        let deadline = Deadline::after(timeout);
        self.flush_events(wall_clock_ms(), true);
        let drained = self.hierarchy.drain(deadline.left());
        let token = self.pipeline.flush();
        let sealed = self.pipeline.wait_flushed(token, deadline.left());
        // Earlier sessions' end calls are queued by the store's thread at launch.
        let recovered = self.store.wait_written(deadline.left());
        drained && sealed && recovered && self.uploader.wait_idle(deadline.left())
    }

    /// Stops every thread, trying to deliver for up to `drain`, which bounds the whole call
    /// (a request in flight then is abandoned); what remains stays spooled for the next start.
    pub fn shutdown(&self, drain: Duration) {
        if self.closed.swap(true, AcqRel) {
            return;
        }
        let deadline = Deadline::after(drain);
        self.recording.store(false, Release);
        if let Some(r) = &self.remote {
            r.stop();
        }
        let watchdog = lock(&self.watchdog).take();
        if let Some(mut w) = watchdog {
            w.stop();
        }
        self.flush_events(wall_clock_ms(), true);
        // The session is not ended (the app may only be going away): its state stays on
        // disk, with its last activity, and the next launch ends it.
        let host = self.host_ms.load(Relaxed);
        if host > 0 {
            self.save_session(host);
        }
        self.store.stop(deadline.left());
        // The user's last answer is on disk before the next launch reads it (a tiny write,
        // given the same grace past `drain` as the spool's).
        self.consent
            .stop(deadline.left().max(Duration::from_millis(250)));
        // At most four queued trees: their snapshots reach the uploader before it drains.
        self.hierarchy.stop();
        self.pipeline.stop();
        self.uploader.notify();
        self.uploader.shutdown(deadline.left());
    }
}
