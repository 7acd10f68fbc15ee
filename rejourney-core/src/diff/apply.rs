//! Replaying [`Mutations`] onto the old tree: the proof that a diff says everything
//! (tests and a replay use it; the SDK itself never needs to).

use std::collections::HashMap;

use super::{Mutations, Node, Tree, TreeError};

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum ApplyError {
    #[error("mutations name node {0}, which neither tree has")]
    UnknownNode(u64),
    #[error("the result is not a tree: {0}")]
    Invalid(#[from] TreeError),
}

/// Replays `m` onto `old`, producing the new tree.
pub fn apply(old: &Tree, m: &Mutations<&Node>) -> Result<Tree, ApplyError> {
    let old_children = old.shape().children();
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
