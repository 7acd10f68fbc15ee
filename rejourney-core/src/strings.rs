//! The strings a shim's node lists name by index: class names, test ids, developer tags.
//!
//! A screen of 781 views carried ~1 400 of them per frame as heap strings: the host's runtime
//! encoded each one (the JVM ~0.5 µs apiece on the main thread), the FFI lift allocated each
//! one, and the hierarchy worker freed each one a frame later (26 µs of its 35 µs path,
//! `benches/RESULTS.md`). They hardly change between frames, so a shim keeps one table
//! ([`Interner`] is the reference): each string crosses once, in a [`StringsUpdate`], and
//! nodes name it by [`Sym`] from then on.
//!
//! The core's side ([`StringTable`]) checks that every update continues the table it has
//! (same table id, `base` = what it already holds), so a shim that lost track is told
//! ([`StringsError`]) and starts a new table instead of naming the wrong strings. Each frame
//! takes a [`Strings`] snapshot: immutable, shared by reference count, so the hierarchy worker
//! reads a frame's strings while the host thread appends the next frame's. Snapshots are a
//! few chunks (each at least twice the size of the next, so at most ~log2(n) of them),
//! and appending copies no string already sent, except when chunks merge.

use std::collections::HashMap;
use std::sync::Arc;

/// A string of a [`Strings`] table, by index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Sym(pub u32);

/// What a shim sends with a frame: the strings added to its table since its last update the
/// core received.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StringsUpdate {
    /// The shim's table. A value other than the current one starts a new table.
    pub table: u64,
    /// How many strings of this table the core already has: the index of `added[0]`.
    pub base: u32,
    pub added: Vec<String>,
}

/// Why an update cannot be applied. The table is left as it was; the shim should start a new
/// table (the frame it came with is refused).
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum StringsError {
    #[error("string table {table}: update starts at {base}, the core has {have}")]
    OutOfSync { table: u64, base: u32, have: u32 },
    #[error("string table over its limit of {max} strings")]
    TooMany { max: u32 },
    #[error("string table over its limit of {max} bytes")]
    TooLarge { max: usize },
}

/// Limits of a [`StringTable`]; an update that would pass one is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct StringLimits {
    pub max_strings: u32,
    pub max_bytes: usize,
}

impl Default for StringLimits {
    fn default() -> Self {
        Self {
            max_strings: 16_384,
            max_bytes: 2 << 20,
        }
    }
}

#[derive(Debug)]
struct Chunk {
    start: u32,
    strings: Vec<Arc<str>>,
}

/// An immutable view of a table at one frame. Cloning it is one reference count.
#[derive(Debug, Clone, Default)]
pub struct Strings {
    /// Tables with the same lineage agree on every index both have (one only grew).
    lineage: u64,
    len: u32,
    chunks: Arc<[Arc<Chunk>]>,
}

impl Strings {
    pub fn len(&self) -> u32 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The string at `sym`, if the table has it.
    pub fn get(&self, sym: Sym) -> Option<&str> {
        if sym.0 >= self.len {
            return None;
        }
        // Few chunks, ordered by start: the last one starting at or before `sym` has it.
        let chunk = self.chunks.iter().rev().find(|c| c.start <= sym.0)?;
        chunk
            .strings
            .get((sym.0 - chunk.start) as usize)
            .map(|s| &**s)
    }

    /// Whether `a` here and `b` in `other` are the same string. Equal indices of one lineage
    /// are equal strings without looking; anything else is compared.
    pub fn same(&self, a: Sym, other: &Strings, b: Sym) -> bool {
        (a == b && self.lineage == other.lineage && a.0 < self.len && b.0 < other.len)
            || self.get(a) == other.get(b)
    }

    /// Like [`Strings::same`] for optional strings.
    pub fn same_opt(&self, a: Option<Sym>, other: &Strings, b: Option<Sym>) -> bool {
        match (a, b) {
            (None, None) => true,
            (Some(a), Some(b)) => self.same(a, other, b),
            _ => false,
        }
    }

    /// A table holding exactly `strings` (index order), for callers that have the strings
    /// at hand (tests, the reference path).
    pub fn from_vec(strings: Vec<String>) -> Self {
        let mut table = StringTable::new(StringLimits {
            max_strings: u32::MAX,
            max_bytes: usize::MAX,
        });
        let update = StringsUpdate {
            table: 0,
            base: 0,
            added: strings,
        };
        table.apply(update).unwrap_or_default()
    }
}

/// What the table holds and what it refused, for telemetry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct StringCounters {
    /// Strings in the current table, and their bytes.
    pub strings: u32,
    pub bytes: usize,
    /// Tables started (the first, and each reset by the shim).
    pub tables: u64,
    /// Updates refused (out of step, or over a limit): their frames were dropped.
    pub refused: u64,
}

