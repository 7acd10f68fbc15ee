//! Shared support for the demo, the integration tests and the benchmarks: loads the screen
//! corpus (PNG framebuffers + view trees) the way a native shim would hand it to the core.

use std::path::{Path, PathBuf};

mod bundle_outcome;
pub mod child;
pub mod recorder;
pub use bundle_outcome::{bundle_outcome, crc32};

use rejourney_core::frame::{FrameSpec, PixelFormat, Rect};
use rejourney_core::masks::{MaskTag, NodeKind, NodeList, ViewNode};
use rejourney_core::scale::Downscaler;
use rejourney_core::strings::{Interner, Strings, StringsUpdate, Sym};
use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error("reading {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("decoding PNG {path}: {msg}")]
    Png { path: PathBuf, msg: String },
    #[error("parsing {path}: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
}

/// The corpus shipped with the repo (`examples/corpus`), or `REJOURNEY_CORPUS` if set.
pub fn corpus_dir() -> PathBuf {
    std::env::var_os("REJOURNEY_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/corpus"))
}

#[derive(Debug, Clone, Deserialize)]
struct TreeFile {
    scale: f32,
    #[serde(rename = "widthPoints")]
    width_points: f32,
    #[serde(rename = "heightPoints")]
    height_points: f32,
    root: JsonNode,
}

#[derive(Debug, Clone, Deserialize)]
struct JsonNode {
    id: u64,
    #[serde(rename = "type")]
    class: String,
    kind: String,
    x: f32,
    y: f32,
    width: f32,
    height: f32,
    #[serde(default)]
    children: Vec<JsonNode>,
}

/// One corpus screen: its native framebuffer (RGBA) and its flattened view tree.
#[derive(Debug, Clone)]
pub struct Screen {
    pub id: String,
    pub width_pt: f32,
    pub height_pt: f32,
    /// Native scale of `rgba` (3.0 for the corpus).
    pub scale: f32,
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
    /// The view tree; its strings are indices into `strings`.
    pub nodes: Vec<ViewNode>,
    /// The screen's own string table (class names), in index order.
    pub strings: Vec<String>,
    /// Node ids parallel to `nodes`.
    pub node_ids: Vec<u64>,
}

pub fn kind_of(kind: &str) -> NodeKind {
    match kind {
        "container" => NodeKind::Container,
        "text" => NodeKind::Text,
        "text_input" => NodeKind::TextInput,
        "secure_input" => NodeKind::SecureInput,
        "image" => NodeKind::Image,
        "video" => NodeKind::Video,
        "camera" => NodeKind::Camera,
        "map" => NodeKind::Map,
        "webview" | "web_view" => NodeKind::WebView,
        _ => NodeKind::Other,
    }
}

fn flatten(
    node: &JsonNode,
    parent: Option<u32>,
    nodes: &mut Vec<ViewNode>,
    ids: &mut Vec<u64>,
    strings: &mut Interner,
) {
    let index = nodes.len() as u32;
    nodes.push(ViewNode {
        parent,
        class_name: strings.intern(&node.class),
        frame: Rect::new(node.x, node.y, node.width, node.height),
        kind: kind_of(&node.kind),
        tag: MaskTag::None,
        id: Some(node.id),
        ..ViewNode::default()
    });
    ids.push(node.id);
    for c in &node.children {
        flatten(c, Some(index), nodes, ids, strings);
    }
}

/// Class of the window node the loader puts above each corpus tree.
pub const WINDOW_CLASS: &str = "Window";

