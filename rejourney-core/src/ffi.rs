//! The FFI surface (UniFFI, proc-macro style). This is the only module with UniFFI
//! attributes: it converts foreign types to the core's and forwards to [`Client`]. Every call
//! runs inside a panic guard, so even a bug of ours reaches the host as a typed error, never
//! as a crash.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use crate::client::{Client, ClientError, ClientOptions, SessionObserver};
use crate::error::{ConfigError, FrameError};
use crate::events::{Gesture, NetworkRequest, PropValue};
use crate::frame::{FrameSpec, PixelFormat as CorePixelFormat, Rect};
use crate::masks::{
    MaskOptions, MaskTag as CoreMaskTag, NodeKind as CoreNodeKind, ViewNode as CoreViewNode,
};
use crate::pipeline::PipelineError;
use crate::policy::Action;
use crate::session::SessionConfig;
use crate::upload::{DeliveryConfig, DeliveryError};

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
}

impl From<ClientError> for RejourneyError {
    fn from(e: ClientError) -> Self {
        let message = e.to_string();
        match e {
            ClientError::Pipeline(PipelineError::Config(_)) | ClientError::Session(_) => {
                Self::InvalidConfig { detail: message }
            }
            ClientError::Pipeline(_) => Self::Internal { detail: message },
            ClientError::Delivery(DeliveryError::Url(_)) => Self::InvalidUrl { detail: message },
            ClientError::Delivery(DeliveryError::Spool(_)) => Self::Storage { detail: message },
            ClientError::Delivery(
                DeliveryError::ApiKey | DeliveryError::DeviceId | DeliveryError::Limit,
            ) => Self::InvalidConfig { detail: message },
            ClientError::Delivery(_) => Self::Internal { detail: message },
            ClientError::Frame(FrameError::Mask { .. }) => Self::InvalidMask { detail: message },
            ClientError::Frame(FrameError::Stopped) | ClientError::Closed => Self::Closed,
            ClientError::Frame(_) => Self::InvalidFrame { detail: message },
            ClientError::Nodes(_) => Self::InvalidNodes { detail: message },
            ClientError::Policy(_) | ClientError::Event(_) => {
                Self::InvalidArgument { detail: message }
            }
            ClientError::NotStarted => Self::NotStarted,
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

/// Runs `f`, turning a panic into [`RejourneyError::Internal`].
fn guard<T>(f: impl FnOnce() -> Result<T, RejourneyError>) -> Result<T, RejourneyError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".into());
            Err(RejourneyError::Internal { detail: message })
        }
    }
}

/// How the host's framebuffer stores a pixel.
#[derive(Debug, Clone, Copy, uniffi::Enum)]
pub enum PixelFormat {
    Rgba,
    Bgra,
}

/// What a view is, for masking.
#[derive(Debug, Clone, Copy, uniffi::Enum)]
pub enum NodeKind {
    Container,
    Text,
    TextInput,
    SecureInput,
    Image,
    Video,
    Camera,
    Map,
    WebView,
    Other,
}

/// A developer's explicit privacy tag (`rj-mask` / `rj-unmask`).
#[derive(Debug, Clone, Copy, uniffi::Enum)]
pub enum MaskTag {
    None,
    Mask,
    Unmask,
}

/// One view, as the shim's tree walk reports it (pre-order, parent index before child).
#[derive(Debug, Clone, uniffi::Record)]
pub struct ViewNode {
    pub parent: Option<u32>,
    pub class_name: String,
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
    pub kind: NodeKind,
    pub tag: MaskTag,
    /// A stable id for the view (e.g. its identity hash), if the shim has one.
    #[uniffi(default = None)]
    pub view_id: Option<u64>,
    /// Test id / accessibility identifier.
    #[uniffi(default = None)]
    pub test_id: Option<String>,
    /// A text input's content length (never the content).
    #[uniffi(default = None)]
    pub text_length: Option<u32>,
}

/// A touch gesture the host recognised.
#[derive(Debug, Clone, Copy, uniffi::Enum)]
pub enum GestureKind {
    Tap,
    LongPress,
    Swipe,
    Pinch,
}

/// A custom event property value.
#[derive(Debug, Clone, uniffi::Enum)]
pub enum EventValue {
    Text { value: String },
    Number { value: f64 },
    Flag { value: bool },
    Null,
}

