//! Checks the frames an ingest server stored against what a binding suite submitted: used by
//! `scripts/test-kotlin.sh` and `scripts/test-swift.sh` to prove privacy end to end through a
//! platform SDK, whose test language cannot decode JPEG.
//!
//! The suites write `submitted.jsonl` (anywhere up to three levels below the data directory),
//! one JSON object a line:
//! - `{"session", "ts", "screen", "width", "height", "scale"}`: a corpus screen handed to the
//!   core, `ts` the absolute capture time (ms), then the size (px) and scale (px/pt) of the
//!   buffer exactly as submitted (the native framebuffer, or the screen box-filtered to that
//!   size);
//! - `{"session", "start", "captured"}`: the session's start (ms) and how many frames the core
//!   says it captured;
//! - `{"session", "synthetic": true}`: a session whose frames are not corpus screens (stress
//!   tests); its frames are counted, not checked. Any other stored session fails.
//! - `{"session", "start", "captured", "screen_pt": [w, h], "private": [[x, y, w, h], …],
//!   "visible": [[x, y, w, h], …], "colored"?: [[x, y, w, h, r, g, b], …]}`: a session of real platform views (the Android Robolectric
//!   suite), one static screen of `screen_pt` points: every stored frame (at least one, as many
//!   as `captured`) must be black inside each `private` rectangle (the same strict check as
//!   corpus regions) and show content (not black) inside each `visible` one, which proves the
//!   check on that frame could fail. Rectangles in points, screen coordinates. Each `colored` region must show its solid
//!   colour (red and blue not swapped).
//!
//! Every stored frame is matched to its submission **by timestamp** (session start + the
//! bundle's offset), never to the nearest-looking image. The stored set must be exactly what
//! the submissions imply: a frame whose masked pixels equal the previous submission's may be
//! absent (the core skips unchanged frames), every other submission must be stored, nothing
//! stored may match no submission, and the count must equal the core's captured count.
//!
//! Each stored frame must also look like the screen submitted then (mean difference), so the
//! privacy check below looks at the right geometry.
//!
//! Then every text input, secure input and camera of the submitted screen must be black: every
//! pixel deep inside with the strict bound ([`MAX_CHANNEL`]), and each side of the band just
//! inside the pixels the region fully covers (per axis scale) dark on average
//! ([`EDGE_MEAN_LUMA`]): JPEG rings single pixels at a mask edge, but a mask off by 2 px
//! uncovers a whole side. The check proves it can fail: each verified screen is run again
//! through the core's own stages (mask rects, redact, downscale, JPEG at the default quality)
//! with every mask moved by 2 px in each direction, and each shift that uncovers at least about
//! a light row of a private region (before the JPEG) must be caught after it.
//!
//! Measured on the corpus (Kotlin: 3× buffers downscaled by the core; Swift: buffers at the
//! capture scale): correctly masked bands ≤ 5 of 255 per side, 2-px shifts ≥ 75.
//!
//! Usage: `cargo run --release --example verify_stored -- DATA_DIR [CAPTURE_SCALE]` (default:
//! the core's default capture scale). Prints one summary line; exits non-zero on any failure.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use rejourney_core::encode::{Encoder, PixelsRef};
use rejourney_core::fingerprint::fingerprint;
use rejourney_core::masks::{mask_rects, MaskOptions};
use rejourney_core::redact::Redactor;
use rejourney_core::scale::{target_size, Downscaler};
use rejourney_core::{parse_bundle, Config, FrameSpec, ParseLimits, PixelFormat, Rect};
use rejourney_harness::{
    brightest_inside, corpus_dir, decode_jpeg, edge_band, load_corpus, Decoded, Screen,
    EDGE_MEAN_LUMA, EDGE_PX, MAX_CHANNEL,
};

type Error = Box<dyn std::error::Error>;

/// How far the self-test moves the masks, in stored pixels.
const SHIFT_PX: f32 = 2.0;
/// A shift that leaves a side of a region's edge band this light on average before the JPEG
/// (luma: at least about one light row or column of the region's own content uncovered) must
/// be caught after it. Below that the mask is off by a pixel or less, or the uncovered content
/// is dark (a video's black bars) and could not be told from the mask by brightness at all.
const VISIBLE_LUMA: f32 = 64.0;

