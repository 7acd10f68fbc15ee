//! Delivery: from a finished artifact to the backend, speaking the Rejourney ingest protocol.
//!
//! Split as Glean splits its uploader: the [`retry`] *policy* (pure), the [`protocol`]
//! requests and answers (pure), the [`http`] transport under the one [`url_policy`], the [`config`] and [`stats`], the
//! [`spooler`] thread that persists to the [`crate::spool`] first (or, for a session buffered
//! for on-error upload, to the [`buffer`]), the [`deliver`] state
//! machine on the upload thread (resuming each artifact at the [`stage`] kept beside it), the
//! [`purge`] of a stop-everything (the host flips memory, the spooler deletes behind a
//! durable marker), and the [`worker`] handle the client holds.

pub mod buffer;
pub mod config;
mod deliver;
pub mod http;
pub mod protocol;
mod purge;
pub mod retry;
mod shared;
mod spooler;
mod stage;
pub mod stats;
mod tls;
pub mod url_policy;
pub mod worker;

pub use crate::artifact::{idempotency_key, wall_clock_ms, Artifact};
pub use buffer::{BufferCounters, BufferLimits};
pub use config::{DeliveryConfig, DeliveryError};
pub use http::Timeouts;
pub use retry::RetryPolicy;
pub use shared::BundleSource;
pub use stats::{DeliveryDrop, DeliverySnapshot};
pub use worker::Uploader;
