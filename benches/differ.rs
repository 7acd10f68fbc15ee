//! The hierarchy differ on PostHog's public workload (`RRWireframeDifferBenchmarkTest`):
//! a tree of depth 4 with 5 children per node (781 nodes), ids assigned depth-first from 1,
//! `x = id*10`, `y = id*5`, 100×50; leaves are type "text" with "Hello World {id}"; every node
//! has background "#FF0000", leaves also color "#000000" and font size 14. The new tree moves
//! every node whose id % 10 == 0 by `x + 5` and changes those leaves' text to "Modified {id}".
//!
//! Same protocol as theirs: 50 warm-up diffs, then 200 timed, median and p95 reported.
//!
//! Two inputs. PostHog's wireframes as our differ's `Node`s (type, text, style strings) for
//! the rows that compare differs. And the same screen as the node list a shim hands over
//! (`masks::ViewNode`: the same ids, parents and frames; leaves `Text` with class
//! `android.widget.TextView`, the others `Container` with `android.widget.FrameLayout`; the
//! leaf text "Hello World {id}" / "Modified {id}" carried as the test id, the only free
//! string a node has, so the 78 changed nodes differ in frame and, for leaves, in a string),
//! for the rows that time our whole per-frame hierarchy path. Strings travel as a shim sends
//! them: once, in the string-table update of the first frame that names them, then by index.
//! The lists and updates are built on another thread before the timer, as the shim and the
//! FFI lift build them on the host's thread; the path applies the update to the core's
//! table and consumes the list (moved, as the worker receives it), so freeing is timed. A
//! second sequence gives the changed leaves (60 of the 78 changed nodes) a test id never
//! seen before in every modified frame (60 new strings through the table every other
//! frame), the worst case for the table.
//!
//! Run: `cargo bench --bench differ` (plain `harness = false` binary; criterion is used for the
//! pipeline benches, this one mirrors the reference protocol exactly).

use std::hint::black_box;
use std::time::Instant;

use rejourney_core::diff::{Diff, Differ, Node, Style, Tree};
use rejourney_core::frame::Rect;
use rejourney_core::hierarchy::{tree_from_nodes, write_view_snapshot, Spare, ViewTree};
use rejourney_core::masks::{NodeKind, NodeList, ViewNode};
use rejourney_core::strings::{Interner, StringLimits, StringTable, StringsUpdate};

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
        let changed = modified && id.is_multiple_of(10);
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

/// The same screen as the shim's node list, its strings interned into the shim's `table`.
/// With `fresh = Some(k)`, the changed leaves' test ids are new strings for frame `k`.
fn view_nodes(wireframes: &[Node], table: &mut Interner, fresh: Option<usize>) -> Vec<ViewNode> {
    wireframes
        .iter()
        .map(|n| {
            let leaf = n.kind == "text";
            let class = if leaf {
                "android.widget.TextView"
            } else {
                "android.widget.FrameLayout"
            };
            let test_id = match (&n.text, fresh) {
                (Some(t), Some(k)) if t.starts_with("Modified") => Some(format!("{t} #{k}")),
                (t, _) => t.clone(),
            };
            ViewNode {
                parent: n.parent,
                id: Some(n.id),
                class_name: table.intern(class),
                kind: if leaf {
                    NodeKind::Text
                } else {
                    NodeKind::Container
                },
                frame: Rect::new(n.x, n.y, n.width, n.height),
                test_id: test_id.map(|t| table.intern(&t)),
                ..ViewNode::default()
            }
        })
        .collect()
}

/// What the hierarchy path receives per frame: the node list, its masked flags, and the
/// string-table update the shim sent with it.
type Frame = (Vec<ViewNode>, Vec<bool>, StringsUpdate);

/// Frames as the worker receives them: alternately the old and the new screen (so every
/// frame differs from the one before by the 78 changes). A "host" thread builds each one on
/// request, just before it is timed, the way the shim and the FFI lift build it on the
/// host's thread right before the hand-over (so it is as warm in cache as a real one, and
/// freed by another thread than the one that allocated it). With `fresh`, every modified
/// frame names 60 test ids never sent before; the shim starts a new table at 8 192 strings,
/// as the Kotlin and Swift shims do.
struct Host {
    ask: std::sync::mpsc::Sender<usize>,
    got: std::sync::mpsc::Receiver<Frame>,
}

