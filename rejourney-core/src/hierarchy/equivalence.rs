//! The fast path ([`ViewTree`]: list moved in, ids reused, attributes compared field by
//! field) against the reference path ([`tree_from_nodes`]: strings copied, every attribute
//! hashed, [`Differ::diff`], [`write_snapshot`]) on random frame sequences (test-only).
//! Frames are edits of the previous one most of the time, so the id-reuse and stable
//! structure paths are taken as well as the structural one; node lists include shim ids
//! that collide, missing ids, NaN and -0.0 coordinates, short masked lists and broken
//! parent links. Each frame's strings come through a string table the way a shim sends
//! them: mostly one table that grows, sometimes a new table (the same strings at other
//! indices), sometimes a table that holds duplicates (one string at several indices).

use proptest::prelude::*;

use super::*;
use crate::diff::Tree;
use crate::frame::Rect;
use crate::masks::ViewNode;
use crate::strings::{Interner, StringLimits, StringTable, Strings, Sym};

/// The strings frames name; the generated nodes name them by these indices, and each frame
/// renames them into its table ([`Tables::list`]).
const NAMES: [&str; 5] = [
    "UILabel",
    "UIView",
    "android.widget.TextView",
    "t",
    "é \"q\"",
];
const XS: [f32; 4] = [0.0, 1.5, f32::NAN, -0.0];
const KINDS: [NodeKind; 3] = [NodeKind::Container, NodeKind::Text, NodeKind::TextInput];

/// One node's attributes from a few small choices (so frames often agree).
fn node(parent: Option<u32>, pick: [u8; 7]) -> ViewNode {
    let [id, class, x, kind, test_id, len, _] = pick;
    ViewNode {
        parent,
        id: (id % 4 != 0).then_some(u64::from(id % 6)),
        class_name: Sym(u32::from(class % 3)),
        frame: Rect::new(XS[x as usize % 4], 2.0, 10.0, 10.0),
        kind: KINDS[kind as usize % 3],
        test_id: [None, Some(Sym(3)), Some(Sym(4))][test_id as usize % 3],
        text_length: (len % 3 == 0).then_some(u32::from(len)),
        ..ViewNode::default()
    }
}

/// A pre-order list: node i (i > 0) under a random earlier node, re-emitted depth first.
fn arb_list() -> impl Strategy<Value = Vec<ViewNode>> {
    proptest::collection::vec((any::<prop::sample::Index>(), any::<[u8; 7]>()), 0..16).prop_map(
        |spec| {
            let len = spec.len();
            let mut kids = vec![Vec::new(); len];
            for (i, (p, _)) in spec.iter().enumerate().skip(1) {
                kids[p.index(i)].push(i);
            }
            let mut out = Vec::with_capacity(len);
            let mut stack: Vec<(usize, Option<u32>)> =
                if len > 0 { vec![(0, None)] } else { vec![] };
            while let Some((i, parent)) = stack.pop() {
                let index = out.len() as u32;
                out.push(node(parent, spec[i].1));
                stack.extend(kids[i].iter().rev().map(|&c| (c, Some(index))));
            }
            out
        },
    )
}

/// How the next frame comes from the previous one.
#[derive(Debug, Clone)]
enum Step {
    /// A different screen.
    Fresh(Vec<ViewNode>),
    /// The same screen with some attributes (or ids, classes, parent links) changed.
    Edit(Vec<(prop::sample::Index, [u8; 7])>),
    /// Identical.
    Same,
}

fn arb_step() -> impl Strategy<Value = Step> {
    prop_oneof![
        1 => arb_list().prop_map(Step::Fresh),
        4 => proptest::collection::vec(any::<(prop::sample::Index, [u8; 7])>(), 0..4).prop_map(Step::Edit),
        2 => Just(Step::Same),
    ]
}

fn apply_step(prev: &[ViewNode], step: &Step) -> Vec<ViewNode> {
    match step {
        Step::Fresh(list) => list.clone(),
        Step::Same => prev.to_vec(),
        Step::Edit(edits) => {
            let mut next = prev.to_vec();
            for (at, pick) in edits {
                if next.is_empty() {
                    break;
                }
                let i = at.index(next.len());
                let mut n = node(next[i].parent, *pick);
                match pick[6] % 8 {
                    // Only an attribute: keep id and class (the stable-structure path).
                    0..=3 => {
                        n.id = next[i].id;
                        n.class_name = next[i].class_name;
                    }
                    // A broken parent link (forward, self, or a second root).
                    4 => n.parent = [None, Some(i as u32), Some(u32::MAX)][pick[0] as usize % 3],
                    _ => {}
                }
                next[i] = n;
            }
            next
        }
    }
}

