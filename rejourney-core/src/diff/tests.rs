//! Differ tests (test-only).

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