impl Host {
    fn start(old: &[Node], new: &[Node], fresh: bool) -> Self {
        let (old, new) = (old.to_vec(), new.to_vec());
        let (ask, asked) = std::sync::mpsc::channel::<usize>();
        let (give, got) = std::sync::mpsc::sync_channel(0);
        std::thread::spawn(move || {
            let mut table = Interner::with_table(1);
            let (old_list, new_list) = (
                view_nodes(&old, &mut table, None),
                view_nodes(&new, &mut table, None),
            );
            for k in asked {
                if table.len() >= 8_192 {
                    table.reset();
                }
                let list = match (k % 2 == 1, fresh) {
                    (false, false) => old_list.clone(),
                    (true, false) => new_list.clone(),
                    (false, true) => view_nodes(&old, &mut table, None),
                    (true, true) => view_nodes(&new, &mut table, Some(k)),
                };
                let masked = vec![false; list.len()];
                if give.send((list, masked, table.take_update())).is_err() {
                    break;
                }
            }
        });
        Self { ask, got }
    }

    fn frame(&self, k: usize) -> Frame {
        self.ask.send(k).expect("host thread");
        self.got.recv().expect("host thread")
    }
}

fn row(name: &str, (p50, p95): (f64, f64), includes: &str) {
    println!("{name:<34} median {p50:7.2} µs   p95 {p95:7.2} µs   {includes}");
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

/// Median and p95 of samples in µs.
fn stats(mut us: Vec<f64>) -> (f64, f64) {
    us.sort_by(f64::total_cmp);
    (us[us.len() / 2], us[us.len() * 95 / 100])
}

fn main() {
    let (old_nodes, new_nodes) = (build(false), build(true));
    assert_eq!(old_nodes.len(), 781);
    let old = Tree::new(old_nodes.clone()).expect("valid tree");
    let new = Tree::new(new_nodes.clone()).expect("valid tree");
    let mut differ = Differ::new();
    let mut diff = Diff::default();

    differ.diff(&old, &new, &mut diff);
    let m = diff.materialize(&new);
    // 781 nodes, ids 10, 20, … 780 changed: 78 updates, nothing added or removed.
    assert_eq!((m.adds.len(), m.removes.len(), m.updates.len()), (0, 0, 78));

    println!("hierarchy differ, PostHog workload (781 nodes, 78 updates), {WARMUP} warm-up + {TIMED} timed");
    println!("-- our differ on PostHog's wireframes (Node: type, text, style strings)");
    let r = measure(|| differ.diff(black_box(&old), black_box(&new), &mut diff));
    row("diff", r, "attribute hashes computed before the timer");
    let r = measure(|| {
        differ.diff(black_box(&old), black_box(&new), &mut diff);
        black_box(diff.materialize(&new));
    });
    row("diff + materialize", r, "same, plus the mutation lists");
    // The list is cloned just before each timed run (warm in cache, as PostHog's wireframes
    // are); building, diffing and materialising are timed, then dropping the built tree.
    let (mut built, mut dropped) = (Vec::new(), Vec::new());
    for k in 0..WARMUP + TIMED {
        let list = new_nodes.clone();
        let t0 = Instant::now();
        let t = Tree::new(list).expect("valid tree");
        differ.diff(black_box(&old), &t, &mut diff);
        black_box(diff.materialize(&t));
        let t1 = Instant::now();
        drop(t);
        let t2 = Instant::now();
        if k >= WARMUP {
            built.push((t1 - t0).as_secs_f64() * 1e6);
            dropped.push((t2 - t1).as_secs_f64() * 1e6);
        }
    }
    row(
        "Tree::new + diff + materialize",
        stats(built),
        "from owned wireframes: PostHog's timed work (hashing every attribute included)",
    );
    row(
        "  then dropping that tree",
        stats(dropped),
        "≈2 300 strings freed; PostHog's JVM leaves this to its GC",
    );
    let r = measure(|| {
        black_box(black_box(&new_nodes).clone());
    });
    row(
        "clone of the wireframes",
        r,
        "≈3 400 string allocations + frees",
    );

    // A structural change (a subtree moved to another parent) takes the slower path.
    let mut moved = new.nodes().to_vec();
    // Leaf 9 (index 8, the last child of node 4) moves up to its grandparent, node 3
    // (index 2); pre-order still holds because node 3 is still open after it.
    assert_eq!((moved[8].id, moved[2].id), (9, 3));
    moved[8].parent = Some(2);
    let moved = Tree::new(moved).expect("valid tree");
    let r = measure(|| {
        differ.diff(black_box(&old), black_box(&moved), &mut diff);
        black_box(diff.materialize(&moved));
    });
    row(
        "reparent: structural + materialize",
        r,
        "hashes computed before the timer",
    );

    println!("-- per-frame hierarchy path: the shim's node list (ViewNode) → diff ready");
    let max = usize::MAX;
    let table = || StringTable::new(StringLimits::default());

    // Before: the reference path (strings copied into Nodes, every attribute hashed).
    let host = Host::start(&old_nodes, &new_nodes, false);
    let mut strings = table();
    let (first, masked, update) = host.frame(0);
    let first = NodeList {
        nodes: first,
        strings: strings.apply(update).expect("in step"),
    };
    let mut prev = tree_from_nodes(&first, &masked, max).expect("valid").0;
    let mut samples = Vec::new();
    for k in 1..=WARMUP + TIMED {
        let (nodes, masked, update) = host.frame(k);
        let t0 = Instant::now();
        let list = NodeList {
            nodes,
            strings: strings.apply(update).expect("in step"),
        };
        let (t, _) = tree_from_nodes(&list, &masked, max).expect("valid");
        drop((list, masked));
        differ.diff(&prev, &t, &mut diff);
        black_box(diff.materialize(&t));
        drop(std::mem::replace(&mut prev, t));
        if k > WARMUP {
            samples.push(t0.elapsed().as_secs_f64() * 1e6);
        }
        assert_eq!(diff.updated.len(), 78);
    }
    let r = stats(samples);
    row(
        "reference path (before)",
        r,
        "table update + tree_from_nodes + diff + materialize + freeing the previous tree and the list",
    );

    // After: the list becomes the tree; ids reused; attributes compared directly.
    for fresh in [false, true] {
        let host = Host::start(&old_nodes, &new_nodes, fresh);
        let mut strings = table();
        let mut spare = Spare::default();
        let (first, masked, update) = host.frame(0);
        let first = NodeList {
            nodes: first,
            strings: strings.apply(update).expect("in step"),
        };
        let mut prev = ViewTree::build(first, masked, max, None, &mut spare)
            .expect("valid")
            .0;
        let mut stages: [Vec<f64>; 5] = Default::default();
        let mut whole = Vec::new();
        let mut added = 0;
        for k in 1..=WARMUP + TIMED {
            let (nodes, masked, update) = host.frame(k);
            added += update.added.len();
            let t0 = Instant::now();
            let list = NodeList {
                nodes,
                strings: strings.apply(update).expect("in step"),
            };
            let t1 = Instant::now();
            let (t, _) =
                ViewTree::build(list, masked, max, Some(&prev), &mut spare).expect("valid");
            let t2 = Instant::now();
            ViewTree::diff(&prev, &t, &mut differ, &mut diff);
            let t3 = Instant::now();
            black_box(t.mutations(&diff));
            let t4 = Instant::now();
            std::mem::replace(&mut prev, t).recycle(&mut spare);
            let t5 = Instant::now();
            if k > WARMUP {
                for (s, (a, b)) in
                    stages
                        .iter_mut()
                        .zip([(t0, t1), (t1, t2), (t2, t3), (t3, t4), (t4, t5)])
                {
                    s.push((b - a).as_secs_f64() * 1e6);
                }
                whole.push((t5 - t0).as_secs_f64() * 1e6);
            }
            assert_eq!(diff.updated.len(), 78);
        }
        let [apply, build, diffed, mutations, freed] = stages.map(stats);
        if fresh {
            println!(
                "-- the same path, the changed leaves' 60 test ids new in every other frame ({added} strings sent in {} frames)",
                WARMUP + TIMED
            );
        } else {
            assert!(
                added == 0,
                "strings are sent once, with the first two frames"
            );
        }
        row(
            "  string table update",
            apply,
            if fresh {
                "60 new strings appended every other frame (chunks merged as they grow)"
            } else {
                "nothing new: the snapshot of the table is shared"
            },
        );
        row(
            "  build (list moved in, ids reused)",
            build,
            "checks + packed arrays, no string copied",
        );
        row(
            "  diff (fields compared directly)",
            diffed,
            "781 nodes, 78 updates",
        );
        row(
            "  mutation lists",
            mutations,
            "rrweb-style adds/removes/updates/order",
        );
        row(
            "  freeing the previous tree",
            freed,
            "its node list (no strings: indices into the shared table)",
        );
        row(
            if fresh { "whole path, new strings" } else { "whole path" },
            stats(whole),
            "the five stages above, timed together: list and update handed over → diff + mutations ready, previous tree freed",
        );
        if !fresh {
            let mut json = Vec::with_capacity(200_000);
            let r = measure(|| {
                json.clear();
                write_view_snapshot(&prev, 1, false, Some(&diff), &mut json);
                black_box(&json);
            });
            row(
                "snapshot JSON (when one is due)",
                r,
                "at most once per min_interval (1 s), not per frame",
            );
        }
    }
}
