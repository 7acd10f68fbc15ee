//! What the ANR watchdog's thread does with a report. At a stall's start the main thread is
//! stuck and may never answer: the fault goes to the spool at once (it survives the OS killing
//! the app) and an on-error buffer is triggered; the `anr` event waits for the stall's end,
//! with its real duration ([`super::stalls`]).

use super::*;

/// The shared state the watchdog's reports touch.
pub(super) struct AnrSink {
    pub current: Arc<Mutex<Option<SessionRef>>>,
    pub anrs: Arc<AtomicU64>,
    pub enqueue: Arc<dyn Fn(Artifact) + Send + Sync>,
    pub trigger: Arc<dyn Fn(&str) -> bool + Send + Sync>,
    pub events: Arc<Mutex<EventState>>,
    pub host_ms: Arc<AtomicU64>,
    pub stalls: stalls::Stalls,
}

impl AnrSink {
    /// The watchdog's callback (runs on its thread).
    pub(super) fn into_fn(self) -> impl Fn(AnrReport) + Send + 'static {
        move |r: AnrReport| self.report(r)
    }

    fn report(&self, r: AnrReport) {
        let Self {
            current,
            anrs,
            enqueue,
            trigger,
            events,
            host_ms,
            stalls,
        } = self;
        let duration_ms = match r {
            AnrReport::Started { duration_ms } => duration_ms,
            AnrReport::Ended { duration_ms } => {
                // The main thread answers again: the event, with the real duration.
                if let Some(stall) = stalls.ended(duration_ms) {
                    let current = lock(current).clone();
                    record_stall(&mut lock(events), &stall, current.as_ref());
                }
                return;
            }
        };
        let Some(s) = lock(current).clone() else {
            anrs.fetch_add(1, Relaxed);
            return;
        };
        let now = wall_clock_ms();
        let incident = new_incident_id();
        let body =
            serde_json::to_vec(&anr_body(&incident, &s.id, now, duration_ms)).unwrap_or_default();
        enqueue(artifact(&s, ArtifactKind::Fault, now, now, 1, 0, body));
        // An ANR flushes an on-error buffer (durably: the OS may kill the app now);
        // the host's next tick switches the session to recording.
        trigger(&s.id);
        // Counted once its effects are in place: a host that sees the count sees
        // the buffer triggered too.
        anrs.fetch_add(1, Relaxed);
        // Also in the event stream (same incident id: the backend counts it once), at
        // the host's time of its last tick, once its duration is known (`stalls`).
        let at = host_ms.load(Relaxed);
        let unfinished = stalls.started(stalls::OpenStall {
            session: s.id.clone(),
            at_ms: if at == 0 { now } else { at },
            incident,
            duration_ms,
        });
        // An earlier stall whose end was never seen. Never wait for the events lock
        // while the main thread is stuck: its fault already carries that incident.
        if let (Some(stall), Ok(mut ev)) = (unfinished, events.try_lock()) {
            record_stall(&mut ev, &stall, Some(&s));
        }
    }
}
