//! Differential cases for the replay page's bundle parser: mutations of the shared vectors'
//! valid bundles (bit flips, truncations, stray and inserted bytes in the gzip stream; bad
//! offsets and lengths in the frames, gzipped again), each with the outcome the core's strict
//! parser reaches, some under small limits so the decompression and frame limits are crossed.
//! `scripts/test-viewer.sh` runs them all through the page's parser in the browser, which must
//! reach the same outcome for every one.
//!
//! Usage: `cargo run --release --example bundle_mutations -- OUT.json [COUNT] [SEED]`
//! (defaults 1500 and 1). Deterministic for a seed.

use std::io::{Read, Write};
use std::path::Path;

use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use rejourney_core::{parse_bundle, ParseLimits};
use rejourney_harness::bundle_outcome;
use serde_json::{json, Value};

/// xorshift64*: enough to spread mutations, and the same everywhere for a seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn gz(raw: &[u8], level: u32) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::new(level));
    let _ = e.write_all(raw);
    e.finish().unwrap_or_default()
}

/// One mutation of a valid bundle (`gz`, whose contents are `raw`).
fn mutate(rng: &mut Rng, gz_bytes: &[u8], raw: &[u8]) -> (String, Vec<u8>) {
    let mut g = gz_bytes.to_vec();
    let mut r = raw.to_vec();
    let at = |rng: &mut Rng, v: &[u8]| rng.below(v.len());
    match rng.below(9) {
        0 => {
            for _ in 0..1 + rng.below(3) {
                let i = at(rng, &g);
                g[i] ^= 1 << rng.below(8);
            }
            ("gzip bits flipped".into(), g)
        }
        1 => {
            g.truncate(at(rng, &g));
            ("gzip truncated".into(), g)
        }
        2 => {
            let i = at(rng, &g);
            g[i] = rng.next() as u8;
            ("gzip byte replaced".into(), g)
        }
        3 => {
            let i = at(rng, &g);
            g.insert(i, rng.next() as u8);
            ("gzip byte inserted".into(), g)
        }
        4 => {
            g.extend((0..1 + rng.below(20)).map(|_| rng.next() as u8));
            ("bytes after the gzip member".into(), g)
        }
        5 => {
            // A frame header's offset or length, at a frame boundary or anywhere.
            let i = at(rng, &r);
            r[i] = rng.next() as u8;
            (
                "raw byte replaced, gzipped again".into(),
                gz(&r, rng.below(10) as u32),
            )
        }
        6 => {
            r.truncate(at(rng, &r));
            ("raw truncated, gzipped again".into(), gz(&r, 1))
        }
        7 => {
            let i = at(rng, &r);
            let n = rng.below(16) + 1;
            r.splice(i..i, (0..n).map(|_| rng.next() as u8));
            ("raw bytes inserted, gzipped again".into(), gz(&r, 6))
        }
        _ => {
            let i = at(rng, &r);
            r[i] ^= 0x80;
            ("raw high bit flipped, gzipped again".into(), gz(&r, 0))
        }
    }
}

fn main() {
    if let Err(e) = run() {
        eprintln!("bundle_mutations: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = args
        .next()
        .ok_or("usage: bundle_mutations OUT.json [COUNT] [SEED]")?;
    let count: usize = args.next().map(|c| c.parse()).transpose()?.unwrap_or(1500);
    let seed: u64 = args.next().map(|c| c.parse()).transpose()?.unwrap_or(1);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/bundles");
    let mut seeds = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(&dir)?
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("valid-") && n != "valid-max-frame-len.gz")
        .collect();
    names.sort();
    for name in names {
        let gz_bytes = std::fs::read(dir.join(&name))?;
        let mut raw = Vec::new();
        GzDecoder::new(&gz_bytes[..]).read_to_end(&mut raw)?;
        seeds.push((name, gz_bytes, raw));
    }
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut cases = Vec::with_capacity(count);
    let b64 = |b: &[u8]| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(b)
    };
    for i in 0..count {
        let (name, gz_bytes, raw) = &seeds[rng.below(seeds.len())];
        let (how, bytes) = mutate(&mut rng, gz_bytes, raw);
        // A third under small limits, so the limits themselves are crossed.
        let limits = if i % 3 == 0 {
            ParseLimits {
                max_decompressed: 16 + rng.below(40_000),
                max_frames: 1 + rng.below(4),
                max_frame_len: 2 + rng.below(400),
            }
        } else {
            ParseLimits::default()
        };
        let outcome = bundle_outcome(&parse_bundle(&bytes, limits));
        cases.push(json!({
            "name": format!("{i}: {name}, {how}"),
            "limits": {"maxDecompressed": limits.max_decompressed, "maxFrames": limits.max_frames,
                "maxFrameLen": limits.max_frame_len},
            "gz": b64(&bytes),
            "outcome": outcome,
        }));
    }
    let accepted = cases
        .iter()
        .filter(|c| c["outcome"]["ok"] == json!(true))
        .count();
    std::fs::write(&out, serde_json::to_vec(&Value::Array(cases))?)?;
    println!("{count} mutated bundles ({accepted} accepted by the core) in {out}");
    Ok(())
}
