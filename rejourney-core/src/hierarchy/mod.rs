//! Hierarchy snapshots: the view tree aligned to a frame, as the replay's "inspect" view and
//! search index see it (kind, class, frame in points, masked flag, test id, input text length,
//! never input content).
//!
//! The [`Recorder`] turns each reported node list into a [`Tree`], diffs it against the last
//! snapshot sent, and produces a new snapshot only when something changed and the minimum
//! interval has passed, so a static screen costs one diff per frame and no uploads. Snapshot
//! JSON is written iteratively (no recursion: a hostile, very deep tree cannot overflow the
//! stack) with every coordinate finite.

use std::collections::HashSet;
use std::io::Write;

use xxhash_rust::xxh3::xxh3_64;

use crate::diff::{Diff, Differ, Node, Tree, TreeError};
use crate::masks::{NodeKind, ViewNode};

mod worker;
pub use worker::{Job, SnapshotWorker, Then};

/// When snapshots are taken.
#[derive(Debug, Clone, PartialEq)]
pub struct HierarchyConfig {
    pub enabled: bool,
    /// At most one snapshot per this many ms (a changed tree waits for the next frame after).
    pub min_interval_ms: u64,
    /// Trees larger than this are cut (pre-order) and the snapshot is marked partial.
    pub max_nodes: usize,
}

impl Default for HierarchyConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            min_interval_ms: 1_000,
            max_nodes: 5_000,
        }
    }
}

/// Counters for telemetry.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct HierarchyCounters {
    pub snapshots: u64,
    pub partial: u64,
    pub unchanged: u64,
    pub rate_limited: u64,
    pub invalid: u64,
    /// Trees not looked at because the worker was still busy with earlier ones.
    pub dropped_busy: u64,
}

pub fn kind_name(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::Container => "container",
        NodeKind::Text => "text",
        NodeKind::TextInput => "text_input",
        NodeKind::SecureInput => "secure_input",
        NodeKind::Image => "image",
        NodeKind::Video => "video",
        NodeKind::Camera => "camera",
        NodeKind::Map => "map",
        NodeKind::WebView => "web_view",
        NodeKind::Other => "other",
    }
}

/// Builds a differ tree from the shim's nodes. Nodes without a shim-provided id get one
/// derived from their position (parent id, class, ordinal among same-class siblings), which
/// is stable across frames while the structure is. `masked` is parallel to `nodes`.
pub fn tree_from_nodes(
    nodes: &[ViewNode],
    masked: &[bool],
    max_nodes: usize,
) -> Result<(Tree, bool), TreeError> {
    let truncated = nodes.len() > max_nodes;
    let nodes = &nodes[..nodes.len().min(max_nodes)];
    let mut out: Vec<Node> = Vec::with_capacity(nodes.len());
    let mut used = HashSet::with_capacity(nodes.len());
    // Per node: how many children of each class seen so far (small linear lists).
    let mut ordinals: Vec<Vec<(u64, u32)>> = vec![Vec::new(); nodes.len()];
    for (i, n) in nodes.iter().enumerate() {
        let parent_ok = n.parent.filter(|p| (*p as usize) < i);
        let mut id = match (n.id, parent_ok) {
            (Some(id), _) => id,
            (None, None) => xxh3_64(n.class_name.as_bytes()),
            (None, Some(p)) => {
                let class = xxh3_64(n.class_name.as_bytes());
                let list = &mut ordinals[p as usize];
                let ordinal = match list.iter_mut().find(|(c, _)| *c == class) {
                    Some((_, k)) => {
                        *k += 1;
                        *k
                    }
                    None => {
                        list.push((class, 0));
                        0
                    }
                };
                let mut key = [0u8; 20];
                key[..8].copy_from_slice(&out[p as usize].id.to_le_bytes());
                key[8..16].copy_from_slice(&class.to_le_bytes());
                key[16..].copy_from_slice(&ordinal.to_le_bytes());
                xxh3_64(&key)
            }
        };
        // Ids must be unique; a collision (or a shim reusing ids) is re-hashed, not fatal.
        while !used.insert(id) {
            id = xxh3_64(&id.to_le_bytes()) ^ i as u64;
        }
        let finite = |v: f32| if v.is_finite() { v } else { 0.0 };
        out.push(Node {
            id,
            parent: n.parent,
            kind: kind_name(n.kind).to_owned(),
            class_name: n.class_name.clone(),
            x: finite(n.frame.x),
            y: finite(n.frame.y),
            width: finite(n.frame.width),
            height: finite(n.frame.height),
            text: None,
            style: None,
            masked: masked.get(i).copied().unwrap_or(true),
            test_id: n.test_id.clone(),
            text_length: n.text_length,
        });
    }
    Ok((Tree::new(out)?, truncated))
}

