//! The options a host passes to `Rejourney::new`, and their conversion to the core's.

use super::*;

/// Options a host passes to [`Rejourney::new`]. Every tunable is optional: `None` means the
/// core's default (`effective_options` shows them), so no wrapper holds a default of its own.
#[derive(Debug, Clone, uniffi::Record)]
pub struct RejourneyOptions {
    pub api_key: String,
    pub api_url: String,
    /// Stable, hashed device id.
    pub device_id: String,
    /// A directory the SDK owns (spool of pending uploads).
    pub storage_dir: String,
    #[uniffi(default = None)]
    pub capture_interval_ms: Option<u64>,
    #[uniffi(default = None)]
    pub capture_scale: Option<f32>,
    #[uniffi(default = None)]
    pub jpeg_quality: Option<f32>,
    /// Frames per uploaded bundle.
    #[uniffi(default = None)]
    pub batch_size: Option<u32>,
    /// Fraction of sessions recorded (0..=1); the older name of `session_sample_rate`.
    #[uniffi(default = None)]
    pub sample_rate: Option<f64>,
    /// Fraction of sessions recorded and uploaded (0..=1). The remote config's `sampleRate`
    /// can only lower it.
    #[uniffi(default = None)]
    pub session_sample_rate: Option<f64>,
    /// Fraction of the sessions not recorded that keep their last `buffer_window_ms` on the
    /// device and upload it when an error, ANR or crash happens (0..=1, default 0).
    #[uniffi(default = None)]
    pub on_error_sample_rate: Option<f64>,
    /// How much recording a buffered session keeps (ms, default 30 000).
    #[uniffi(default = None)]
    pub buffer_window_ms: Option<u64>,
    /// Most bytes the on-error buffer keeps on disk (default 8 MiB).
    #[uniffi(default = None)]
    pub buffer_max_bytes: Option<u64>,
    /// Capture interval while buffering (ms; never faster than `capture_interval_ms`).
    #[uniffi(default = None)]
    pub buffer_capture_interval_ms: Option<u64>,
    /// Ask the server's `GET /api/sdk/config` at start and at each new session (default on).
    #[uniffi(default = None)]
    pub remote_config: Option<bool>,
    /// Longest the first capture of a session waits for the remote config when nothing is
    /// cached (ms, default 1000, at most 5000).
    #[uniffi(default = None)]
    pub remote_config_hold_ms: Option<u64>,
    /// Mask every text input (default on; unset follows the remote config's
    /// `textInputMasking`, secure inputs are always masked).
    #[uniffi(default = None)]
    pub mask_text_inputs: Option<bool>,
    /// Background time after which the next foreground starts a new session.
    #[uniffi(default = None)]
    pub background_timeout_ms: Option<u64>,
    #[uniffi(default = None)]
    pub mask_all_text: Option<bool>,
    #[uniffi(default = None)]
    pub mask_all_images: Option<bool>,
    #[uniffi(default = None)]
    pub mask_web_views: Option<bool>,
    #[uniffi(default = None)]
    pub mask_video: Option<bool>,
    /// Class names masked like an `rj-mask` tag (exact, or the simple name).
    #[uniffi(default = [])]
    pub masked_classes: Vec<String>,
    /// Test ids / accessibility identifiers masked like an `rj-mask` tag.
    #[uniffi(default = [])]
    pub masked_test_ids: Vec<String>,
    #[uniffi(default = None)]
    pub spool_quota_bytes: Option<u64>,
    /// Main-thread silence reported as an ANR (ms); 0 disables the watchdog.
    #[uniffi(default = None)]
    pub anr_threshold_ms: Option<u64>,
    /// Network requests to these hosts (or URL prefixes) are never recorded.
    #[uniffi(default = [])]
    pub url_deny_list: Vec<String>,
    /// Record hierarchy snapshots with the frames.
    #[uniffi(default = None)]
    pub capture_hierarchy: Option<bool>,
    /// Views the shim's walk visits per capture before it stops (the frame is then dropped).
    #[uniffi(default = None)]
    pub walk_max_nodes: Option<u32>,
    /// Main-thread time (ms) the walk may take per capture, same consequence.
    #[uniffi(default = None)]
    pub walk_budget_ms: Option<f64>,
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
    /// Where touches are recorded: `MaskMasked` (default: a touch inside a masked view keeps
    /// only that view's bounds), `HideAll` (no positions), `Show`.
    #[uniffi(default = None)]
    pub touch_privacy: Option<TouchPrivacy>,
    // --- device policy (issue 26) ---
    /// Uploads wait on a metered network (cellular, a metered Wi-Fi) until an unmetered one
    /// is reported (default off).
    #[uniffi(default = None)]
    pub upload_only_on_unmetered: Option<bool>,
    /// Uploads wait while the battery is below this level (0..=1) and not charging; 0 never
    /// waits (default 0.15).
    #[uniffi(default = None)]
    pub low_battery_threshold: Option<f32>,
    // --- session links (issue 26) ---
    /// The dashboard's origin for replay URLs (default: the API URL's, without `api.`).
    #[uniffi(default = None)]
    pub dashboard_url: Option<String>,
    /// Hosts (exact, or `*.example.com` for its subdomains) whose requests get the
    /// `x-rejourney-session-id` header from `tracing_headers`; no other host ever does.
    #[uniffi(default = [])]
    pub trace_hosts: Vec<String>,
    /// Tracking consent when no earlier launch kept one (default `Granted`; a consent set
    /// with `set_consent` is kept and wins at later launches).
    #[uniffi(default = None)]
    pub initial_consent: Option<crate::consent::Consent>,
    // --- wrapper calls (issue 26) ---
    /// Calls (events, screens, errors) a wrapper keeps while its client opens off the
    /// caller's thread; past it a call is dropped and counted (default 1000, at most
    /// 100 000; `pending_call_limit` reads it).
    #[uniffi(default = None)]
    pub pending_call_limit: Option<u32>,
}

