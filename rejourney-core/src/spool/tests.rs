//! Test-only module (declared `#[cfg(test)] mod tests;` in `spool.rs`). The spool's rules: durable writes, resume, quarantine, quota eviction.

use super::*;

fn meta(n: u64) -> ArtifactMeta {
    ArtifactMeta {
        kind: ArtifactKind::Screenshots,
        session_id: "s1".into(),
        start_ms: n,
        end_ms: n + 1,
        item_count: 3,
        batch_number: 0,
        idempotency_key: format!("s1-screenshots-{n}"),
        created_ms: n,
        is_sampled_in: true,
    }
}

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "rj-spool-{name}-{}-{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    let _ = fs::remove_dir_all(&d);
    d
}

#[test]
fn put_read_remove_and_resume_across_reopen() {
    let dir = tempdir("resume");
    let (mut s, r) = Spool::open(&dir, SpoolLimits::default()).unwrap();
    assert_eq!(r, OpenReport::default());
    let a = s.put(&meta(1), b"alpha").unwrap();
    let b = s.put(&meta(2), b"beta").unwrap();
    assert_eq!(s.read(a).unwrap(), (meta(1), b"alpha".to_vec()));
    s.remove(a);
    drop(s);
    fs::write(dir.join("0000000000000099.tmp"), b"half written").unwrap();
    let (mut s, r) = Spool::open(&dir, SpoolLimits::default()).unwrap();
    assert_eq!((r.resumed, r.temp_files_removed), (1, 1));
    assert_eq!(s.oldest().unwrap().id, b);
    assert_eq!(s.read(b).unwrap().1, b"beta");
    let c = s.put(&meta(3), b"gamma").unwrap();
    assert!(c > b, "ids keep increasing across restarts");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn quota_evicts_oldest_and_counts() {
    let dir = tempdir("quota");
    let one = (8 + 4 + serde_json::to_vec(&meta(1)).unwrap().len() + 12 + 1000) as u64;
    let (mut s, _) = Spool::open(
        &dir,
        SpoolLimits {
            quota_bytes: one * 3,
            max_files: 100,
        },
    )
    .unwrap();
    let body = vec![1u8; 1000];
    let ids: Vec<u64> = (1..=5).map(|i| s.put(&meta(i), &body).unwrap()).collect();
    assert_eq!(s.len(), 3);
    assert!(s.total_bytes() <= one * 3);
    assert_eq!(s.counters.evicted, 2);
    assert_eq!(
        s.entries().map(|e| e.id).collect::<Vec<_>>(),
        ids[2..].to_vec()
    );
    assert!(matches!(
        s.put(&meta(9), &vec![0u8; (one * 4) as usize]),
        Err(SpoolError::TooLarge { .. })
    ));
    let (mut s2, _) = Spool::open(
        &dir,
        SpoolLimits {
            quota_bytes: one * 3,
            max_files: 1,
        },
    )
    .unwrap();
    assert_eq!(s2.len(), 1, "file cap enforced on open");
    s2.clear();
    assert!(s2.is_empty());
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn corrupt_and_truncated_files_are_quarantined_not_fatal() {
    let dir = tempdir("corrupt");
    let (mut s, _) = Spool::open(&dir, SpoolLimits::default()).unwrap();
    let a = s.put(&meta(1), &[7u8; 100]).unwrap();
    let b = s.put(&meta(2), &[8u8; 100]).unwrap();
    let c = s.put(&meta(3), &[9u8; 100]).unwrap();
    drop(s);
    // a: truncated; b: body flipped (checksum); c intact; plus garbage files.
    let pa = dir.join(format!("{a:016}.rjs"));
    let data = fs::read(&pa).unwrap();
    fs::write(&pa, &data[..data.len() - 10]).unwrap();
    let pb = dir.join(format!("{b:016}.rjs"));
    let mut data = fs::read(&pb).unwrap();
    let n = data.len();
    data[n - 1] ^= 0xFF;
    fs::write(&pb, data).unwrap();
    fs::write(
        dir.join("0000000000000777.rjs"),
        b"RJSPOOL1\xff\xff\xff\xff",
    )
    .unwrap();
    fs::write(dir.join("0000000000000778.rjs"), b"").unwrap();
    let (mut s, r) = Spool::open(&dir, SpoolLimits::default()).unwrap();
    assert_eq!(r.quarantined, 3, "truncated + two garbage files");
    assert_eq!(r.resumed, 2);
    assert!(
        matches!(s.read(b), Err(SpoolError::Corrupt(_))),
        "checksum caught on read"
    );
    assert_eq!(s.read(c).unwrap().1, vec![9u8; 100]);
    assert_eq!(s.counters.quarantined, 4);
    assert!(dir.join("quarantine").read_dir().unwrap().count() >= 3);
    let _ = fs::remove_dir_all(&dir);
}