/// One corpus screen handed to the core.
#[derive(Debug)]
struct Submission {
    ts: u64,
    screen: String,
    /// The submitted buffer: its size and its px/pt, exactly as passed to `submitFrame`.
    buffer: Buffer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Buffer {
    width: u32,
    height: u32,
    /// `f32` bits, so the key is exact.
    scale: u32,
}

/// What a suite said about one session.
#[derive(Debug, Default)]
struct Declared {
    start: Option<u64>,
    captured: Option<u64>,
    synthetic: bool,
    frames: Vec<Submission>,
    regions: Option<Regions>,
}

/// A real-view screen's private and visible rectangles (points) and its size.
#[derive(Debug, Default)]
struct Regions {
    screen_pt: (f32, f32),
    private: Vec<Rect>,
    visible: Vec<Rect>,
    /// Solid-colour regions and their colour: the frame's channels are in the right order.
    colored: Vec<(Rect, [u8; 3])>,
}

/// `[[x, y, w, h, r, g, b], …]` → rectangles with their colour (absent: none).
fn colored(v: &serde_json::Value) -> Option<Vec<(Rect, [u8; 3])>> {
    let Some(list) = v.as_array() else {
        return v.is_null().then(Vec::new);
    };
    list.iter()
        .map(|r| {
            let n = |i: usize| r.get(i).and_then(|x| x.as_f64());
            let c = |i: usize| n(i).filter(|x| (0.0..=255.0).contains(x)).map(|x| x as u8);
            let rect = Rect::new(n(0)? as f32, n(1)? as f32, n(2)? as f32, n(3)? as f32);
            Some((rect, [c(4)?, c(5)?, c(6)?]))
        })
        .collect()
}

/// How far a solid region's mean channel may stray from its declared colour after JPEG.
const COLOR_TOLERANCE: f32 = 24.0;

/// The mean colour inside `rect` (points), inset by 4 px from its edges.
fn mean_color(img: &Decoded, rect: &Rect, scale: (f32, f32)) -> Option<[f32; 3]> {
    let x0 = (rect.x * scale.0).ceil().max(0.0) as u32 + 4;
    let y0 = (rect.y * scale.1).ceil().max(0.0) as u32 + 4;
    let x1 = (((rect.x + rect.width) * scale.0)
        .floor()
        .min(img.width as f32) as u32)
        .saturating_sub(4);
    let y1 = (((rect.y + rect.height) * scale.1)
        .floor()
        .min(img.height as f32) as u32)
        .saturating_sub(4);
    if x1 <= x0 || y1 <= y0 {
        return None;
    }
    let mut sum = [0f64; 3];
    for y in y0..y1 {
        for x in x0..x1 {
            let i = ((y * img.width + x) * 3) as usize;
            for (c, s) in sum.iter_mut().enumerate() {
                *s += f64::from(img.rgb[i + c]);
            }
        }
    }
    let n = f64::from((x1 - x0) * (y1 - y0));
    Some(sum.map(|s| (s / n) as f32))
}

/// `[[x, y, w, h], …]` → rectangles.
fn rects(v: &serde_json::Value) -> Option<Vec<Rect>> {
    v.as_array()?
        .iter()
        .map(|r| {
            let n = |i: usize| r.get(i).and_then(|x| x.as_f64()).map(|x| x as f32);
            Some(Rect::new(n(0)?, n(1)?, n(2)?, n(3)?))
        })
        .collect()
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

fn read_manifests(data: &Path) -> Result<BTreeMap<String, Declared>, Error> {
    let mut out: BTreeMap<String, Declared> = BTreeMap::new();
    for path in find(data, "submitted.jsonl")? {
        for (n, line) in std::fs::read_to_string(&path)?.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let at = || format!("{}:{}", path.display(), n + 1);
            let v: serde_json::Value =
                serde_json::from_str(line).map_err(|e| format!("{}: {e}", at()))?;
            let session = v["session"]
                .as_str()
                .ok_or_else(|| format!("{}: no session", at()))?;
            let entry = out.entry(session.to_owned()).or_default();
            if v["synthetic"].as_bool() == Some(true) {
                entry.synthetic = true;
            } else if let Some(c) = v["captured"].as_u64() {
                entry.captured = Some(c);
                entry.start = v["start"].as_u64();
                if v.get("private").is_some() {
                    let size = rects(&serde_json::json!([[
                        0,
                        0,
                        v["screen_pt"][0],
                        v["screen_pt"][1]
                    ]]));
                    let screen = size
                        .and_then(|s| s.first().copied())
                        .ok_or_else(|| format!("{}: no screen_pt", at()))?;
                    entry.regions = Some(Regions {
                        screen_pt: (screen.width, screen.height),
                        private: rects(&v["private"])
                            .ok_or_else(|| format!("{}: bad private", at()))?,
                        visible: rects(&v["visible"])
                            .ok_or_else(|| format!("{}: bad visible", at()))?,
                        colored: colored(&v["colored"])
                            .ok_or_else(|| format!("{}: bad colored", at()))?,
                    });
                }
            } else {
                let ts = v["ts"].as_u64().ok_or_else(|| format!("{}: no ts", at()))?;
                let screen = v["screen"]
                    .as_str()
                    .ok_or_else(|| format!("{}: no screen", at()))?;
                let field = |k: &str| v[k].as_f64().ok_or_else(|| format!("{}: no {k}", at()));
                let (width, height, scale) = (field("width")?, field("height")?, field("scale")?);
                entry.frames.push(Submission {
                    ts,
                    screen: screen.to_owned(),
                    buffer: Buffer {
                        width: width as u32,
                        height: height as u32,
                        scale: (scale as f32).to_bits(),
                    },
                });
            }
        }
    }
    Ok(out)
}

/// `session_<start ms>_<hex>` → start ms (the protocol's id format), when the manifest has none.
fn start_from_id(id: &str) -> Option<u64> {
    id.strip_prefix("session_")?.split('_').next()?.parse().ok()
}

/// The core's frame stages, with its default configuration: what the suites run.
struct CoreModel {
    capture_scale: f32,
    quality: i32,
    masks: MaskOptions,
    redactor: Redactor,
    downscaler: Downscaler,
    rects: Vec<Rect>,
}

/// A submitted screen as the core saw it and as it would store it.
struct Prepared {
    /// Fingerprint of the masked submitted buffer (what skip-unchanged compares).
    fingerprint: u64,
    /// The stored image before its JPEG (masked, downscaled), packed RGBA.
    expected: Vec<u8>,
    /// Size of the stored image.
    stored_size: (u32, u32),
}

/// How far (mean absolute difference per channel, 0–255) a decoded stored frame may be from
/// the submission it matched: JPEG at the default quality stays within ~3 on the corpus; two
/// different screens are tens apart. Matching is by timestamp; this only proves the stored
/// frame is the screen the privacy check then looks at.
const MAX_MEAN_DIFFERENCE: f64 = 12.0;

fn mean_difference(img: &Decoded, rgba: &[u8]) -> f64 {
    let total: u64 = img
        .rgb
        .chunks_exact(3)
        .zip(rgba.chunks_exact(4))
        .map(|(a, b)| (0..3).map(|c| a[c].abs_diff(b[c]) as u64).sum::<u64>())
        .sum();
    total as f64 / img.rgb.len().max(1) as f64
}

impl CoreModel {
    fn new(capture_scale: f32) -> Self {
        Self {
            capture_scale,
            quality: Config::default().jpeg_quality_percent(),
            masks: MaskOptions::default(),
            redactor: Redactor::new(),
            downscaler: Downscaler::new(),
            rects: Vec::new(),
        }
    }

