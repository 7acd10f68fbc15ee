//! Checks the frames an ingest server stored against what a binding suite submitted: used by
//! `scripts/test-kotlin.sh` and `scripts/test-swift.sh` to prove privacy end to end through a
//! platform SDK, whose test language cannot decode JPEG.
//!
//! The suites write `submitted.jsonl` in the server's data directory: one line per submitted
//! corpus frame (`{"session", "ts", "screen"}`, `ts` the absolute capture time in ms) and one
//! per session with the number of frames the core says it captured (`{"session", "captured"}`).
//! Every stored frame of those sessions is matched to its submission **by timestamp** (session
//! start, read from the id, + the bundle's offset), not to the nearest-looking image; the
//! stored count must equal the captured count exactly; a frame that matches nothing fails.
//! Then every text input, secure input and camera of the submitted screen must be black: deep
//! inside with the strict bound, and in the edge band just inside the mask's pixel rectangle
//! with a looser one, so a mask off by more than a pixel is caught.
//!
//! Usage: `cargo run --release --example verify_stored -- DATA_DIR [SCALE]` (default 1.25).
//! Sessions with no submissions (synthetic frames of other tests) are counted and skipped.
//! Prints `verified N frames, M private regions black` and exits non-zero on any failure.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use rejourney_core::{parse_bundle, ParseLimits};
use rejourney_harness::{
    brightest_in_edge_band, brightest_inside, corpus_dir, decode_jpeg, load_corpus, Screen,
    EDGE_MAX_CHANNEL, EDGE_PX, MAX_CHANNEL,
};

/// What one session's suite said it submitted.
#[derive(Debug, Default)]
struct Submitted {
    /// Absolute capture time → screen id.
    frames: HashMap<u64, String>,
    captured: Option<u64>,
}

/// Every file named `name` up to three levels below `data`.
fn find(data: &Path, name: &str) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut dirs = vec![(data.to_path_buf(), 0)];
    while let Some((dir, depth)) = dirs.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                if depth < 3 {
                    dirs.push((path, depth + 1));
                }
            } else if path.file_name().is_some_and(|n| n == name) {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn manifests(data: &Path) -> Result<BTreeMap<String, Submitted>, Box<dyn std::error::Error>> {
    let mut out: BTreeMap<String, Submitted> = BTreeMap::new();
    for path in find(data, "submitted.jsonl")? {
        for (n, line) in std::fs::read_to_string(&path)?.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let v: serde_json::Value = serde_json::from_str(line)
                .map_err(|e| format!("{}:{}: {e}", path.display(), n + 1))?;
            let session = v["session"].as_str().ok_or("a line without session")?;
            let entry = out.entry(session.to_owned()).or_default();
            if let Some(c) = v["captured"].as_u64() {
                entry.captured = Some(c);
            } else {
                let ts = v["ts"].as_u64().ok_or("a frame line without ts")?;
                let screen = v["screen"].as_str().ok_or("a frame line without screen")?;
                if entry.frames.insert(ts, screen.to_owned()).is_some() {
                    return Err(format!("{session}: two frames submitted at {ts}").into());
                }
            }
        }
    }
    Ok(out)
}

