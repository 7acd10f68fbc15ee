//! Mask decisions from the view tree the shim reports: which rectangles must be redacted.
//!
//! The shim walks its view tree and reports each node flat, in pre-order, with the index of
//! its parent. Rules: secure inputs are always masked (no tag can unmask them); an explicit
//! `rj-mask` tag masks a node and everything under it; an explicit `rj-unmask` tag lifts the
//! kind-based rules for its subtree; otherwise kinds decide (text inputs and camera previews by
//! default; web views, video, all text and all images by option). The kind is the more private
//! of the one the shim reports and the one the class name proves ([`kind_of_class`]: the
//! platforms' and React Native's inputs and web views), so a shim that reports an input class
//! as a plain view does not unmask it.
//!
//! Every platform asks this module, so the rules are written once: a node's explicit tag comes
//! from an instance registration in the wrapper ([`ViewNode::tag`]), an `rj-mask` /
//! `rj-unmask` string in its developer tag or test id, or a listed class or test id
//! ([`MaskOptions::explicit_tag`]). Any source that says mask wins over any that says unmask.
//! A masked node that is moving under an animation (itself or an ancestor,
//! [`ViewNode::animating`]) makes the frame unusable: the pixels show where the animation drew
//! it, the geometry where it will be ([`moving_masked_node`]).
//!
//! Privacy fails closed. A masked node covers its subtree, but platforms do not clip
//! subviews by default (placeholders, error bubbles and autocomplete popups hang outside their
//! input), so a descendant that extends outside its masked ancestor is masked too. And a tree
//! is only trusted when it can describe the pixels ([`check_tree`]): an empty tree (the shim
//! saw nothing), one over [`MaskOptions::max_tree_nodes`] (treated as a truncated walk), or one
//! whose root does not cover the frame at the frame's scale (every mask would land in the
//! wrong place) is refused, and the caller drops the frame.

mod known_classes;

pub use known_classes::kind_of_class;

use crate::frame::{FrameSpec, Rect};
use crate::strings::{Strings, Sym};

/// How far (pixels, after scale) the root's edges may be from the frame's edges: rounding of
/// fractional-point sizes (491.25 pt·px at 1.25×) and platforms' truncated bitmap sizes.
pub const ROOT_TOLERANCE_PX: f64 = 2.0;

/// What a view is, as far as privacy is concerned.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum NodeKind {
    #[default]
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

impl NodeKind {
    /// Every kind, in declaration order (`kind as usize` indexes it).
    pub const ALL: [NodeKind; 10] = [
        NodeKind::Container,
        NodeKind::Text,
        NodeKind::TextInput,
        NodeKind::SecureInput,
        NodeKind::Image,
        NodeKind::Video,
        NodeKind::Camera,
        NodeKind::Map,
        NodeKind::WebView,
        NodeKind::Other,
    ];
}

/// An explicit privacy tag set by the app developer on a view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum MaskTag {
    #[default]
    None,
    Mask,
    Unmask,
}

/// One node of the view tree as the shim reports it. Its strings are named by index in the
/// frame's [`Strings`] (sent once per table, not per frame: see [`crate::strings`]).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ViewNode {
    /// Index of the parent in the same list (must be smaller than this node's index).
    pub parent: Option<u32>,
    pub class_name: Sym,
    /// Frame in points, in window coordinates.
    pub frame: Rect,
    pub kind: NodeKind,
    pub tag: MaskTag,
    /// A stable id from the shim (e.g. a view's identity hash), when it has one; otherwise
    /// the hierarchy derives one from the node's position (see `hierarchy`).
    pub id: Option<u64>,
    /// Test id / accessibility identifier, for replay search and the hierarchy snapshot.
    pub test_id: Option<Sym>,
    /// Length of a text input's content: the content itself is never reported.
    pub text_length: Option<u32>,
    /// The developer's tag string on the view (Android `android:tag`, a Compose test tag),
    /// when it is not the test id; `rj-mask` / `rj-unmask` are recognised here.
    pub mask_hint: Option<Sym>,
    /// The view itself is being moved or resized by an animation its frame does not report
    /// (UIKit layer animations, Android view `Animation`s). Descendants inherit it here.
    pub animating: bool,
}

/// A frame's view tree as handed over: the nodes and the strings they name.
#[derive(Debug, Clone, Default)]
pub struct NodeList {
    pub nodes: Vec<ViewNode>,
    pub strings: Strings,
}

/// The tag string that masks a view and its subtree.
pub const MASK_TAG: &str = "rj-mask";
/// The tag string that lifts the kind-based rules for a view's subtree.
pub const UNMASK_TAG: &str = "rj-unmask";

/// Which kinds are masked without an explicit tag.
#[derive(Debug, Clone, PartialEq)]
pub struct MaskOptions {
    pub mask_text_inputs: bool,
    pub mask_camera: bool,
    pub mask_web_views: bool,
    pub mask_video: bool,
    pub mask_all_text: bool,
    pub mask_all_images: bool,
    /// Class names masked like an `rj-mask` tag (exact, or the simple name of a qualified one).
    pub masked_classes: Vec<String>,
    /// Test ids / accessibility identifiers masked like an `rj-mask` tag (exact match).
    pub masked_test_ids: Vec<String>,
    /// Largest tree accepted; a larger one is treated like a truncated walk (frame dropped).
    pub max_tree_nodes: usize,
}

