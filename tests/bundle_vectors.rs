//! Shared frame-bundle vectors (`tests/vectors/bundles/`): valid, truncated, oversized and
//! garbage bundles with the outcome each must have, written by hand in `expected.json`. This
//! test runs them through the core's strict parser (`parse_bundle` with the default limits);
//! `viewer/test/vectors.mjs` runs the same files through the replay page's parser in headless
//! Chromium. Both must reach exactly these outcomes, so the page reads what the core reads.
//!
//! The files are generated once by `cargo test --release --test bundle_vectors -- --ignored`
//! (except `valid-demo-bundle.gz`, a bundle the demo's SDK uploaded); the expectations are not
//! generated: each was worked out from the format, and the demo bundle's from an independent
//! reading (Python's gzip and struct).

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::write::{DeflateEncoder, GzEncoder};
use flate2::{Compression, Crc};
use rejourney_core::{parse_bundle, ParseLimits};
use rejourney_harness::bundle_outcome;
use serde_json::{json, Value};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/bundles")
}

/// Compares with an expectation; `frames` may be left out of it (long lists).
fn matches(got: &Value, want: &Value) -> bool {
    if let Some(e) = want.get("error") {
        return got.get("error") == Some(e);
    }
    got["ok"] == json!(true)
        && got["frameCount"] == want["frameCount"]
        && want.get("frames").is_none_or(|f| *f == got["frames"])
}

#[test]
fn the_core_reads_every_shared_vector_as_expected() {
    let expected: Value =
        serde_json::from_slice(&std::fs::read(dir().join("expected.json")).unwrap()).unwrap();
    let l = ParseLimits::default();
    assert_eq!(
        expected["limits"],
        json!({"maxDecompressed": l.max_decompressed, "maxFrames": l.max_frames,
            "maxFrameLen": l.max_frame_len}),
        "the vectors are written for the default limits"
    );
    let vectors = expected["vectors"].as_array().unwrap();
    let mut failures = Vec::new();
    for v in vectors {
        let file = v["file"].as_str().unwrap();
        let bytes = std::fs::read(dir().join(file)).unwrap();
        let got = bundle_outcome(&parse_bundle(&bytes, l));
        if !matches(&got, v) {
            failures.push(format!("{file}: expected {v}, got {got}"));
        }
    }
    let files = std::fs::read_dir(dir()).unwrap().count() - 1;
    assert_eq!(files, vectors.len(), "every file has an expectation");
    assert!(vectors.len() >= 30);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---- generation (run once with --ignored; the files are committed) ----

fn frame(offset: u64, jpeg: &[u8]) -> Vec<u8> {
    let mut v = offset.to_be_bytes().to_vec();
    v.extend_from_slice(&(jpeg.len() as u32).to_be_bytes());
    v.extend_from_slice(jpeg);
    v
}

fn jpeg(len: usize, fill: u8) -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8];
    v.resize(len.max(2), fill);
    v
}

fn gz_level(raw: &[u8], level: u32) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::new(level));
    e.write_all(raw).unwrap();
    e.finish().unwrap()
}

fn gz(raw: &[u8]) -> Vec<u8> {
    gz_level(raw, 6)
}

fn crc(data: &[u8]) -> u32 {
    let mut c = Crc::new();
    c.update(data);
    c.sum()
}

/// A gzip member around a raw deflate stream, with the given header flags' fields.
fn member(header_extra: &[u8], flags: u8, deflate: &[u8], raw: &[u8]) -> Vec<u8> {
    let mut g = vec![0x1f, 0x8b, 8, flags, 0, 0, 0, 0, 0, 255];
    g.extend_from_slice(header_extra);
    if flags & 2 != 0 {
        let hcrc = (crc(&g) & 0xFFFF) as u16;
        g.extend_from_slice(&hcrc.to_le_bytes());
    }
    g.extend_from_slice(deflate);
    g.extend_from_slice(&crc(raw).to_le_bytes());
    g.extend_from_slice(&(raw.len() as u32).to_le_bytes());
    g
}

