//! Incremental hierarchy snapshots: what changed between two consecutive view trees.
//!
//! Trees are kept the way the shims report them: flat, in pre-order, each node naming its
//! parent's index. That makes the common case, a screen whose structure did not change, a
//! single linear pass comparing node `i` of the old tree with node `i` of the new one (same id
//! and same parent means same place), with no maps and no allocation beyond the output list.
//! Only when the structure differs does the differ build an id index and children lists.
//!
//! A [`Diff`] names nodes by index into the new tree (cheap to produce); [`Diff::materialize`]
//! turns it into owned [`Mutations`] (rrweb-style adds / removes / updates plus the children
//! order of every parent whose child list changed), which [`apply`] replays onto the old tree.
//! Moves and reparenting need no special case: they show up as children-order changes.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use xxhash_rust::xxh3::xxh3_64;

/// Hasher for node ids: one multiply (Fibonacci hashing). Ids are either already hashes
/// (hierarchy derives them with xxh3) or small integers from the shim; SipHash's DoS
/// resistance buys nothing for a tree the app itself reports, and costs most of a diff.
#[derive(Default, Clone, Copy)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, id: u64) {
        self.0 = (self.0 ^ id).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type IdBuild = BuildHasherDefault<IdHasher>;
type IdSet = HashSet<u64, IdBuild>;
type IdMap<V> = HashMap<u64, V, IdBuild>;

/// Children lists of a whole tree in one allocation: node `i`'s child ids, in order, are
/// `ids[start[i]..start[i + 1]]`.
struct Children {
    start: Vec<u32>,
    ids: Vec<u64>,
}

impl Children {
    fn of(&self, i: usize) -> &[u64] {
        &self.ids[self.start[i] as usize..self.start[i + 1] as usize]
    }
}

/// Visual style a wireframe node may carry (the subset replay uses).
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct Style {
    #[serde(skip_serializing_if = "Option::is_none", rename = "backgroundColor")]
    pub background: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", rename = "fontSize")]
    pub font_size: Option<f32>,
}

/// One node of a tree. `parent` is an index into the same tree (pre-order, so always smaller).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Node {
    pub id: u64,
    pub parent: Option<u32>,
    /// Wireframe type: `text`, `image`, `input`, `view`, … (for hierarchy: the node kind).
    pub kind: String,
    /// Platform class name, when known.
    pub class_name: String,
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
    /// Display text (never the content of an input: see `hierarchy`).
    pub text: Option<String>,
    pub style: Option<Style>,
    pub masked: bool,
    pub test_id: Option<String>,
    /// Length of an input's text, instead of its content.
    pub text_length: Option<u32>,
}

impl Node {
    /// A 64-bit fingerprint of every attribute except id and parent, written into `buf`
    /// (reused) and hashed with xxh3. Computed once when a tree is built, so diffing compares
    /// one word per node instead of chasing five heap strings in both trees. Floats enter by
    /// bits (an unchanged NaN is not an update); every variable-length field is
    /// length-prefixed so field boundaries cannot alias.
    fn signature(&self, buf: &mut Vec<u8>) -> u64 {
        fn text(buf: &mut Vec<u8>, s: Option<&str>) {
            match s {
                None => buf.push(0),
                Some(s) => {
                    buf.push(1);
                    buf.extend_from_slice(&(s.len() as u64).to_le_bytes());
                    buf.extend_from_slice(s.as_bytes());
                }
            }
        }
        buf.clear();
        for f in [self.x, self.y, self.width, self.height] {
            buf.extend_from_slice(&f.to_bits().to_le_bytes());
        }
        buf.push(self.masked as u8);
        match self.text_length {
            None => buf.push(0),
            Some(n) => {
                buf.push(1);
                buf.extend_from_slice(&n.to_le_bytes());
            }
        }
        text(buf, Some(&self.kind));
        text(buf, Some(&self.class_name));
        text(buf, self.text.as_deref());
        text(buf, self.test_id.as_deref());
        match &self.style {
            None => buf.push(0),
            Some(st) => {
                buf.push(1);
                text(buf, st.background.as_deref());
                text(buf, st.color.as_deref());
                match st.font_size {
                    None => buf.push(0),
                    Some(f) => {
                        buf.push(1);
                        buf.extend_from_slice(&f.to_bits().to_le_bytes());
                    }
                }
            }
        }
        xxh3_64(buf)
    }
}

