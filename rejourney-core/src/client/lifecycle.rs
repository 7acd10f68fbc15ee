//! A session's lifecycle on the client: it starts (`start`, or when consent allows it), it
//! ends (`stop`, rotation, the maximum duration, opt-out) and what goes out as it ends — its
//! last event batches, its end call queued behind its frames and trees, its state file.

use super::*;

/// Puts a stall's `anr` event in the stream of the session it happened in (a stall that
/// outlived its session is left to its fault).
pub(super) fn record_stall(
    st: &mut EventState,
    stall: &stalls::OpenStall,
    current: Option<&SessionRef>,
) {
    if current.is_some_and(|c| c.id == stall.session) {
        st.rec.anr(stall.at_ms, stall.duration_ms, &stall.incident);
    }
}

/// The session end call as an artifact.
pub(super) fn end_artifact(ended: &Ended, body: Value) -> Artifact {
    let s = &ended.session;
    let body = serde_json::to_vec(&body).unwrap_or_default();
    let (kind, end) = (ArtifactKind::SessionEnd, ended.ended_at_ms);
    Artifact::new(kind, &s.id, s.sampled_in, s.start_ms, end, 0, 0, body)
}

impl Client {
    /// Starts recording a new session (ending a running one). Returns the session id.
    /// With consent denied nothing starts (`ConsentDenied`); the session begins when the
    /// consent allows it.
    pub fn start(&self, now_ms: u64) -> Result<String, ClientError> {
        self.check_open()?;
        self.consent.want(true);
        if self.consent.denied() {
            return Err(ClientError::ConsentDenied);
        }
        let (ended, session) = lock(&self.sessions).start(now_ms);
        if let Some(e) = ended {
            self.finish_session(e);
        }
        // Every new session asks the server again (the first one's fetch is in flight).
        if self.stats.sessions_started.load(Relaxed) > 0 {
            self.refetch_remote();
        }
        self.begin_capture(&session);
        Ok(session.id)
    }

    pub(super) fn begin_capture(&self, s: &crate::session::Session) {
        *lock(&self.telemetry_since) = self.stats.baseline();
        self.stats.sessions_started.fetch_add(1, Relaxed);
        let id: Arc<str> = s.id.as_str().into();
        {
            let mut recent = lock(&self.recent);
            if recent.len() >= RECENT_SESSIONS {
                recent.pop_front();
            }
            recent.push_back(id.clone());
        }
        *lock(&self.current) = Some(SessionRef {
            id,
            sampled_in: s.sampled_in,
        });
        lock(&self.events).batch_number = 0;
        // Touch privacy: no touch of the new session is placed against an older frame.
        lock(&self.masks).touch.forget();
        self.pipeline.set_session(SessionTag {
            id: s.id.as_str().into(),
            start_ms: s.start_ms,
        });
        // The plan decides what is captured: an unsampled session captures nothing (its
        // events and end call still say so), a buffered one keeps its last window on the
        // device, and the first capture may wait briefly for the remote config.
        self.plan_new_session(s);
        self.save_session(s.start_ms);
        self.recording.store(true, Release);
        let observer = lock(&self.observer).clone();
        if let Some(o) = observer {
            o.session_started(&s.id);
        }
    }

    /// Hands the running session's state to the store (written off this thread).
    pub(super) fn save_session(&self, now_ms: u64) {
        let metrics = lock(&self.events).rec.metrics();
        let record = lock(&self.sessions)
            .current()
            .map(|s| SessionRecord::of(s, now_ms, metrics));
        if let Some(r) = record {
            self.saved_ms.store(now_ms, Relaxed);
            self.store.save(r);
        }
    }

    /// Registers (or clears) the session observer.
    pub fn set_observer(&self, observer: Option<Arc<dyn SessionObserver>>) {
        *lock(&self.observer) = observer;
    }

    /// Cuts and queues event batches for the current session: the due ones, or everything
    /// buffered when `force`.
    pub(super) fn flush_events(&self, now_ms: u64, force: bool) {
        let Some(session) = lock(&self.current).clone() else {
            return;
        };
        let off = self.events_off();
        let mut st = lock(&self.events);
        if force {
            // Everything recorded goes now, a stall whose end is not seen yet included.
            if let Some(stall) = self.stalls.take() {
                record_stall(&mut st, &stall, Some(&session));
            }
        }
        while let Some(batch) = st.rec.take_batch(now_ms, force) {
            if off {
                // The server switched the project off: nothing is sent.
                continue;
            }
            let body = gzip(&batch_body(&batch, &self.device_info));
            let n = st.batch_number;
            st.batch_number += 1;
            let items = batch.events.len() as u64;
            self.uploader.enqueue(artifact(
                &session,
                ArtifactKind::Events,
                batch.first_ms,
                batch.last_ms,
                items,
                n,
                body,
            ));
            if !force {
                break;
            }
        }
    }