impl RejourneyOptions {
    /// Options with every tunable at the core's default (for Rust callers and tests; the
    /// foreign bindings get the same through UniFFI's field defaults).
    pub fn with_defaults(api_key: &str, api_url: &str, device_id: &str, storage_dir: &str) -> Self {
        Self {
            api_key: api_key.into(),
            api_url: api_url.into(),
            device_id: device_id.into(),
            storage_dir: storage_dir.into(),
            capture_interval_ms: None,
            capture_scale: None,
            jpeg_quality: None,
            batch_size: None,
            sample_rate: None,
            session_sample_rate: None,
            on_error_sample_rate: None,
            buffer_window_ms: None,
            buffer_max_bytes: None,
            buffer_capture_interval_ms: None,
            remote_config: None,
            remote_config_hold_ms: None,
            mask_text_inputs: None,
            background_timeout_ms: None,
            mask_all_text: None,
            mask_all_images: None,
            mask_web_views: None,
            mask_video: None,
            masked_classes: Vec::new(),
            masked_test_ids: Vec::new(),
            spool_quota_bytes: None,
            anr_threshold_ms: None,
            url_deny_list: Vec::new(),
            capture_hierarchy: None,
            walk_max_nodes: None,
            walk_budget_ms: None,
            platform: String::new(),
            device_model: String::new(),
            os_version: String::new(),
            app_id: String::new(),
            app_version: String::new(),
            screen_width: 0.0,
            screen_height: 0.0,
            screen_scale: 0.0,
            touch_privacy: None,
            upload_only_on_unmetered: None,
            low_battery_threshold: None,
            dashboard_url: None,
            trace_hosts: Vec::new(),
            initial_consent: None,
            pending_call_limit: None,
        }
    }
}

/// Converts the host's options to the core's: `None` takes the core's default, and every
/// value is validated here or by the core's own checks.
pub(super) fn client_options(o: RejourneyOptions) -> Result<ClientOptions, RejourneyError> {
    let mut delivery = DeliveryConfig::new(&o.api_url, &o.api_key, &o.device_id, &o.storage_dir);
    if let Some(q) = o.spool_quota_bytes {
        if q == 0 {
            return Err(invalid("spool_quota_bytes must be positive"));
        }
        delivery.spool.quota_bytes = q;
    }
    if o.storage_dir.trim().is_empty() {
        return Err(invalid("storage_dir is empty"));
    }
    if o.batch_size == Some(0) {
        return Err(invalid("batch_size must be positive"));
    }
    let masks = mask_options(&o);
    let mut opts = ClientOptions::new(delivery);
    let c = &mut opts.capture;
    set(&mut c.capture_interval_ms, o.capture_interval_ms);
    set(&mut c.capture_scale, o.capture_scale);
    set(&mut c.jpeg_quality, o.jpeg_quality);
    set(&mut c.batch_size, o.batch_size.map(|b| b as usize));
    set(&mut c.walk_max_nodes, o.walk_max_nodes);
    set(&mut c.walk_budget_ms, o.walk_budget_ms);
    if let (Some(a), Some(b)) = (o.sample_rate, o.session_sample_rate) {
        if a != b {
            return Err(invalid("sample_rate and session_sample_rate disagree"));
        }
    }
    set(
        &mut opts.session.sample_rate,
        o.session_sample_rate.or(o.sample_rate),
    );
    set(
        &mut opts.session.on_error_sample_rate,
        o.on_error_sample_rate,
    );
    set(&mut opts.delivery.buffer.window_ms, o.buffer_window_ms);
    set(&mut opts.delivery.buffer.max_bytes, o.buffer_max_bytes);
    if o.buffer_window_ms == Some(0) || o.buffer_max_bytes == Some(0) {
        return Err(invalid(
            "buffer_window_ms and buffer_max_bytes must be positive",
        ));
    }
    if let Some(ms) = o.buffer_capture_interval_ms {
        if ms == 0 || ms > 60_000 {
            return Err(invalid(
                "buffer_capture_interval_ms must be within 1..=60000",
            ));
        }
        opts.buffer_interval_ms = ms;
    }
    opts.remote.enabled = o.remote_config.unwrap_or(true);
    if let Some(ms) = o.remote_config_hold_ms {
        if ms > 5_000 {
            return Err(invalid("remote_config_hold_ms must be at most 5000"));
        }
        opts.remote.hold_ms = ms;
    }
    opts.choices.capture_interval_ms = o.capture_interval_ms;
    opts.choices.mask_text_inputs = o.mask_text_inputs;
    set(
        &mut opts.session.background_timeout_ms,
        o.background_timeout_ms,
    );
    opts.masks = masks;
    set(&mut opts.anr_threshold_ms, o.anr_threshold_ms);
    opts.events.url_deny_list = o.url_deny_list;
    set(&mut opts.events.touch_privacy, o.touch_privacy);
    set(&mut opts.initial_consent, o.initial_consent);
    set(&mut opts.hierarchy.enabled, o.capture_hierarchy);
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
    set(
        &mut opts.device.upload_only_on_unmetered,
        o.upload_only_on_unmetered,
    );
    set(
        &mut opts.device.low_battery_threshold,
        o.low_battery_threshold,
    );
    opts.device
        .validate()
        .map_err(|e| invalid(&e.to_string()))?;
    opts.links = crate::session_links::LinkOptions {
        dashboard_url: o.dashboard_url,
        trace_hosts: o.trace_hosts,
    };
    crate::session_links::SessionLinks::new(&opts.delivery.api_url, &opts.links)
        .map_err(|e| invalid(&e.to_string()))?;
    opts.capture.validate()?;
    crate::wrapper_calls::pending_call_limit(o.pending_call_limit)?;
    if !(0.0..=1.0).contains(&opts.session.sample_rate) {
        return Err(invalid("sample_rate must be within 0..=1"));
    }
    if !(0.0..=1.0).contains(&opts.session.on_error_sample_rate) {
        return Err(invalid("on_error_sample_rate must be within 0..=1"));
    }
    Ok(opts)
}

