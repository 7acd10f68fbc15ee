//! What the upload thread does with an attempt's [`Outcome`]: delete what was delivered,
//! declined or dropped (counted), back off and retry, re-presign, or pause for the device
//! token; one place, so every outcome is counted once.

use super::*;

impl Deliverer {
    /// Settles `entry` after an attempt.
    pub(super) fn settle(&mut self, entry: &SpoolEntry, outcome: Outcome) {
        let policy = self.shared.config.retry;
        match outcome {
            Outcome::Done => {
                let removed = {
                    let mut spool = lock(&self.shared.spool);
                    let known = spool.entries().any(|e| e.id == entry.id);
                    spool.remove(entry.id);
                    known
                };
                if removed {
                    self.shared.counters.with(|c| {
                        *c.delivered
                            .entry(entry.meta.kind.as_str().into())
                            .or_default() += 1
                    });
                } else {
                    // Purged while its last request was in flight: not counted delivered.
                    self.count_drop(DeliveryDrop::Purged);
                }
                self.progress.remove(&entry.id);
                self.consecutive_failures = 0;
                self.not_before = None;
            }
            Outcome::Retry { hint, charge } => {
                self.shared.counters.with(|c| c.retries += 1);
                let p = self.progress.entry(entry.id).or_default();
                if charge {
                    p.attempts += 1;
                }
                if p.attempts >= policy.max_attempts {
                    self.drop_entry(entry.id, DeliveryDrop::MaxAttempts);
                    return;
                }
                self.consecutive_failures = self.consecutive_failures.saturating_add(1);
                let wait = policy.delay(self.consecutive_failures, hint, fastrand::f64());
                self.not_before = Some(Instant::now() + wait);
            }
            Outcome::Drop(reason) => {
                self.drop_entry(entry.id, reason);
                self.not_before = None;
            }
            Outcome::Decline { scope, reason } => {
                let mut closed = lock(&self.shared.closed_sessions);
                let was = closed.get(&entry.meta.session_id).copied();
                if was != Some(Closed::All) && scope != Closed::Upload {
                    // Bounded: sessions of this process only, and few are declined.
                    if closed.len() >= 1_000 {
                        closed.clear();
                    }
                    closed.insert(entry.meta.session_id.clone(), scope);
                }
                drop(closed);
                let drop_reason = if reason == BILLING {
                    DeliveryDrop::Billing
                } else {
                    self.shared
                        .counters
                        .with(|c| *c.skipped.entry(reason).or_default() += 1);
                    DeliveryDrop::SkipUpload
                };
                self.drop_entry(entry.id, drop_reason);
                if scope == Closed::All {
                    // The whole session is declined: nothing of it stays on the phone
                    // (what of it arrives later is dropped on arrival, `declined`).
                    let rest = delete_session(&self.shared, &entry.meta.session_id);
                    count_drops(&self.shared, drop_reason, rest);
                }
            }
            Outcome::Duplicate => {
                self.shared.counters.with(|c| c.deduplicated += 1);
                self.settle(entry, Outcome::Done);
            }
            Outcome::Later(hint) => {
                // The key is stuck `processing` (a presign whose answer we lost): a fresh
                // key, and only this artifact waits.
                self.shared.counters.with(|c| c.retries += 1);
                // Not a failure (no attempt charged), but bounded: each 202 costs a key.
                let p = self.progress.entry(entry.id).or_default();
                p.represigns += 1;
                p.presigned = None;
                p.not_before = Some(Instant::now() + hint.min(Duration::from_secs(300)));
                if p.represigns > MAX_REPRESIGNS {
                    self.drop_entry(entry.id, DeliveryDrop::MaxAttempts);
                }
            }
            Outcome::Disabled => {
                self.shared.disabled.store(true, Release);
                self.drop_session(&entry.meta.session_id);
            }
            Outcome::Abandoned => self.drop_entry(entry.id, DeliveryDrop::Purged),
            Outcome::Unauthorized => {
                // Credentials, not the artifact, are at fault: keep it, drop the token, and
                // pause uploads with back-off until device auth succeeds again.
                self.token = None;
                self.auth_failures = self.auth_failures.saturating_add(1);
                self.shared.counters.with(|c| c.auth_failures += 1);
                let wait = policy.backoff(self.auth_failures, 0.5 + fastrand::f64() / 2.0);
                self.not_before = Some(Instant::now() + wait);
            }
        }
    }
}