/// The shim's table and the core's copy, across frames.
struct Tables {
    shim: Interner,
    core: StringTable,
}

impl Tables {
    fn new() -> Self {
        Self {
            shim: Interner::with_table(1),
            core: StringTable::new(StringLimits::default()),
        }
    }

    /// The frame's nodes (naming [`NAMES`]) as the core receives them. `seed` picks how the
    /// strings travel: the same growing table (most often), a new table, or a one-off table
    /// with a separate copy of each string for each node.
    fn list(&mut self, nodes_in: &[ViewNode], seed: u8) -> NodeList {
        let nodes = nodes_in;
        let name = |s: Sym| NAMES[s.0 as usize];
        match seed % 6 {
            5 => {
                let mut strings = Vec::new();
                let mut own = |s: Sym| {
                    strings.push(name(s).to_owned());
                    Sym(strings.len() as u32 - 1)
                };
                let nodes = nodes
                    .iter()
                    .map(|n| ViewNode {
                        class_name: own(n.class_name),
                        test_id: n.test_id.map(&mut own),
                        ..*n
                    })
                    .collect();
                NodeList {
                    nodes,
                    strings: Strings::from_vec(strings),
                }
            }
            k => {
                if k == 4 {
                    self.shim.reset();
                }
                let shim = &mut self.shim;
                let nodes: Vec<ViewNode> = nodes
                    .iter()
                    .map(|n| ViewNode {
                        class_name: shim.intern(name(n.class_name)),
                        test_id: n.test_id.map(|t| shim.intern(name(t))),
                        ..*n
                    })
                    .collect();
                let strings = self.core.apply(shim.take_update()).expect("in step");
                // The core's table names what the shim meant.
                let before = nodes_named(nodes_in, &NAMES.map(str::to_owned));
                assert_eq!(nodes_named(&nodes, &strings), before);
                NodeList { nodes, strings }
            }
        }
    }
}

/// Each node's class name and test id, as the table resolves them.
fn nodes_named(nodes: &[ViewNode], table: &impl Lookup) -> Vec<(String, Option<String>)> {
    nodes
        .iter()
        .map(|n| (table.name(n.class_name), n.test_id.map(|t| table.name(t))))
        .collect()
}

trait Lookup {
    fn name(&self, s: Sym) -> String;
}

impl Lookup for Strings {
    fn name(&self, s: Sym) -> String {
        self.get(s).expect("the table has it").to_owned()
    }
}

impl Lookup for [String; 5] {
    fn name(&self, s: Sym) -> String {
        self[s.0 as usize].clone()
    }
}