/// A network request the host observed (URL is sanitised by the core).
#[derive(Debug, Clone, uniffi::Record)]
pub struct NetworkRequestInfo {
    pub method: String,
    pub url: String,
    pub status_code: Option<u16>,
    pub duration_ms: f64,
    #[uniffi(default = None)]
    pub request_bytes: Option<u64>,
    #[uniffi(default = None)]
    pub response_bytes: Option<u64>,
    #[uniffi(default = None)]
    pub error: Option<String>,
}

/// A mask rectangle in points.
#[derive(Debug, Clone, Copy, uniffi::Record)]
pub struct MaskRect {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
}

/// The core's answer to a tick.
#[derive(Debug, Clone, uniffi::Record)]
pub struct CaptureDecision {
    /// Capture a frame now and submit it.
    pub capture: bool,
    /// Why not, when a due capture is held back (`touch`, `scroll`, `background`, …).
    pub skip_reason: Option<String>,
    /// When to tick again, in ms.
    pub next_check_ms: u64,
}

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

/// Capture and delivery counters.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Telemetry {
    pub session_id: Option<String>,
    pub frames_offered: u64,
    pub frames_captured: u64,
    pub frames_skipped_unchanged: u64,
    pub frames_skipped_policy: u64,
    pub frames_dropped: u64,
    pub bundles: u64,
    pub bytes_out: u64,
    pub masked_regions: u64,
    pub artifacts_delivered: u64,
    pub artifacts_dropped: u64,
    pub requests: u64,
    pub retries: u64,
    pub spool_files: u64,
    pub spool_bytes: u64,
    pub events_recorded: u64,
    pub events_dropped: u64,
    pub hierarchy_snapshots: u64,
    pub anrs: u64,
    /// Everything, as JSON (stage timings, drops by reason, statuses).
    pub json: String,
}

/// Session start/end notifications, implemented by the host.
#[uniffi::export(with_foreign)]
pub trait RejourneyListener: Send + Sync {
    fn on_session_started(&self, session_id: String);
    fn on_session_ended(&self, session_id: String, reason: String);
}

struct ListenerAdapter(Arc<dyn RejourneyListener>);

impl SessionObserver for ListenerAdapter {
    fn session_started(&self, session_id: &str) {
        let l = self.0.clone();
        let id = session_id.to_owned();
        // A throwing foreign callback must not unwind into us.
        let _ = catch_unwind(AssertUnwindSafe(move || l.on_session_started(id)));
    }
    fn session_ended(&self, session_id: &str, reason: &str) {
        let l = self.0.clone();
        let (id, reason) = (session_id.to_owned(), reason.to_owned());
        let _ = catch_unwind(AssertUnwindSafe(move || l.on_session_ended(id, reason)));
    }
}

fn convert_nodes(nodes: Vec<ViewNode>) -> Vec<CoreViewNode> {
    nodes
        .into_iter()
        .map(|n| CoreViewNode {
            parent: n.parent,
            class_name: n.class_name,
            frame: Rect::new(n.x, n.y, n.width, n.height),
            kind: match n.kind {
                NodeKind::Container => CoreNodeKind::Container,
                NodeKind::Text => CoreNodeKind::Text,
                NodeKind::TextInput => CoreNodeKind::TextInput,
                NodeKind::SecureInput => CoreNodeKind::SecureInput,
                NodeKind::Image => CoreNodeKind::Image,
                NodeKind::Video => CoreNodeKind::Video,
                NodeKind::Camera => CoreNodeKind::Camera,
                NodeKind::Map => CoreNodeKind::Map,
                NodeKind::WebView => CoreNodeKind::WebView,
                NodeKind::Other => CoreNodeKind::Other,
            },
            tag: match n.tag {
                MaskTag::None => CoreMaskTag::None,
                MaskTag::Mask => CoreMaskTag::Mask,
                MaskTag::Unmask => CoreMaskTag::Unmask,
            },
            id: n.view_id,
            test_id: n.test_id,
            text_length: n.text_length,
        })
        .collect()
}

fn spec(width: u32, height: u32, stride: u32, format: PixelFormat, scale: f32) -> FrameSpec {
    let format = match format {
        PixelFormat::Rgba => CorePixelFormat::Rgba,
        PixelFormat::Bgra => CorePixelFormat::Bgra,
    };
    FrameSpec {
        width,
        height,
        stride: stride as usize,
        format,
        scale,
    }
}

/// The SDK client. One per process; every method is thread-safe.
#[derive(uniffi::Object)]
pub struct Rejourney {
    client: Client,
}