/// LSB-first bit writer for hand-made deflate streams (Huffman codes go MSB-first).
struct Bits(Vec<u8>, u32);

impl Bits {
    fn put(&mut self, v: u32, n: u32) {
        for i in 0..n {
            if self.1 & 7 == 0 {
                self.0.push(0);
            }
            let last = self.0.len() - 1;
            self.0[last] |= (((v >> i) & 1) as u8) << (self.1 & 7);
            self.1 += 1;
        }
    }
    fn code(&mut self, c: u32, n: u32) {
        for i in (0..n).rev() {
            self.put((c >> i) & 1, 1);
        }
    }
    /// A fixed-Huffman literal (0–143: 8-bit codes from 0x30).
    fn literal(&mut self, b: u8) {
        match b {
            0..=143 => self.code(0x30 + u32::from(b), 8),
            _ => self.code(0x190 + u32::from(b - 144), 9),
        }
    }
}

#[test]
#[ignore = "writes tests/vectors/bundles; run once, then review and commit"]
fn regenerate_vectors() {
    let d = dir();
    std::fs::create_dir_all(&d).unwrap();
    let w = |name: &str, bytes: Vec<u8>| std::fs::write(d.join(name), bytes).unwrap();
    let max_len = ParseLimits::default().max_frame_len;
    let three = [
        frame(0, &jpeg(10, 1)),
        frame(1000, &jpeg(300, 2)),
        frame(2500, &jpeg(5, 3)),
    ]
    .concat();
    let three_gz = gz(&three);

    w(
        "valid-one-frame.gz",
        gz(&frame(0, &[0xFF, 0xD8, 0xFF, 0xD9])),
    );
    w("valid-three-frames.gz", three_gz.clone());
    w(
        "valid-equal-offsets.gz",
        gz(&[frame(500, &jpeg(4, 7)), frame(500, &jpeg(6, 8))].concat()),
    );
    w(
        "valid-u64-max.gz",
        gz(&[
            frame(u64::MAX - 1, &jpeg(3, 1)),
            frame(u64::MAX, &jpeg(3, 2)),
        ]
        .concat()),
    );
    w(
        "valid-trailing-junk.gz",
        [gz(&frame(7, &jpeg(8, 9))), b"trailing junk".to_vec()].concat(),
    );
    w(
        "valid-two-members.gz",
        [gz(&frame(1, &jpeg(3, 1))), gz(&frame(2, &jpeg(3, 2)))].concat(),
    );
    let one = frame(42, &jpeg(20, 5));
    let mut deflate = DeflateEncoder::new(Vec::new(), Compression::new(6));
    deflate.write_all(&one).unwrap();
    let deflate = deflate.finish().unwrap();
    let extra = [
        &[4u8, 0, b'R', b'J', 2, 0][..],
        b"bundle.bin\0",
        b"a comment\0",
    ]
    .concat();
    w(
        "valid-header-fields.gz",
        member(&extra, 2 | 4 | 8 | 16, &deflate, &one),
    );
    w("valid-stored-blocks.gz", gz_level(&three, 0));
    w("valid-max-frame-len.gz", gz(&frame(0, &jpeg(max_len, 0))));
    let thousand: Vec<u8> = (0..1000u64)
        .flat_map(|i| frame(i * 10, &jpeg(2, 0)))
        .collect();
    w("valid-1000-frames.gz", gz(&thousand));
    // A match (length 8, distance 8) before any output: miniz_oxide's window starts zeroed, so
    // it yields the 8 zero bytes of the offset; then literals for the rest of the frame.
    let raw = frame(0, &[0xFF, 0xD8, 0, 0, 0]);
    let mut b = Bits(Vec::new(), 0);
    b.put(1, 1);
    b.put(1, 2);
    b.code(262 - 256, 7);
    b.code(5, 5);
    b.put(1, 1);
    for &byte in &raw[8..] {
        b.literal(byte);
    }
    b.code(0, 7);
    w("valid-distance-before-start.gz", member(&[], 0, &b.0, &raw));

    w(
        "oversized-frame-len.gz",
        gz(&[
            0u64.to_be_bytes().to_vec(),
            (max_len as u32 + 1).to_be_bytes().to_vec(),
        ]
        .concat()),
    );
    w(
        "oversized-frame-u32-max.gz",
        gz(&[
            frame(0, &jpeg(3, 1)),
            5u64.to_be_bytes().to_vec(),
            u32::MAX.to_be_bytes().to_vec(),
        ]
        .concat()),
    );
    let many: Vec<u8> = (0..1001u64).flat_map(|i| frame(i, &jpeg(2, 0))).collect();
    w("oversized-1001-frames.gz", gz(&many));
    w(
        "oversized-1000-frames-then-junk.gz",
        gz(&[thousand.clone(), vec![1, 2, 3]].concat()),
    );
    let mut bomb = GzEncoder::new(Vec::new(), Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..64 {
        bomb.write_all(&zeros).unwrap();
    }
    bomb.write_all(&[0]).unwrap();
    w("oversized-decompressed.gz", bomb.finish().unwrap());
    w(
        "oversized-and-backwards.gz",
        gz(&[
            frame(1000, &jpeg(3, 1)),
            500u64.to_be_bytes().to_vec(),
            (max_len as u32 + 1).to_be_bytes().to_vec(),
        ]
        .concat()),
    );

    w(
        "truncated-gzip-body.gz",
        three_gz[..three_gz.len() / 2].to_vec(),
    );
    w(
        "truncated-gzip-trailer.gz",
        three_gz[..three_gz.len() - 4].to_vec(),
    );
    w("truncated-gzip-header.gz", three_gz[..5].to_vec());
    w(
        "truncated-frame-header.gz",
        gz(&[frame(0, &[0xFF, 0xD8, 0xFF, 0xD9]), vec![0; 7]].concat()),
    );
    w(
        "truncated-jpeg-data.gz",
        gz(&[
            0u64.to_be_bytes().to_vec(),
            100u32.to_be_bytes().to_vec(),
            jpeg(50, 4),
        ]
        .concat()),
    );
    w(
        "truncated-after-backwards-offset.gz",
        gz(&[
            frame(1000, &jpeg(3, 1)),
            10u64.to_be_bytes().to_vec(),
            100u32.to_be_bytes().to_vec(),
        ]
        .concat()),
    );

    w("garbage-empty-file.gz", Vec::new());
    w("garbage-text.bin", b"this is not a frame bundle\n".to_vec());
    w("garbage-raw-not-gzipped.bin", three.clone());
    let mut bad_crc = three_gz.clone();
    let n = bad_crc.len();
    bad_crc[n - 8] ^= 0x01;
    w("garbage-bad-crc.gz", bad_crc);
    let mut bad_size = three_gz.clone();
    bad_size[n - 4] ^= 0x01;
    w("garbage-bad-isize.gz", bad_size);
    let mut reserved = three_gz.clone();
    reserved[3] = 0x20;
    w("garbage-reserved-flags.gz", reserved);
    w(
        "garbage-block-type-3.gz",
        member(&[], 0, &[0x07, 0, 0], b""),
    );
    w("garbage-empty-gzip.gz", gz(b""));
    w("garbage-not-jpeg.gz", gz(&frame(0, b"GIF89a")));
    w("garbage-jpeg-len-1.gz", gz(&frame(0, &[0xFF])));
    w("garbage-zero-len-frame.gz", gz(&frame(0, &[])));
    w(
        "garbage-timestamp-backwards.gz",
        gz(&[frame(1000, &jpeg(3, 1)), frame(999, &jpeg(3, 2))].concat()),
    );
    w(
        "garbage-u64-backwards.gz",
        gz(&[
            frame(u64::MAX, &jpeg(3, 1)),
            frame(u64::MAX - 1, &jpeg(3, 2)),
        ]
        .concat()),
    );
}
