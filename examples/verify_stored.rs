//! Checks the frames an ingest server stored against the corpus: every stored frame is
//! decoded, matched to the corpus screen it shows, and each of that screen's text inputs,
//! secure inputs and cameras must be black. Used by the binding suites (`scripts/test-swift.sh`)
//! to prove privacy end to end through a platform SDK, whose test language cannot decode JPEG.
//!
//! Usage: `cargo run --release --example verify_stored -- DATA_DIR [SCALE]` (default 1.25).
//! Frames of other sizes (synthetic frames other tests send) are skipped and counted. Prints
//! `verified N frames, M private regions black` and exits non-zero on any failure, including
//! finding no corpus frame at all.

use std::path::{Path, PathBuf};

use rejourney_core::{parse_bundle, ParseLimits};
use rejourney_harness::{
    brightest_inside, corpus_dir, decode_jpeg, load_corpus, Decoded, MAX_CHANNEL,
};

/// Every file in a `screenshots` directory up to three levels below `data` (a server's data
/// directory, or a folder holding several).
fn bundles(data: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut dirs = vec![(data.to_path_buf(), 0)];
    while let Some((dir, depth)) = dirs.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if !path.is_dir() {
                continue;
            }
            if path.file_name().is_some_and(|n| n == "screenshots") {
                for f in std::fs::read_dir(&path)? {
                    out.push(f?.path());
                }
            } else if depth < 3 {
                dirs.push((path, depth + 1));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Mean absolute difference on a sparse grid, skipping nothing: private regions are black in
/// the stored frame and not in the reference, which only adds the same bias to every screen
/// with inputs; the screens differ far more than that.
fn distance(img: &Decoded, reference: &[u8]) -> u64 {
    let (w, h) = (img.width as usize, img.height as usize);
    let mut sum = 0u64;
    let mut n = 0u64;
    for y in (0..h).step_by(7) {
        for x in (0..w).step_by(7) {
            let (i, j) = ((y * w + x) * 3, (y * w + x) * 4);
            for c in 0..3 {
                sum += img.rgb[i + c].abs_diff(reference[j + c]) as u64;
            }
            n += 1;
        }
    }
    sum / n.max(1)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let data = PathBuf::from(args.next().ok_or("usage: verify_stored DATA_DIR [SCALE]")?);
    let scale: f32 = match args.next() {
        Some(s) => s.parse()?,
        None => 1.25,
    };
    let screens: Vec<_> = load_corpus(&corpus_dir())?
        .into_iter()
        .map(|s| {
            let (px, spec) = s.render_at(scale);
            (s, px, spec)
        })
        .collect();
    let (mut frames, mut regions, mut worst, mut skipped) = (0, 0, 0u8, 0);
    for path in bundles(&data)? {
        for f in parse_bundle(&std::fs::read(&path)?, ParseLimits::default())? {
            let img = decode_jpeg(&f.jpeg)?;
            let Some((screen, _, spec)) = screens
                .iter()
                .filter(|(_, _, spec)| spec.width == img.width && spec.height == img.height)
                .min_by_key(|(_, px, _)| distance(&img, px))
            else {
                skipped += 1;
                continue;
            };
            for rect in screen.private_rects() {
                if let Some(max) = brightest_inside(&img, &rect, spec.scale) {
                    worst = worst.max(max);
                    regions += 1;
                    if max > MAX_CHANNEL {
                        return Err(format!(
                            "{}: frame at +{} ms ({}) has a private region at channel {max}",
                            path.display(),
                            f.offset_ms,
                            screen.id
                        )
                        .into());
                    }
                }
            }
            frames += 1;
        }
    }
    if frames == 0 {
        return Err(format!("no stored frames under {}", data.display()).into());
    }
    println!(
        "verified {frames} frames, {regions} private regions black (max channel {worst} <= \
         {MAX_CHANNEL}); {skipped} non-corpus frames skipped"
    );
    Ok(())
}
