//! What the uploader counts: every delivery, drop (by reason), retry and status, and the
//! spool's live figures. Nothing is lost silently.

use std::collections::BTreeMap;
use std::sync::Mutex;

/// Why an artifact was dropped without delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeliveryDrop {
    /// 400, 413 or another non-retryable 4xx.
    Rejected,
    MaxAttempts,
    MaxAge,
    /// The backend answered `skipUpload` for the upload (policy: sampled out, replay
    /// disabled, quota or recording limit reached).
    SkipUpload,
    /// The project is disabled (presign 403 "Rejourney is disabled").
    ProjectDisabled,
    /// 402: billing blocked for the session.
    Billing,
    SpoolCorrupt,
    SpoolWriteFailed,
    InboxFull,
    /// Deleted by a stop-everything (opt-out, a session the backend or its config stopped):
    /// spooled, buffered, waiting, arriving late, or abandoned in flight.
    Purged,
    /// The presign answered a URL the HTTP policy refuses (`http://` to a non-loopback
    /// host): the body was never sent there.
    InsecureUrl,
    /// An earlier client over the same spool directory did not hand it over within
    /// `handoff_wait`: this one never touches the directory ([`crate::storage_owner`]).
    StorageBusy,
}

impl DeliveryDrop {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rejected => "rejected",
            Self::MaxAttempts => "max_attempts",
            Self::MaxAge => "max_age",
            Self::SkipUpload => "skip_upload",
            Self::ProjectDisabled => "project_disabled",
            Self::Billing => "billing",
            Self::SpoolCorrupt => "spool_corrupt",
            Self::SpoolWriteFailed => "spool_write_failed",
            Self::InboxFull => "inbox_full",
            Self::Purged => "purged",
            Self::InsecureUrl => "insecure_url",
            Self::StorageBusy => "storage_busy",
        }
    }
}

/// Everything the uploader counted.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct DeliverySnapshot {
    pub spooled: u64,
    pub delivered: BTreeMap<String, u64>,
    pub bytes_uploaded: u64,
    pub requests: u64,
    pub retries: u64,
    pub connect_errors: u64,
    pub timeouts: u64,
    pub io_errors: u64,
    pub bad_responses: u64,
    /// 3xx answers: never followed, never a delivery (retried as a failure).
    pub redirects: u64,
    pub statuses: BTreeMap<u16, u64>,
    pub dropped: BTreeMap<String, u64>,
    pub auth_failures: u64,
    pub presign_expired: u64,
    pub spool_files: u64,
    pub spool_bytes: u64,
    pub spool_evicted: u64,
    pub spool_evicted_bytes: u64,
    pub spool_quarantined: u64,
    pub resumed_from_spool: u64,
    /// The spool's or buffer's directory could not be read at start (its store stays
    /// empty for this process; what earlier runs left waits for the next).
    pub spool_open_failures: u64,
    /// Uploads resumed at the stage an earlier run reached (presigned or PUT done).
    pub stages_resumed: u64,
    /// Upload stages the disk refused (a kill before such an upload settles may repeat it).
    pub stage_write_failures: u64,
    pub uploads_paused: bool,
    /// Uploads the backend already had (`skipUpload` + `deduplicated`): counted delivered too.
    pub deduplicated: u64,
    /// Uploads the backend declined on purpose (`skipUpload`), by its reason.
    pub skipped: BTreeMap<String, u64>,
    /// The backend said the project is disabled: nothing more is sent.
    pub project_disabled: bool,
    /// The on-error buffer's counters.
    pub buffer: super::buffer::BufferCounters,
    pub buffer_files: u64,
    pub buffer_bytes: u64,
    /// Buffered artifacts evicted by the buffer's byte or file limit.
    pub buffer_evicted_quota: u64,
    /// Waits for an earlier client's hand-over of the spool directory that ran out.
    pub storage_wait_timeouts: u64,
}

#[derive(Default)]
pub(super) struct Counters {
    pub(super) snap: Mutex<DeliverySnapshot>,
}

impl Counters {
    pub(super) fn with(&self, f: impl FnOnce(&mut DeliverySnapshot)) {
        f(&mut self.snap.lock().unwrap_or_else(|p| p.into_inner()));
    }
}
