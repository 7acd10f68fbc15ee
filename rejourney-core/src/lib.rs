//! `rejourney-core`: the whole Rejourney session-replay engine.
//!
//! Native shims hand us raw framebuffers and view trees; everything else happens here:
//! the capture [`policy`], [`redact`]ion on the raw buffer, unchanged-frame detection
//! ([`fingerprint`]), [`scale`], JPEG [`encode`], the bounded [`queue`]s, frame [`bundle`]s and
//! [`telemetry`]. [`pipeline::Pipeline`] wires them together.

pub mod anr;
pub mod artifact;
pub mod bundle;
pub mod client;
pub mod config;
pub mod consent;
pub mod decode;
pub mod device;
pub mod device_policy;
pub mod diff;
pub mod durable_file;
pub mod encode;
pub mod error;
pub mod events;
#[cfg(feature = "ffi")]
pub mod ffi;
pub mod fingerprint;
pub mod frame;
pub mod frame_observer;
pub mod hierarchy;
pub mod incident;
pub mod masks;
pub mod metrics;
pub mod pipeline;
pub mod policy;
pub mod queue;
pub mod redact;
pub mod remote_config;
pub mod scale;
pub mod session;
pub mod session_links;
pub mod session_store;
pub mod spool;
pub mod storage_owner;
pub mod strings;
pub mod telemetry;
pub mod upload;
pub mod wait;
pub mod wrapper_calls;

pub use bundle::{parse_bundle, Bundle, BundleFrame, ParseLimits};
pub use client::{Client, ClientError, ClientOptions, ClientSnapshot};
pub use config::Config;
pub use error::{BundleError, ConfigError, EncodeError, FrameError, PolicyError};
pub use frame::{FrameSpec, PixelFormat, Rect};
pub use pipeline::{Pipeline, PipelineError, SessionTag};
pub use policy::{Action, Decision};
pub use telemetry::{DropReason, SkipReason, TelemetrySnapshot};

#[cfg(feature = "ffi")]
uniffi::setup_scaffolding!();

/// SDK version reported to the backend (`sdkVersion`).
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");
