//! Delivery: from a finished artifact to the backend, speaking the Rejourney ingest protocol.
//!
//! Split as Glean splits its uploader: the [`retry`] *policy* (pure), the [`protocol`]
//! requests (pure), the [`http`] transport, and the [`worker`] thread that persists to the
//! [`crate::spool`] first and then delivers.

pub mod http;
pub mod protocol;
pub mod retry;
pub mod worker;

pub use http::Timeouts;
pub use retry::RetryPolicy;
pub use worker::{
    idempotency_key, wall_clock_ms, Artifact, BundleSource, DeliveryConfig, DeliveryDrop,
    DeliveryError, DeliverySnapshot, Uploader,
};