/// Writes the snapshot JSON: `{"timestamp", "partial", "nodeCount", "changes", "root": node}`
/// where a node is `{"id", "type", "class", "frame": {x, y, width, height}, "masked",
/// "testId"?, "textLength"?, "text"?, "children": [...]}`.
pub fn write_snapshot(
    tree: &Tree,
    timestamp_ms: u64,
    partial: bool,
    changes: Option<&Diff>,
    out: &mut Vec<u8>,
) {
    let _ = write!(
        out,
        "{{\"timestamp\":{timestamp_ms},\"partial\":{partial},\"nodeCount\":{}",
        tree.len()
    );
    if let Some(d) = changes {
        let _ = write!(
            out,
            ",\"changes\":{{\"added\":{},\"removed\":{},\"updated\":{},\"reordered\":{}}}",
            d.added.len(),
            d.removed.len(),
            d.updated.len(),
            d.reordered.len()
        );
    }
    out.extend_from_slice(b",\"root\":");
    if tree.is_empty() {
        out.extend_from_slice(b"null}");
        return;
    }
    // Open nodes (index, has a child been written).
    let mut open: Vec<(u32, bool)> = Vec::new();
    for (i, n) in tree.nodes().iter().enumerate() {
        if let Some(p) = n.parent {
            while open.last().is_some_and(|(top, _)| *top != p) {
                open.pop();
                out.extend_from_slice(b"]}");
            }
            if let Some(top) = open.last_mut() {
                if top.1 {
                    out.push(b',');
                }
                top.1 = true;
            }
        }
        write_node_head(n, out);
        open.push((i as u32, false));
    }
    for _ in open {
        out.extend_from_slice(b"]}");
    }
    out.push(b'}');
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    // serde_json escapes correctly; writing into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

fn write_node_head(n: &Node, out: &mut Vec<u8>) {
    let _ = write!(out, "{{\"id\":{},\"type\":", n.id);
    write_str(out, &n.kind);
    out.extend_from_slice(b",\"class\":");
    write_str(out, &n.class_name);
    let f = |v: f32| if v.is_finite() { v } else { 0.0 };
    let _ = write!(
        out,
        ",\"frame\":{{\"x\":{},\"y\":{},\"width\":{},\"height\":{}}},\"masked\":{}",
        f(n.x),
        f(n.y),
        f(n.width),
        f(n.height),
        n.masked
    );
    if let Some(t) = &n.test_id {
        out.extend_from_slice(b",\"testId\":");
        write_str(out, t);
    }
    if let Some(l) = n.text_length {
        let _ = write!(out, ",\"textLength\":{l}");
    }
    if let (Some(t), false) = (&n.text, n.masked) {
        out.extend_from_slice(b",\"text\":");
        write_str(out, t);
    }
    out.extend_from_slice(b",\"children\":[");
}

/// Decides when to snapshot and produces the snapshot bodies.
#[derive(Debug, Default)]
pub struct Recorder {
    cfg: HierarchyConfig,
    differ: Differ,
    diff: Diff,
    last: Option<Tree>,
    last_sent_ms: Option<u64>,
    counters: HierarchyCounters,
}

/// A snapshot to upload.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub timestamp_ms: u64,
    pub partial: bool,
    /// Uncompressed JSON.
    pub json: Vec<u8>,
}

impl Recorder {
    pub fn new(cfg: HierarchyConfig) -> Self {
        Self {
            cfg,
            ..Self::default()
        }
    }

