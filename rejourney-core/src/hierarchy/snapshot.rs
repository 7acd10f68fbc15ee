//! Snapshot JSON: `{"timestamp", "partial", "nodeCount", "changes", "root": node}` where a
//! node is `{"id", "type", "class", "frame": {x, y, width, height}, "masked", "testId"?,
//! "textLength"?, "text"?, "children": [...]}`; a masked node has none of the three optional
//! fields (`docs/PROTOCOL.md`, "Hierarchy snapshot"). Written iteratively (no recursion: a hostile,
//! very deep tree cannot overflow the stack) with every coordinate finite. One writer serves
//! both tree representations, so their output cannot drift apart.

use std::io::Write;

use super::{kind_name, ViewTree};
use crate::diff::{Diff, Tree};

/// One node's fields as the snapshot shows them.
struct Head<'a> {
    id: u64,
    kind: &'a str,
    class: &'a str,
    frame: [f32; 4],
    masked: bool,
    test_id: Option<&'a str>,
    text_length: Option<u32>,
    text: Option<&'a str>,
}

/// Writes the snapshot of a [`Tree`] (the reference representation).
pub fn write_snapshot(
    tree: &Tree,
    timestamp_ms: u64,
    partial: bool,
    changes: Option<&Diff>,
    out: &mut Vec<u8>,
) {
    write(
        tree.nodes().iter().map(|n| {
            let head = Head {
                id: n.id,
                kind: &n.kind,
                class: &n.class_name,
                frame: [n.x, n.y, n.width, n.height],
                masked: n.masked,
                test_id: n.test_id.as_deref(),
                text_length: n.text_length,
                text: n.text.as_deref(),
            };
            (n.parent, head)
        }),
        tree.len(),
        (timestamp_ms, partial, changes),
        out,
    );
}

/// Writes the snapshot of a [`ViewTree`]: the same bytes [`write_snapshot`] writes for the
/// reference tree of the same nodes.
pub fn write_view_snapshot(
    tree: &ViewTree,
    timestamp_ms: u64,
    partial: bool,
    changes: Option<&Diff>,
    out: &mut Vec<u8>,
) {
    write(
        tree.iter().map(|v| {
            let n = v.node;
            let f = n.frame;
            let head = Head {
                id: v.id,
                kind: kind_name(n.kind),
                class: v.str(n.class_name),
                frame: [f.x, f.y, f.width, f.height],
                masked: v.masked,
                test_id: n.test_id.map(|t| v.str(t)),
                text_length: n.text_length,
                text: None,
            };
            (n.parent, head)
        }),
        tree.len(),
        (timestamp_ms, partial, changes),
        out,
    );
}

fn write<'a>(
    nodes: impl Iterator<Item = (Option<u32>, Head<'a>)>,
    count: usize,
    (timestamp_ms, partial, changes): (u64, bool, Option<&Diff>),
    out: &mut Vec<u8>,
) {
    let _ = write!(
        out,
        "{{\"timestamp\":{timestamp_ms},\"partial\":{partial},\"nodeCount\":{count}"
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
    if count == 0 {
        out.extend_from_slice(b"null}");
        return;
    }
    // Open nodes (index, has a child been written).
    let mut open: Vec<(u32, bool)> = Vec::new();
    for (i, (parent, head)) in nodes.enumerate() {
        if let Some(p) = parent {
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
        write_head(&head, out);
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

fn write_head(n: &Head, out: &mut Vec<u8>) {
    let _ = write!(out, "{{\"id\":{},\"type\":", n.id);
    write_str(out, n.kind);
    out.extend_from_slice(b",\"class\":");
    write_str(out, n.class);
    let f = |v: f32| if v.is_finite() { v } else { 0.0 };
    let [x, y, width, height] = n.frame;
    let _ = write!(
        out,
        ",\"frame\":{{\"x\":{},\"y\":{},\"width\":{},\"height\":{}}},\"masked\":{}",
        f(x),
        f(y),
        f(width),
        f(height),
        n.masked
    );
    // A masked node (itself or under a masked ancestor) says what it is and where, nothing
    // more: its test id is a developer string apps fill with card numbers and e-mails, and
    // its text length tells a password's length. Secure inputs are always masked.
    if !n.masked {
        if let Some(t) = n.test_id {
            out.extend_from_slice(b",\"testId\":");
            write_str(out, t);
        }
        if let Some(l) = n.text_length {
            let _ = write!(out, ",\"textLength\":{l}");
        }
        if let Some(t) = n.text {
            out.extend_from_slice(b",\"text\":");
            write_str(out, t);
        }
    }
    out.extend_from_slice(b",\"children\":[");
}