    /// The buffer the suite handed over: the native framebuffer, or the screen box-filtered to
    /// the submitted size (the Swift suite submits the corpus exported at the capture scale),
    /// with the scale it was submitted with.
    fn submitted(&mut self, screen: &Screen, b: Buffer) -> (Vec<u8>, FrameSpec) {
        let spec = FrameSpec::packed(
            b.width,
            b.height,
            PixelFormat::Rgba,
            f32::from_bits(b.scale),
        );
        if (b.width, b.height) == (screen.width, screen.height) {
            return (screen.rgba.clone(), spec);
        }
        let mut px = Vec::new();
        self.downscaler.downscale(
            &screen.rgba,
            &screen.native_spec(),
            b.width,
            b.height,
            &mut px,
        );
        (px, spec)
    }

    /// Redacts `px` with the screen's masks moved by `(dx, dy)` points.
    fn redact(
        &mut self,
        screen: &Screen,
        px: &mut [u8],
        spec: &FrameSpec,
        dx: f32,
        dy: f32,
    ) -> Result<(), Error> {
        mask_rects(&screen.nodes, &screen.table(), &self.masks, &mut self.rects)?;
        for r in &mut self.rects {
            r.x += dx;
            r.y += dy;
        }
        self.redactor.apply(px, spec, &self.rects)?;
        Ok(())
    }

