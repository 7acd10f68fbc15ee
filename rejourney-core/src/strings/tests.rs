//! Test-only module (declared `#[cfg(test)] mod tests;` in `strings.rs`). The string table's rules: interning, digests, lineage checks, resets.

use super::*;

fn chain<S: AsRef<str>>(strings: &[S]) -> u64 {
    strings
        .iter()
        .fold(DIGEST_SEED, |h, s| digest(h, s.as_ref()))
}

/// An update of a table holding `prior`, adding `added`.
fn extend(table: u64, prior: &[&str], added: &[&str]) -> StringsUpdate {
    StringsUpdate {
        table,
        base: prior.len() as u32,
        digest: chain(prior),
        added: added.iter().map(|s| s.to_string()).collect(),
    }
}

/// An update from `base` with a digest that proves nothing (only for refusals).
fn update(table: u64, base: u32, added: &[&str]) -> StringsUpdate {
    StringsUpdate {
        table,
        base,
        digest: DIGEST_SEED,
        added: added.iter().map(|s| s.to_string()).collect(),
    }
}

#[test]
fn appends_and_snapshots_stay_as_they_were() {
    let mut t = StringTable::new(StringLimits::default());
    let a = t.apply(update(7, 0, &["View", "Label"])).unwrap();
    let b = t.apply(extend(7, &["View", "Label"], &["Button"])).unwrap();
    assert_eq!((a.len(), b.len()), (2, 3));
    assert_eq!(a.get(Sym(2)), None);
    assert_eq!(b.get(Sym(2)), Some("Button"));
    assert_eq!(b.get(Sym(0)), Some("View"));
    assert!(a.same(Sym(1), &b, Sym(1)));
    assert!(!a.same(Sym(0), &b, Sym(1)));
    // Nothing new: the same snapshot.
    let c = t
        .apply(extend(7, &["View", "Label", "Button"], &[]))
        .unwrap();
    assert!(Arc::ptr_eq(&b.chunks, &c.chunks));
}

#[test]
fn out_of_sync_and_limits_leave_the_table_unchanged() {
    let limits = StringLimits {
        max_strings: 3,
        max_bytes: 10,
    };
    let mut t = StringTable::new(limits);
    t.apply(extend(1, &[], &["ab"])).unwrap();
    // Another string where the core holds "ab": not this table.
    assert_eq!(
        t.apply(extend(1, &[], &["cd"])).err(),
        Some(StringsError::Lineage { table: 1, at: 0 })
    );
    // A base beyond what the core holds.
    assert_eq!(
        t.apply(extend(1, &["ab", "x"], &["cd"])).err(),
        Some(StringsError::OutOfSync {
            table: 1,
            base: 2,
            have: 1
        })
    );
    assert!(matches!(
        t.apply(extend(1, &["ab"], &["c", "d", "e"])),
        Err(StringsError::TooMany { .. })
    ));
    assert!(matches!(
        t.apply(extend(1, &["ab"], &["0123456789"])),
        Err(StringsError::TooLarge { .. })
    ));
    // A new table must start at 0.
    assert!(matches!(
        t.apply(extend(2, &["ab"], &["x"])),
        Err(StringsError::OutOfSync { .. })
    ));
    let s = t.apply(extend(1, &["ab"], &["cd"])).unwrap();
    assert_eq!((s.get(Sym(0)), s.get(Sym(1))), (Some("ab"), Some("cd")));
    let c = t.counters();
    assert_eq!((c.strings, c.bytes, c.tables, c.refused), (2, 4, 1, 5));
    // A new table replaces the old one; snapshots of the old one keep their strings
    // and are never taken for the new one's.
    let n = t.apply(extend(2, &[], &["cd", "ab"])).unwrap();
    assert_eq!(n.get(Sym(0)), Some("cd"));
    assert!(!s.same(Sym(0), &n, Sym(0)));
    assert!(s.same(Sym(0), &n, Sym(1)));
}

