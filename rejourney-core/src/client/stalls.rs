//! The `anr` event of a main-thread stall, sent with the stall's real duration.
//!
//! The watchdog reports a stall twice: when it passes the threshold (the main thread is
//! still stuck, and may never come back: the fault goes to the spool then) and when the
//! main thread answers again, with how long it was silent. The event waits for the second
//! report, so it carries the real duration instead of the threshold; the backend merges the
//! fault and the event by incident id, keeping the longer duration. A stall whose end is
//! never seen (the app went to background first, a batch was forced out) is sent with the
//! duration known so far when the events are next flushed.

use std::sync::{Arc, Mutex};

use crate::wait::lock;

/// A stall reported as started and not yet in the event stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct OpenStall {
    /// The session it happened in: its event belongs in that session's stream only.
    pub session: Arc<str>,
    /// The host's clock at its last tick before the stall.
    pub at_ms: u64,
    pub incident: String,
    pub duration_ms: u64,
}

/// At most one open stall (the watchdog reports one at a time); shared between the
/// watchdog's thread and the host's flushes. Held only to swap a value.
#[derive(Debug, Clone, Default)]
pub(super) struct Stalls(Arc<Mutex<Option<OpenStall>>>);

impl Stalls {
    /// A stall passed the threshold. Returns an earlier one whose end was never seen, to be
    /// sent as it is.
    pub fn started(&self, stall: OpenStall) -> Option<OpenStall> {
        lock(&self.0).replace(stall)
    }

    /// The main thread answered after `duration_ms`: the open stall, with that duration.
    pub fn ended(&self, duration_ms: u64) -> Option<OpenStall> {
        let mut s = lock(&self.0).take()?;
        s.duration_ms = s.duration_ms.max(duration_ms);
        Some(s)
    }

    /// The open stall, to be sent now with the duration known so far.
    pub fn take(&self) -> Option<OpenStall> {
        lock(&self.0).take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stall(incident: &str, duration_ms: u64) -> OpenStall {
        OpenStall {
            session: "s".into(),
            at_ms: 7,
            incident: incident.into(),
            duration_ms,
        }
    }

    #[test]
    fn a_stall_leaves_once_with_its_longest_duration() {
        let s = Stalls::default();
        assert_eq!(s.started(stall("a", 300)), None);
        assert_eq!(s.ended(1_250), Some(stall("a", 1_250)));
        assert_eq!(s.ended(2_000), None, "once");
        assert_eq!(s.started(stall("b", 300)), None);
        assert_eq!(s.take(), Some(stall("b", 300)), "flushed before its end");
        assert_eq!(s.ended(900), None, "already sent");
        s.started(stall("c", 300));
        assert_eq!(
            s.started(stall("d", 300)),
            Some(stall("c", 300)),
            "never lost"
        );
    }
}
