//! Applies the tracking consent ([`crate::consent`]) to the running client: the decision is
//! [`crate::consent::decide`]; this file holds the state and makes the uploader, the remote
//! config, the session and the stores follow it.

use super::*;
use crate::consent::{self, Consent, ConsentCounters, ConsentStore};

/// The consent as the client holds it.
#[derive(Debug)]
pub(super) struct ConsentState {
    current: Mutex<Consent>,
    /// Held while a change is applied: two changes never interleave.
    applying: Mutex<()>,
    store: ConsentStore,
    /// The app asked to record (`start`) and has not stopped: a session starts when the
    /// consent allows it again (a denial ends the running one).
    wanted: AtomicBool,
    loaded: bool,
    changes: AtomicU64,
}

impl ConsentState {
    /// The consent this launch starts with: the answer an earlier run kept in
    /// `storage_dir`, else `initial`. One small read: opening a core is not a host call.
    pub(super) fn open(
        storage_dir: &std::path::Path,
        initial: Consent,
    ) -> Result<Self, ClientError> {
        let kept = consent::read_persisted(storage_dir);
        let store = ConsentStore::start(storage_dir)
            .map_err(|e| ClientError::Delivery(DeliveryError::Thread(e.to_string())))?;
        Ok(Self {
            current: Mutex::new(consent::at_launch(kept.as_deref(), initial)),
            applying: Mutex::new(()),
            store,
            wanted: AtomicBool::new(false),
            loaded: kept.is_some(),
            changes: AtomicU64::new(0),
        })
    }

    pub(super) fn get(&self) -> Consent {
        *lock(&self.current)
    }

    pub(super) fn denied(&self) -> bool {
        self.get() == Consent::Denied
    }

    pub(super) fn want(&self, wanted: bool) {
        self.wanted.store(wanted, Release);
    }

    pub(super) fn counters(&self) -> ConsentCounters {
        let (written, write_failed) = self.store.counts();
        ConsentCounters {
            state: self.get(),
            loaded: self.loaded,
            changes: self.changes.load(Relaxed),
            // The uploader counts them (its spooler deletes): `Client::telemetry`.
            deleted: 0,
            written,
            write_failed,
        }
    }

    /// Writes what waits (the last answer), for at most `timeout`.
    pub(super) fn stop(&self, timeout: Duration) {
        self.store.stop(timeout);
    }
}

impl Client {
    /// The user's tracking consent. `Pending` records on the phone and sends nothing,
    /// `Granted` uploads what pending kept and records on, `Denied` deletes everything of
    /// the user on the phone and records nothing until the consent changes. Kept in the
    /// storage directory for later launches (written off this thread). Never waits.
    /// `now_ms` (host clock) ends or starts the session the change stops or allows.
    pub fn set_consent(&self, to: Consent, now_ms: u64) -> Result<(), ClientError> {
        self.check_open()?;
        let _applying = lock(&self.consent.applying);
        let from = {
            let mut current = lock(&self.consent.current);
            std::mem::replace(&mut *current, to)
        };
        if from != to {
            self.consent.changes.fetch_add(1, Relaxed);
            self.consent.store.save(to);
        }
        self.apply_consent(to, now_ms);
        Ok(())
    }

    /// The consent in force.
    pub fn consent(&self) -> Consent {
        self.consent.get()
    }

    /// Makes every part follow `to` (also at launch, before any session).
    pub(super) fn apply_consent(&self, to: Consent, now_ms: u64) {
        let d = consent::decide(to);
        self.uploader.set_consent(to);
        if let Some(r) = &self.remote {
            r.set_held(!d.uploads);
        }
        if d.deletes {
            self.delete_for_denial(now_ms);
        }
        let idle = lock(&self.sessions).current().is_none();
        if d.records && idle && self.consent.wanted.load(Acquire) && !self.closed.load(Acquire) {
            // The app asked to record while it was not allowed: the session begins now.
            let (ended, session) = lock(&self.sessions).start(now_ms);
            if let Some(e) = ended {
                self.finish_session(e);
            }
            self.begin_capture(&session);
        }
    }

    /// A denial: an opt-out of everything of this process, plus the session state files
    /// of earlier runs (their end calls would name the user's sessions). The running
    /// session ends unsent; the app's wish to record is kept for a later grant. Memory
    /// only, like the opt-out: the deletions run on the spooler and store threads.
    fn delete_for_denial(&self, now_ms: u64) {
        self.stop_everything(now_ms, true);
        self.store.clear();
    }
}
