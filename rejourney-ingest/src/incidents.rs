//! Crash and ANR incidents, deduplicated the way the backend does it
//! (`services/stabilityIngest.ts`): with an incident id, one incident per (crash | ANR, id) —
//! so an `anr` event in an events batch and a fault report carrying the same id count once;
//! without one, a crash matches the same session, exception name and reason within ±1 s, an
//! ANR the same session within ±2 s and ±500 ms of duration.

use std::collections::VecDeque;

use crate::bounded::BoundedMap;

/// One crash or ANR, from a fault report or an `anr` event.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Incident {
    pub anr: bool,
    pub id: Option<String>,
    pub ts_ms: f64,
    pub identifier: String,
    pub detail: Option<String>,
    pub duration_ms: u64,
}

/// Where an incident was reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    Fault,
    Event,
}

/// What recording an incident did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Outcome {
    /// A new incident (counted); else merged into an earlier one.
    pub new: bool,
    /// A fault report whose incident no earlier *report* stored: keep it (the backend merges
    /// a report into the incident an `anr` event created, keeping the richer data).
    pub store_report: bool,
}

/// Incident ids remembered at most.
const MAX_IDS: usize = 100_000;
/// Incidents per session kept for the id-less match.
pub(crate) const MAX_RECENT: usize = 1_000;

/// The incident ids seen, by kind, each with whether a fault report stored it.
#[derive(Debug)]
pub(crate) struct Incidents {
    by_id: BoundedMap<(bool, String), bool>,
}

impl Default for Incidents {
    fn default() -> Self {
        Self {
            by_id: BoundedMap::new(MAX_IDS),
        }
    }
}

impl Incidents {
    /// Records `inc` against its session's `recent` incidents.
    pub fn record(
        &mut self,
        recent: &mut VecDeque<Incident>,
        inc: Incident,
        origin: Origin,
    ) -> Outcome {
        let report = origin == Origin::Fault;
        if let Some(id) = &inc.id {
            let key = (inc.anr, id.clone());
            if let Some(stored) = self.by_id.get_mut(&key) {
                let store_report = report && !*stored;
                *stored |= report;
                return Outcome {
                    new: false,
                    store_report,
                };
            }
            self.by_id.insert(key, report);
        } else if recent.iter().any(|r| same(r, &inc)) {
            return Outcome {
                new: false,
                store_report: false,
            };
        }
        recent.push_back(inc);
        if recent.len() > MAX_RECENT {
            recent.pop_front();
        }
        Outcome {
            new: true,
            store_report: report,
        }
    }
}

/// The backend's match for a report without an incident id.
fn same(earlier: &Incident, inc: &Incident) -> bool {
    let dt = (earlier.ts_ms - inc.ts_ms).abs();
    if inc.anr {
        earlier.anr && dt <= 2_000.0 && earlier.duration_ms.abs_diff(inc.duration_ms) <= 500
    } else {
        !earlier.anr
            && earlier.identifier == inc.identifier
            && earlier.detail == inc.detail
            && dt <= 1_000.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anr(id: Option<&str>, ts: f64, d: u64) -> Incident {
        Incident {
            anr: true,
            id: id.map(str::to_owned),
            ts_ms: ts,
            identifier: String::new(),
            detail: None,
            duration_ms: d,
        }
    }

    #[test]
    fn an_event_and_a_report_with_one_id_are_one_incident() {
        let (mut all, mut recent) = (Incidents::default(), VecDeque::new());
        let first = all.record(&mut recent, anr(Some("a"), 0.0, 5000), Origin::Event);
        assert_eq!((first.new, first.store_report), (true, false));
        let report = all.record(&mut recent, anr(Some("a"), 9e9, 1), Origin::Fault);
        assert_eq!((report.new, report.store_report), (false, true));
        let again = all.record(&mut recent, anr(Some("a"), 0.0, 5000), Origin::Fault);
        assert_eq!((again.new, again.store_report), (false, false));
    }

    #[test]
    fn without_ids_close_incidents_merge() {
        let (mut all, mut recent) = (Incidents::default(), VecDeque::new());
        assert!(
            all.record(&mut recent, anr(None, 0.0, 5000), Origin::Fault)
                .new
        );
        assert!(
            !all.record(&mut recent, anr(None, 1_500.0, 5400), Origin::Fault)
                .new
        );
        assert!(
            all.record(&mut recent, anr(None, 1_500.0, 6000), Origin::Fault)
                .new
        );
        assert!(
            all.record(&mut recent, anr(None, 9_000.0, 5000), Origin::Fault)
                .new
        );
    }
}
