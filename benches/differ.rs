//! The hierarchy differ on PostHog's public workload (`RRWireframeDifferBenchmarkTest`):
//! a tree of depth 4 with 5 children per node (781 nodes), ids assigned depth-first from 1,
//! `x = id*10`, `y = id*5`, 100×50; leaves are type "text" with "Hello World {id}"; every node
//! has background "#FF0000", leaves also color "#000000" and font size 14. The new tree moves
//! every node whose id % 10 == 0 by `x + 5` and changes those leaves' text to "Modified {id}".
//!
//! Same protocol as theirs: 50 warm-up diffs, then 200 timed, median and p95 reported. Three
//! stages are timed separately so nothing hides: the diff itself (index-based result), the diff
//! plus materialising owned rrweb-style mutations (what PostHog's number covers), and building
//! the validated tree from the flat node list the shim reports (our extra per-frame step).
//!
//! Run: `cargo bench --bench differ` (plain `harness = false` binary; criterion is used for the
//! pipeline benches, this one mirrors the reference protocol exactly).

use std::hint::black_box;
use std::time::Instant;

use rejourney_core::diff::{Diff, Differ, Node, Style, Tree};

const DEPTH: u32 = 4;
const CHILDREN: u32 = 5;
const WARMUP: usize = 50;
const TIMED: usize = 200;

fn build(modified: bool) -> Vec<Node> {
    fn walk(
        depth: u32,
        parent: Option<u32>,
        next_id: &mut u64,
        modified: bool,
        out: &mut Vec<Node>,
    ) {
        let id = *next_id;
        *next_id += 1;
        let leaf = depth == DEPTH;
        let changed = modified && id % 10 == 0;
        let index = out.len() as u32;
        out.push(Node {
            id,
            parent,
            kind: if leaf { "text" } else { "view" }.into(),
            x: (id * 10) as f32 + if changed { 5.0 } else { 0.0 },
            y: (id * 5) as f32,
            width: 100.0,
            height: 50.0,
            text: leaf.then(|| {
                if changed {
                    format!("Modified {id}")
                } else {
                    format!("Hello World {id}")
                }
            }),
            style: Some(Style {
                background: Some("#FF0000".into()),
                color: leaf.then(|| "#000000".into()),
                font_size: leaf.then_some(14.0),
            }),
            ..Node::default()
        });
        if !leaf {
            for _ in 0..CHILDREN {
                walk(depth + 1, Some(index), next_id, modified, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(0, None, &mut 1, modified, &mut out);
    out
}

fn measure(mut f: impl FnMut()) -> (f64, f64) {
    for _ in 0..WARMUP {
        f();
    }
    let mut us: Vec<f64> = (0..TIMED)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    us.sort_by(f64::total_cmp);
    (us[TIMED / 2], us[TIMED * 95 / 100])
}

fn main() {
    let (old_nodes, new_nodes) = (build(false), build(true));
    assert_eq!(old_nodes.len(), 781);
    let old = Tree::new(old_nodes).expect("valid tree");
    let new = Tree::new(new_nodes.clone()).expect("valid tree");
    let mut differ = Differ::new();
    let mut diff = Diff::default();

    differ.diff(&old, &new, &mut diff);
    let m = diff.materialize(&new);
    // 781 nodes, ids 10, 20, … 780 changed: 78 updates, nothing added or removed.
    assert_eq!((m.adds.len(), m.removes.len(), m.updates.len()), (0, 0, 78));

    println!("hierarchy differ, PostHog workload (781 nodes, 78 updates), {WARMUP} warm-up + {TIMED} timed");
    let (p50, p95) = measure(|| differ.diff(black_box(&old), black_box(&new), &mut diff));
    println!("diff                 median {p50:7.2} µs   p95 {p95:7.2} µs");
    let (p50, p95) = measure(|| {
        differ.diff(black_box(&old), black_box(&new), &mut diff);
        black_box(diff.materialize(&new));
    });
    println!("diff + materialize   median {p50:7.2} µs   p95 {p95:7.2} µs");
    let (p50, p95) = measure(|| {
        black_box(Tree::new(black_box(new_nodes.clone())).expect("valid tree"));
    });
    println!("tree build (clone+validate) median {p50:7.2} µs   p95 {p95:7.2} µs");
    let (p50, p95) = measure(|| {
        black_box(black_box(&new_nodes).clone());
    });
    println!("  of which the clone   median {p50:7.2} µs   p95 {p95:7.2} µs");

    // A structural change (a subtree moved to another parent) takes the slower path.
    let mut moved = new.nodes().to_vec();
    // Leaf 9 (index 8, the last child of node 4) moves up to its grandparent, node 3
    // (index 2); pre-order still holds because node 3 is still open after it.
    assert_eq!((moved[8].id, moved[2].id), (9, 3));
    moved[8].parent = Some(2);
    let moved = Tree::new(moved).expect("valid tree");
    let (p50, p95) = measure(|| {
        differ.diff(black_box(&old), black_box(&moved), &mut diff);
        black_box(diff.materialize(&moved));
    });
    println!("reparent, structural path + materialize   median {p50:7.2} µs   p95 {p95:7.2} µs");
}
