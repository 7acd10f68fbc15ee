//! The strings a shim's node lists name by index: class names, test ids, developer tags.
//!
//! A screen of 781 views carried ~1 400 of them per frame as heap strings: the host's runtime
//! encoded each one (the JVM ~0.5 µs apiece on the main thread), the FFI lift allocated each
//! one, and the hierarchy worker freed each one a frame later (26 µs of its 35 µs path,
//! `benches/RESULTS.md`). They hardly change between frames, so a shim keeps one table
//! ([`Interner`] is the reference): each string crosses once, in a [`StringsUpdate`], and
//! nodes name it by [`Sym`] from then on.
//!
//! The core's side ([`StringTable`]) checks that every update continues the table it has:
//! same table id, a `base` it holds, and the [`digest`] of every string before `base` equal
//! to its own. Two shims in one process (two windows, a restarted walker, a React Native
//! surface) may pick the same id, but not the same digest unless their tables hold the same
//! strings at the same indices, which then resolve alike: a node never names another
//! shim's string. Any doubt refuses the update and its frame ([`StringsError`]); the shim
//! starts a new table. An update resent after an answer was lost (the core had applied
//! it) is accepted again, its strings checked against the ones held: so a shim commits
//! an update only when its submit succeeded, and never has to guess. Each frame
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StringsUpdate {
    /// The shim's table. A value other than the current one starts a new table.
    pub table: u64,
    /// How many strings of this table the core already has: the index of `added[0]`.
    pub base: u32,
    /// [`digest`] of the table's strings before `base` (the table this update extends):
    /// [`DIGEST_SEED`] for a new table.
    pub digest: u64,
    pub added: Vec<String>,
}

impl Default for StringsUpdate {
    fn default() -> Self {
        Self {
            table: 0,
            base: 0,
            digest: DIGEST_SEED,
            added: Vec::new(),
        }
    }
}

/// The digest of an empty table (the FNV-1a 64 offset basis).
pub const DIGEST_SEED: u64 = 0xcbf2_9ce4_8422_2325;
const DIGEST_PRIME: u64 = 0x0000_0100_0000_01b3;

/// The running digest of a table: `h` (the digest of the strings before) extended by `s`.
/// FNV-1a 64 over the string's UTF-8 bytes, then a 0xFF byte, which UTF-8 never contains,
/// so string boundaries count. Stable and simple on purpose: the Kotlin and Swift tables
/// compute it too (over the UTF-8 the binding sends: a lone UTF-16 surrogate as U+FFFD).
pub fn digest(mut h: u64, s: &str) -> u64 {
    for &b in s.as_bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(DIGEST_PRIME);
    }
    (h ^ 0xff).wrapping_mul(DIGEST_PRIME)
}

/// A fresh table id from the OS's random source: no other table in the process (another
/// shim, an earlier table of this one) has it but by a 2^-64 chance; with a broken source,
/// a per-process counter mixed with the time still never repeats within the process.
pub fn new_table_id() -> u64 {
    use ring::rand::SecureRandom;
    let mut b = [0u8; 8];
    match ring::rand::SystemRandom::new().fill(&mut b) {
        Ok(()) => u64::from_le_bytes(b),
        Err(_) => {
            static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ fastrand::u64(..)
        }
    }
}

/// Why an update cannot be applied. The table is left as it was; the shim should start a new
/// table (the frame it came with is refused).
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum StringsError {
    #[error("string table {table}: update starts at {base}, the core has {have}")]
    OutOfSync { table: u64, base: u32, have: u32 },
    /// The update's digest, or a string it resends, is not the table's the core holds under
    /// that id: another shim's table (the same id), or a shim that lost track.
    #[error(
        "string table {table}: the update extends another table (digest or strings differ at {at})"
    )]
    Lineage { table: u64, at: u32 },
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