/// `session_<start ms>_<hex>` → start ms.
fn session_start(id: &str) -> Option<u64> {
    id.strip_prefix("session_")?.split('_').next()?.parse().ok()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let data = PathBuf::from(args.next().ok_or("usage: verify_stored DATA_DIR [SCALE]")?);
    let scale: f32 = match args.next() {
        Some(s) => s.parse()?,
        None => 1.25,
    };
    let screens: HashMap<String, Screen> = load_corpus(&corpus_dir())?
        .into_iter()
        .map(|s| (s.id.clone(), s))
        .collect();
    let submitted = manifests(&data)?;
    if submitted.is_empty() {
        return Err(format!("no submitted.jsonl under {}", data.display()).into());
    }
    // Stored bundles per session directory.
    let mut stored: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for dir in find_dirs(&data, "screenshots")? {
        let session = dir
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        files.sort();
        stored.entry(session).or_default().extend(files);
    }
    let (mut frames, mut regions, mut worst, mut worst_edge, mut skipped) = (0, 0, 0u8, 0u8, 0);
    // The check must be able to fail: the same regions moved by 2 px must be caught.
    let mut shifted_caught = 0;
    for (session, bundles) in &stored {
        let Some(sub) = submitted.get(session) else {
            skipped += 1;
            continue;
        };
        let start = session_start(session).ok_or(format!("{session}: no start in the id"))?;
        let mut seen = 0u64;
        let mut matched = std::collections::HashSet::new();
        for path in bundles {
            for f in parse_bundle(&std::fs::read(path)?, ParseLimits::default())? {
                let ts = start + f.offset_ms;
                let id = sub.frames.get(&ts).ok_or(format!(
                    "{}: a stored frame at {ts} matches no submitted frame",
                    path.display()
                ))?;
                if !matched.insert(ts) {
                    return Err(format!("{session}: the frame at {ts} is stored twice").into());
                }
                let screen = screens.get(id).ok_or(format!("unknown screen {id}"))?;
                let img = decode_jpeg(&f.jpeg)?;
                let (w, h) = (
                    (screen.width_pt * scale).round() as u32,
                    (screen.height_pt * scale).round() as u32,
                );
                if (img.width, img.height) != (w, h) {
                    return Err(format!(
                        "{session} at {ts}: {}x{} stored, {w}x{h} submitted",
                        img.width, img.height
                    )
                    .into());
                }
                let s = w as f32 / screen.width_pt;
                for rect in screen.private_rects() {
                    let Some(max) = brightest_inside(&img, &rect, s) else {
                        continue;
                    };
                    let edge = brightest_in_edge_band(&img, &rect, s, EDGE_PX).unwrap_or(0);
                    worst = worst.max(max);
                    worst_edge = worst_edge.max(edge);
                    for dx in [-2.0, 2.0] {
                        let moved = rejourney_core::Rect {
                            x: rect.x + dx / s,
                            ..rect
                        };
                        let inside = brightest_inside(&img, &moved, s).unwrap_or(0);
                        let band = brightest_in_edge_band(&img, &moved, s, EDGE_PX).unwrap_or(0);
                        if inside > MAX_CHANNEL || band > EDGE_MAX_CHANNEL {
                            shifted_caught += 1;
                        }
                    }
                    regions += 1;
                    if max > MAX_CHANNEL || edge > EDGE_MAX_CHANNEL {
                        return Err(format!(
                            "{session} at {ts} ({id}): private region {rect:?} at channel {max} \
                             inside, {edge} in its edge band"
                        )
                        .into());
                    }
                }
                seen += 1;
                frames += 1;
            }
        }
        match sub.captured {
            Some(c) if c != seen => {
                return Err(
                    format!("{session}: {seen} frames stored, the core captured {c}").into(),
                )
            }
            None => return Err(format!("{session}: no captured count in submitted.jsonl").into()),
            _ => {}
        }
    }
    for (session, sub) in &submitted {
        if sub.captured.unwrap_or(0) > 0 && !stored.contains_key(session) {
            return Err(format!("{session}: frames were captured but none stored").into());
        }
    }
    if frames == 0 {
        return Err(format!("no stored frames under {}", data.display()).into());
    }
    if shifted_caught == 0 {
        return Err("the check caught no mask moved by 2 px: it cannot fail".into());
    }
    println!(
        "verified {frames} frames by timestamp, {regions} private regions black (max channel \
         {worst} <= {MAX_CHANNEL} inside, {worst_edge} <= {EDGE_MAX_CHANNEL} in the edge band); \
         {skipped} sessions without submissions skipped; masks moved by 2 px caught in \
         {shifted_caught} of {} cases",
        regions * 2
    );
    Ok(())
}

/// Every directory named `name` up to three levels below `data`.
fn find_dirs(data: &Path, name: &str) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut dirs = vec![(data.to_path_buf(), 0)];
    while let Some((dir, depth)) = dirs.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if !path.is_dir() {
                continue;
            }
            if path.file_name().is_some_and(|n| n == name) {
                out.push(path);
            } else if depth < 3 {
                dirs.push((path, depth + 1));
            }
        }
    }
    out.sort();
    Ok(out)
}