#[test]
fn the_same_id_with_other_strings_is_refused() {
    // Two shims on one id (the issue: one shim's reset landed on the other's id).
    let mut t = StringTable::new(StringLimits::default());
    t.apply(extend(4, &[], &["Window", "Label"])).unwrap();
    // The other shim believes the core holds its two strings, and appends a third.
    let err = t
        .apply(extend(4, &["Window", "rj-unmask"], &["Input"]))
        .unwrap_err();
    assert_eq!(err, StringsError::Lineage { table: 4, at: 2 });
    // Its digest from 0 is the empty table's, but it resends a string the core holds
    // otherwise.
    let err = t
        .apply(extend(4, &[], &["Window", "rj-unmask"]))
        .unwrap_err();
    assert_eq!(err, StringsError::Lineage { table: 4, at: 1 });
    // The right shim goes on.
    let s = t.apply(extend(4, &["Window", "Label"], &["B"])).unwrap();
    assert_eq!(s.get(Sym(1)), Some("Label"));
}

#[test]
fn a_resend_after_a_lost_answer_is_accepted_once() {
    let mut t = StringTable::new(StringLimits::default());
    t.apply(extend(3, &[], &["A", "B"])).unwrap();
    // The shim did not learn that the core applied it: the same strings, and one more.
    let s = t.apply(extend(3, &[], &["A", "B", "C"])).unwrap();
    assert_eq!(s.len(), 3);
    assert_eq!(s.get(Sym(2)), Some("C"));
    // Less than the core holds from that base: the shim lost track.
    assert!(matches!(
        t.apply(extend(3, &["A"], &[])),
        Err(StringsError::OutOfSync { .. })
    ));
    assert_eq!(t.counters().strings, 3);
}

#[test]
fn the_digest_is_the_documented_chain() {
    // FNV-1a 64 of "" is the seed; "a" then 0xFF, as the Kotlin and Swift tables do.
    assert_eq!(DIGEST_SEED, 0xcbf2_9ce4_8422_2325);
    let mut h = DIGEST_SEED;
    for b in [b'a', 0xff] {
        h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
    }
    assert_eq!(digest(DIGEST_SEED, "a"), h);
    // Boundaries count.
    assert_ne!(chain(&["ab", "c"]), chain(&["a", "bc"]));
    // Vectors the wrappers' tests check too.
    assert_eq!(chain::<&str>(&[]), 0xcbf2_9ce4_8422_2325);
    assert_eq!(chain(&["Window", "é", "😀"]), VECTOR);
}

/// `chain(["Window", "é", "😀"])`, shared with `NodeStringTableTest.kt` / `.swift`.
const VECTOR: u64 = 0xc640_3ee8_a5dc_ce4b;

#[test]
fn chunks_stay_few_and_every_index_resolves() {
    let mut t = StringTable::new(StringLimits::default());
    let mut all: Vec<String> = Vec::new();
    let mut s = Strings::default();
    for round in 0..300u32 {
        let base = all.len() as u32;
        let added: Vec<String> = (0..(round % 7)).map(|k| format!("s{}", base + k)).collect();
        s = t
            .apply(StringsUpdate {
                table: 9,
                base,
                digest: chain(&all),
                added: added.clone(),
            })
            .unwrap();
        all.extend(added);
    }
    let base = all.len() as u32;
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
    assert_eq!(i.take_update(), extend(5, &[], &["A", "B"]));
    assert_eq!(i.intern("B"), Sym(1));
    assert_eq!(i.update(), extend(5, &["A", "B"], &[]));
    assert_eq!(i.intern("C"), Sym(2));
    // Not committed: sent again with the next frame.
    assert_eq!(i.update(), extend(5, &["A", "B"], &["C"]));
    assert_eq!(i.update(), extend(5, &["A", "B"], &["C"]));
    i.reset();
    assert_ne!(i.table(), 5);
    assert_eq!(i.intern("C"), Sym(0));
    assert_eq!(i.update(), extend(i.table(), &[], &["C"]));
}