    /// Downscales to the capture scale as the encoder thread does (never up).
    fn downscale_to_capture(&mut self, px: Vec<u8>, spec: FrameSpec) -> (Vec<u8>, FrameSpec) {
        match target_size(&spec, self.capture_scale) {
            Some((w, h)) => {
                let mut out = Vec::new();
                self.downscaler.downscale(&px, &spec, w, h, &mut out);
                let s = spec.scale * w as f32 / spec.width as f32;
                (out, FrameSpec::packed(w, h, spec.format, s))
            }
            None => (px, spec),
        }
    }

    fn prepare(&mut self, screen: &Screen, buffer: Buffer) -> Result<Prepared, Error> {
        let (mut px, spec) = self.submitted(screen, buffer);
        self.redact(screen, &mut px, &spec, 0.0, 0.0)?;
        let fp = fingerprint(&px, &spec);
        let (expected, stored) = self.downscale_to_capture(px, spec);
        Ok(Prepared {
            fingerprint: fp,
            expected,
            stored_size: (stored.width, stored.height),
        })
    }

    /// The stored image of `screen` with its masks moved by `(dx, dy)` stored pixels, through
    /// the core's own redact, downscale and JPEG; and the same before its JPEG.
    fn replay(
        &mut self,
        screen: &Screen,
        buffer: Buffer,
        dx: f32,
        dy: f32,
    ) -> Result<(Decoded, Decoded), Error> {
        let (mut px, spec) = self.submitted(screen, buffer);
        let (w, h) = target_size(&spec, self.capture_scale).unwrap_or((spec.width, spec.height));
        let (sx, sy) = (w as f32 / screen.width_pt, h as f32 / screen.height_pt);
        self.redact(screen, &mut px, &spec, dx / sx, dy / sy)?;
        let (masked, masked_spec) = self.downscale_to_capture(px, spec);
        let mut encoder = Encoder::new(self.quality)?;
        let jpeg = encoder.encode(PixelsRef {
            pixels: &masked,
            width: masked_spec.width,
            height: masked_spec.height,
            stride: masked_spec.stride,
            format: masked_spec.format,
        })?;
        let shifted = decode_jpeg(jpeg)?;
        let raw = Decoded {
            width: masked_spec.width,
            height: masked_spec.height,
            rgb: masked
                .chunks_exact(4)
                .flat_map(|p| [p[0], p[1], p[2]])
                .collect(),
        };
        Ok((shifted, raw))
    }
}

/// Pixels per point of `img` along each axis.
fn scales(img: &Decoded, screen: &Screen) -> (f32, f32) {
    (
        img.width as f32 / screen.width_pt,
        img.height as f32 / screen.height_pt,
    )
}

/// The privacy check of one region: the brightest channel deep inside and the brightest
/// side's mean luma in the edge band; `None` if the region is too small or off-frame.
#[derive(Debug, Clone, Copy)]
struct Found {
    inside: u8,
    band: f32,
}

impl Found {
    fn fails(&self) -> bool {
        self.inside > MAX_CHANNEL || self.band > EDGE_MEAN_LUMA
    }
}

fn check(img: &Decoded, rect: &Rect, scale: (f32, f32)) -> Option<Found> {
    let inside = brightest_inside(img, rect, scale.0);
    let band = edge_band(img, rect, scale, EDGE_PX);
    if inside.is_none() && band.is_none() {
        return None;
    }
    Some(Found {
        inside: inside.unwrap_or(0),
        band: band.map_or(0.0, |b| b.worst_side()),
    })
}

#[derive(Default)]
struct Stats {
    frames: usize,
    regions: usize,
    worst_inside: u8,
    worst_band: f32,
    worst_difference: f64,
    synthetic_frames: usize,
    skipped_unchanged: usize,
    real_view_frames: usize,
}

/// The brightest channel of a visible region (inside its edge band) must reach this: content,
/// not a mask. The suites' visible views are light (white or saturated backgrounds).
const VISIBLE_MIN_CHANNEL: u8 = 96;

/// Every stored frame of a real-view session: private regions black, visible ones not.
fn check_real_views(
    session: &str,
    decl: &Declared,
    regions: &Regions,
    frames: &[(PathBuf, rejourney_core::bundle::BundleFrame)],
    stats: &mut Stats,
) -> Result<(), Error> {
    if frames.is_empty() {
        return Err(format!("{session}: no frame stored").into());
    }
    if decl.captured != Some(frames.len() as u64) {
        return Err(format!(
            "{session}: {} frames stored, the core captured {:?}",
            frames.len(),
            decl.captured
        )
        .into());
    }
    for (path, f) in frames {
        let img = decode_jpeg(&f.jpeg)?;
        let scale = (
            img.width as f32 / regions.screen_pt.0,
            img.height as f32 / regions.screen_pt.1,
        );
        for rect in &regions.private {
            let found = check(&img, rect, scale).ok_or(format!(
                "{}: private region {rect:?} off the frame",
                path.display()
            ))?;
            if found.fails() {
                return Err(format!(
                    "{}: private region {rect:?} not black ({found:?})",
                    path.display()
                )
                .into());
            }
            stats.worst_inside = stats.worst_inside.max(found.inside);
            stats.worst_band = stats.worst_band.max(found.band);
            stats.regions += 1;
        }
        for rect in &regions.visible {
            let brightest = brightest_inside(&img, rect, scale.0).unwrap_or(0);
            if brightest < VISIBLE_MIN_CHANNEL {
                return Err(format!(
                    "{}: visible region {rect:?} is dark (brightest {brightest}): content lost",
                    path.display()
                )
                .into());
            }
        }
        for (rect, want) in &regions.colored {
            let got = mean_color(&img, rect, scale).ok_or(format!(
                "{}: coloured region {rect:?} off the frame",
                path.display()
            ))?;
            if got
                .iter()
                .zip(want)
                .any(|(g, w)| (g - f32::from(*w)).abs() > COLOR_TOLERANCE)
            {
                return Err(format!(
                    "{}: region {rect:?} is {got:?}, drawn as {want:?}: colours changed",
                    path.display()
                )
                .into());
            }
        }
        stats.frames += 1;
        stats.real_view_frames += 1;
    }
    Ok(())
}

fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: verify_stored DATA_DIR [CAPTURE_SCALE]";
    let data = PathBuf::from(args.next().ok_or(usage)?);
    let capture_scale: f32 = match args.next() {
        Some(s) => s.parse().map_err(|e| format!("{usage}: {e}"))?,
        None => Config::default().capture_scale,
    };
    let debug = std::env::var_os("RJ_VERIFY_DEBUG").is_some();
    let screens: HashMap<String, Screen> = load_corpus(&corpus_dir())?
        .into_iter()
        .map(|s| (s.id.clone(), s))
        .collect();
    let declared = read_manifests(&data)?;
    if declared.is_empty() {
        return Err(format!("no submitted.jsonl under {}", data.display()).into());
    }
    let mut stored: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for dir in find_dirs(&data, "screenshots")? {
        let session = dir
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        stored.entry(session).or_default().extend(files);
    }
    for session in stored.keys() {
        if !declared.contains_key(session) {
            return Err(format!("{session}: frames stored for a session no suite declared").into());
        }
    }

