//! Hierarchy tests (test-only).

use super::*;
use crate::frame::Rect;
use crate::masks::{MaskTag, ViewNode};
use crate::strings::{Strings, Sym};

/// Every string these tests' nodes name, in table order.
const NAMES: [&str; 8] = [
    "UIWindow",
    "UITextField",
    "UIStackView",
    "UILabel",
    "email \"field\"",
    "Root",
    "V",
    "Label",
];

fn sym(name: &str) -> Sym {
    Sym(NAMES.iter().position(|n| *n == name).expect("a test name") as u32)
}

fn list(nodes: Vec<ViewNode>) -> NodeList {
    NodeList {
        nodes,
        strings: Strings::from_vec(NAMES.map(str::to_owned).to_vec()),
    }
}

fn node(parent: Option<u32>, class: &str, kind: NodeKind, x: f32) -> ViewNode {
    ViewNode {
        parent,
        class_name: sym(class),
        frame: Rect::new(x, 0.0, 10.0, 10.0),
        kind,
        tag: MaskTag::None,
        ..ViewNode::default()
    }
}

fn screen(x: f32) -> NodeList {
    let mut input = node(Some(0), "UITextField", NodeKind::TextInput, 1.0);
    input.text_length = Some(8);
    input.test_id = Some(sym("email \"field\""));
    list(vec![
        node(None, "UIWindow", NodeKind::Container, 0.0),
        input,
        node(Some(0), "UIStackView", NodeKind::Container, x),
        node(Some(2), "UILabel", NodeKind::Text, f32::NAN),
        node(Some(2), "UILabel", NodeKind::Text, 3.0),
    ])
}

#[test]
fn snapshot_json_is_nested_finite_and_never_holds_input_text() {
    let nodes = screen(2.0);
    let (tree, truncated) =
        tree_from_nodes(&nodes, &[false, true, false, false, false], 100).unwrap();
    assert!(!truncated);
    let mut out = Vec::new();
    write_snapshot(&tree, 42, false, None, &mut out);
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["timestamp"], 42);
    assert_eq!(v["nodeCount"], 5);
    let root = &v["root"];
    assert_eq!(root["class"], "UIWindow");
    let kids = root["children"].as_array().unwrap();
    assert_eq!(kids.len(), 2);
    assert_eq!(kids[0]["type"], "text_input");
    assert_eq!(kids[0]["masked"], true);
    assert!(kids[0].get("text").is_none());
    assert!(
        kids[0].get("textLength").is_none() && kids[0].get("testId").is_none(),
        "a masked node says what it is, not its length nor its developer strings: {}",
        kids[0]
    );
    let labels = kids[1]["children"].as_array().unwrap();
    assert_eq!(labels.len(), 2);
    assert_eq!(labels[0]["frame"]["x"], 0.0, "NaN sanitised");
    // Same-class siblings still get distinct ids.
    assert_ne!(labels[0]["id"], labels[1]["id"]);
}

/// Unmasked, the same input shows its test id and length; secure, masked whatever the
/// flags say upstream, it never shows either (both writers).
#[test]
fn only_unmasked_nodes_carry_test_ids_and_lengths() {
    let mut nodes = screen(2.0);
    let unmasked = [false; 5];
    let (tree, _) = tree_from_nodes(&nodes, &unmasked, 100).unwrap();
    let mut out = Vec::new();
    write_snapshot(&tree, 1, false, None, &mut out);
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let input = &v["root"]["children"][0];
    assert_eq!(input["textLength"], 8);
    assert_eq!(input["testId"], "email \"field\"");

    nodes.nodes[1].kind = NodeKind::SecureInput;
    let masked = [false, true, false, false, false];
    let (tree, _) = tree_from_nodes(&nodes, &masked, 100).unwrap();
    out.clear();
    write_snapshot(&tree, 1, false, None, &mut out);
    let text = String::from_utf8(out.clone()).unwrap();
    assert!(text.contains("\"secure_input\""), "{text}");
    assert!(
        !text.contains("textLength") && !text.contains("email"),
        "{text}"
    );
}

#[test]
fn deep_trees_serialise_without_recursion() {
    let mut nodes = vec![node(None, "Root", NodeKind::Container, 0.0)];
    for i in 1..50_000u32 {
        nodes.push(node(Some(i - 1), "V", NodeKind::Container, 0.0));
    }
    let masked = vec![false; nodes.len()];
    let (tree, _) = tree_from_nodes(&list(nodes), &masked, usize::MAX).unwrap();
    let mut out = Vec::new();
    write_snapshot(&tree, 1, false, None, &mut out);
    assert_eq!(out.iter().filter(|&&b| b == b'[').count(), 50_000);
    assert_eq!(out.iter().filter(|&&b| b == b']').count(), 50_000);
}

