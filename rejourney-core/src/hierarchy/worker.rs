//! The hierarchy worker thread: builds, diffs and serialises trees off the host's thread.

use super::*;

/// One tree handed to the [`SnapshotWorker`], with the caller's tag (the session it belongs to).
#[derive(Debug)]
pub struct Job<T> {
    pub nodes: NodeList,
    pub masked: Vec<bool>,
    pub timestamp_ms: u64,
    pub partial: bool,
    /// The screen the user is on (`screenName`), when the host has named one.
    pub screen_name: Option<std::sync::Arc<str>>,
    pub tag: T,
}

/// Work run on the worker thread after the trees handed over before it (session ends).
pub type Then = Box<dyn FnOnce() + Send>;

enum Msg<T> {
    Job(Job<T>),
    Then(Then),
}

/// Trees the worker may hold before it drops new ones.
const MAX_QUEUED_TREES: usize = 4;

/// Builds, diffs and serialises trees on its own thread, so the host's main thread only pays
/// for handing over the node list it already owns (a changed 781-node tree costs the worker
/// ~10 µs; a snapshot's JSON ~0.2 ms at most once per interval; see `benches/RESULTS.md`). The worker holds at most four trees: one that falls behind
/// drops the newest and counts it (`dropped_busy`) rather than making the caller wait.
/// Follow-up work ([`SnapshotWorker::then`]) is never dropped and never waits: it runs in order after
/// the trees handed over before it. A job whose tag differs from the previous one (a new
/// session) starts from a full snapshot.
pub struct SnapshotWorker<T: Send + PartialEq + 'static> {
    /// `None` once stopped. Held only to clone or send (unbounded: never waits).
    tx: std::sync::Mutex<Option<crossbeam_channel::Sender<Msg<T>>>>,
    /// Trees handed over and not yet processed.
    queued: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    handle: std::sync::Mutex<Option<std::thread::JoinHandle<()>>>,
    recorder: std::sync::Arc<std::sync::Mutex<Recorder>>,
    enabled: bool,
}

impl<T: Send + PartialEq + 'static> std::fmt::Debug for SnapshotWorker<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("hierarchy::SnapshotWorker")
            .finish_non_exhaustive()
    }
}

impl<T: Send + PartialEq + 'static> SnapshotWorker<T> {
    /// Starts the thread; `sink` receives each snapshot with its job's tag.
    pub fn start(
        cfg: HierarchyConfig,
        sink: impl Fn(Snapshot, &T) + Send + 'static,
    ) -> std::io::Result<Self> {
        use std::sync::atomic::Ordering::AcqRel;
        let enabled = cfg.enabled;
        let recorder = std::sync::Arc::new(std::sync::Mutex::new(Recorder::new(cfg)));
        let (tx, rx) = crossbeam_channel::unbounded::<Msg<T>>();
        let queued = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (rec, in_queue) = (recorder.clone(), queued.clone());
        let handle = std::thread::Builder::new()
            .name("rejourney-hierarchy".into())
            .spawn(move || {
                let mut last_tag: Option<T> = None;
                for msg in rx {
                    match msg {
                        Msg::Job(job) => {
                            let snapshot = {
                                let mut r = crate::wait::lock(&rec);
                                if last_tag.as_ref() != Some(&job.tag) {
                                    r.reset();
                                }
                                r.observe_owned(
                                    job.nodes,
                                    job.masked,
                                    job.timestamp_ms,
                                    job.partial,
                                )
                            };
                            in_queue.fetch_sub(1, AcqRel);
                            if let Some(mut s) = snapshot {
                                if let Some(name) = &job.screen_name {
                                    s.add_screen_name(name);
                                }
                                sink(s, &job.tag);
                            }
                            last_tag = Some(job.tag);
                        }
                        Msg::Then(then) => then(),
                    }
                }
            })?;
        Ok(Self {
            tx: std::sync::Mutex::new(Some(tx)),
            queued,
            handle: std::sync::Mutex::new(Some(handle)),
            recorder,
            enabled,
        })
    }

    /// Whether snapshots are taken at all: when not, callers skip building jobs.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Hands a tree over without blocking. Returns false when it was dropped (worker busy
    /// or stopped); the drop is counted.
    pub fn submit(&self, job: Job<T>) -> bool {
        use std::sync::atomic::Ordering::AcqRel;
        let sent = self.queued.fetch_add(1, AcqRel) < MAX_QUEUED_TREES
            && crate::wait::lock(&self.tx)
                .as_ref()
                .is_some_and(|tx| tx.send(Msg::Job(job)).is_ok());
        if !sent {
            self.queued.fetch_sub(1, AcqRel);
            crate::wait::lock(&self.recorder).counters.dropped_busy += 1;
        }
        sent
    }

    /// Runs `then` on the worker thread once every tree handed over before this call has
    /// been processed; never blocks. A stopped worker runs it at once, here.
    pub fn then(&self, then: Then) {
        let tx = crate::wait::lock(&self.tx).clone();
        let unsent = match tx {
            Some(tx) => tx.send(Msg::Then(then)).err().map(|e| e.0),
            None => Some(Msg::Then(then)),
        };
        if let Some(Msg::Then(then)) = unsent {
            then();
        }
    }

    /// Waits until every tree handed over before this call has been processed (its snapshot,
    /// if any, given to the sink), or until `timeout`. Returns whether it got there.
    pub fn drain(&self, timeout: std::time::Duration) -> bool {
        let (done_tx, done_rx) = crossbeam_channel::bounded(1);
        let deadline = std::time::Instant::now() + timeout;
        self.then(Box::new(move || {
            let _ = done_tx.send(());
        }));
        done_rx.recv_deadline(deadline).is_ok()
    }

    pub fn counters(&self) -> HierarchyCounters {
        crate::wait::lock(&self.recorder).counters()
    }

    /// A closure that reads the counters from another thread.
    pub fn counters_reader(&self) -> impl Fn() -> HierarchyCounters + Send + Sync + 'static {
        let recorder = self.recorder.clone();
        move || crate::wait::lock(&recorder).counters()
    }

    /// Processes what is queued, then ends the thread.
    pub fn stop(&self) {
        crate::wait::lock(&self.tx).take();
        let handle = crate::wait::lock(&self.handle).take();
        if let Some(h) = handle {
            let _ = h.join();
        }
    }
}

impl<T: Send + PartialEq + 'static> Drop for SnapshotWorker<T> {
    fn drop(&mut self) {
        self.stop();
    }
}
