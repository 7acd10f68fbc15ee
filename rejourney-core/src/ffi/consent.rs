//! Tracking consent over the FFI ([`crate::consent`]): the object's calls and the pure
//! decisions the conformance vectors (`tests/conformance/consent.json`) check on every
//! platform. Conversion only.

use super::*;
use crate::consent::{Consent, ConsentDecision};

#[uniffi::export]
impl Rejourney {
    /// The user's tracking consent: `Pending` records on the phone and sends nothing,
    /// `Granted` uploads what pending kept and records on, `Denied` deletes everything of
    /// the user on the phone and records nothing. Kept for later launches. Never waits.
    pub fn set_consent(&self, consent: Consent, now_ms: u64) -> Result<(), RejourneyError> {
        guard(|| Ok(self.client.set_consent(consent, now_ms)?))
    }

    /// The consent in force (kept by an earlier launch, or `initial_consent`).
    pub fn consent(&self) -> Consent {
        self.client.consent()
    }

    /// Waits up to `timeout_ms` (a total) until everything recorded so far is on the device
    /// (not delivered: under consent pending that is where it stays). Tests and shutdown
    /// paths, never the main thread. Returns whether it got there with no write failing.
    pub fn persist(&self, timeout_ms: u64) -> Result<bool, RejourneyError> {
        guard(|| {
            Ok(self
                .client
                .persist(std::time::Duration::from_millis(timeout_ms)))
        })
    }
}

/// What consent `to` means: whether sessions are recorded, whether anything may leave the
/// phone, and whether what is on the phone is deleted.
#[uniffi::export]
pub fn consent_decision(to: Consent) -> ConsentDecision {
    crate::consent::decide(to)
}

/// The consent a launch starts with, from the consent file's content (`None`: no file)
/// and the `initial_consent` option.
#[uniffi::export]
pub fn consent_at_launch(persisted: Option<String>, initial: Consent) -> Consent {
    crate::consent::at_launch(persisted.as_deref(), initial)
}