impl Rejourney {
    fn options(o: RejourneyOptions) -> Result<ClientOptions, RejourneyError> {
        let mut delivery =
            DeliveryConfig::new(&o.api_url, &o.api_key, &o.device_id, &o.storage_dir);
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
        let finite = |v: f32| if v.is_finite() && v >= 0.0 { v } else { 0.0 };
        let (w, h, scale) = (
            finite(o.screen_width),
            finite(o.screen_height),
            finite(o.screen_scale),
        );
        opts.device_info = serde_json::json!({
            "platform": o.platform, "model": o.device_model, "osVersion": o.os_version,
            "appId": o.app_id, "appVersion": o.app_version, "sdkVersion": crate::SDK_VERSION,
            "screenWidth": w, "screenHeight": h, "pixelRatio": scale,
            "screenWidthPx": (w * scale).round(), "screenHeightPx": (h * scale).round(),
        });
        opts.capture.validate()?;
        Ok(opts)
    }
}

#[uniffi::export]
impl Rejourney {
    /// Validates the options, opens the storage (resuming earlier uploads) and starts the
    /// SDK's two background threads. Recording starts with `start`.
    #[uniffi::constructor]
    pub fn new(options: RejourneyOptions) -> Result<Arc<Self>, RejourneyError> {
        guard(|| {
            let client = Client::new(Self::options(options)?)?;
            Ok(Arc::new(Self { client }))
        })
    }

    /// Starts a new session; returns its id.
    pub fn start(&self, now_ms: u64) -> Result<String, RejourneyError> {
        guard(|| Ok(self.client.start(now_ms)?))
    }

    /// Ends the session and stops capturing.
    pub fn stop(&self, now_ms: u64) -> Result<(), RejourneyError> {
        guard(|| Ok(self.client.stop(now_ms)?))
    }

    /// Should the host capture now? Call from the capture timer; schedule the next tick
    /// after `next_check_ms`.
    pub fn tick(&self, now_ms: u64) -> Result<CaptureDecision, RejourneyError> {
        guard(|| {
            let d = self.client.tick(now_ms)?;
            let (capture, skip_reason) = match d.action {
                Action::Capture => (true, None),
                Action::NotDue => (false, None),
                Action::Skip(r) => (false, Some(r.as_str().to_owned())),
            };
            Ok(CaptureDecision {
                capture,
                skip_reason,
                next_check_ms: d.next_check_ms,
            })
        })
    }

    /// Hands over a captured framebuffer and the view tree it showed. Returns at once: the
    /// core masks, encodes and uploads on its own threads.
    #[allow(clippy::too_many_arguments)]
    pub fn submit_frame(
        &self,
        pixels: Vec<u8>,
        width: u32,
        height: u32,
        stride: u32,
        format: PixelFormat,
        scale: f32,
        timestamp_ms: u64,
        nodes: Vec<ViewNode>,
    ) -> Result<(), RejourneyError> {
        guard(|| {
            Ok(self.client.submit_frame_owned(
                pixels,
                spec(width, height, stride, format, scale),
                convert_nodes(nodes),
                timestamp_ms,
            )?)
        })
    }

    /// Like `submit_frame` with explicit mask rectangles (points) instead of a view tree.
    #[allow(clippy::too_many_arguments)]
    pub fn submit_frame_with_masks(
        &self,
        pixels: Vec<u8>,
        width: u32,
        height: u32,
        stride: u32,
        format: PixelFormat,
        scale: f32,
        timestamp_ms: u64,
        masks: Vec<MaskRect>,
    ) -> Result<(), RejourneyError> {
        guard(|| {
            let masks: Vec<Rect> = masks
                .iter()
                .map(|m| Rect::new(m.x, m.y, m.width, m.height))
                .collect();
            Ok(self.client.submit_frame_with_masks(
                pixels,
                spec(width, height, stride, format, scale),
                &masks,
                timestamp_ms,
            )?)
        })
    }

    /// A frame whose view walk was cut short by the shim's budget: the core cannot know
    /// what the unseen views hold, so the frame is not recorded (counted as
    /// `tree_truncated`); the partial tree is kept as a hierarchy snapshot marked partial.
    pub fn submit_partial_frame(
        &self,
        timestamp_ms: u64,
        nodes: Vec<ViewNode>,
    ) -> Result<(), RejourneyError> {
        guard(|| {
            Ok(self
                .client
                .submit_partial_frame(convert_nodes(nodes), timestamp_ms)?)
        })
    }

