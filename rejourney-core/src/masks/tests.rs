//! Unit tests of mask decisions: kinds, tags, inheritance, trust of a tree.

use super::*;
use crate::strings::Interner;

/// The class names of [`node`]s: each kind's name, at the kind's index.
fn kinds() -> Strings {
    Strings::from_vec(NodeKind::ALL.iter().map(|k| format!("{k:?}")).collect())
}

fn node(parent: Option<u32>, kind: NodeKind, tag: MaskTag, x: f32) -> ViewNode {
    ViewNode {
        parent,
        class_name: Sym(kind as u32),
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
    let mut nodes = vec![
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
    nodes[0].frame = Rect::new(0.0, 0.0, 100.0, 100.0);
    nodes[6].frame = Rect::new(6.0, 1.0, 5.0, 5.0); // inside 5
    let mut out = Vec::new();
    mask_rects(&nodes, &kinds(), &MaskOptions::default(), &mut out).unwrap();
    let xs: Vec<f32> = out.iter().map(|r| r.x).collect();
    assert_eq!(
        xs,
        vec![1.0, 4.0, 5.0, 8.0],
        "6 lies inside 5: no rect of its own"
    );
    let all_text = MaskOptions {
        mask_all_text: true,
        masked_classes: vec!["Container".into()],
        ..MaskOptions::default()
    };
    mask_rects(&nodes, &kinds(), &all_text, &mut out).unwrap();
    assert_eq!(out.len(), 1, "the root container class masks everything");
    assert_eq!(out[0], nodes[0].frame);
}

#[test]
fn descendants_drawn_outside_a_masked_ancestor_are_masked_too() {
    let mut input = node(Some(0), NodeKind::TextInput, MaskTag::None, 10.0);
    input.frame = Rect::new(10.0, 10.0, 50.0, 20.0);
    let child = |parent, r: Rect| ViewNode {
        parent: Some(parent),
        frame: r,
        ..ViewNode::default()
    };
    let mut root = node(None, NodeKind::Container, MaskTag::None, 0.0);
    root.frame = Rect::new(0.0, 0.0, 100.0, 100.0);
    let nodes = vec![
        root,
        input,                                        // 1 masked
        child(1, Rect::new(12.0, 12.0, 10.0, 10.0)),  // 2 inside: covered by 1
        child(1, Rect::new(10.0, 28.0, 50.0, 30.0)),  // 3 popup hanging below: masked
        child(3, Rect::new(12.0, 40.0, 10.0, 10.0)),  // 4 inside the popup: covered
        child(3, Rect::new(-5.0, 50.0, 10.0, 10.0)),  // 5 outside the popup: masked
        child(2, Rect::new(f32::NAN, 0.0, 1.0, 1.0)), // 6 not finite: handed on (fails)
    ];
    let (mut out, mut masked) = (Vec::new(), Vec::new());
    mask_decisions(
        &nodes,
        &kinds(),
        &MaskOptions::default(),
        &mut out,
        &mut masked,
    )
    .unwrap();
    assert_eq!(out.len(), 4);
    assert_eq!(out[0], nodes[1].frame);
    assert_eq!(out[1], nodes[3].frame);
    assert_eq!(out[2], nodes[5].frame);
    assert!(
        out[3].x.is_nan(),
        "a node that cannot be placed is not silently skipped"
    );
    assert_eq!(masked, vec![false, true, true, true, true, true, true]);
}

#[test]
fn a_tree_is_trusted_only_when_its_root_covers_the_frame() {
    use crate::frame::PixelFormat;
    let root = |w: f32, h: f32| ViewNode {
        frame: Rect::new(0.0, 0.0, w, h),
        ..ViewNode::default()
    };
    // 393 x 852 pt at 1.25 px/pt: 491.25 x 1065 px, the buffer is 491 x 1065.
    let spec = FrameSpec::packed(491, 1065, PixelFormat::Rgba, 1.25);
    assert_eq!(check_tree(&[root(393.0, 852.0)], &spec, 10), Ok(()));
    assert_eq!(check_tree(&[], &spec, 10), Err(NodeError::Empty));
    let many = vec![root(393.0, 852.0); 11];
    assert_eq!(
        check_tree(&many, &spec, 10),
        Err(NodeError::TooMany { count: 11, max: 10 })
    );
    // The same tree with the scale reported as 1.0 (or 3.0): masks would be misplaced.
    for scale in [1.0, 3.0] {
        let wrong = FrameSpec { scale, ..spec };
        assert!(matches!(
            check_tree(&[root(393.0, 852.0)], &wrong, 10),
            Err(NodeError::RootMismatch { .. })
        ));
    }
    // A root shifted by 3 px, or not finite, or not a root at all.
    let mut shifted = root(393.0, 852.0);
    shifted.frame.x = 2.4;
    assert!(check_tree(&[shifted], &spec, 10).is_err());
    assert!(check_tree(&[root(f32::NAN, 852.0)], &spec, 10).is_err());
    let mut child = root(393.0, 852.0);
    child.parent = Some(0);
    assert!(check_tree(&[child], &spec, 10).is_err());
    // Within 2 px on every edge is accepted.
    let mut near = root(393.0 + 1.5 / 1.25, 852.0);
    near.frame.y = -1.5 / 1.25;
    assert_eq!(check_tree(&[near], &spec, 10), Ok(()));
}

#[test]
fn bad_parent_is_an_error() {
    let nodes = vec![node(Some(3), NodeKind::Text, MaskTag::None, 0.0)];
    assert_eq!(
        mask_rects(&nodes, &kinds(), &MaskOptions::default(), &mut Vec::new()),
        Err(NodeError::Parent {
            index: 0,
            parent: 3
        })
    );
}

#[test]
fn every_tag_source_is_read_and_mask_wins() {
    let opts = MaskOptions {
        masked_classes: vec!["CardView".into()],
        masked_test_ids: vec!["card-number".into()],
        ..MaskOptions::default()
    };
    let mut table = Interner::new();
    let mut n = |class: &str, tag, hint: Option<&str>, id: Option<&str>| ViewNode {
        class_name: table.intern(class),
        tag,
        mask_hint: hint.map(|h| table.intern(h)),
        test_id: id.map(|t| table.intern(t)),
        ..ViewNode::default()
    };
    use MaskTag::{Mask, None as No, Unmask};
    let cases = [
        (n("View", No, None, None), No),
        (n("com.shop.CardView", No, None, None), Mask),
        (n("View", No, None, Some("card-number")), Mask),
        (n("View", No, Some("rj-mask"), None), Mask),
        (n("View", No, None, Some("rj-unmask")), Unmask),
        (n("View", Unmask, None, None), Unmask),
        (n("CardView", Unmask, None, None), Mask),
        (n("View", Unmask, Some("rj-mask"), None), Mask),
        (n("View", Mask, Some("rj-unmask"), None), Mask),
    ];
    let strings = Strings::from_vec(table.take_update().added);
    for (node, want) in cases {
        assert_eq!(opts.explicit_tag(&node, &strings), want, "{node:?}");
    }
}

#[test]
fn a_moving_masked_node_is_found_through_its_ancestors() {
    let mut nodes = vec![
        node(None, NodeKind::Container, MaskTag::None, 0.0),
        node(Some(0), NodeKind::Container, MaskTag::None, 0.0),
        node(Some(1), NodeKind::TextInput, MaskTag::None, 0.0),
        node(Some(0), NodeKind::Text, MaskTag::None, 0.0),
    ];
    let (mut rects, mut masked) = (Vec::new(), Vec::new());
    mask_decisions(
        &nodes,
        &kinds(),
        &MaskOptions::default(),
        &mut rects,
        &mut masked,
    )
    .unwrap();
    assert_eq!(moving_masked_node(&nodes, &masked), None);
    nodes[3].animating = true; // plain text moving: no mask to miss
    assert_eq!(moving_masked_node(&nodes, &masked), None);
    nodes[1].animating = true; // the input's container slides in
    assert_eq!(moving_masked_node(&nodes, &masked), Some(2));
}
