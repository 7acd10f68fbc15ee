//! Where and how to deliver: the uploader's configuration and its validation.

use std::path::PathBuf;

use serde_json::Value;

use super::buffer::BufferLimits;
use super::http::{Timeouts, TransportError};
use super::retry::RetryPolicy;
use super::url_policy::{self, UrlRefused};
use crate::spool::{SpoolError, SpoolLimits};

/// Where and how to deliver.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// Base URL of the ingest API, e.g. `https://api.rejourney.co`.
    pub api_url: String,
    /// Public project key (`x-rejourney-key`).
    pub api_key: String,
    /// Stable, hashed device id for device auth.
    pub device_id: String,
    /// Sent with device auth.
    pub device_metadata: Value,
    pub spool_dir: PathBuf,
    pub spool: SpoolLimits,
    /// The on-error buffer (`spool_dir/buffer`).
    pub buffer: BufferLimits,
    pub retry: RetryPolicy,
    pub timeouts: Timeouts,
    /// Artifacts waiting to be spooled (events, hierarchy, session end, faults).
    pub max_inbox: usize,
    pub sdk_version: String,
    /// Longest total a new client's disk threads wait for an earlier client over the same
    /// `spool_dir` to hand it over ([`crate::storage_owner`]); past it the new one records to
    /// nothing on disk (`storage_busy` drops, `storage_wait_timeouts`). The default (75 s)
    /// outlasts the longest request an old upload thread may still finish (connect 10 s +
    /// request 60 s): a slow network alone never makes a restart fail closed.
    pub handoff_wait: std::time::Duration,
}

impl DeliveryConfig {
    pub fn new(
        api_url: &str,
        api_key: &str,
        device_id: &str,
        spool_dir: impl Into<PathBuf>,
    ) -> Self {
        Self {
            api_url: api_url.trim_end_matches('/').to_owned(),
            api_key: api_key.to_owned(),
            device_id: device_id.to_owned(),
            device_metadata: Value::Object(Default::default()),
            spool_dir: spool_dir.into(),
            spool: SpoolLimits::default(),
            buffer: BufferLimits::default(),
            retry: RetryPolicy::default(),
            timeouts: Timeouts::default(),
            max_inbox: 256,
            sdk_version: crate::SDK_VERSION.to_owned(),
            handoff_wait: std::time::Duration::from_secs(75),
        }
    }

    pub fn validate(&self) -> Result<(), DeliveryError> {
        // The API URL serves device auth, every upload call and the remote config: the
        // HTTP policy (https unless loopback) is checked once here, at `Client::new`.
        match url_policy::checked(&self.api_url) {
            Ok(_) => {}
            Err(UrlRefused::Cleartext(host)) => return Err(DeliveryError::Cleartext(host)),
            Err(e) => return Err(DeliveryError::Url(e.to_string())),
        }
        if self.api_key.trim().is_empty() {
            return Err(DeliveryError::ApiKey);
        }
        if self.device_id.trim().is_empty() {
            return Err(DeliveryError::DeviceId);
        }
        let b = &self.buffer;
        if self.max_inbox == 0
            || self.retry.max_attempts == 0
            || b.window_ms == 0
            || b.max_bytes == 0
            || b.max_files == 0
        {
            return Err(DeliveryError::Limit);
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("invalid API URL {0}")]
    Url(String),
    /// `http://` to a host that is not loopback: credentials and recordings would travel
    /// in clear.
    #[error("the API URL must use https for {0} (http is only allowed for loopback)")]
    Cleartext(String),
    #[error("the API key is empty")]
    ApiKey,
    #[error("the device id is empty")]
    DeviceId,
    #[error("delivery limits must be positive")]
    Limit,
    #[error(transparent)]
    Spool(#[from] SpoolError),
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error("could not start the upload thread: {0}")]
    Thread(String),
}