/// The mask rules of `o` (the rest of the options is not looked at).
pub(super) fn mask_options(o: &RejourneyOptions) -> MaskOptions {
    let d = MaskOptions::default();
    MaskOptions {
        mask_all_text: o.mask_all_text.unwrap_or(d.mask_all_text),
        mask_all_images: o.mask_all_images.unwrap_or(d.mask_all_images),
        mask_web_views: o.mask_web_views.unwrap_or(d.mask_web_views),
        mask_video: o.mask_video.unwrap_or(d.mask_video),
        mask_text_inputs: o.mask_text_inputs.unwrap_or(d.mask_text_inputs),
        masked_classes: o.masked_classes.clone(),
        masked_test_ids: o.masked_test_ids.clone(),
        ..d
    }
}

/// The options the core would run with, as JSON with the wrappers' (camelCase) names:
/// what the conformance vectors compare on every platform.
pub(super) fn effective_json(o: RejourneyOptions) -> Result<String, RejourneyError> {
    let opts = client_options(o)?;
    let (c, m) = (&opts.capture, &opts.masks);
    let links = crate::session_links::SessionLinks::new(&opts.delivery.api_url, &opts.links)
        .map_err(|e| invalid(&e.to_string()))?;
    let v = serde_json::json!({
        "captureIntervalMs": c.capture_interval_ms,
        "captureScale": c.capture_scale,
        "jpegQuality": c.jpeg_quality,
        "batchSize": c.batch_size,
        "sampleRate": opts.session.sample_rate,
        "backgroundTimeoutMs": opts.session.background_timeout_ms,
        "maskTextInputs": m.mask_text_inputs,
        "maskAllText": m.mask_all_text,
        "maskAllImages": m.mask_all_images,
        "maskWebViews": m.mask_web_views,
        "maskVideo": m.mask_video,
        "maskedClasses": m.masked_classes,
        "maskedTestIds": m.masked_test_ids,
        "spoolQuotaBytes": opts.delivery.spool.quota_bytes,
        "anrThresholdMs": opts.anr_threshold_ms,
        "urlDenyList": opts.events.url_deny_list,
        "captureHierarchy": opts.hierarchy.enabled,
        "walkMaxNodes": c.walk_max_nodes,
        "walkBudgetMs": c.walk_budget_ms,
        "onErrorSampleRate": opts.session.on_error_sample_rate,
        "bufferWindowMs": opts.delivery.buffer.window_ms,
        "bufferMaxBytes": opts.delivery.buffer.max_bytes,
        "bufferCaptureIntervalMs": opts.buffer_interval_ms.max(c.capture_interval_ms),
        "remoteConfig": opts.remote.enabled,
        "touchPrivacy": opts.events.touch_privacy.as_str(),
        "uploadOnlyOnUnmetered": opts.device.upload_only_on_unmetered,
        "lowBatteryThreshold": opts.device.low_battery_threshold,
        "dashboardUrl": links.dashboard(),
        "traceHosts": links.trace_hosts(),
        "initialConsent": opts.initial_consent.as_str(),
    });
    Ok(v.to_string())
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}

fn invalid(detail: &str) -> RejourneyError {
    RejourneyError::InvalidConfig {
        detail: detail.into(),
    }
}
