//! One configuration struct for the whole pipeline.
//!
//! Defaults follow the reference Rejourney client (`docs/PROTOCOL.md`): one frame per second, JPEG
//! quality 0.5, bundles of three frames that also flush when their oldest frame is older than
//! `batch_size × interval`, and at most 50 pending bundles / 500 buffered frames. Everything the
//! SDK buffers has a limit here, so a host can reason about our worst-case memory.

use crate::error::ConfigError;

/// Pipeline configuration. Build with [`Config::default`] and override fields, then call
/// [`Config::validate`] (the pipeline does it for you on construction).
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Time between captures, in milliseconds. Reference: 1000.
    pub capture_interval_ms: u64,
    /// Output resolution in pixels per point. 1.25 turns a 393×852 pt phone screen into a
    /// 491×1065 px frame: readable text at a fraction of the bytes of native 3×.
    pub capture_scale: f32,
    /// JPEG quality in 0.0..=1.0. Reference: 0.5.
    pub jpeg_quality: f32,
    /// Frames per bundle. Reference: 3.
    pub batch_size: usize,
    /// Gzip level for bundles (0..=9). 1 was chosen by measurement: JPEG is already entropy
    /// coded, so level 6 saves only ~4 % more bytes for several times the CPU (benches/RESULTS.md).
    pub gzip_level: u32,
    /// Most sealed bundles waiting for delivery; past it the oldest is dropped and counted.
    pub max_pending_batches: usize,
    /// Most encoded frames buffered in memory (pending bundles plus the open one).
    pub max_buffered_frames: usize,
    /// Most raw (unencoded) frames waiting for the encoder thread. Raw frames are large
    /// (2 MB at 1.25×), so this stays small: a saturated encoder drops the oldest raw frame.
    pub max_queued_raw_frames: usize,
    /// After a touch or scroll ends, wait this long before capturing again (ms), so we capture
    /// the settled screen rather than a motion-blurred intermediate one.
    pub interaction_settle_ms: u64,
    /// Main-thread time one capture may cost (ms) before the policy backs off.
    pub main_thread_budget_ms: f64,
    /// Largest back-off multiplier on the interval when captures run over budget.
    pub max_backoff_factor: u32,
    /// Skip encoding a frame whose masked pixels are identical to the previous frame's.
    pub skip_unchanged_frames: bool,
    /// Largest accepted frame side in pixels; anything bigger is a host bug, not a screen.
    pub max_frame_side_px: u32,
    /// Largest accepted frame in bytes (stride × height).
    pub max_frame_bytes: usize,
    /// Views a shim visits per capture before it stops and reports a partial frame (dropped:
    /// part of the screen was never examined). Bounds the main-thread cost of the walk.
    pub walk_max_nodes: u32,
    /// Main-thread time a shim's walk may take per capture, same consequence.
    pub walk_budget_ms: f64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            capture_interval_ms: 1000,
            capture_scale: 1.25,
            jpeg_quality: 0.5,
            batch_size: 3,
            gzip_level: 1,
            max_pending_batches: 50,
            max_buffered_frames: 500,
            max_queued_raw_frames: 4,
            interaction_settle_ms: 300,
            main_thread_budget_ms: 12.0,
            max_backoff_factor: 8,
            skip_unchanged_frames: true,
            max_frame_side_px: 8192,
            max_frame_bytes: 256 * 1024 * 1024,
            walk_max_nodes: 2_000,
            walk_budget_ms: 8.0,
        }
    }
}