    let mut model = CoreModel::new(capture_scale);
    let mut prepared: HashMap<(String, Buffer), Prepared> = HashMap::new();
    let mut stats = Stats::default();
    // Screens verified, for the shifted-mask self-test.
    let mut verified: HashSet<(String, Buffer)> = HashSet::new();
    let empty = Vec::new();
    for (session, decl) in &declared {
        let bundles = stored.get(session).unwrap_or(&empty);
        let mut frames = Vec::new();
        for path in bundles {
            let bytes = std::fs::read(path)?;
            let parsed = parse_bundle(&bytes, ParseLimits::default())
                .map_err(|e| format!("{}: {e}", path.display()))?;
            frames.extend(parsed.into_iter().map(|f| (path.clone(), f)));
        }
        if decl.synthetic {
            if !decl.frames.is_empty() {
                return Err(format!("{session}: declared synthetic and with corpus frames").into());
            }
            stats.synthetic_frames += frames.len();
            continue;
        }
        if let Some(regions) = &decl.regions {
            check_real_views(session, decl, regions, &frames, &mut stats)?;
            continue;
        }
        let start = decl
            .start
            .or_else(|| start_from_id(session))
            .ok_or(format!("{session}: no start time"))?;
        let captured = decl
            .captured
            .ok_or(format!("{session}: no captured count in submitted.jsonl"))?;

        // What the submissions imply: which must be stored, which may be skipped as unchanged.
        let mut subs: Vec<&Submission> = decl.frames.iter().collect();
        subs.sort_by_key(|s| s.ts);
        let mut by_ts: HashMap<u64, (&Submission, bool)> = HashMap::new();
        let mut previous = None;
        for sub in &subs {
            let screen = screens
                .get(&sub.screen)
                .ok_or(format!("{session}: unknown screen {}", sub.screen))?;
            let key = (sub.screen.clone(), sub.buffer);
            if !prepared.contains_key(&key) {
                let p = model.prepare(screen, sub.buffer)?;
                prepared.insert(key.clone(), p);
            }
            let fp = prepared[&key].fingerprint;
            let may_skip = previous == Some(fp);
            previous = Some(fp);
            if by_ts.insert(sub.ts, (sub, may_skip)).is_some() {
                return Err(format!("{session}: two frames submitted at {}", sub.ts).into());
            }
        }

        let mut matched = HashSet::new();
        for (path, f) in &frames {
            let ts = start + f.offset_ms;
            let &(sub, _) = by_ts.get(&ts).ok_or(format!(
                "{}: a stored frame at {ts} (offset {}) matches no submitted frame",
                path.display(),
                f.offset_ms
            ))?;
            if !matched.insert(ts) {
                return Err(format!("{session}: the frame at {ts} is stored twice").into());
            }
            let screen = &screens[&sub.screen];
            let p = &prepared[&(sub.screen.clone(), sub.buffer)];
            let img = decode_jpeg(&f.jpeg)?;
            if (img.width, img.height) != p.stored_size {
                return Err(format!(
                    "{session} at {ts} ({}): {}x{} stored, {}x{} expected",
                    sub.screen, img.width, img.height, p.stored_size.0, p.stored_size.1
                )
                .into());
            }
            let difference = mean_difference(&img, &p.expected);
            stats.worst_difference = stats.worst_difference.max(difference);
            if difference > MAX_MEAN_DIFFERENCE {
                return Err(format!(
                    "{session} at {ts}: the stored frame does not look like {}, submitted then \
                     (mean difference {difference:.1} > {MAX_MEAN_DIFFERENCE})",
                    sub.screen
                )
                .into());
            }
            let scale = scales(&img, screen);
            for rect in screen.private_rects() {
                let Some(found) = check(&img, &rect, scale) else {
                    continue;
                };
                if debug {
                    eprintln!("stored {} {rect:?}: {found:?}", sub.screen);
                }
                stats.regions += 1;
                stats.worst_inside = stats.worst_inside.max(found.inside);
                stats.worst_band = stats.worst_band.max(found.band);
                if found.fails() {
                    return Err(format!(
                        "{session} at {ts} ({}): private region {rect:?} at channel {} inside \
                         (max {MAX_CHANNEL}), a side of its edge band at mean luma {:.1} (max \
                         {EDGE_MEAN_LUMA})",
                        sub.screen, found.inside, found.band
                    )
                    .into());
                }
            }
            verified.insert((sub.screen.clone(), sub.buffer));
            stats.frames += 1;
        }
        for sub in &subs {
            let may_skip = by_ts[&sub.ts].1;
            if !matched.contains(&sub.ts) {
                if !may_skip {
                    return Err(format!(
                        "{session}: the frame submitted at {} ({}) was not stored (it differs \
                         from the one before it)",
                        sub.ts, sub.screen
                    )
                    .into());
                }
                stats.skipped_unchanged += 1;
            }
        }
        if matched.len() as u64 != captured {
            return Err(format!(
                "{session}: {} frames stored, the core captured {captured}",
                matched.len()
            )
            .into());
        }
    }
    if stats.frames == 0 {
        return Err(format!("no stored corpus frames under {}", data.display()).into());
    }