/// A validated tree: pre-order, unique ids, one root (or empty).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tree {
    nodes: Vec<Node>,
    /// Parallel to `nodes`, packed so the stable-structure check is a pair of memcmps:
    /// ids, parent indices (`u32::MAX` for the root) and attribute signatures.
    ids: Vec<u64>,
    parents: Vec<u32>,
    sigs: Vec<u64>,
}

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum TreeError {
    #[error("node {index}: the first node must be the root and only it has no parent")]
    Root { index: usize },
    #[error("node {index} names parent {parent}, which is not an open ancestor (not pre-order)")]
    NotPreOrder { index: usize, parent: u32 },
    #[error("node id {id} appears twice")]
    DuplicateId { id: u64 },
}

/// Checks that `parents` (one per node, in order) describe a pre-order tree: the first node
/// is the root and the only one without a parent, and every other node's parent is one of
/// its open ancestors. `open` is scratch (cleared first).
pub fn check_pre_order(
    parents: impl Iterator<Item = Option<u32>>,
    open: &mut Vec<u32>,
) -> Result<(), TreeError> {
    open.clear();
    for (index, parent) in parents.enumerate() {
        match (index, parent) {
            (0, None) => {}
            (_, None) | (0, Some(_)) => return Err(TreeError::Root { index }),
            (_, Some(p)) => {
                while open.last().is_some_and(|&top| top != p) {
                    open.pop();
                }
                if open.is_empty() {
                    return Err(TreeError::NotPreOrder { index, parent: p });
                }
            }
        }
        open.push(index as u32);
    }
    Ok(())
}

impl Tree {
    /// Checks the invariants the differ relies on.
    pub fn new(nodes: Vec<Node>) -> Result<Self, TreeError> {
        check_pre_order(nodes.iter().map(|n| n.parent), &mut Vec::new())?;
        let mut ids = IdSet::with_capacity_and_hasher(nodes.len(), IdBuild::default());
        for n in &nodes {
            if !ids.insert(n.id) {
                return Err(TreeError::DuplicateId { id: n.id });
            }
        }
        let mut buf = Vec::with_capacity(256);
        Ok(Self {
            ids: nodes.iter().map(|n| n.id).collect(),
            parents: nodes.iter().map(|n| n.parent.unwrap_or(u32::MAX)).collect(),
            sigs: nodes.iter().map(|n| n.signature(&mut buf)).collect(),
            nodes,
        })
    }

    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn root_id(&self) -> Option<u64> {
        self.nodes.first().map(|n| n.id)
    }

    /// The tree's ids and parents, as the differ compares them.
    pub fn shape(&self) -> Shape<'_> {
        Shape {
            ids: &self.ids,
            parents: &self.parents,
        }
    }
}

/// What the differ needs of a tree besides its attributes: node ids and parent indices
/// (`u32::MAX` for the root), parallel, in pre-order, ids unique. [`Tree`] has one; so does
/// the hierarchy's own frame tree, which compares attributes without hashing them.
#[derive(Debug, Clone, Copy)]
pub struct Shape<'a> {
    pub ids: &'a [u64],
    pub parents: &'a [u32],
}

impl Shape<'_> {
    fn root_id(&self) -> Option<u64> {
        self.ids.first().copied()
    }

    fn same_structure(&self, other: &Shape) -> bool {
        self.ids == other.ids && self.parents == other.parents
    }

    /// Children ids per node, in order (a counting sort by parent: pre-order keeps
    /// siblings in order).
    fn children(&self) -> Children {
        let n = self.ids.len();
        let mut start = vec![0u32; n + 1];
        for &p in self.parents {
            if p != u32::MAX {
                start[p as usize + 1] += 1;
            }
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut ids = vec![0u64; start[n] as usize];
        for (&p, &id) in self.parents.iter().zip(self.ids) {
            if p != u32::MAX {
                ids[fill[p as usize] as usize] = id;
                fill[p as usize] += 1;
            }
        }
        Children { start, ids }
    }
}