/// Masked flags, sometimes fewer than nodes (the rest count as masked).
fn masked_for(nodes: &[ViewNode], seed: u8) -> Vec<bool> {
    let keep = if matches!(seed % 5, 0) {
        nodes.len() / 2
    } else {
        nodes.len()
    };
    (0..keep)
        .map(|i| matches!((i as u8 ^ seed) % 3, 0))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn fast_path_matches_the_reference_frame_by_frame(
        first in arb_list(),
        steps in proptest::collection::vec((arb_step(), any::<u8>()), 1..8),
        max_nodes in prop_oneof![Just(usize::MAX), 1usize..12],
    ) {
        let (mut ref_last, mut fast_last): (Option<Tree>, Option<ViewTree>) = (None, None);
        let (mut ref_differ, mut fast_differ) = (Differ::new(), Differ::new());
        let (mut ref_diff, mut fast_diff) = (Diff::default(), Diff::default());
        let mut spare = Spare::default();
        let mut tables = Tables::new();
        let mut nodes = first;
        for (k, (step, seed)) in steps.iter().enumerate() {
            if k > 0 {
                nodes = apply_step(&nodes, step);
            }
            let masked = masked_for(&nodes, *seed);
            let list = tables.list(&nodes, seed / 5);
            let reference = tree_from_nodes(&list, &masked, max_nodes);
            let fast = ViewTree::build(list, masked, max_nodes, fast_last.as_ref(), &mut spare);
            let ((rt, rtrunc), (ft, ftrunc)) = match (reference, fast) {
                (Err(a), Err(b)) => { prop_assert_eq!(a, b); continue; }
                (Ok(r), Ok(f)) => (r, f),
                (r, f) => return Err(TestCaseError::fail(format!("{r:?} vs {f:?}"))),
            };
            prop_assert_eq!(rtrunc, ftrunc);
            prop_assert_eq!(rt.shape().ids, ft.shape().ids, "ids");
            prop_assert_eq!(rt.shape().parents, ft.shape().parents);
            if let (Some(r), Some(f)) = (&ref_last, &fast_last) {
                ref_differ.diff(r, &rt, &mut ref_diff);
                ViewTree::diff(f, &ft, &mut fast_differ, &mut fast_diff);
                prop_assert_eq!(&ref_diff, &fast_diff);
                let (rm, fm) = (ref_diff.materialize(&rt), ft.mutations(&fast_diff));
                let ids = |v: &[ViewRef]| v.iter().map(|n| n.id).collect::<Vec<_>>();
                prop_assert_eq!(rm.root, fm.root);
                prop_assert_eq!(&rm.removes, &fm.removes);
                prop_assert_eq!(&rm.order, &fm.order);
                prop_assert_eq!(rm.updates.iter().map(|n| n.id).collect::<Vec<_>>(), ids(&fm.updates));
                prop_assert_eq!(
                    rm.adds.iter().map(|(p, n)| (*p, n.id)).collect::<Vec<_>>(),
                    fm.adds.iter().map(|(p, n)| (*p, n.id)).collect::<Vec<_>>()
                );
            }
            let changes = ref_last.is_some().then_some(&ref_diff);
            let (mut rj, mut fj) = (Vec::new(), Vec::new());
            write_snapshot(&rt, 7, rtrunc, changes, &mut rj);
            write_view_snapshot(&ft, 7, ftrunc, changes, &mut fj);
            prop_assert_eq!(String::from_utf8_lossy(&rj), String::from_utf8_lossy(&fj));
            ref_last = Some(rt);
            if let Some(old) = fast_last.replace(ft) {
                old.recycle(&mut spare);
            }
        }
    }

    /// The recorder (fast path, rate limit, diff against the last tree *sent*) produces the
    /// bytes the reference recorder of before produced, frame by frame.
    #[test]
    fn recorder_output_matches_the_reference_recorder(
        first in arb_list(),
        steps in proptest::collection::vec((arb_step(), any::<u8>(), 0u64..1_500), 1..10),
    ) {
        let cfg = HierarchyConfig { max_nodes: 10, ..HierarchyConfig::default() };
        let mut fast = Recorder::new(cfg.clone());
        let mut reference = ReferenceRecorder { cfg, last: None, last_sent_ms: None };
        let (mut nodes, mut now) = (first, 0);
        let mut tables = Tables::new();
        for (k, (step, seed, dt)) in steps.iter().enumerate() {
            if k > 0 {
                nodes = apply_step(&nodes, step);
            }
            now += dt;
            let masked = masked_for(&nodes, *seed);
            let list = tables.list(&nodes, seed / 5);
            let want = reference.observe(&list, &masked, now, seed % 7 == 0);
            let got = fast.observe_owned(list, masked.clone(), now, seed % 7 == 0);
            prop_assert_eq!(got, want);
        }
    }
}

/// The recorder as it was before the fast path: every frame through [`tree_from_nodes`].
struct ReferenceRecorder {
    cfg: HierarchyConfig,
    last: Option<Tree>,
    last_sent_ms: Option<u64>,
}

impl ReferenceRecorder {
    fn observe(
        &mut self,
        nodes: &NodeList,
        masked: &[bool],
        ts: u64,
        partial: bool,
    ) -> Option<Snapshot> {
        let (tree, truncated) = tree_from_nodes(nodes, masked, self.cfg.max_nodes).ok()?;
        let partial = partial || truncated;
        let mut diff = Diff::default();
        let changes = match &self.last {
            None => None,
            Some(last) => {
                Differ::new().diff(last, &tree, &mut diff);
                if diff.is_empty() {
                    return None;
                }
                Some(&diff)
            }
        };
        if self
            .last_sent_ms
            .is_some_and(|sent| ts.saturating_sub(sent) < self.cfg.min_interval_ms)
        {
            return None;
        }
        let mut json = Vec::new();
        write_snapshot(&tree, ts, partial, changes, &mut json);
        self.last = Some(tree);
        self.last_sent_ms = Some(ts);
        Some(Snapshot {
            timestamp_ms: ts,
            partial,
            json,
        })
    }
}