#[test]
fn recorder_snapshots_changes_only_rate_limited_and_marks_partial() {
    let mut r = Recorder::new(HierarchyConfig {
        max_nodes: 4,
        ..HierarchyConfig::default()
    });
    let masked = [false; 5];
    let first = r.observe(&screen(2.0), &masked, 1_000, false).unwrap();
    assert!(first.partial, "5 nodes over a budget of 4");
    assert!(r.observe(&screen(2.0), &masked, 1_500, false).is_none());
    assert!(
        r.observe(&screen(9.0), &masked, 1_800, false).is_none(),
        "changed but within the minimum interval"
    );
    let next = r.observe(&screen(9.0), &masked, 2_100, false).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&next.json).unwrap();
    assert_eq!(v["changes"]["updated"], 1, "{v}");
    let c = r.counters();
    assert_eq!(
        (c.snapshots, c.partial, c.unchanged, c.rate_limited),
        (2, 2, 1, 1)
    );
    r.reset();
    assert!(r.observe(&screen(9.0), &masked, 2_200, false).is_some());
}

#[test]
fn worker_runs_off_thread_resets_per_session_drains_and_counts_drops() {
    use std::sync::{Arc, Mutex};
    let got: Arc<Mutex<Vec<(u64, u32, bool)>>> = Arc::default();
    let sink = got.clone();
    let cfg = HierarchyConfig {
        min_interval_ms: 0,
        ..HierarchyConfig::default()
    };
    let w = SnapshotWorker::start(cfg, move |s: Snapshot, tag: &u32| {
        let full = !String::from_utf8_lossy(&s.json).contains("\"changes\"");
        sink.lock().unwrap().push((s.timestamp_ms, *tag, full));
    })
    .unwrap();
    let tree = list(vec![
        node(None, "Root", NodeKind::Container, 0.0),
        node(Some(0), "Label", NodeKind::Text, 1.0),
    ]);
    let job = |ts: u64, tag: u32| Job {
        nodes: tree.clone(),
        masked: vec![false; 2],
        timestamp_ms: ts,
        partial: false,
        screen_name: None,
        tag,
    };
    let mut moved = job(3, 1);
    moved.nodes.nodes[1].frame.x = 5.0;
    for j in [job(1, 1), job(2, 1), moved, job(4, 2)] {
        assert!(w.submit(j));
        assert!(w.drain(std::time::Duration::from_secs(5)));
    }
    assert_eq!(
        *got.lock().unwrap(),
        vec![(1, 1, true), (3, 1, false), (4, 2, true)],
        "unchanged tree skipped; a new session starts from a full snapshot"
    );
    assert_eq!(w.counters().unchanged, 1);
    w.stop();
    assert!(!w.submit(job(5, 2)), "a stopped worker takes nothing");
    assert_eq!(w.counters().dropped_busy, 1, "and counts it");
    assert!(w.drain(std::time::Duration::from_millis(10)));
}

#[test]
fn node_ids_stay_within_javascripts_exact_integers() {
    // Derived ids are 64-bit hashes; a shim may hand any u64.
    let mut shim = node(Some(0), "UILabel", NodeKind::Text, 1.0);
    shim.id = Some(u64::MAX);
    let mut nodes = vec![node(None, "UIWindow", NodeKind::Container, 0.0), shim];
    for _ in 0..200 {
        nodes.push(node(Some(0), "V", NodeKind::Container, 0.0));
    }
    let masked = vec![false; nodes.len()];
    let (tree, _) = tree_from_nodes(&list(nodes.clone()), &masked, usize::MAX).unwrap();
    let mut out = Vec::new();
    write_snapshot(&tree, 1, false, None, &mut out);
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let mut ids = vec![v["root"]["id"].as_u64().unwrap()];
    for kid in v["root"]["children"].as_array().unwrap() {
        ids.push(kid["id"].as_u64().unwrap());
    }
    assert_eq!(ids.len(), 202);
    assert!(ids.iter().all(|&id| id <= ids::MAX_NODE_ID), "{ids:?}");
    let unique: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "still unique");
}
