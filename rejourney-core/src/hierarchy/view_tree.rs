//! The tree the recorder keeps per frame: the shim's node list itself, moved in (its strings
//! are indices into the frame's shared [`Strings`], so there is nothing to copy or free per
//! node), plus packed ids and parent indices for the differ.
//!
//! Building the reference [`Tree`](crate::diff::Tree) copied every class name and test id
//! into owned nodes and hashed every attribute; on a 781-node screen that was most of the
//! per-frame cost (see `benches/RESULTS.md`). Here:
//! - ids are reused from the previous tree when every node has the same shim id (or, for a
//!   node without one, the same class) and the same parent as the node at its index there:
//!   ids are a function of exactly those inputs ([`derive_ids`]), so the reuse is exact, and
//!   the parent links were already validated;
//! - attributes are compared field by field between the two trees' nodes, only for the
//!   nodes the differ pairs up, instead of hashing every attribute of every node;
//! - the packed arrays of trees no longer needed are kept in a [`Spare`] and reused.
//!
//! The result (ids, diff, snapshot bytes) is the reference path's, node for node; the tests
//! in `hierarchy::tests` check it on random trees and frame sequences.

use super::ids::derive_ids;
use crate::diff::{check_pre_order, Diff, Differ, Mutations, Shape, TreeError};
use crate::masks::{NodeList, ViewNode};
use crate::strings::{Strings, Sym};

/// One frame's view tree: pre-order, unique ids, one root (or empty).
#[derive(Debug, Default)]
pub struct ViewTree {
    nodes: Vec<ViewNode>,
    strings: Strings,
    /// Parallel to `nodes` (a missing flag from the caller counts as masked).
    masked: Vec<bool>,
    ids: Vec<u64>,
    /// Parent indices, `u32::MAX` for the root.
    parents: Vec<u32>,
}

/// Arrays of trees no longer needed, reused by the next build so that steady state allocates
/// no packed arrays.
#[derive(Debug, Default)]
pub struct Spare {
    ids: Vec<u64>,
    parents: Vec<u32>,
    open: Vec<u32>,
}

/// A node of a [`ViewTree`] as the snapshot and the mutation lists name it.
#[derive(Debug, Clone, Copy)]
pub struct ViewRef<'a> {
    pub id: u64,
    pub node: &'a ViewNode,
    pub masked: bool,
    /// The frame's strings, which the node names.
    pub strings: &'a Strings,
}

impl<'a> ViewRef<'a> {
    /// A string the node names ("" if the table lacks it: trees are built only from node
    /// lists whose strings were checked).
    pub fn str(&self, sym: Sym) -> &'a str {
        self.strings.get(sym).unwrap_or("")
    }
}

/// Whether the node keeps the id it had at the same index of the previous tree, given that
/// every node before it did: same parent, and the same shim id (or no shim id and the same
/// class, from which the id is derived).
fn same_identity(old: &ViewNode, os: &Strings, new: &ViewNode, ns: &Strings) -> bool {
    old.parent == new.parent
        && match (old.id, new.id) {
            (Some(a), Some(b)) => a == b,
            (None, None) => os.same(old.class_name, ns, new.class_name),
            _ => false,
        }
}

/// Coordinates as the snapshot writes them (not finite → 0), by bits: an unchanged NaN is
/// not an update, and `-0.0` → `0.0` is (the reference compares the same bits).
fn frame_bits(n: &ViewNode) -> [u32; 4] {
    let f = |v: f32| if v.is_finite() { v } else { 0.0 }.to_bits();
    [
        f(n.frame.x),
        f(n.frame.y),
        f(n.frame.width),
        f(n.frame.height),
    ]
}

impl ViewTree {
    /// Takes the shim's node list (cut to `max_nodes`; the flag says it was) and its masked
    /// flags, and checks the invariants the differ relies on. `prev` is any earlier valid
    /// tree: when the list has its ids, its ids are reused instead of derived again.
    pub fn build(
        list: NodeList,
        mut masked: Vec<bool>,
        max_nodes: usize,
        prev: Option<&ViewTree>,
        spare: &mut Spare,
    ) -> Result<(Self, bool), TreeError> {
        let NodeList { mut nodes, strings } = list;
        let truncated = nodes.len() > max_nodes;
        nodes.truncate(max_nodes);
        // Privacy fails closed: a node without a flag is shown as masked.
        masked.resize(nodes.len(), true);
        let mut ids = std::mem::take(&mut spare.ids);
        let mut parents = std::mem::take(&mut spare.parents);
        parents.clear();
        parents.extend(nodes.iter().map(|n| n.parent.unwrap_or(u32::MAX)));
        let same_ids = prev.is_some_and(|p| {
            p.nodes.len() == nodes.len()
                && p.nodes
                    .iter()
                    .zip(&nodes)
                    .all(|(a, b)| same_identity(a, &p.strings, b, &strings))
        });
        match prev {
            Some(p) if same_ids => {
                ids.clear();
                ids.extend_from_slice(&p.ids);
            }
            _ => {
                check_pre_order(nodes.iter().map(|n| n.parent), &mut spare.open)?;
                derive_ids(&nodes, &strings, &mut ids);
            }
        }
        let tree = Self {
            nodes,
            strings,
            masked,
            ids,
            parents,
        };
        Ok((tree, truncated))
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The nodes in order, with their ids and masked flags.
    pub fn iter(&self) -> impl Iterator<Item = ViewRef<'_>> {
        (0..self.nodes.len()).map(|i| self.get(i))
    }

    fn get(&self, i: usize) -> ViewRef<'_> {
        ViewRef {
            id: self.ids[i],
            node: &self.nodes[i],
            masked: self.masked[i],
            strings: &self.strings,
        }
    }

    pub fn shape(&self) -> Shape<'_> {
        Shape {
            ids: &self.ids,
            parents: &self.parents,
        }
    }

    /// Whether node `i` here and node `j` of `other` show the same attributes in a
    /// snapshot (kind, class, frame, masked, test id, text length): field by field, cheapest
    /// first.
    fn same_attrs(&self, i: usize, other: &Self, j: usize) -> bool {
        let (a, b) = (&self.nodes[i], &other.nodes[j]);
        self.masked[i] == other.masked[j]
            && a.kind == b.kind
            && a.text_length == b.text_length
            && frame_bits(a) == frame_bits(b)
            && self
                .strings
                .same(a.class_name, &other.strings, b.class_name)
            && self.strings.same_opt(a.test_id, &other.strings, b.test_id)
    }

    /// Computes `old → new` into `out`, exactly as the reference differ would on the
    /// reference trees of the same nodes.
    pub fn diff(old: &Self, new: &Self, differ: &mut Differ, out: &mut Diff) {
        differ.diff_shapes(
            old.shape(),
            new.shape(),
            |i, j| old.same_attrs(i, new, j),
            out,
        );
    }

    /// The rrweb-style mutation lists of `diff` (computed into this tree), naming nodes by
    /// reference.
    pub fn mutations(&self, diff: &Diff) -> Mutations<ViewRef<'_>> {
        diff.materialize_with(self.shape(), |i| self.get(i))
    }

    /// The frame's strings, which the nodes name.
    pub fn strings(&self) -> &Strings {
        &self.strings
    }

    /// Frees the node list and keeps the packed arrays for the next build.
    pub fn recycle(self, spare: &mut Spare) {
        spare.ids = self.ids;
        spare.parents = self.parents;
    }
}