/// The core's copy of a shim's table (host-thread side: appended by each frame's update).
#[derive(Debug)]
pub struct StringTable {
    limits: StringLimits,
    tables: u64,
    refused: u64,
    /// The shim's id of the current table; `None` before the first update.
    table: Option<u64>,
    lineage: u64,
    chunks: Vec<Arc<Chunk>>,
    len: u32,
    bytes: usize,
    /// The snapshot handed out since the last change (reused while nothing is added).
    current: Option<Strings>,
}

/// Lineages are unique within the process, so two tables never look alike by accident.
fn next_lineage() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl StringTable {
    pub fn new(limits: StringLimits) -> Self {
        Self {
            limits,
            tables: 0,
            refused: 0,
            table: None,
            lineage: next_lineage(),
            chunks: Vec::new(),
            len: 0,
            bytes: 0,
            current: None,
        }
    }

    /// Applies a shim's update and returns the snapshot its nodes name. Refused updates leave
    /// the table unchanged (and are counted).
    pub fn apply(&mut self, update: StringsUpdate) -> Result<Strings, StringsError> {
        let applied = self.try_apply(update);
        self.refused += applied.is_err() as u64;
        applied
    }

    pub fn counters(&self) -> StringCounters {
        StringCounters {
            strings: self.len,
            bytes: self.bytes,
            tables: self.tables,
            refused: self.refused,
        }
    }

    fn try_apply(&mut self, update: StringsUpdate) -> Result<Strings, StringsError> {
        let fresh = self.table != Some(update.table);
        let (have, have_bytes) = if fresh {
            (0, 0)
        } else {
            (self.len, self.bytes)
        };
        if update.base != have {
            return Err(StringsError::OutOfSync {
                table: update.table,
                base: update.base,
                have,
            });
        }
        let count = u32::try_from(update.added.len())
            .ok()
            .and_then(|n| have.checked_add(n))
            .filter(|n| *n <= self.limits.max_strings)
            .ok_or(StringsError::TooMany {
                max: self.limits.max_strings,
            })?;
        let bytes = update
            .added
            .iter()
            .fold(have_bytes, |b, s| b.saturating_add(s.len()));
        if bytes > self.limits.max_bytes {
            return Err(StringsError::TooLarge {
                max: self.limits.max_bytes,
            });
        }
        if fresh {
            self.tables += 1;
            self.table = Some(update.table);
            self.lineage = next_lineage();
            self.chunks.clear();
            self.len = 0;
            self.bytes = 0;
            self.current = None;
        }
        if !update.added.is_empty() {
            self.push_chunk(update.added);
            self.current = None;
        }
        self.len = count;
        self.bytes = bytes;
        Ok(self.snapshot())
    }

    fn push_chunk(&mut self, added: Vec<String>) {
        let start = self.len;
        let strings = added.into_iter().map(Arc::from).collect();
        self.chunks.push(Arc::new(Chunk { start, strings }));
        // Keep each chunk more than twice the next: at most ~log2(n) chunks, and a string is
        // copied (a reference count, not its bytes) O(log n) times over the table's life.
        while let [.., older, newer] = &self.chunks[..] {
            if older.strings.len() > 2 * newer.strings.len() {
                break;
            }
            let merged = Chunk {
                start: older.start,
                strings: older
                    .strings
                    .iter()
                    .chain(&newer.strings)
                    .cloned()
                    .collect(),
            };
            self.chunks.truncate(self.chunks.len() - 2);
            self.chunks.push(Arc::new(merged));
        }
    }

    fn snapshot(&mut self) -> Strings {
        self.current
            .get_or_insert_with(|| Strings {
                lineage: self.lineage,
                len: self.len,
                chunks: self.chunks.iter().cloned().collect(),
            })
            .clone()
    }
}

/// The shim's side of a table, in Rust: what Kotlin's and Swift's tree walks do, and what
/// Rust callers (tests, benches, examples) use to build node lists.
#[derive(Debug, Clone)]
pub struct Interner {
    table: u64,
    index: HashMap<String, u32>,
    /// Strings the core has (committed updates).
    base: u32,
    pending: Vec<String>,
}

impl Default for Interner {
    fn default() -> Self {
        Self::new()
    }
}

impl Interner {
    pub fn new() -> Self {
        Self::with_table(next_lineage() ^ 0x5EED_0000_0000_0000)
    }

    /// An interner with a chosen table id.
    pub fn with_table(table: u64) -> Self {
        Self {
            table,
            index: HashMap::new(),
            base: 0,
            pending: Vec::new(),
        }
    }

    pub fn intern(&mut self, s: &str) -> Sym {
        if let Some(&i) = self.index.get(s) {
            return Sym(i);
        }
        let i = self.base + self.pending.len() as u32;
        self.index.insert(s.to_owned(), i);
        self.pending.push(s.to_owned());
        Sym(i)
    }

