//! Hierarchy snapshots: the view tree aligned to a frame, as the replay's "inspect" view and
//! search index see it (kind, class, frame in points, masked flag, test id, input text length,
//! never input content).
//!
//! The [`Recorder`] turns each reported node list into a [`Tree`], diffs it against the last
//! snapshot sent, and produces a new snapshot only when something changed and the minimum
//! interval has passed, so a static screen costs one diff per frame and no uploads. Snapshot
//! JSON is written iteratively (no recursion: a hostile, very deep tree cannot overflow the
//! stack) with every coordinate finite.

use crate::diff::{Diff, Differ};
use crate::masks::{NodeKind, NodeList};

mod ids;
mod snapshot;
mod view_tree;
mod worker;
pub use ids::tree_from_nodes;
pub use snapshot::{write_snapshot, write_view_snapshot};
pub use view_tree::{Spare, ViewRef, ViewTree};
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

/// Decides when to snapshot and produces the snapshot bodies.
#[derive(Debug, Default)]
pub struct Recorder {
    cfg: HierarchyConfig,
    differ: Differ,
    diff: Diff,
    /// The last tree sent: diffs are against it.
    last: Option<ViewTree>,
    spare: Spare,
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

impl Snapshot {
    /// Adds the top-level `"screenName"` the backend shows with each snapshot (as the
    /// official SDKs send it). Appended to the finished object, so the tree writer stays
    /// the one definition of the tree's bytes.
    pub fn add_screen_name(&mut self, name: &str) {
        if self.json.last() != Some(&b'}') {
            return;
        }
        self.json.pop();
        self.json.extend_from_slice(b",\"screenName\":");
        // Writing a str into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut self.json, name);
        self.json.push(b'}');
    }
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
        if let Some(last) = self.last.take() {
            last.recycle(&mut self.spare);
        }
        self.last_sent_ms = None;
    }

    /// Looks at the tree reported with a frame (copying it: see [`Recorder::observe_owned`]).
    pub fn observe(
        &mut self,
        list: &NodeList,
        masked: &[bool],
        timestamp_ms: u64,
        partial: bool,
    ) -> Option<Snapshot> {
        self.observe_owned(list.clone(), masked.to_vec(), timestamp_ms, partial)
    }

    /// Looks at the tree reported with a frame, taking the node list as it was handed over
    /// (it becomes the tree: nothing is copied). `partial` says the shim's walk was cut by
    /// its own budget. Returns a snapshot when one is due.
    pub fn observe_owned(
        &mut self,
        list: NodeList,
        masked: Vec<bool>,
        timestamp_ms: u64,
        partial: bool,
    ) -> Option<Snapshot> {
        if !self.cfg.enabled {
            return None;
        }
        let built = ViewTree::build(
            list,
            masked,
            self.cfg.max_nodes,
            self.last.as_ref(),
            &mut self.spare,
        );
        let (tree, truncated) = match built {
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
                ViewTree::diff(last, &tree, &mut self.differ, &mut self.diff);
                if self.diff.is_empty() {
                    self.counters.unchanged += 1;
                    tree.recycle(&mut self.spare);
                    return None;
                }
                Some(&self.diff)
            }
        };
        if let Some(sent) = self.last_sent_ms {
            if timestamp_ms.saturating_sub(sent) < self.cfg.min_interval_ms {
                self.counters.rate_limited += 1;
                tree.recycle(&mut self.spare);
                return None;
            }
        }
        let mut json = Vec::with_capacity(64 + tree.len() * 160);
        write_view_snapshot(&tree, timestamp_ms, partial, changes, &mut json);
        self.counters.snapshots += 1;
        if partial {
            self.counters.partial += 1;
        }
        if let Some(old) = self.last.replace(tree) {
            old.recycle(&mut self.spare);
        }
        self.last_sent_ms = Some(timestamp_ms);
        Some(Snapshot {
            timestamp_ms,
            partial,
            json,
        })
    }
}

#[cfg(test)]
mod equivalence;
#[cfg(test)]
mod tests;