    // The check must be able to fail: every verified screen with its masks moved by 2 px.
    let (mut shifts, mut exposing, mut weakest_catch) = (0usize, 0usize, f32::MAX);
    let mut verified: Vec<_> = verified.into_iter().collect();
    verified.sort_by(|a, b| a.0.cmp(&b.0));
    for (id, buffer) in &verified {
        let screen = &screens[id];
        for (dx, dy) in [
            (-SHIFT_PX, 0.0),
            (SHIFT_PX, 0.0),
            (0.0, -SHIFT_PX),
            (0.0, SHIFT_PX),
        ] {
            let (shifted, raw) = model.replay(screen, *buffer, dx, dy)?;
            let s = scales(&raw, screen);
            for rect in screen.private_rects() {
                // What the misplaced mask uncovers in the edge band, before any JPEG.
                let uncovered = edge_band(&raw, &rect, s, EDGE_PX).map_or(0.0, |b| b.worst_side());
                let Some(found) = check(&shifted, &rect, s) else {
                    continue;
                };
                shifts += 1;
                if debug {
                    eprintln!(
                        "{id} {rect:?} moved ({dx},{dy}): uncovers luma {uncovered:.0}, {found:?}"
                    );
                }
                if uncovered < VISIBLE_LUMA {
                    continue;
                }
                exposing += 1;
                if !found.fails() {
                    return Err(format!(
                        "{id}: masks moved by ({dx},{dy}) px uncover content (mean luma \
                         {uncovered:.0}) of private region {rect:?}, and the check passed it \
                         ({} inside, {:.1} in the edge band): it cannot catch a misplaced mask",
                        found.inside, found.band
                    )
                    .into());
                }
                weakest_catch = weakest_catch.min(found.band);
            }
        }
    }
    if exposing == 0 && stats.frames > stats.real_view_frames {
        return Err(
            "no 2-px mask shift uncovered visible content: the self-test proves nothing".into(),
        );
    }
    println!(
        "verified {} frames by timestamp (each within {:.1} of its submission; {} unchanged \
         submissions skipped by the core, {} synthetic frames not checked, {} of real views), {} private regions black (max channel {} <= \
         {MAX_CHANNEL} inside, edge band side mean luma {:.1} <= {EDGE_MEAN_LUMA}); masks \
         moved by {SHIFT_PX} px caught in all {exposing} of {shifts} cases that uncover content \
         (weakest at edge band luma {weakest_catch:.1})",
        stats.frames,
        stats.worst_difference,
        stats.skipped_unchanged,
        stats.synthetic_frames,
        stats.real_view_frames,
        stats.regions,
        stats.worst_inside,
        stats.worst_band,
    );
    Ok(())
}