    /// A custom event.
    pub fn log_event(
        &self,
        timestamp_ms: u64,
        name: String,
        properties: HashMap<String, EventValue>,
    ) -> Result<(), RejourneyError> {
        guard(|| {
            let mut props: Vec<(String, PropValue)> = properties
                .into_iter()
                .map(|(k, v)| {
                    let v = match v {
                        EventValue::Text { value } => PropValue::Str(value),
                        EventValue::Number { value } => PropValue::Num(value),
                        EventValue::Flag { value } => PropValue::Bool(value),
                        EventValue::Null => PropValue::Null,
                    };
                    (k, v)
                })
                .collect();
            props.sort_by(|a, b| a.0.cmp(&b.0));
            Ok(self.client.log_event(timestamp_ms, &name, &props)?)
        })
    }

    /// A touch gesture at (x, y) in points; `target` is the touched view's class or label.
    pub fn track_gesture(
        &self,
        kind: GestureKind,
        timestamp_ms: u64,
        x: f32,
        y: f32,
        target: Option<String>,
    ) -> Result<(), RejourneyError> {
        guard(|| {
            let kind = match kind {
                GestureKind::Tap => Gesture::Tap,
                GestureKind::LongPress => Gesture::LongPress,
                GestureKind::Swipe => Gesture::Swipe,
                GestureKind::Pinch => Gesture::Pinch,
            };
            Ok(self
                .client
                .gesture(kind, timestamp_ms, x, y, target.as_deref())?)
        })
    }

    pub fn screen_changed(&self, timestamp_ms: u64, name: String) -> Result<(), RejourneyError> {
        guard(|| Ok(self.client.screen_changed(timestamp_ms, &name)?))
    }

    /// A log line (`level`: debug, info, warn, error).
    pub fn log_message(
        &self,
        timestamp_ms: u64,
        level: String,
        message: String,
    ) -> Result<(), RejourneyError> {
        guard(|| Ok(self.client.log_message(timestamp_ms, &level, &message)?))
    }

    /// A network request; returns whether it was recorded (deny-listed ones are not).
    pub fn network_request(
        &self,
        timestamp_ms: u64,
        request: NetworkRequestInfo,
    ) -> Result<bool, RejourneyError> {
        guard(|| {
            let req = NetworkRequest {
                method: request.method,
                url: request.url,
                status: request.status_code,
                duration_ms: request.duration_ms,
                request_bytes: request.request_bytes,
                response_bytes: request.response_bytes,
                error: request.error,
            };
            Ok(self.client.network_request(timestamp_ms, &req)?)
        })
    }

    pub fn keyboard_shown(&self, timestamp_ms: u64, height: f32) -> Result<(), RejourneyError> {
        guard(|| Ok(self.client.keyboard(timestamp_ms, true, height)?))
    }

    pub fn keyboard_hidden(&self, timestamp_ms: u64) -> Result<(), RejourneyError> {
        guard(|| Ok(self.client.keyboard(timestamp_ms, false, 0.0)?))
    }

    /// The main thread is alive; the ANR watchdog reports silences beyond its threshold.
    pub fn heartbeat(&self) -> Result<(), RejourneyError> {
        guard(|| {
            self.client.heartbeat();
            Ok(())
        })
    }

    /// From the host's crash handler: stores the incident (waiting up to `timeout_ms` for
    /// the disk) so it is sent on this or the next launch. Returns whether it is on disk.
    pub fn record_crash(
        &self,
        timestamp_ms: u64,
        name: String,
        reason: String,
        stack: String,
        timeout_ms: u64,
    ) -> Result<bool, RejourneyError> {
        guard(|| {
            Ok(self.client.record_crash(
                timestamp_ms,
                &name,
                &reason,
                &stack,
                Duration::from_millis(timeout_ms),
            )?)
        })
    }

    /// How long the last capture took on the host's main thread (ms).
    pub fn report_capture_cost(&self, ms: f64) -> Result<(), RejourneyError> {
        guard(|| Ok(self.client.report_capture_cost(ms)?))
    }