/// What changed, by index into the new tree (removals by id: they are not in it).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Diff {
    pub added: Vec<u32>,
    pub removed: Vec<u64>,
    pub updated: Vec<u32>,
    /// Parents (index into the new tree) whose ordered child-id list differs from before,
    /// including every added node that has children.
    pub reordered: Vec<u32>,
    /// The root id changed (or the tree became empty / non-empty).
    pub root_changed: bool,
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.updated.is_empty()
            && self.reordered.is_empty()
            && !self.root_changed
    }

    fn clear(&mut self) {
        self.added.clear();
        self.removed.clear();
        self.updated.clear();
        self.reordered.clear();
        self.root_changed = false;
    }

    /// rrweb-style mutations naming the new tree's nodes by reference: nothing is copied,
    /// so the cost is the lists themselves (the serialiser or a replay applies them).
    pub fn materialize<'a>(&self, new: &'a Tree) -> Mutations<&'a Node> {
        self.materialize_with(new.shape(), |i| &new.nodes[i])
    }

    /// [`Diff::materialize`] for any tree: `node(i)` names node `i` of the new tree the way
    /// the caller wants it in the lists.
    pub fn materialize_with<N>(&self, new: Shape, node: impl Fn(usize) -> N) -> Mutations<N> {
        let children = if self.reordered.is_empty() {
            None
        } else {
            Some(new.children())
        };
        let parent_id = |i: usize| match new.parents[i] {
            u32::MAX => None,
            p => Some(new.ids[p as usize]),
        };
        Mutations {
            root: new.root_id(),
            adds: self
                .added
                .iter()
                .map(|&i| (parent_id(i as usize), node(i as usize)))
                .collect(),
            removes: self.removed.clone(),
            updates: self.updated.iter().map(|&i| node(i as usize)).collect(),
            order: self
                .reordered
                .iter()
                .filter_map(|&i| {
                    let kids = children.as_ref()?.of(i as usize).to_vec();
                    Some((new.ids[i as usize], kids))
                })
                .collect(),
        }
    }
}

/// Reusable differ: keeps its scratch maps between calls so steady-state diffing does not
/// allocate.
#[derive(Debug, Default)]
pub struct Differ {
    index: IdMap<u32>,
    new_ids: IdSet,
}

impl Differ {
    pub fn new() -> Self {
        Self::default()
    }

    /// Computes `old → new` into `out` (cleared first).
    pub fn diff(&mut self, old: &Tree, new: &Tree, out: &mut Diff) {
        self.diff_shapes(
            old.shape(),
            new.shape(),
            |i, j| old.sigs[i] == new.sigs[j],
            out,
        );
    }

    /// Computes `old → new` into `out` (cleared first) for any pair of trees:
    /// `same_attrs(i, j)` says whether node `i` of the old tree and node `j` of the new one
    /// (same id) have the same attributes. When the structure is unchanged this is one pass
    /// calling it for each index; otherwise ids are matched through a map first.
    pub fn diff_shapes(
        &mut self,
        old: Shape,
        new: Shape,
        mut same_attrs: impl FnMut(usize, usize) -> bool,
        out: &mut Diff,
    ) {
        out.clear();
        if old.same_structure(&new) {
            // Same structure: only attributes can differ.
            for j in 0..new.ids.len() {
                if !same_attrs(j, j) {
                    out.updated.push(j as u32);
                }
            }
            return;
        }
        out.root_changed = old.root_id() != new.root_id();
        self.index.clear();
        self.index
            .extend(old.ids.iter().enumerate().map(|(i, &id)| (id, i as u32)));
        self.new_ids.clear();
        self.new_ids.extend(new.ids.iter().copied());
        let (old_children, new_children) = (old.children(), new.children());
        for (j, id) in new.ids.iter().enumerate() {
            match self.index.get(id) {
                None => {
                    out.added.push(j as u32);
                    if !new_children.of(j).is_empty() {
                        out.reordered.push(j as u32);
                    }
                }
                Some(&i) => {
                    if !same_attrs(i as usize, j) {
                        out.updated.push(j as u32);
                    }
                    if old_children.of(i as usize) != new_children.of(j) {
                        out.reordered.push(j as u32);
                    }
                }
            }
        }
        out.removed.extend(
            old.ids
                .iter()
                .copied()
                .filter(|id| !self.new_ids.contains(id)),
        );
    }
}

/// rrweb-like changes, each node named as the caller chose (`&Node` for a [`Tree`]); a
/// node's own `parent` index is meaningless here, the parent id travels beside it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Mutations<N> {
    pub root: Option<u64>,
    /// (parent id, node attributes) for each new node.
    pub adds: Vec<(Option<u64>, N)>,
    pub removes: Vec<u64>,
    /// New attributes of nodes whose attributes changed.
    pub updates: Vec<N>,
    /// (parent id, ordered child ids) for each parent whose children changed.
    pub order: Vec<(u64, Vec<u64>)>,
}

impl<N> Mutations<N> {
    pub fn is_empty(&self) -> bool {
        self.adds.is_empty()
            && self.removes.is_empty()
            && self.updates.is_empty()
            && self.order.is_empty()
    }
}

mod apply;
pub use apply::{apply, ApplyError};

#[cfg(test)]
mod tests;