impl StringLimits {
    /// When a shim starts a new table, before a walk: once its table holds this many
    /// strings or UTF-8 bytes. Half the limits: the other half is room for the walks to
    /// come, which add only strings not seen before (a screen's few dozen class names, its
    /// test ids). A single walk with more new strings than the core takes cannot be
    /// described; its frame is refused (fail closed) and the next walk starts a new table.
    pub fn reset_at(&self) -> (u32, u64) {
        (self.max_strings / 2, self.max_bytes as u64 / 2)
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
            added: strings,
            ..StringsUpdate::default()
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
    /// `digests[i]`: the [`digest`] of the first `i` strings (`len + 1` of them), so an
    /// update from any base it holds can be checked.
    digests: Vec<u64>,
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
            digests: vec![DIGEST_SEED],
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

    fn try_apply(&mut self, mut update: StringsUpdate) -> Result<Strings, StringsError> {
        let fresh = self.table != Some(update.table);
        let (have, have_bytes) = if fresh {
            (0, 0)
        } else {
            (self.len, self.bytes)
        };
        let table = update.table;
        let out_of_sync = StringsError::OutOfSync {
            table,
            base: update.base,
            have,
        };
        if update.base > have {
            return Err(out_of_sync);
        }
        let prefix = if fresh {
            DIGEST_SEED
        } else {
            self.digests[update.base as usize]
        };
        if update.digest != prefix {
            return Err(StringsError::Lineage {
                table,
                at: update.base,
            });
        }
        // Strings from `base` the core already has: a resend after a lost answer. They must
        // be the very strings held, and the update may only add after them.
        let held = (have - update.base) as usize;
        if held > update.added.len() {
            return Err(out_of_sync);
        }
        let differs = (0..held)
            .find(|&i| self.held(update.base + i as u32) != Some(update.added[i].as_str()));
        if let Some(i) = differs {
            return Err(StringsError::Lineage {
                table,
                at: update.base + i as u32,
            });
        }
        update.added.drain(..held);
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
            self.digests.clear();
            self.digests.push(DIGEST_SEED);
            self.current = None;
        }
        if !update.added.is_empty() {
            let mut h = self.digests.last().copied().unwrap_or(DIGEST_SEED);
            for s in &update.added {
                h = digest(h, s);
                self.digests.push(h);
            }
            self.push_chunk(update.added);
            self.current = None;
        }
        self.len = count;
        self.bytes = bytes;
        Ok(self.snapshot())
    }

    /// The string at `i` of the current table.
    fn held(&self, i: u32) -> Option<&str> {
        let chunk = self.chunks.iter().rev().find(|c| c.start <= i)?;
        chunk.strings.get((i - chunk.start) as usize).map(|s| &**s)
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
    /// [`digest`] of the strings before `base`.
    digest: u64,
    pending: Vec<String>,
}

impl Default for Interner {
    fn default() -> Self {
        Self::new()
    }
}

impl Interner {
    /// A table with a fresh random id ([`new_table_id`]).
    pub fn new() -> Self {
        Self::with_table(new_table_id())
    }

    /// An interner with a chosen table id (tests that make two shims collide on purpose).
    pub fn with_table(table: u64) -> Self {
        Self {
            table,
            index: HashMap::new(),
            base: 0,
            digest: DIGEST_SEED,
            pending: Vec::new(),
        }
    }

    /// The table's id.
    pub fn table(&self) -> u64 {
        self.table
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
            digest: self.digest,
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

    /// The core applied the last [`Interner::update`] (its submit succeeded). After any
    /// other answer the strings stay pending and go again: the core accepts a resend of
    /// what it already has.
    pub fn committed(&mut self) {
        for s in &self.pending {
            self.digest = digest(self.digest, s);
        }
        self.base += self.pending.len() as u32;
        self.pending.clear();
    }

    /// Like [`Interner::committed`] for an update taken earlier (`sent`): commits the part
    /// of it that is still pending; an update of another table, or from another base,
    /// changes nothing.
    pub fn committed_update(&mut self, sent: &StringsUpdate) {
        let n = sent.added.len();
        if sent.table != self.table || sent.base != self.base || n > self.pending.len() {
            return;
        }
        for s in self.pending.drain(..n) {
            self.digest = digest(self.digest, &s);
        }
        self.base += n as u32;
    }

    /// Starts a new table with a fresh id (after a [`StringsError`]).
    pub fn reset(&mut self) {
        *self = Self::new();
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }
}

#[cfg(test)]
mod tests;