impl Default for MaskOptions {
    fn default() -> Self {
        Self {
            mask_text_inputs: true,
            mask_camera: true,
            mask_web_views: true,
            mask_video: false,
            mask_all_text: false,
            mask_all_images: false,
            masked_classes: Vec::new(),
            masked_test_ids: Vec::new(),
            max_tree_nodes: 10_000,
        }
    }
}

/// Why a node list cannot be used.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum NodeError {
    #[error("node {index} names parent {parent}, which does not come before it")]
    Parent { index: usize, parent: u32 },
    /// A window always has a root view: an empty list means the shim saw nothing.
    #[error("the view tree is empty")]
    Empty,
    /// The node names a string its frame's table does not have: the shim lost track of
    /// the table, so none of its strings can be trusted.
    #[error("node {index} names string {string}, the table has {len}")]
    UnknownString { index: usize, string: u32, len: u32 },
    #[error("the view tree has {count} nodes, over the limit of {max}")]
    TooMany { count: usize, max: usize },
    /// The root, at the frame's scale, does not cover the frame: the masks would be misplaced
    /// (a wrong scale, or the tree of another moment than the pixels).
    #[error(
        "the root view ({x0:.1},{y0:.1})-({x1:.1},{y1:.1}) px does not cover the {width}x{height} px frame"
    )]
    RootMismatch {
        x0: f64,
        y0: f64,
        x1: f64,
        y1: f64,
        width: u32,
        height: u32,
    },
}

/// Whether `nodes` can be trusted to describe the pixels of a frame of `spec`: not empty, not
/// over the node limit, and a first node (the root) whose frame at `spec.scale` matches the
/// frame's pixel size within [`ROOT_TOLERANCE_PX`] on every edge.
pub fn check_tree(nodes: &[ViewNode], spec: &FrameSpec, max_nodes: usize) -> Result<(), NodeError> {
    let root = nodes.first().ok_or(NodeError::Empty)?;
    if nodes.len() > max_nodes {
        return Err(NodeError::TooMany {
            count: nodes.len(),
            max: max_nodes,
        });
    }
    let s = spec.scale as f64;
    let f = root.frame;
    let (x0, y0) = (f.x as f64 * s, f.y as f64 * s);
    let (x1, y1) = (x0 + f.width as f64 * s, y0 + f.height as f64 * s);
    let (w, h) = (spec.width as f64, spec.height as f64);
    let near = |a: f64, b: f64| (a - b).abs() <= ROOT_TOLERANCE_PX; // false for NaN
    if root.parent.is_some() || !(near(x0, 0.0) && near(y0, 0.0) && near(x1, w) && near(y1, h)) {
        return Err(NodeError::RootMismatch {
            x0,
            y0,
            x1,
            y1,
            width: spec.width,
            height: spec.height,
        });
    }
    Ok(())
}

/// Whether `inner` lies inside `outer` (false when either is not finite).
fn contains(outer: &Rect, inner: &Rect) -> bool {
    outer.x <= inner.x
        && outer.y <= inner.y
        && inner.x + inner.width <= outer.x + outer.width
        && inner.y + inner.height <= outer.y + outer.height
}

#[derive(Clone, Copy, PartialEq)]
enum Inherited {
    Nothing,
    Masked,
    Unmasked,
}

impl MaskOptions {
    /// The node's explicit tag, from every source the platforms have: the wrapper's instance
    /// registration, an `rj-mask` / `rj-unmask` string in the developer tag or the test id, a
    /// listed test id, a listed class. Any mask source wins over any unmask source.
    /// Strings the table does not have count as absent (callers check them first:
    /// [`check_strings`]).
    pub fn explicit_tag(&self, node: &ViewNode, table: &Strings) -> MaskTag {
        let test_id = node.test_id.and_then(|s| table.get(s));
        let strings = [node.mask_hint.and_then(|s| table.get(s)), test_id];
        let listed_id = test_id.is_some_and(|id| self.masked_test_ids.iter().any(|t| t == id));
        let listed_class = !self.masked_classes.is_empty()
            && table
                .get(node.class_name)
                .is_some_and(|c| self.class_masked(c));
        if node.tag == MaskTag::Mask
            || strings.contains(&Some(MASK_TAG))
            || listed_id
            || listed_class
        {
            MaskTag::Mask
        } else if node.tag == MaskTag::Unmask || strings.contains(&Some(UNMASK_TAG)) {
            MaskTag::Unmask
        } else {
            MaskTag::None
        }
    }

    /// A listed class matches exactly or as the simple name of a qualified class
    /// (`CardView` matches `com.app.CardView`; Swift `Module.CardView` likewise).
    fn class_masked(&self, class_name: &str) -> bool {
        let simple = class_name.rsplit('.').next().unwrap_or(class_name);
        self.masked_classes
            .iter()
            .any(|c| c == class_name || c == simple)
    }