    /// Seals the ended session's frames and queues its end call behind them, without the
    /// caller waiting: the hierarchy worker finishes the session's last trees, then the
    /// encoder seals its last bundle, then the end call (with the session's final figures)
    /// is queued, so the spool holds them in that order.
    pub(super) fn finish_session(&self, ended: Ended) {
        self.flush_events(ended.ended_at_ms, true);
        let metrics = lock(&self.events).rec.take_metrics();
        let since = std::mem::take(&mut *lock(&self.telemetry_since));
        let (pipeline, stats) = (self.pipeline.clone(), self.stats.clone());
        let (enqueue, sdk) = (self.uploader.enqueuer(), self.sdk_version.clone());
        let session_id = ended.session.id.clone();
        let reason = ended.reason.as_str();
        let store = self.store.clone();
        let on_its_way = self.ends.begin();
        self.hierarchy.then(Box::new(move || {
            let encoder = pipeline.clone();
            encoder.flush_then(Box::new(move || {
                let body = ended.end_body(&sdk, metrics.to_json(), stats.sdk_telemetry(&since));
                enqueue(end_artifact(&ended, body));
                // Its end call is queued: the next launch must not end it again.
                store.remove(&ended.session.id);
                drop(on_its_way);
            }));
        }));
        *lock(&self.current) = None;
        let observer = lock(&self.observer).clone();
        if let Some(o) = observer {
            o.session_ended(&session_id, reason);
        }
    }

    pub(super) fn rotate(&self, r: Rotation) {
        self.finish_session(r.ended);
        self.refetch_remote();
        self.begin_capture(&r.started);
    }

    /// Ends the session (its end call is queued behind its frames) and stops capturing.
    pub fn stop(&self, now_ms: u64) -> Result<(), ClientError> {
        self.check_open()?;
        self.consent.want(false);
        self.recording.store(false, Release);
        self.pipeline.set_capture_stopped(true);
        let ended = lock(&self.sessions).end(now_ms, EndReason::Stopped);
        match ended {
            Some(e) => {
                self.finish_session(e);
                Ok(())
            }
            None => Err(ClientError::NotStarted),
        }
    }

    /// Opt-out: stops capture and deletes everything not yet delivered, wherever it is —
    /// raw frames, the open and the sealed bundles, queued trees, events and the session's
    /// figures, spool and buffer — and abandons an upload in flight; whatever of this
    /// process's sessions is still on another thread (a last tree, a session end queued
    /// behind it) is deleted when it reaches the uploader. Each counted `purged`. Never waits
    /// on the disk: nothing is recorded, queued or sent from this instant, and the files
    /// are deleted by the spooler thread behind a durable marker that a next launch honours
    /// ([`crate::upload::Uploader::purge`]).
    pub fn opt_out(&self, now_ms: u64) {
        self.stop_everything(now_ms, false);
    }

    /// [`Client::opt_out`]; `denial`: a consent denial asked.
    pub(super) fn stop_everything(&self, now_ms: u64, denial: bool) {
        self.recording.store(false, Release);
        self.pipeline.purge();
        let ended = lock(&self.sessions).end(now_ms, EndReason::OptOut);
        if let Some(e) = &ended {
            // Opted out: nothing of it is sent, not even by the next launch.
            self.store.remove(&e.session.id);
        }
        *lock(&self.current) = None;
        {
            let mut ev = lock(&self.events);
            ev.rec.clear();
            ev.batch_number = 0;
        }
        let recent: Vec<Arc<str>> = lock(&self.recent).iter().cloned().collect();
        let ids: Vec<&str> = recent.iter().map(|s| &**s).collect();
        self.uploader.purge(&ids, denial);
        // The app's listener hears of every session's end, this one's too.
        if let Some(e) = ended {
            self.notify_ended(&e.session.id, e.reason.as_str());
        }
    }
}
