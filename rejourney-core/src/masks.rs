//! Mask decisions from the view tree the shim reports: which rectangles must be redacted.
//!
//! The shim walks its view tree and reports each node flat, in pre-order, with the index of
//! its parent. Rules: secure inputs are always masked (no tag can unmask them); an explicit
//! `rj-mask` tag masks a node and everything under it; an explicit `rj-unmask` tag lifts the
//! kind-based rules for its subtree; otherwise kinds decide (text inputs and camera previews by
//! default; web views, video, all text and all images by option).

use crate::frame::Rect;

/// What a view is, as far as privacy is concerned.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
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

/// An explicit privacy tag set by the app developer on a view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaskTag {
    #[default]
    None,
    Mask,
    Unmask,
}

/// One node of the view tree as the shim reports it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ViewNode {
    /// Index of the parent in the same list (must be smaller than this node's index).
    pub parent: Option<u32>,
    pub class_name: String,
    /// Frame in points, in window coordinates.
    pub frame: Rect,
    pub kind: NodeKind,
    pub tag: MaskTag,
    /// A stable id from the shim (e.g. a view's identity hash), when it has one; otherwise
    /// the hierarchy derives one from the node's position (see `hierarchy`).
    pub id: Option<u64>,
    /// Test id / accessibility identifier, for replay search and the hierarchy snapshot.
    pub test_id: Option<String>,
    /// Length of a text input's content: the content itself is never reported.
    pub text_length: Option<u32>,
}

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
        }
    }
}

/// Why a node list cannot be used.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum NodeError {
    #[error("node {index} names parent {parent}, which does not come before it")]
    Parent { index: usize, parent: u32 },
}

#[derive(Clone, Copy, PartialEq)]
enum Inherited {
    Nothing,
    Masked,
    Unmasked,
}

impl MaskOptions {
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

/// Computes the mask rectangles for `nodes`. A masked node covers its subtree, so its
/// descendants add no rectangles of their own.
pub fn mask_rects(
    nodes: &[ViewNode],
    opts: &MaskOptions,
    out: &mut Vec<Rect>,
) -> Result<(), NodeError> {
    let mut masked = Vec::new();
    mask_decisions(nodes, opts, out, &mut masked)
}

/// Like [`mask_rects`], and also reports per node whether it is masked (itself or through an
/// ancestor): the hierarchy snapshot marks those nodes.
pub fn mask_decisions(
    nodes: &[ViewNode],
    opts: &MaskOptions,
    out: &mut Vec<Rect>,
    masked_nodes: &mut Vec<bool>,
) -> Result<(), NodeError> {
    out.clear();
    masked_nodes.clear();
    let mut state = Vec::with_capacity(nodes.len());
    for (index, node) in nodes.iter().enumerate() {
        let inherited = match node.parent {
            None => Inherited::Nothing,
            Some(p) if (p as usize) < index => state[p as usize],
            Some(p) => return Err(NodeError::Parent { index, parent: p }),
        };
        if inherited == Inherited::Masked {
            state.push(Inherited::Masked);
            continue;
        }
        let tagged_mask = node.tag == MaskTag::Mask || opts.class_masked(&node.class_name);
        let unmasked = node.tag == MaskTag::Unmask || inherited == Inherited::Unmasked;
        let masked = node.kind == NodeKind::SecureInput
            || tagged_mask
            || (!unmasked && opts.kind_masked(node.kind));
        if masked {
            out.push(node.frame);
            state.push(Inherited::Masked);
        } else {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn node(parent: Option<u32>, kind: NodeKind, tag: MaskTag, x: f32) -> ViewNode {
        ViewNode {
            parent,
            class_name: format!("{kind:?}"),
            frame: Rect::new(x, 0.0, 10.0, 10.0),
            kind,
            tag,
            ..ViewNode::default()
        }
    }

    #[test]
    fn kinds_tags_and_inheritance() {
        use MaskTag::{Mask, Unmask};
        use NodeKind::*;
        const NO: MaskTag = MaskTag::None;
        let nodes = vec![
            node(Option::None, Container, NO, 0.0), // 0
            node(Some(0), TextInput, NO, 1.0),      // 1 masked by kind
            node(Some(0), Container, Unmask, 2.0),  // 2 unmask subtree
            node(Some(2), TextInput, NO, 3.0),      // 3 not masked (unmasked parent)
            node(Some(2), SecureInput, NO, 4.0),    // 4 secure: always
            node(Some(0), Container, Mask, 5.0),    // 5 masked by tag
            node(Some(5), SecureInput, NO, 6.0),    // 6 covered by 5, no extra rect
            node(Some(0), Text, NO, 7.0),           // 7 plain text: visible by default
            node(Some(0), Camera, NO, 8.0),         // 8 camera: masked
        ];
        let mut out = Vec::new();
        mask_rects(&nodes, &MaskOptions::default(), &mut out).unwrap();
        let xs: Vec<f32> = out.iter().map(|r| r.x).collect();
        assert_eq!(xs, vec![1.0, 4.0, 5.0, 8.0]);
        let all_text = MaskOptions {
            mask_all_text: true,
            masked_classes: vec!["Container".into()],
            ..MaskOptions::default()
        };
        mask_rects(&nodes, &all_text, &mut out).unwrap();
        assert_eq!(out.len(), 1, "the root container class masks everything");
    }

    #[test]
    fn bad_parent_is_an_error() {
        let nodes = vec![node(Some(3), NodeKind::Text, MaskTag::None, 0.0)];
        assert_eq!(
            mask_rects(&nodes, &MaskOptions::default(), &mut Vec::new()),
            Err(NodeError::Parent {
                index: 0,
                parent: 3
            })
        );
    }
}