    /// The update to send with the next frame (the pending strings stay pending until
    /// [`Interner::committed`]).
    pub fn update(&self) -> StringsUpdate {
        StringsUpdate {
            table: self.table,
            base: self.base,
            added: self.pending.clone(),
        }
    }

    /// The update to send, already marked as received: for callers whose submit cannot
    /// fail in between.
    pub fn take_update(&mut self) -> StringsUpdate {
        let u = self.update();
        self.committed();
        u
    }

    /// The core received the last [`Interner::update`].
    pub fn committed(&mut self) {
        self.base += self.pending.len() as u32;
        self.pending.clear();
    }

    /// Starts a new table (after a [`StringsError`]).
    pub fn reset(&mut self) {
        *self = Self::with_table(self.table.wrapping_add(1));
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(table: u64, base: u32, added: &[&str]) -> StringsUpdate {
        StringsUpdate {
            table,
            base,
            added: added.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn appends_and_snapshots_stay_as_they_were() {
        let mut t = StringTable::new(StringLimits::default());
        let a = t.apply(update(7, 0, &["View", "Label"])).unwrap();
        let b = t.apply(update(7, 2, &["Button"])).unwrap();
        assert_eq!((a.len(), b.len()), (2, 3));
        assert_eq!(a.get(Sym(2)), None);
        assert_eq!(b.get(Sym(2)), Some("Button"));
        assert_eq!(b.get(Sym(0)), Some("View"));
        assert!(a.same(Sym(1), &b, Sym(1)));
        assert!(!a.same(Sym(0), &b, Sym(1)));
        // Nothing new: the same snapshot.
        let c = t.apply(update(7, 3, &[])).unwrap();
        assert!(Arc::ptr_eq(&b.chunks, &c.chunks));
    }

    #[test]
    fn out_of_sync_and_limits_leave_the_table_unchanged() {
        let limits = StringLimits {
            max_strings: 3,
            max_bytes: 10,
        };
        let mut t = StringTable::new(limits);
        t.apply(update(1, 0, &["ab"])).unwrap();
        assert_eq!(
            t.apply(update(1, 0, &["cd"])).err(),
            Some(StringsError::OutOfSync {
                table: 1,
                base: 0,
                have: 1
            })
        );
        assert!(matches!(
            t.apply(update(1, 1, &["c", "d", "e"])),
            Err(StringsError::TooMany { .. })
        ));
        assert!(matches!(
            t.apply(update(1, 1, &["0123456789"])),
            Err(StringsError::TooLarge { .. })
        ));
        // A new table must start at 0.
        assert!(matches!(
            t.apply(update(2, 1, &["x"])),
            Err(StringsError::OutOfSync { .. })
        ));
        let s = t.apply(update(1, 1, &["cd"])).unwrap();
        assert_eq!((s.get(Sym(0)), s.get(Sym(1))), (Some("ab"), Some("cd")));
        let c = t.counters();
        assert_eq!((c.strings, c.bytes, c.tables, c.refused), (2, 4, 1, 4));
        // A new table replaces the old one; snapshots of the old one keep their strings
        // and are never taken for the new one's.
        let n = t.apply(update(2, 0, &["cd", "ab"])).unwrap();
        assert_eq!(n.get(Sym(0)), Some("cd"));
        assert!(!s.same(Sym(0), &n, Sym(0)));
        assert!(s.same(Sym(0), &n, Sym(1)));
    }

    #[test]
    fn chunks_stay_few_and_every_index_resolves() {
        let mut t = StringTable::new(StringLimits::default());
        let mut base = 0;
        let mut s = Strings::default();
        for round in 0..300u32 {
            let added: Vec<String> = (0..(round % 7)).map(|k| format!("s{}", base + k)).collect();
            let n = added.len() as u32;
            s = t
                .apply(StringsUpdate {
                    table: 9,
                    base,
                    added,
                })
                .unwrap();
            base += n;
        }
        assert_eq!(s.len(), base);
        assert!(s.chunks.len() <= 12, "{} chunks", s.chunks.len());
        for i in 0..base {
            assert_eq!(s.get(Sym(i)), Some(format!("s{i}").as_str()));
        }
    }

    #[test]
    fn interner_sends_each_string_once() {
        let mut i = Interner::with_table(5);
        assert_eq!(i.intern("A"), Sym(0));
        assert_eq!(i.intern("B"), Sym(1));
        assert_eq!(i.intern("A"), Sym(0));
        assert_eq!(i.take_update(), update(5, 0, &["A", "B"]));
        assert_eq!(i.intern("B"), Sym(1));
        assert_eq!(i.update(), update(5, 2, &[]));
        assert_eq!(i.intern("C"), Sym(2));
        // Not committed: sent again with the next frame.
        assert_eq!(i.update(), update(5, 2, &["C"]));
        assert_eq!(i.update(), update(5, 2, &["C"]));
        i.reset();
        assert_eq!(i.intern("C"), Sym(0));
        assert_eq!(i.update(), update(6, 0, &["C"]));
    }
}