    pub fn touch_began(&self) -> Result<(), RejourneyError> {
        guard(|| {
            self.client.touch_began();
            Ok(())
        })
    }
    pub fn touch_ended(&self, now_ms: u64) -> Result<(), RejourneyError> {
        guard(|| {
            self.client.touch_ended(now_ms);
            Ok(())
        })
    }
    pub fn scroll_began(&self) -> Result<(), RejourneyError> {
        guard(|| {
            self.client.scroll_began();
            Ok(())
        })
    }
    pub fn scroll_ended(&self, now_ms: u64) -> Result<(), RejourneyError> {
        guard(|| {
            self.client.scroll_ended(now_ms);
            Ok(())
        })
    }
    pub fn app_backgrounded(&self, now_ms: u64) -> Result<(), RejourneyError> {
        guard(|| {
            self.client.app_backgrounded(now_ms);
            Ok(())
        })
    }
    pub fn app_foregrounded(&self, now_ms: u64) -> Result<(), RejourneyError> {
        guard(|| {
            self.client.app_foregrounded(now_ms);
            Ok(())
        })
    }

    /// Sets (or clears, with `None`) the user id.
    pub fn identify(&self, user_id: Option<String>) -> Result<(), RejourneyError> {
        guard(|| {
            self.client.identify(user_id);
            Ok(())
        })
    }

    /// The current session id, if recording.
    pub fn session_id(&self) -> Option<String> {
        guard(|| Ok(self.client.session_id())).ok().flatten()
    }

    /// Registers (or clears) the session listener.
    pub fn set_listener(
        &self,
        listener: Option<Arc<dyn RejourneyListener>>,
    ) -> Result<(), RejourneyError> {
        guard(|| {
            let adapter =
                listener.map(|l| Arc::new(ListenerAdapter(l)) as Arc<dyn SessionObserver>);
            self.client.set_observer(adapter);
            Ok(())
        })
    }

    /// Waits up to `timeout_ms` until everything captured so far is delivered. For shutdown
    /// paths and tests; never call it on the main thread.
    pub fn flush(&self, timeout_ms: u64) -> Result<bool, RejourneyError> {
        guard(|| Ok(self.client.flush(Duration::from_millis(timeout_ms))))
    }

    /// Opt-out: stops capture and deletes everything not yet delivered.
    pub fn opt_out(&self, now_ms: u64) -> Result<(), RejourneyError> {
        guard(|| {
            self.client.opt_out(now_ms);
            Ok(())
        })
    }

    pub fn telemetry(&self) -> Result<Telemetry, RejourneyError> {
        guard(|| {
            let t = self.client.telemetry();
            Ok(Telemetry {
                session_id: t.session_id.clone(),
                frames_offered: t.capture.frames_offered,
                frames_captured: t.capture.frames_captured,
                frames_skipped_unchanged: t.capture.frames_skipped_unchanged,
                frames_skipped_policy: t.capture.frames_skipped_policy,
                frames_dropped: t.capture.frames_dropped,
                bundles: t.capture.bundles,
                bytes_out: t.capture.bytes_out,
                masked_regions: t.capture.masked_regions,
                artifacts_delivered: t.delivery.delivered.values().sum(),
                artifacts_dropped: t.delivery.dropped.values().sum(),
                requests: t.delivery.requests,
                retries: t.delivery.retries,
                spool_files: t.delivery.spool_files,
                spool_bytes: t.delivery.spool_bytes,
                events_recorded: t.events.recorded,
                events_dropped: t.events.dropped_buffer_full,
                hierarchy_snapshots: t.hierarchy.snapshots,
                anrs: t.anrs,
                json: serde_json::to_string(&t).unwrap_or_default(),
            })
        })
    }

    /// Stops the SDK's threads, delivering for up to `drain_ms`; the rest stays stored for
    /// the next launch.
    pub fn shutdown(&self, drain_ms: u64) -> Result<(), RejourneyError> {
        guard(|| {
            self.client.shutdown(Duration::from_millis(drain_ms));
            Ok(())
        })
    }
}

/// Self-test of the last line of defence: panics inside the FFI guard and returns what the
/// host would receive. Bindings tests call it to prove no panic crosses the boundary.
#[uniffi::export]
pub fn panic_guard_self_test() -> Result<(), RejourneyError> {
    guard(|| panic!("deliberate panic inside the FFI guard"))
}