    pub fn counters(&self) -> HierarchyCounters {
        self.counters
    }

    /// A new session starts from a full snapshot.
    pub fn reset(&mut self) {
        self.last = None;
        self.last_sent_ms = None;
    }

    /// Looks at the tree reported with a frame. `partial` says the shim's walk was cut by
    /// its own budget. Returns a snapshot when one is due.
    pub fn observe(
        &mut self,
        nodes: &[ViewNode],
        masked: &[bool],
        timestamp_ms: u64,
        partial: bool,
    ) -> Option<Snapshot> {
        if !self.cfg.enabled {
            return None;
        }
        let (tree, truncated) = match tree_from_nodes(nodes, masked, self.cfg.max_nodes) {
            Ok(t) => t,
            Err(_) => {
                self.counters.invalid += 1;
                return None;
            }
        };
        let partial = partial || truncated;
        let changes = match &self.last {
            None => None,
            Some(last) => {
                self.differ.diff(last, &tree, &mut self.diff);
                if self.diff.is_empty() {
                    self.counters.unchanged += 1;
                    return None;
                }
                Some(&self.diff)
            }
        };
        if let Some(sent) = self.last_sent_ms {
            if timestamp_ms.saturating_sub(sent) < self.cfg.min_interval_ms {
                self.counters.rate_limited += 1;
                return None;
            }
        }
        let mut json = Vec::with_capacity(64 + tree.len() * 160);
        write_snapshot(&tree, timestamp_ms, partial, changes, &mut json);
        self.counters.snapshots += 1;
        if partial {
            self.counters.partial += 1;
        }
        self.last = Some(tree);
        self.last_sent_ms = Some(timestamp_ms);
        Some(Snapshot {
            timestamp_ms,
            partial,
            json,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::Rect;
    use crate::masks::MaskTag;

    fn node(parent: Option<u32>, class: &str, kind: NodeKind, x: f32) -> ViewNode {
        ViewNode {
            parent,
            class_name: class.into(),
            frame: Rect::new(x, 0.0, 10.0, 10.0),
            kind,
            tag: MaskTag::None,
            ..ViewNode::default()
        }
    }

    fn screen(x: f32) -> Vec<ViewNode> {
        let mut input = node(Some(0), "UITextField", NodeKind::TextInput, 1.0);
        input.text_length = Some(8);
        input.test_id = Some("email \"field\"".into());
        vec![
            node(None, "UIWindow", NodeKind::Container, 0.0),
            input,
            node(Some(0), "UIStackView", NodeKind::Container, x),
            node(Some(2), "UILabel", NodeKind::Text, f32::NAN),
            node(Some(2), "UILabel", NodeKind::Text, 3.0),
        ]
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
        assert_eq!(kids[0]["textLength"], 8);
        assert_eq!(kids[0]["testId"], "email \"field\"");
        assert!(kids[0].get("text").is_none());
        let labels = kids[1]["children"].as_array().unwrap();
        assert_eq!(labels.len(), 2);
        assert_eq!(labels[0]["frame"]["x"], 0.0, "NaN sanitised");
        // Same-class siblings still get distinct ids.
        assert_ne!(labels[0]["id"], labels[1]["id"]);
    }

    #[test]
    fn deep_trees_serialise_without_recursion() {
        let mut nodes = vec![node(None, "Root", NodeKind::Container, 0.0)];
        for i in 1..50_000u32 {
            nodes.push(node(Some(i - 1), "V", NodeKind::Container, 0.0));
        }
        let masked = vec![false; nodes.len()];
        let (tree, _) = tree_from_nodes(&nodes, &masked, usize::MAX).unwrap();
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
        let tree = vec![
            node(None, "Root", NodeKind::Container, 0.0),
            node(Some(0), "Label", NodeKind::Text, 1.0),
        ];
        let job = |ts: u64, tag: u32| Job {
            nodes: tree.clone(),
            masked: vec![false; 2],
            timestamp_ms: ts,
            partial: false,
            tag,
        };
        let mut moved = job(3, 1);
        moved.nodes[1].frame.x = 5.0;
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
}
