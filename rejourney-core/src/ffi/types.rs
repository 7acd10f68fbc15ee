//! Records and enums that cross the FFI, and their conversion to the core's types.

use super::*;

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

pub(super) struct ListenerAdapter(pub(super) Arc<dyn RejourneyListener>);

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

pub(super) fn convert_nodes(nodes: Vec<ViewNode>) -> Vec<CoreViewNode> {
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

pub(super) fn spec(
    width: u32,
    height: u32,
    stride: u32,
    format: PixelFormat,
    scale: f32,
) -> FrameSpec {
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
