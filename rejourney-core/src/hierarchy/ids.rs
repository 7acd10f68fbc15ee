//! Node ids and the reference tree: how a shim's node list becomes a [`Tree`] the plain way
//! (every string copied into owned nodes, every attribute hashed). The recorder takes the
//! faster [`ViewTree`](super::ViewTree) path; this one stays as the definition that path
//! is tested against.

use std::collections::HashSet;

use xxhash_rust::xxh3::xxh3_64;

use super::kind_name;
use crate::diff::{Node, Tree, TreeError};
use crate::masks::{NodeList, ViewNode};
use crate::strings::Strings;

/// Largest id written: the backend and the replay page read snapshots as JavaScript JSON,
/// where integers above 2^53 - 1 lose precision (7867258023164432953 became …433000), so
/// every id, derived or the shim's, is kept within 53 bits.
pub const MAX_NODE_ID: u64 = (1 << 53) - 1;

/// Fills `out` with one id per node. Nodes without a shim-provided id get one derived from
/// their position (parent id, class, ordinal among same-class siblings), which is stable
/// across frames while the structure is. Ids come out unique: a collision (or a shim reusing
/// ids) is re-hashed, not fatal. The result is a function of the shim ids, parent links and
/// class names alone, and fits in [`MAX_NODE_ID`], which is what lets [`ViewTree`](super::ViewTree) reuse the previous
/// frame's ids when those are unchanged.
pub(super) fn derive_ids(nodes: &[ViewNode], strings: &Strings, out: &mut Vec<u64>) {
    out.clear();
    let mut used = HashSet::with_capacity(nodes.len());
    // Per node: how many children of each class seen so far (small linear lists).
    let mut ordinals: Vec<Vec<(u64, u32)>> = vec![Vec::new(); nodes.len()];
    for (i, n) in nodes.iter().enumerate() {
        let parent_ok = n.parent.filter(|p| (*p as usize) < i);
        let class_name = strings.get(n.class_name).unwrap_or("");
        let id = match (n.id, parent_ok) {
            (Some(id), _) => id,
            (None, None) => xxh3_64(class_name.as_bytes()),
            (None, Some(p)) => {
                let class = xxh3_64(class_name.as_bytes());
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
                key[..8].copy_from_slice(&out[p as usize].to_le_bytes());
                key[8..16].copy_from_slice(&class.to_le_bytes());
                key[16..].copy_from_slice(&ordinal.to_le_bytes());
                xxh3_64(&key)
            }
        };
        let mut id = id & MAX_NODE_ID;
        while !used.insert(id) {
            id = (xxh3_64(&id.to_le_bytes()) ^ i as u64) & MAX_NODE_ID;
        }
        out.push(id);
    }
}

/// Builds a differ tree from the shim's nodes (the reference path). `masked` is parallel to
/// the nodes; a missing flag counts as masked.
pub fn tree_from_nodes(
    list: &NodeList,
    masked: &[bool],
    max_nodes: usize,
) -> Result<(Tree, bool), TreeError> {
    let (nodes, strings) = (&list.nodes, &list.strings);
    let truncated = nodes.len() > max_nodes;
    let nodes = &nodes[..nodes.len().min(max_nodes)];
    let mut ids = Vec::with_capacity(nodes.len());
    derive_ids(nodes, strings, &mut ids);
    let text = |s| strings.get(s).unwrap_or("").to_owned();
    let finite = |v: f32| if v.is_finite() { v } else { 0.0 };
    let out = nodes
        .iter()
        .zip(ids)
        .enumerate()
        .map(|(i, (n, id))| Node {
            id,
            parent: n.parent,
            kind: kind_name(n.kind).to_owned(),
            class_name: text(n.class_name),
            x: finite(n.frame.x),
            y: finite(n.frame.y),
            width: finite(n.frame.width),
            height: finite(n.frame.height),
            text: None,
            style: None,
            masked: masked.get(i).copied().unwrap_or(true),
            test_id: n.test_id.map(text),
            text_length: n.text_length,
        })
        .collect();
    Ok((Tree::new(out)?, truncated))
}