impl Config {
    /// Checks every field; the first problem found is returned.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.capture_interval_ms == 0 || self.capture_interval_ms > 60_000 {
            return Err(ConfigError::Interval(self.capture_interval_ms));
        }
        if !self.capture_scale.is_finite() || self.capture_scale <= 0.0 || self.capture_scale > 4.0
        {
            return Err(ConfigError::CaptureScale(self.capture_scale));
        }
        if !self.jpeg_quality.is_finite() || !(0.0..=1.0).contains(&self.jpeg_quality) {
            return Err(ConfigError::Quality(self.jpeg_quality));
        }
        if self.batch_size == 0 || self.batch_size > 100 {
            return Err(ConfigError::BatchSize(self.batch_size));
        }
        if self.gzip_level > 9 {
            return Err(ConfigError::GzipLevel(self.gzip_level));
        }
        if self.max_pending_batches == 0 {
            return Err(ConfigError::Limit("max_pending_batches"));
        }
        if self.max_buffered_frames < self.batch_size {
            return Err(ConfigError::Limit("max_buffered_frames"));
        }
        if self.max_queued_raw_frames == 0 {
            return Err(ConfigError::Limit("max_queued_raw_frames"));
        }
        if !self.main_thread_budget_ms.is_finite() || self.main_thread_budget_ms <= 0.0 {
            return Err(ConfigError::Budget(self.main_thread_budget_ms));
        }
        // The core refuses trees over `MaskOptions::max_tree_nodes` (10 000) anyway.
        if self.walk_max_nodes == 0 || self.walk_max_nodes > 10_000 {
            return Err(ConfigError::Limit("walk_max_nodes"));
        }
        if !self.walk_budget_ms.is_finite()
            || self.walk_budget_ms <= 0.0
            || self.walk_budget_ms > 1_000.0
        {
            return Err(ConfigError::Budget(self.walk_budget_ms));
        }
        if self.max_backoff_factor == 0 {
            return Err(ConfigError::Limit("max_backoff_factor"));
        }
        if self.max_frame_side_px == 0 || self.max_frame_bytes == 0 {
            return Err(ConfigError::Limit("max_frame_side_px / max_frame_bytes"));
        }
        Ok(())
    }

    /// libjpeg's 1..=100 quality for [`Config::jpeg_quality`].
    pub fn jpeg_quality_percent(&self) -> i32 {
        ((self.jpeg_quality * 100.0).round() as i32).clamp(1, 100)
    }

    /// Age (ms) at which an open bundle is sealed even if not full.
    pub fn batch_max_age_ms(&self) -> u64 {
        self.capture_interval_ms
            .saturating_mul(self.batch_size as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_reference_client_and_validate() {
        let c = Config::default();
        c.validate().expect("defaults are valid");
        assert_eq!(c.capture_interval_ms, 1000);
        assert_eq!(c.jpeg_quality_percent(), 50);
        assert_eq!(c.batch_size, 3);
        assert_eq!(c.batch_max_age_ms(), 3000);
        assert_eq!(c.max_pending_batches, 50);
        assert_eq!(c.max_buffered_frames, 500);
    }

    #[test]
    fn bad_values_are_typed_errors() {
        let bad = |f: fn(&mut Config)| {
            let mut c = Config::default();
            f(&mut c);
            c.validate().unwrap_err()
        };
        assert!(matches!(
            bad(|c| c.capture_interval_ms = 0),
            ConfigError::Interval(0)
        ));
        assert!(matches!(
            bad(|c| c.jpeg_quality = 1.5),
            ConfigError::Quality(_)
        ));
        assert!(matches!(
            bad(|c| c.jpeg_quality = -0.1),
            ConfigError::Quality(_)
        ));
        assert!(matches!(
            bad(|c| c.jpeg_quality = f32::NAN),
            ConfigError::Quality(_)
        ));
        assert!(matches!(
            bad(|c| c.batch_size = 0),
            ConfigError::BatchSize(0)
        ));
        assert!(matches!(
            bad(|c| c.capture_scale = 0.0),
            ConfigError::CaptureScale(_)
        ));
        assert!(matches!(
            bad(|c| c.capture_scale = f32::INFINITY),
            ConfigError::CaptureScale(_)
        ));
        assert!(matches!(
            bad(|c| c.gzip_level = 10),
            ConfigError::GzipLevel(10)
        ));
        assert!(matches!(
            bad(|c| c.max_pending_batches = 0),
            ConfigError::Limit(_)
        ));
        assert!(matches!(
            bad(|c| c.main_thread_budget_ms = f64::NAN),
            ConfigError::Budget(_)
        ));
    }
}
