//! A map that forgets its oldest entries past a cap. Every table the server keeps per key
//! (upload tokens, `Idempotency-Key` states, incident ids, batches, sessions) is filled by
//! clients, so none may grow without bound in a long-running server: past the cap the
//! entry inserted first is dropped, which for these tables means the stalest.

use std::borrow::Borrow;
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

#[derive(Debug)]
pub(crate) struct BoundedMap<K, V> {
    map: HashMap<K, V>,
    /// Keys in insertion order (each key once: keys are only removed by eviction).
    order: VecDeque<K>,
    cap: usize,
}

impl<K: Eq + Hash + Clone, V> BoundedMap<K, V> {
    pub fn new(cap: usize) -> Self {
        Self {
            map: HashMap::new(),
            order: VecDeque::new(),
            cap: cap.max(1),
        }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn get<Q>(&self, k: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.map.get(k)
    }

    pub fn get_mut<Q>(&mut self, k: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.map.get_mut(k)
    }

    pub fn contains_key<Q>(&self, k: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.map.contains_key(k)
    }

    /// Inserts or replaces; a new key may evict the oldest one.
    pub fn insert(&mut self, k: K, v: V) -> Option<V> {
        if let Some(slot) = self.map.get_mut(&k) {
            return Some(std::mem::replace(slot, v));
        }
        self.make_room();
        self.order.push_back(k.clone());
        self.map.insert(k, v);
        None
    }

    /// The value at `k`, inserted from `f` first if absent.
    pub fn get_or_insert_with(&mut self, k: K, f: impl FnOnce() -> V) -> &mut V {
        if !self.map.contains_key(&k) {
            self.make_room();
            self.order.push_back(k.clone());
        }
        self.map.entry(k).or_insert_with(f)
    }

    /// Drops the oldest entries until one more fits.
    fn make_room(&mut self) {
        while self.map.len() >= self.cap {
            match self.order.pop_front() {
                Some(old) => {
                    self.map.remove(&old);
                }
                None => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_entry_goes_first() {
        let mut m = BoundedMap::new(2);
        m.insert("a".to_owned(), 1);
        m.insert("b".to_owned(), 2);
        m.insert("a".to_owned(), 3); // a replacement keeps its place
        m.insert("c".to_owned(), 4);
        assert_eq!(
            (m.get("a"), m.get("b"), m.get("c")),
            (None, Some(&2), Some(&4))
        );
        *m.get_or_insert_with("d".to_owned(), || 0) += 5;
        assert_eq!((m.len(), m.get("b"), m.get("d")), (2, None, Some(&5)));
    }
}