/// The SDK version (`sdkVersion` on the wire).
#[uniffi::export]
pub fn sdk_version() -> String {
    crate::SDK_VERSION.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(dir: &std::path::Path) -> RejourneyOptions {
        RejourneyOptions {
            api_key: "pk".into(),
            api_url: "http://127.0.0.1:9".into(),
            device_id: "d".into(),
            storage_dir: dir.display().to_string(),
            capture_interval_ms: 1000,
            capture_scale: 1.25,
            jpeg_quality: 0.5,
            batch_size: 3,
            sample_rate: 1.0,
            background_timeout_ms: 60_000,
            mask_all_text: false,
            mask_all_images: false,
            mask_web_views: true,
            mask_video: false,
            masked_classes: vec![],
            spool_quota_bytes: 1 << 20,
            anr_threshold_ms: 0,
            url_deny_list: vec![],
            capture_hierarchy: true,
            platform: "test".into(),
            device_model: String::new(),
            os_version: String::new(),
            app_id: String::new(),
            app_version: String::new(),
            screen_width: f32::NAN,
            screen_height: -1.0,
            screen_scale: f32::INFINITY,
        }
    }

    fn arg(r: Result<impl std::fmt::Debug, RejourneyError>) {
        assert!(
            matches!(r, Err(RejourneyError::InvalidArgument { .. })),
            "{r:?}"
        );
    }

    /// Every event entry point with hostile input: typed errors or sanitised values, never a
    /// panic, and the same calls after shutdown say `Closed`.
    #[test]
    fn event_entry_points_reject_or_sanitise_hostile_input() {
        let dir = std::env::temp_dir().join(format!("rj-ffi-events-{}", std::process::id()));
        let rj = Rejourney::new(options(&dir)).expect("non-finite screen sizes are sanitised");
        assert!(matches!(
            rj.track_gesture(GestureKind::Tap, 1, 0.0, 0.0, None),
            Err(RejourneyError::NotStarted)
        ));
        assert!(matches!(
            rj.record_crash(1, "E".into(), "r".into(), "s".into(), 10),
            Err(RejourneyError::NotStarted)
        ));
        rj.start(1).unwrap();
        arg(rj.track_gesture(GestureKind::Tap, 2, f32::NAN, 0.0, None));
        arg(rj.track_gesture(GestureKind::Pinch, 2, 0.0, f32::INFINITY, None));
        arg(rj.log_event(3, " ".into(), HashMap::new()));
        let many: HashMap<String, EventValue> = (0..10_000)
            .map(|i| (format!("k{i}"), EventValue::Number { value: f64::NAN }))
            .collect();
        rj.log_event(3, "x".repeat(1 << 20), many).unwrap();
        let req = |d: f64, url: &str| NetworkRequestInfo {
            method: "\u{0}GET".into(),
            url: url.into(),
            status_code: Some(999),
            duration_ms: d,
            request_bytes: Some(u64::MAX),
            response_bytes: None,
            error: Some("e".repeat(100_000)),
        };
        arg(rj.network_request(4, req(f64::NAN, "https://a.example")));
        arg(rj.network_request(4, req(-1.0, "https://a.example")));
        assert_eq!(
            rj.network_request(4, req(1.0, "::not a url::")).ok(),
            Some(true)
        );
        rj.keyboard_shown(5, f32::NAN).unwrap();
        rj.keyboard_hidden(u64::MAX).unwrap();
        rj.log_message(6, "x".repeat(1 << 16), "\u{fffd}".repeat(1 << 16))
            .unwrap();
        rj.screen_changed(7, String::new()).unwrap();
        rj.heartbeat().unwrap();
        let orphan = ViewNode {
            parent: Some(5),
            class_name: "V".into(),
            x: 0.0,
            y: 0.0,
            width: 1.0,
            height: 1.0,
            kind: NodeKind::Container,
            tag: MaskTag::None,
            view_id: None,
            test_id: None,
            text_length: None,
        };
        assert!(matches!(
            rj.submit_partial_frame(8, vec![orphan]),
            Err(RejourneyError::InvalidNodes { .. })
        ));
        assert!(rj
            .record_crash(9, "E".into(), "r".repeat(1 << 20), String::new(), 2_000)
            .unwrap());
        let t = rj.telemetry().unwrap();
        let json: serde_json::Value = serde_json::from_str(&t.json).unwrap();
        assert_eq!(json["events"]["dropped_properties"], 10_000 - 50);
        assert!(json["events"]["truncated_strings"].as_u64().unwrap() >= 3);
        rj.shutdown(0).unwrap();
        assert!(matches!(
            rj.track_gesture(GestureKind::Tap, 10, 1.0, 1.0, None),
            Err(RejourneyError::Closed)
        ));
        assert!(matches!(
            rj.log_event(10, "late".into(), HashMap::new()),
            Err(RejourneyError::Closed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
