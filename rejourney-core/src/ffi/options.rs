//! The options a host passes to `Rejourney::new`, and their conversion to the core's.

use super::*;

/// Options a host passes to [`Rejourney::new`]. Defaults follow the protocol's reference
/// client.
#[derive(Debug, Clone, uniffi::Record)]
pub struct RejourneyOptions {
    pub api_key: String,
    pub api_url: String,
    /// Stable, hashed device id.
    pub device_id: String,
    /// A directory the SDK owns (spool of pending uploads).
    pub storage_dir: String,
    #[uniffi(default = 1000)]
    pub capture_interval_ms: u64,
    #[uniffi(default = 1.25)]
    pub capture_scale: f32,
    #[uniffi(default = 0.5)]
    pub jpeg_quality: f32,
    #[uniffi(default = 3)]
    pub batch_size: u32,
    #[uniffi(default = 1.0)]
    pub sample_rate: f64,
    #[uniffi(default = 60000)]
    pub background_timeout_ms: u64,
    #[uniffi(default = false)]
    pub mask_all_text: bool,
    #[uniffi(default = false)]
    pub mask_all_images: bool,
    #[uniffi(default = true)]
    pub mask_web_views: bool,
    #[uniffi(default = false)]
    pub mask_video: bool,
    /// Class names masked like an `rj-mask` tag.
    #[uniffi(default = [])]
    pub masked_classes: Vec<String>,
    #[uniffi(default = 52428800)]
    pub spool_quota_bytes: u64,
    /// Main-thread silence reported as an ANR (ms); 0 disables the watchdog.
    #[uniffi(default = 5000)]
    pub anr_threshold_ms: u64,
    /// Network requests to these hosts (or URL prefixes) are never recorded.
    #[uniffi(default = [])]
    pub url_deny_list: Vec<String>,
    /// Record hierarchy snapshots with the frames.
    #[uniffi(default = true)]
    pub capture_hierarchy: bool,
    /// `deviceInfo` sent with event batches.
    #[uniffi(default = "")]
    pub platform: String,
    #[uniffi(default = "")]
    pub device_model: String,
    #[uniffi(default = "")]
    pub os_version: String,
    #[uniffi(default = "")]
    pub app_id: String,
    #[uniffi(default = "")]
    pub app_version: String,
    /// Screen size in points and the pixel scale (0 when unknown).
    #[uniffi(default = 0.0)]
    pub screen_width: f32,
    #[uniffi(default = 0.0)]
    pub screen_height: f32,
    #[uniffi(default = 0.0)]
    pub screen_scale: f32,
}

/// Converts the host's options to the core's, validating what the core does not.
pub(super) fn client_options(o: RejourneyOptions) -> Result<ClientOptions, RejourneyError> {
    let mut delivery = DeliveryConfig::new(&o.api_url, &o.api_key, &o.device_id, &o.storage_dir);
    delivery.spool.quota_bytes = o.spool_quota_bytes;
    if o.storage_dir.trim().is_empty() {
        return Err(RejourneyError::InvalidConfig {
            detail: "storage_dir is empty".into(),
        });
    }
    if o.batch_size == 0 {
        return Err(RejourneyError::InvalidConfig {
            detail: "batch_size must be positive".into(),
        });
    }
    let mut opts = ClientOptions::new(delivery);
    opts.capture.capture_interval_ms = o.capture_interval_ms;
    opts.capture.capture_scale = o.capture_scale;
    opts.capture.jpeg_quality = o.jpeg_quality;
    opts.capture.batch_size = o.batch_size as usize;
    opts.session = SessionConfig {
        sample_rate: o.sample_rate,
        background_timeout_ms: o.background_timeout_ms,
        ..SessionConfig::default()
    };
    opts.masks = MaskOptions {
        mask_all_text: o.mask_all_text,
        mask_all_images: o.mask_all_images,
        mask_web_views: o.mask_web_views,
        mask_video: o.mask_video,
        masked_classes: o.masked_classes,
        ..MaskOptions::default()
    };
    opts.anr_threshold_ms = o.anr_threshold_ms;
    opts.events.url_deny_list = o.url_deny_list;
    opts.hierarchy.enabled = o.capture_hierarchy;
    opts.device_info = crate::device::DeviceInfo {
        platform: o.platform,
        model: o.device_model,
        os_version: o.os_version,
        app_id: o.app_id,
        app_version: o.app_version,
        screen_width: o.screen_width,
        screen_height: o.screen_height,
        screen_scale: o.screen_scale,
    }
    .to_json();
    opts.capture.validate()?;
    Ok(opts)
}
