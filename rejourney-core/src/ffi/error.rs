//! The one error enum every exported call returns.

use super::*;

/// Errors every call may return. Messages say what was wrong with the input.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum RejourneyError {
    #[error("invalid configuration: {detail}")]
    InvalidConfig { detail: String },
    #[error("invalid API URL: {detail}")]
    InvalidUrl { detail: String },
    #[error("invalid frame: {detail}")]
    InvalidFrame { detail: String },
    #[error("invalid mask: {detail}")]
    InvalidMask { detail: String },
    #[error("invalid view tree: {detail}")]
    InvalidNodes { detail: String },
    /// The string-table update did not continue the core's table (or went over its limits):
    /// the frame was refused; start a new table.
    #[error("string table: {detail}")]
    StringTable { detail: String },
    #[error("invalid argument: {detail}")]
    InvalidArgument { detail: String },
    #[error("storage failed: {detail}")]
    Storage { detail: String },
    #[error("recording has not been started")]
    NotStarted,
    #[error("the client is shut down")]
    Closed,
    #[error("internal error (reported, not crashed): {detail}")]
    Internal { detail: String },
    /// The user denied tracking consent (`set_consent`): `start` records nothing; the
    /// session begins when the consent becomes pending or granted.
    #[error("tracking consent is denied")]
    ConsentDenied,
}

impl From<ClientError> for RejourneyError {
    fn from(e: ClientError) -> Self {
        let message = e.to_string();
        match e {
            ClientError::Pipeline(PipelineError::Config(_))
            | ClientError::Session(_)
            | ClientError::Device(_)
            | ClientError::Links(_) => Self::InvalidConfig { detail: message },
            ClientError::Pipeline(_) => Self::Internal { detail: message },
            ClientError::Delivery(DeliveryError::Url(_) | DeliveryError::Cleartext(_)) => {
                Self::InvalidUrl { detail: message }
            }
            ClientError::Delivery(DeliveryError::Spool(_)) => Self::Storage { detail: message },
            ClientError::Delivery(
                DeliveryError::ApiKey | DeliveryError::DeviceId | DeliveryError::Limit,
            ) => Self::InvalidConfig { detail: message },
            ClientError::Delivery(_) => Self::Internal { detail: message },
            ClientError::Frame(FrameError::Mask { .. }) => Self::InvalidMask { detail: message },
            ClientError::Frame(FrameError::Stopped) | ClientError::Closed => Self::Closed,
            ClientError::Frame(_) => Self::InvalidFrame { detail: message },
            ClientError::Nodes(_) => Self::InvalidNodes { detail: message },
            ClientError::Strings(_) => Self::StringTable { detail: message },
            ClientError::Policy(_) | ClientError::Event(_) | ClientError::InvalidArgument(_) => {
                Self::InvalidArgument { detail: message }
            }
            ClientError::NotStarted => Self::NotStarted,
            ClientError::ConsentDenied => Self::ConsentDenied,
        }
    }
}

impl From<ConfigError> for RejourneyError {
    fn from(e: ConfigError) -> Self {
        Self::InvalidConfig {
            detail: e.to_string(),
        }
    }
}
