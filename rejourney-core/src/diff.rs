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

impl Tree {
    /// Checks the invariants the differ relies on.
    pub fn new(nodes: Vec<Node>) -> Result<Self, TreeError> {
        let mut ids = IdSet::with_capacity_and_hasher(nodes.len(), IdBuild::default());
        // Open ancestors of the current node: pre-order means a node's parent is on it.
        let mut open: Vec<u32> = Vec::new();
        for (index, n) in nodes.iter().enumerate() {
            match (index, n.parent) {
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

    /// Children ids per node, in order (a counting sort by parent: pre-order keeps
    /// siblings in order).
    fn children(&self) -> Children {
        let n = self.ids.len();
        let mut start = vec![0u32; n + 1];
        for &p in &self.parents {
            if p != u32::MAX {
                start[p as usize + 1] += 1;
            }
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut ids = vec![0u64; start[n] as usize];
        for (&p, &id) in self.parents.iter().zip(&self.ids) {
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
    pub fn materialize<'a>(&self, new: &'a Tree) -> Mutations<'a> {
        let children = if self.reordered.is_empty() {
            None
        } else {
            Some(new.children())
        };
        let node = |i: &u32| &new.nodes[*i as usize];
        Mutations {
            root: new.root_id(),
            adds: self
                .added
                .iter()
                .map(|i| (node(i).parent.map(|p| new.ids[p as usize]), node(i)))
                .collect(),
            removes: self.removed.clone(),
            updates: self.updated.iter().map(node).collect(),
            order: self
                .reordered
                .iter()
                .filter_map(|i| {
                    let kids = children.as_ref()?.of(*i as usize).to_vec();
                    Some((new.ids[*i as usize], kids))
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
        out.clear();
        if old.ids == new.ids && old.parents == new.parents {
            // Same structure: only attributes can differ.
            for (j, (o, n)) in old.sigs.iter().zip(&new.sigs).enumerate() {
                if o != n {
                    out.updated.push(j as u32);
                }
            }
            return;
        }
        out.clear();
        self.structural(old, new, out);
    }

    fn structural(&mut self, old: &Tree, new: &Tree, out: &mut Diff) {
        let (a, b) = (&old.nodes, &new.nodes);
        out.root_changed = old.root_id() != new.root_id();
        self.index.clear();
        self.index
            .extend(a.iter().enumerate().map(|(i, n)| (n.id, i as u32)));
        self.new_ids.clear();
        self.new_ids.extend(b.iter().map(|n| n.id));
        let (old_children, new_children) = (old.children(), new.children());
        for (j, n) in b.iter().enumerate() {
            match self.index.get(&n.id) {
                None => {
                    out.added.push(j as u32);
                    if !new_children.of(j).is_empty() {
                        out.reordered.push(j as u32);
                    }
                }
                Some(&i) => {
                    if old.sigs[i as usize] != new.sigs[j] {
                        out.updated.push(j as u32);
                    }
                    if old_children.of(i as usize) != new_children.of(j) {
                        out.reordered.push(j as u32);
                    }
                }
            }
        }
        out.removed.extend(
            a.iter()
                .map(|n| n.id)
                .filter(|id| !self.new_ids.contains(id)),
        );
    }
}

/// rrweb-like changes (node attributes borrowed from the new tree; a node's own `parent`
/// index is meaningless here, the parent id travels beside it).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Mutations<'a> {
    pub root: Option<u64>,
    /// (parent id, node attributes) for each new node.
    pub adds: Vec<(Option<u64>, &'a Node)>,
    pub removes: Vec<u64>,
    /// New attributes of nodes whose attributes changed.
    pub updates: Vec<&'a Node>,
    /// (parent id, ordered child ids) for each parent whose children changed.
    pub order: Vec<(u64, Vec<u64>)>,
}

impl Mutations<'_> {
    pub fn is_empty(&self) -> bool {
        self.adds.is_empty()
            && self.removes.is_empty()
            && self.updates.is_empty()
            && self.order.is_empty()
    }
}

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum ApplyError {
    #[error("mutations name node {0}, which neither tree has")]
    UnknownNode(u64),
    #[error("the result is not a tree: {0}")]
    Invalid(#[from] TreeError),
}

/// Replays `m` onto `old`, producing the new tree.
pub fn apply(old: &Tree, m: &Mutations) -> Result<Tree, ApplyError> {
    let old_children = old.children();
    let mut attrs: HashMap<u64, Node> = HashMap::with_capacity(old.len() + m.adds.len());
    let mut kids: HashMap<u64, Vec<u64>> = HashMap::with_capacity(old.len());
    for (i, n) in old.nodes.iter().enumerate() {
        attrs.insert(n.id, n.clone());
        kids.insert(n.id, old_children.of(i).to_vec());
    }
    for id in &m.removes {
        attrs.remove(id);
        kids.remove(id);
    }
    for (_, n) in &m.adds {
        attrs.insert(n.id, (*n).clone());
        kids.insert(n.id, Vec::new());
    }
    for n in &m.updates {
        let slot = attrs.get_mut(&n.id).ok_or(ApplyError::UnknownNode(n.id))?;
        *slot = (*n).clone();
    }
    for (parent, children) in &m.order {
        let slot = kids
            .get_mut(parent)
            .ok_or(ApplyError::UnknownNode(*parent))?;
        slot.clone_from(children);
    }
    // Rebuild pre-order from the root with an explicit stack (trees may be deep).
    let mut nodes = Vec::with_capacity(attrs.len());
    if let Some(root) = m.root {
        let mut stack: Vec<(u64, Option<u32>)> = vec![(root, None)];
        while let Some((id, parent)) = stack.pop() {
            if nodes.len() > attrs.len() {
                break; // a cycle: Tree::new reports the duplicate id below
            }
            let mut n = attrs.get(&id).cloned().ok_or(ApplyError::UnknownNode(id))?;
            n.parent = parent;
            let index = nodes.len() as u32;
            nodes.push(n);
            if let Some(children) = kids.get(&id) {
                stack.extend(children.iter().rev().map(|c| (*c, Some(index))));
            }
        }
    }
    Ok(Tree::new(nodes)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn n(id: u64, parent: Option<u32>) -> Node {
        Node {
            id,
            parent,
            kind: "view".into(),
            x: id as f32,
            ..Node::default()
        }
    }

    fn tree(spec: &[(u64, Option<u32>)]) -> Tree {
        Tree::new(spec.iter().map(|&(id, p)| n(id, p)).collect()).unwrap()
    }

    fn roundtrip(old: &Tree, new: &Tree) -> Diff {
        let mut d = Diff::default();
        Differ::new().diff(old, new, &mut d);
        let m = d.materialize(new);
        assert_eq!(&apply(old, &m).unwrap(), new, "diff {d:?}");
        d
    }

    #[test]
    fn identical_trees_have_an_empty_diff() {
        let t = tree(&[(1, None), (2, Some(0)), (3, Some(1)), (4, Some(0))]);
        assert!(roundtrip(&t, &t).is_empty());
        assert!(roundtrip(&Tree::default(), &Tree::default()).is_empty());
    }

    #[test]
    fn updates_on_a_stable_structure() {
        let old = tree(&[(1, None), (2, Some(0)), (3, Some(1))]);
        let mut nodes = old.nodes().to_vec();
        nodes[2].text = Some("changed".into());
        nodes[1].width = 9.0;
        let new = Tree::new(nodes).unwrap();
        let d = roundtrip(&old, &new);
        assert_eq!(d.updated, vec![1, 2]);
        assert!(d.added.is_empty() && d.removed.is_empty() && d.reordered.is_empty());
    }

    #[test]
    fn adds_removes_moves_and_reparenting() {
        let old = tree(&[
            (1, None),
            (2, Some(0)),
            (3, Some(1)),
            (4, Some(0)),
            (5, Some(3)),
        ]);
        // 3 moves under 4 (reparent), 5 removed, 6 added under 2, 4 and 2 swap order.
        let new = tree(&[
            (1, None),
            (4, Some(0)),
            (3, Some(1)),
            (2, Some(0)),
            (6, Some(3)),
        ]);
        let d = roundtrip(&old, &new);
        assert_eq!(d.removed, vec![5]);
        assert_eq!(d.added, vec![4]);
        assert!(!d.root_changed);
    }

    #[test]
    fn empty_and_replaced_roots() {
        let t = tree(&[(1, None), (2, Some(0))]);
        let d = roundtrip(&Tree::default(), &t);
        assert!(d.root_changed && d.added.len() == 2);
        let d = roundtrip(&t, &Tree::default());
        assert!(d.root_changed && d.removed == vec![1, 2]);
        let other = tree(&[(9, None), (2, Some(0))]);
        let d = roundtrip(&t, &other);
        assert!(d.root_changed && d.removed == vec![1] && d.added == vec![0]);
    }

    #[test]
    fn invalid_trees_are_errors() {
        assert_eq!(
            Tree::new(vec![n(1, None), n(1, Some(0))]),
            Err(TreeError::DuplicateId { id: 1 })
        );
        assert_eq!(
            Tree::new(vec![n(1, None), n(2, None)]),
            Err(TreeError::Root { index: 1 })
        );
        // Parent 1 is closed once 3 (a child of 0) opened: not pre-order.
        assert_eq!(
            Tree::new(vec![
                n(1, None),
                n(2, Some(0)),
                n(3, Some(0)),
                n(4, Some(1))
            ]),
            Err(TreeError::NotPreOrder {
                index: 3,
                parent: 1
            })
        );
    }

    /// A random tree: node i (i > 0) hangs under a random earlier node, then the list is
    /// re-emitted in pre-order. Ids are drawn from a small range so old and new overlap.
    fn arb_tree() -> impl Strategy<Value = Tree> {
        (0usize..24).prop_flat_map(|len| {
            (
                proptest::collection::vec(any::<prop::sample::Index>(), len),
                proptest::collection::vec(0u64..40, len),
                proptest::collection::vec(0u8..3, len),
            )
                .prop_map(|(parents, ids, looks)| {
                    let len = parents.len();
                    let mut kids = vec![Vec::new(); len];
                    for i in 1..len {
                        kids[parents[i].index(i)].push(i);
                    }
                    let mut seen = HashSet::new();
                    let mut nodes = Vec::new();
                    let mut stack = if len > 0 {
                        vec![(0usize, None)]
                    } else {
                        vec![]
                    };
                    while let Some((i, parent)) = stack.pop() {
                        let mut id = ids[i];
                        while !seen.insert(id) {
                            id += 40;
                        }
                        let index = nodes.len() as u32;
                        nodes.push(Node {
                            id,
                            parent,
                            kind: ["view", "text", "image"][looks[i] as usize].into(),
                            x: looks[i] as f32,
                            text: (looks[i] == 1).then(|| format!("t{id}")),
                            ..Node::default()
                        });
                        for &c in kids[i].iter().rev() {
                            stack.push((c, Some(index)));
                        }
                    }
                    Tree::new(nodes).unwrap()
                })
        })
    }

    proptest! {
        #[test]
        fn applying_the_diff_to_the_old_tree_yields_the_new(old in arb_tree(), new in arb_tree()) {
            let mut d = Diff::default();
            Differ::new().diff(&old, &new, &mut d);
            prop_assert_eq!(apply(&old, &d.materialize(&new)).unwrap(), new.clone());
            // And a tree against itself is always empty.
            Differ::new().diff(&new, &new, &mut d);
            prop_assert!(d.is_empty());
        }
    }
}