/// The ids of the corpus screens in order (`index.json`).
pub fn screen_ids(dir: &Path) -> Result<Vec<String>, CorpusError> {
    let path = dir.join("index.json");
    let text = std::fs::read_to_string(&path).map_err(|source| CorpusError::Io {
        path: path.clone(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| CorpusError::Json { path, source })
}

pub fn load_screen(dir: &Path, id: &str) -> Result<Screen, CorpusError> {
    let tree_path = dir.join(format!("{id}.json"));
    let text = std::fs::read_to_string(&tree_path).map_err(|source| CorpusError::Io {
        path: tree_path.clone(),
        source,
    })?;
    let tree: TreeFile = serde_json::from_str(&text).map_err(|source| CorpusError::Json {
        path: tree_path,
        source,
    })?;
    let png_path = dir.join(format!("{id}.png"));
    let (width, height, rgba) = load_png_rgba(&png_path)?;
    // A shim walks from the window: its root is the window, the size of the screen, and the
    // corpus tree (a scrolled document, possibly taller than the screen) hangs below it.
    let mut strings = Interner::with_table(0);
    let mut nodes = vec![ViewNode {
        parent: None,
        class_name: strings.intern(WINDOW_CLASS),
        frame: Rect::new(0.0, 0.0, tree.width_points, tree.height_points),
        kind: NodeKind::Container,
        ..ViewNode::default()
    }];
    let mut node_ids = vec![0];
    flatten(&tree.root, Some(0), &mut nodes, &mut node_ids, &mut strings);
    Ok(Screen {
        id: id.to_string(),
        width_pt: tree.width_points,
        height_pt: tree.height_points,
        scale: tree.scale,
        width,
        height,
        rgba,
        nodes,
        strings: strings.update().added,
        node_ids,
    })
}

pub fn load_corpus(dir: &Path) -> Result<Vec<Screen>, CorpusError> {
    screen_ids(dir)?
        .iter()
        .map(|id| load_screen(dir, id))
        .collect()
}

fn load_png_rgba(path: &Path) -> Result<(u32, u32, Vec<u8>), CorpusError> {
    let png_err = |msg: String| CorpusError::Png {
        path: path.to_path_buf(),
        msg,
    };
    let file = std::fs::File::open(path).map_err(|source| CorpusError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(|e| png_err(e.to_string()))?;
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader
        .next_frame(&mut buf)
        .map_err(|e| png_err(e.to_string()))?;
    let (w, h) = (info.width, info.height);
    let rgba = match info.color_type {
        png::ColorType::Rgba => buf[..(w * h * 4) as usize].to_vec(),
        png::ColorType::Rgb => {
            let mut out = Vec::with_capacity((w * h * 4) as usize);
            for px in buf[..(w * h * 3) as usize].chunks_exact(3) {
                out.extend_from_slice(&[px[0], px[1], px[2], 255]);
            }
            out
        }
        other => return Err(png_err(format!("unsupported colour type {other:?}"))),
    };
    Ok((w, h, rgba))
}

impl Screen {
    pub fn native_spec(&self) -> FrameSpec {
        FrameSpec::packed(self.width, self.height, PixelFormat::Rgba, self.scale)
    }

    /// The framebuffer a host rendering at `scale` px/pt would hand us (RGBA, packed).
    pub fn render_at(&self, scale: f32) -> (Vec<u8>, FrameSpec) {
        let w = (self.width_pt * scale).round() as u32;
        let h = (self.height_pt * scale).round() as u32;
        let mut out = Vec::new();
        Downscaler::new().downscale(&self.rgba, &self.native_spec(), w, h, &mut out);
        (
            out,
            FrameSpec::packed(w, h, PixelFormat::Rgba, w as f32 / self.width_pt),
        )
    }

    /// The screen's string table, as the core holds it.
    pub fn table(&self) -> Strings {
        Strings::from_vec(self.strings.clone())
    }

    /// The nodes with their strings, as the core's hierarchy receives them.
    pub fn list(&self) -> NodeList {
        NodeList {
            nodes: self.nodes.clone(),
            strings: self.table(),
        }
    }

    /// An update that starts a new table holding exactly this screen's strings, so that
    /// `nodes` can be submitted as they are (for one-off submits).
    pub fn fresh_update(&self) -> StringsUpdate {
        let mut table = Interner::new();
        for s in &self.strings {
            table.intern(s);
        }
        table.take_update()
    }

    /// The nodes as a shim keeping `table` reports them (strings renamed into its table),
    /// and the update to send with them (taken as received).
    pub fn report(&self, table: &mut Interner) -> (Vec<ViewNode>, StringsUpdate) {
        let nodes = renamed(&self.nodes, &self.strings, table);
        (nodes, table.take_update())
    }

    /// Rects of the nodes that must come out black: text inputs, secure inputs, cameras.
    pub fn private_rects(&self) -> Vec<Rect> {
        self.nodes
            .iter()
            .filter(|n| {
                matches!(
                    n.kind,
                    NodeKind::TextInput | NodeKind::SecureInput | NodeKind::Camera
                )
            })
            .map(|n| n.frame)
            .collect()
    }
}

/// A string-table update that starts a new table holding `strings` (index order): for
/// callers that submit one-off trees and do not keep a table across frames.
pub fn fresh_strings(strings: &[&str]) -> StringsUpdate {
    let mut table = Interner::new();
    for s in strings {
        table.intern(s);
    }
    table.take_update()
}

/// `nodes` (naming `strings`) with their strings interned into `table` instead.
pub fn renamed(nodes: &[ViewNode], strings: &[String], table: &mut Interner) -> Vec<ViewNode> {
    let mut rename = |s: Sym| table.intern(strings.get(s.0 as usize).map_or("", |s| s.as_str()));
    nodes
        .iter()
        .map(|n| ViewNode {
            class_name: rename(n.class_name),
            test_id: n.test_id.map(&mut rename),
            mask_hint: n.mask_hint.map(&mut rename),
            ..*n
        })
        .collect()
}

/// Converts a packed RGBA buffer to BGRA with a padded stride (as iOS hands them over).
pub fn to_bgra_padded(rgba: &[u8], spec: &FrameSpec, pad: usize) -> (Vec<u8>, FrameSpec) {
    let stride = spec.width as usize * 4 + pad;
    let mut out = vec![0xAB; stride * spec.height as usize];
    for y in 0..spec.height as usize {
        let src = &rgba[y * spec.stride..y * spec.stride + spec.width as usize * 4];
        let dst = &mut out[y * stride..y * stride + spec.width as usize * 4];
        for (d, s) in dst.chunks_exact_mut(4).zip(src.chunks_exact(4)) {
            d.copy_from_slice(&[s[2], s[1], s[0], s[3]]);
        }
    }
    (
        out,
        FrameSpec {
            stride,
            format: PixelFormat::Bgra,
            ..*spec
        },
    )
}

/// A decoded JPEG as RGB.
pub struct Decoded {
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
}

pub fn decode_jpeg(jpeg: &[u8]) -> Result<Decoded, String> {
    let mut d = zune_jpeg::JpegDecoder::new(jpeg);
    let rgb = d.decode().map_err(|e| format!("{e:?}"))?;
    let (w, h) = d.dimensions().ok_or("no dimensions")?;
    Ok(Decoded {
        width: w as u32,
        height: h as u32,
        rgb,
    })
}

/// The privacy tolerance, defined once for every test.
///
/// Before encode, masked pixels are exactly black (tested on the raw buffer). After a lossy
/// JPEG round trip, blocks that straddle a mask edge ring: pixels within [`EDGE_PX`] output
/// pixels of the mask edge are not checked; every pixel deeper inside must have all channels
/// at most [`MAX_CHANNEL`] — far too dark to carry any readable content.
pub const EDGE_PX: u32 = 2;
pub const MAX_CHANNEL: u8 = 40;

/// Returns the brightest channel inside `rect` (points) inset by the edge tolerance, or
/// `None` if the inset rect is empty or off-frame.
pub fn brightest_inside(img: &Decoded, rect: &Rect, scale: f32) -> Option<u8> {
    let x0 = ((rect.x * scale).floor().max(0.0) as u32).saturating_add(EDGE_PX);
    let y0 = ((rect.y * scale).floor().max(0.0) as u32).saturating_add(EDGE_PX);
    let x1 = (((rect.x + rect.width) * scale).ceil().min(img.width as f32) as u32)
        .saturating_sub(EDGE_PX);
    let y1 = (((rect.y + rect.height) * scale)
        .ceil()
        .min(img.height as f32) as u32)
        .saturating_sub(EDGE_PX);
    if x1 <= x0 || y1 <= y0 {
        return None;
    }
    let mut max = 0u8;
    for y in y0..y1 {
        for x in x0..x1 {
            let i = ((y * img.width + x) * 3) as usize;
            max = max.max(img.rgb[i]).max(img.rgb[i + 1]).max(img.rgb[i + 2]);
        }
    }
    Some(max)
}

/// A fresh path under the system temp dir for one test's server data or spool.
pub fn temp_path(prefix: &str, name: &str) -> PathBuf {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    std::env::temp_dir().join(format!("rj-{prefix}-{name}-{}-{n:x}", std::process::id()))
}

/// Client options for tests against the local server: retries every 20–200 ms instead of
/// the production back-off, so a failure costs milliseconds.
pub fn fast_retry_options(url: &str, spool: &Path) -> rejourney_core::ClientOptions {
    let mut d = rejourney_core::upload::DeliveryConfig::new(url, "pk_test", "device-test", spool);
    d.retry = rejourney_core::upload::RetryPolicy {
        base_delay: std::time::Duration::from_millis(20),
        max_delay: std::time::Duration::from_millis(200),
        ..rejourney_core::upload::RetryPolicy::default()
    };
    rejourney_core::ClientOptions::new(d)
}

/// Every route of `srv` answers nothing for `stall` (up to `n` requests each).
pub fn stall_every_route(
    srv: &rejourney_ingest::IngestServer,
    stall: std::time::Duration,
    n: usize,
) {
    use rejourney_ingest::{Fault, Route};
    for route in [
        Route::DeviceAuth,
        Route::SegmentPresign,
        Route::SegmentPut,
        Route::SegmentComplete,
        Route::EventsPresign,
        Route::EventsPut,
        Route::BatchComplete,
        Route::SessionEnd,
        Route::Fault,
        Route::SdkConfig,
    ] {
        srv.faults().push_n(route, Fault::Stall(stall), n);
    }
}

/// The edge band of a mask, side by side: the `band` pixels just inside the pixels a rect
/// fully covers, split into its top, bottom, left and right sides (corners count in two).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EdgeBand {
    /// Per side (top, bottom, left, right), the mean luma (BT.601, 0–255) of its pixels.
    pub side_luma: [f32; 4],
    /// The brightest channel anywhere in the band.
    pub max: u8,
}

impl EdgeBand {
    /// The brightest side's mean luma.
    pub fn worst_side(&self) -> f32 {
        self.side_luma.iter().copied().fold(0.0, f32::max)
    }
}

/// The bound on each side's mean luma in [`edge_band`]. JPEG rings single pixels of a black
/// mask edge next to bright content (up to ~50 of 255 on the corpus; 4:2:0 chroma bleeds a
/// saturated neighbour's colour further into the band, which luma ignores), but a whole side
/// stays dark on average (measured ≤ 5); a mask off by 2 px uncovers a whole side of the
/// region's own content, whose mean stays far above this after the same JPEG (measured ≥ 75).
pub const EDGE_MEAN_LUMA: f32 = 32.0;

/// Per-side statistics of the `band`-pixel edge band just inside the pixels `rect` (points)
/// fully covers at `(sx, sy)` px/pt (rounded inwards: a frame redacted at a higher resolution
/// and downscaled blends its partly covered outermost pixels), or `None` if that is off-frame
/// or empty. Each axis has its own scale: a downscale to whole pixels scales each axis by its
/// own rounded size (491 × 1065 px for 393 × 852 pt), and a band one row off is a row of the
/// neighbouring content.
pub fn edge_band(img: &Decoded, rect: &Rect, (sx, sy): (f32, f32), band: u32) -> Option<EdgeBand> {
    let clip = |v: f32, max: u32| v.max(0.0).min(max as f32) as u32;
    let x0 = clip((rect.x * sx).ceil(), img.width);
    let y0 = clip((rect.y * sy).ceil(), img.height);
    let x1 = clip(((rect.x + rect.width) * sx).floor(), img.width);
    let y1 = clip(((rect.y + rect.height) * sy).floor(), img.height);
    if x1 <= x0 || y1 <= y0 {
        return None;
    }
    let (mut sums, mut counts, mut max) = ([0u64; 4], [0u64; 4], 0u8);
    for y in y0..y1 {
        for x in x0..x1 {
            let sides = [y < y0 + band, y + band >= y1, x < x0 + band, x + band >= x1];
            if !sides.contains(&true) {
                continue;
            }
            let i = ((y * img.width + x) * 3) as usize;
            let (r, g, b) = (img.rgb[i], img.rgb[i + 1], img.rgb[i + 2]);
            max = max.max(r).max(g).max(b);
            let luma = (299 * r as u64 + 587 * g as u64 + 114 * b as u64) / 1000;
            for (side, on) in sides.iter().enumerate() {
                if *on {
                    sums[side] += luma;
                    counts[side] += 1;
                }
            }
        }
    }
    let mut side_luma = [0.0f32; 4];
    for side in 0..4 {
        side_luma[side] = sums[side] as f32 / counts[side].max(1) as f32;
    }
    Some(EdgeBand { side_luma, max })
}

/// A 32 × 32 frame of one value `v` with a window root (nothing masked), submitted to `c`
/// and encoded before this returns (up to 20 s).
pub fn submit_window_frame(c: &rejourney_core::Client, v: u8, ts: u64) {
    let root = rejourney_core::masks::ViewNode {
        frame: rejourney_core::Rect::new(0.0, 0.0, 32.0, 32.0),
        ..rejourney_core::masks::ViewNode::default()
    };
    let spec = rejourney_core::FrameSpec::packed(32, 32, rejourney_core::PixelFormat::Rgba, 1.0);
    c.submit_frame(
        vec![v; 32 * 32 * 4],
        spec,
        &[root],
        fresh_strings(&[WINDOW_CLASS]),
        ts,
    )
    .expect("frame submitted");
    assert!(c.sync_capture(std::time::Duration::from_secs(20)));
}