    fn kind_masked(&self, kind: NodeKind) -> bool {
        match kind {
            NodeKind::SecureInput => true,
            NodeKind::TextInput => self.mask_text_inputs,
            NodeKind::Camera => self.mask_camera,
            NodeKind::WebView => self.mask_web_views,
            NodeKind::Video => self.mask_video,
            NodeKind::Text => self.mask_all_text,
            NodeKind::Image => self.mask_all_images,
            NodeKind::Container | NodeKind::Map | NodeKind::Other => false,
        }
    }
}

/// Whether every string the nodes name is in `table`.
pub fn check_strings(nodes: &[ViewNode], table: &Strings) -> Result<(), NodeError> {
    let len = table.len();
    for (index, n) in nodes.iter().enumerate() {
        let worst = [Some(n.class_name), n.test_id, n.mask_hint]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or_default();
        if worst.0 >= len {
            return Err(NodeError::UnknownString {
                index,
                string: worst.0,
                len,
            });
        }
    }
    Ok(())
}

/// Computes the mask rectangles for `nodes`. A masked node covers its subtree: its
/// descendants add rectangles of their own only where they extend outside it.
pub fn mask_rects(
    nodes: &[ViewNode],
    table: &Strings,
    opts: &MaskOptions,
    out: &mut Vec<Rect>,
) -> Result<(), NodeError> {
    let mut masked = Vec::new();
    mask_decisions(nodes, table, opts, out, &mut masked)
}

/// Like [`mask_rects`], and also reports per node whether it is masked (itself or through an
/// ancestor): the hierarchy snapshot marks those nodes. A node naming a string `table` does
/// not have is an error ([`check_strings`]): the tree cannot be trusted.
pub fn mask_decisions(
    nodes: &[ViewNode],
    table: &Strings,
    opts: &MaskOptions,
    out: &mut Vec<Rect>,
    masked_nodes: &mut Vec<bool>,
) -> Result<(), NodeError> {
    out.clear();
    masked_nodes.clear();
    check_strings(nodes, table)?;
    let mut state = Vec::with_capacity(nodes.len());
    // For a masked node: the rectangle already painted that covers it (its own, or the
    // masked ancestor's that contains it).
    let mut cover: Vec<Rect> = Vec::with_capacity(nodes.len());
    for (index, node) in nodes.iter().enumerate() {
        let inherited = match node.parent {
            None => Inherited::Nothing,
            Some(p) if (p as usize) < index => state[p as usize],
            Some(p) => return Err(NodeError::Parent { index, parent: p }),
        };
        if inherited == Inherited::Masked {
            let Some(&outer) = node.parent.and_then(|p| cover.get(p as usize)) else {
                return Err(NodeError::Parent { index, parent: 0 });
            };
            if contains(&outer, &node.frame) {
                cover.push(outer);
            } else {
                // Drawn outside its masked ancestor (no clipping): mask it as well.
                out.push(node.frame);
                cover.push(node.frame);
            }
            state.push(Inherited::Masked);
            continue;
        }
        let tag = opts.explicit_tag(node, table);
        let tagged_mask = tag == MaskTag::Mask;
        let unmasked = tag == MaskTag::Unmask || inherited == Inherited::Unmasked;
        // The class can prove a kind the shim did not report (`known_classes`): the more
        // private of the two decides.
        let proven = table
            .get(node.class_name)
            .and_then(known_classes::kind_of_class);
        let secure = node.kind == NodeKind::SecureInput || proven == Some(NodeKind::SecureInput);
        let masked = secure
            || tagged_mask
            || (!unmasked
                && (opts.kind_masked(node.kind) || proven.is_some_and(|k| opts.kind_masked(k))));
        if masked {
            out.push(node.frame);
            cover.push(node.frame);
            state.push(Inherited::Masked);
        } else {
            cover.push(Rect::default());
            state.push(if unmasked {
                Inherited::Unmasked
            } else {
                Inherited::Nothing
            });
        }
    }
    masked_nodes.extend(state.iter().map(|s| *s == Inherited::Masked));
    Ok(())
}

/// The first node that is masked (`masked`, from [`mask_decisions`]) while it or an ancestor
/// is animating, if any: such a frame must not be sent, its mask would miss the view.
pub fn moving_masked_node(nodes: &[ViewNode], masked: &[bool]) -> Option<usize> {
    if !nodes.iter().any(|n| n.animating) {
        return None;
    }
    let mut moving = Vec::with_capacity(nodes.len());
    for (i, node) in nodes.iter().enumerate() {
        // Parent links were checked by `mask_decisions`; a bad one counts as moving.
        let inherited = node
            .parent
            .map(|p| moving.get(p as usize).copied().unwrap_or(true))
            .unwrap_or(false);
        let m = node.animating || inherited;
        moving.push(m);
        if m && masked.get(i).copied().unwrap_or(true) {
            return Some(i);
        }
    }
    None
}

#[cfg(test)]
mod tests;
