//! Records and enums that cross the FFI, and their conversion to the core's types.

use super::*;
use crate::strings::{StringsUpdate, Sym};

// The core's own enums and records cross the FFI as they are (derived behind the `ffi`
// feature): pixel formats, node kinds, mask tags, gestures and touch summaries.
pub use crate::events::{Gesture, TouchPosition, TouchPrivacy, TouchSummary};
pub use crate::frame::PixelFormat;
pub use crate::masks::{MaskTag, NodeKind};

/// One view, as the shim's tree walk reports it (pre-order, parent index before child). Its
/// strings are indices into the shim's string table, sent once in [`NodeStrings`]: a class
/// name or test id crosses the FFI once per table, not once per node per frame.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ViewNode {
    pub parent: Option<u32>,
    /// Index of the view's class name in the string table.
    pub class_index: u32,
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
    pub kind: NodeKind,
    pub tag: MaskTag,
    /// A stable id for the view (e.g. its identity hash), if the shim has one.
    #[uniffi(default = None)]
    pub view_id: Option<u64>,
    /// Index of the test id / accessibility identifier in the string table.
    #[uniffi(default = None)]
    pub test_id_index: Option<u32>,
    /// A text input's content length (never the content).
    #[uniffi(default = None)]
    pub text_length: Option<u32>,
    /// Index of the developer's tag string (Android `android:tag`, a Compose test tag) when it
    /// is not the test id; `rj-mask` / `rj-unmask` there tag the view.
    #[uniffi(default = None)]
    pub mask_hint_index: Option<u32>,
    /// The view itself is moved by an animation its frame does not show.
    #[uniffi(default = false)]
    pub animating: bool,
}

/// The strings a frame's nodes name by index. A shim keeps one table: each string is sent
/// once (in `added`) and named by its index from then on. Commit it only when the submit
/// succeeded; after any other answer send the same strings again from the same base (the
/// core accepts a resend of strings it already has); after `StringTable`, start a new table.
#[derive(Debug, Clone, uniffi::Record)]
pub struct NodeStrings {
    /// The shim's table id: a value other than the current one starts a new table (then
    /// `base` must be 0).
    pub table: u64,
    /// How many strings of this table the core already has: the index of `added[0]`.
    pub base: u32,
    /// The running digest of the table's strings before `base` (the table this update
    /// extends; `strings::digest`: FNV-1a 64 over each string's UTF-8, then 0xFF), from
    /// 0xcbf29ce484222325 for a new table. The core refuses an update whose digest is not
    /// its own, so a node never names another table's string, even under the same id.
    pub digest: u64,
    /// Strings added since the last update the core received, in index order.
    pub added: Vec<String>,
}

/// A walk's view tree as the shim hands it over: the nodes, and the string-table update their
/// strings need. One argument on purpose: through the binding each argument is a buffer of
/// its own (on the JVM a JNA round trip, ~35 µs even for an empty update, `benches/RESULTS.md`).
#[derive(Debug, Clone, uniffi::Record)]
pub struct NodeTree {
    pub nodes: Vec<ViewNode>,
    pub strings: NodeStrings,
}

impl From<NodeStrings> for StringsUpdate {
    fn from(s: NodeStrings) -> Self {
        Self {
            table: s.table,
            base: s.base,
            digest: s.digest,
            added: s.added,
        }
    }
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
    /// When to tick again, in ms (16 ms to 60 s).
    pub next_check_ms: u64,
    /// Views the walk may visit for this capture before it stops and reports a partial
    /// frame (`submit_partial_frame`).
    pub walk_max_nodes: u32,
    /// Main-thread time the walk may take for this capture, same consequence.
    pub walk_budget_ms: f64,
    /// Pixels per point to draw the frame at (the core downsizes anything larger).
    pub capture_scale: f32,
    /// Before the walk, start a new string table when yours holds this many strings or
    /// this many UTF-8 bytes (the core's decision: half its table limits).
    pub strings_reset_strings: u32,
    pub strings_reset_bytes: u64,
}

/// What the core decides for a view tree, without a frame: for tests on every platform
/// (the conformance vectors) and for an app checking its masking.
#[derive(Debug, Clone, uniffi::Record)]
pub struct MaskEvaluation {
    /// Per node, in order: masked (itself or through an ancestor).
    pub masked: Vec<bool>,
    /// The rectangles (points) that would be painted black.
    pub rects: Vec<MaskRect>,
    /// A masked node is moving under an animation: a frame with this tree is not sent.
    pub moving_masked: bool,
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
    /// `record`, `buffer` or `off` (none before a session or while it waits for the remote
    /// config).
    pub session_mode: Option<String>,
    /// `pending`, `fresh`, `cached`, `unavailable` or `refused` (none when remote config is
    /// off).
    pub remote_config_status: Option<String>,
    /// Artifacts waiting in the on-error buffer.
    pub buffer_files: u64,
    /// Errors, ANRs, crashes and manual calls that flushed a buffer.
    pub buffer_triggers: u64,
    /// Everything, as JSON (stage timings, drops by reason, statuses).
    pub json: String,
    /// Calls the wrapper dropped before this client opened (`record_wrapper_drops`).
    pub wrapper_calls_dropped: u64,
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
/// The FFI node list as the core's (also for benches that drive the core directly).
pub fn convert_nodes(nodes: Vec<ViewNode>) -> Vec<CoreViewNode> {
    nodes
        .into_iter()
        .map(|n| CoreViewNode {
            parent: n.parent,
            class_name: Sym(n.class_index),
            frame: Rect::new(n.x, n.y, n.width, n.height),
            kind: n.kind,
            tag: n.tag,
            id: n.view_id,
            test_id: n.test_id_index.map(Sym),
            text_length: n.text_length,
            mask_hint: n.mask_hint_index.map(Sym),
            animating: n.animating,
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
    FrameSpec {
        width,
        height,
        stride: stride as usize,
        format,
        scale,
    }
}
