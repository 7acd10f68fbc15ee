//! Error enums. Every way the host can hand us bad input has a variant here, so nothing from
//! outside ever becomes a panic.

use thiserror::Error;

/// A configuration value is out of range.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ConfigError {
    #[error("capture interval must be 1..=60000 ms, got {0}")]
    Interval(u64),
    #[error("capture scale must be finite and in (0, 4], got {0}")]
    CaptureScale(f32),
    #[error("JPEG quality must be in 0.0..=1.0, got {0}")]
    Quality(f32),
    #[error("batch size must be 1..=100, got {0}")]
    BatchSize(usize),
    #[error("gzip level must be 0..=9, got {0}")]
    GzipLevel(u32),
    #[error("main-thread budget must be a positive number of ms, got {0}")]
    Budget(f64),
    #[error("limit {0} must be positive and consistent")]
    Limit(&'static str),
}

/// The frame the host handed us cannot be processed. The frame is dropped (and counted);
/// nothing of it is encoded.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum FrameError {
    #[error("frame size {width}x{height} is zero or larger than {max} px a side")]
    Size { width: u32, height: u32, max: u32 },
    #[error("row stride {stride} is smaller than width × 4 = {min}")]
    Stride { stride: usize, min: usize },
    #[error("buffer has {actual} bytes, expected between {min} and {max}")]
    BufferLength {
        actual: usize,
        min: usize,
        max: usize,
    },
    #[error("frame of {bytes} bytes exceeds the {max}-byte limit")]
    TooLarge { bytes: usize, max: usize },
    #[error("scale must be finite and in (0, 10], got {0}")]
    Scale(f32),
    #[error("mask rectangle {index} is invalid: {reason}")]
    Mask { index: usize, reason: &'static str },
    #[error("the pipeline is stopped")]
    Stopped,
}

/// Encoding a frame failed inside the JPEG library.
#[derive(Debug, Error)]
pub enum EncodeError {
    #[error("JPEG encoder failed: {0}")]
    Jpeg(String),
}

/// A frame bundle could not be built or parsed.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum BundleError {
    #[error("gzip stream is corrupt: {0}")]
    Gzip(String),
    #[error("bundle decompresses to more than {max} bytes")]
    TooLarge { max: usize },
    #[error("bundle is truncated at byte {offset}: {what}")]
    Truncated { offset: usize, what: &'static str },
    #[error("frame {index} declares {len} JPEG bytes, over the {max}-byte limit")]
    FrameTooLarge {
        index: usize,
        len: usize,
        max: usize,
    },
    #[error("frame {index} is not a JPEG (no SOI marker)")]
    NotJpeg { index: usize },
    #[error("frame {index} timestamp {ts} goes backwards from {prev}")]
    TimestampOrder { index: usize, ts: u64, prev: u64 },
    #[error("bundle has more than {max} frames")]
    TooManyFrames { max: usize },
    #[error("bundle is empty")]
    Empty,
}

/// A value reported to the capture policy is unusable.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum PolicyError {
    #[error("capture cost must be a finite, non-negative number of ms, got {0}")]
    Cost(f64),
}
