//! Privacy fails closed on every path, with screens that are not in the corpus (a checkout
//! form, a chat with its keyboard up, an ID check with a camera preview), through the whole
//! client into a real ingest server on 127.0.0.1 and back through the JPEG decoder:
//!
//! 1. an empty tree is dropped and counted (`tree_empty`), never stored unmasked;
//! 2. a tree that does not match the pixels (wrong scale, shifted root) is dropped and
//!    counted (`tree_mismatch`);
//! 3. a child drawn outside its masked parent (error bubble, autocomplete popup) is black.
//!
//! Plus property tests of the three rules on the raw buffer, and a hand-computed alignment
//! test at scales 1, 1.25, 2 and 3 with odd frame sizes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use proptest::prelude::*;
use rejourney_core::client::{Client, ClientError};
use rejourney_core::masks::{
    check_tree, mask_decisions, MaskOptions, MaskTag, NodeError, NodeKind, ViewNode,
};
use rejourney_core::redact::Redactor;
use rejourney_core::strings::{Strings, StringsUpdate, Sym};
use rejourney_core::{parse_bundle, FrameSpec, ParseLimits, PixelFormat, Rect};
use rejourney_harness::{
    brightest_inside, decode_jpeg, fast_retry_options, fresh_strings, temp_path, Decoded,
    MAX_CHANNEL,
};
use rejourney_ingest::{IngestServer, ServerOptions};

const WAIT: Duration = Duration::from_secs(20);

fn tmp(name: &str) -> PathBuf {
    temp_path("closed", name)
}

fn client(url: &str, spool: &Path) -> Client {
    let mut o = fast_retry_options(url, spool);
    o.capture.skip_unchanged_frames = false;
    Client::new(o).unwrap()
}

/// The class names of [`node`]s: each kind's name, at the kind's index in `NodeKind`.
fn kind_names() -> Vec<String> {
    NodeKind::ALL.iter().map(|k| format!("{k:?}")).collect()
}

/// A string-table update holding [`kind_names`] (a new table each time).
fn kinds() -> StringsUpdate {
    let names = kind_names();
    fresh_strings(&names.iter().map(String::as_str).collect::<Vec<_>>())
}

/// A node in points.
fn node(parent: Option<u32>, kind: NodeKind, x: f32, y: f32, w: f32, h: f32) -> ViewNode {
    ViewNode {
        parent,
        class_name: Sym(kind as u32),
        frame: Rect::new(x, y, w, h),
        kind,
        ..ViewNode::default()
    }
}

/// A synthetic phone screen: 360 × 640 pt, painted at `scale` with a bright, busy pattern
/// inside every node (so a leak is obvious after decode), and its private rectangles.
struct Screen {
    name: &'static str,
    nodes: Vec<ViewNode>,
    /// What must come out black, in points (private nodes and what hangs outside them).
    private: Vec<Rect>,
}

const W_PT: f32 = 360.0;
const H_PT: f32 = 640.0;

fn checkout() -> Screen {
    let root = node(None, NodeKind::Container, 0.0, 0.0, W_PT, H_PT);
    let card = node(Some(0), NodeKind::TextInput, 20.0, 120.0, 320.0, 44.0);
    // The validation bubble hangs below the card field: a subview, not clipped.
    let bubble = node(Some(1), NodeKind::Text, 20.0, 168.0, 220.0, 36.0);
    let cvv = node(Some(0), NodeKind::SecureInput, 20.0, 220.0, 120.0, 44.0);
    let pay = node(Some(0), NodeKind::Other, 20.0, 560.0, 320.0, 50.0);
    let private = vec![card.frame, bubble.frame, cvv.frame];
    Screen {
        name: "checkout",
        nodes: vec![root, card, bubble, cvv, pay],
        private,
    }
}

fn chat_with_keyboard() -> Screen {
    let root = node(None, NodeKind::Container, 0.0, 0.0, W_PT, H_PT);
    let list = node(Some(0), NodeKind::Container, 0.0, 60.0, W_PT, 300.0);
    let bubble = node(Some(1), NodeKind::Text, 16.0, 80.0, 240.0, 60.0);
    let input = node(Some(0), NodeKind::TextInput, 10.0, 370.0, 340.0, 40.0);
    // Autocomplete suggestions pop up above the input, outside it.
    let popup = node(Some(3), NodeKind::Container, 10.0, 300.0, 340.0, 70.0);
    let suggestion = node(Some(4), NodeKind::Text, 20.0, 310.0, 200.0, 24.0);
    let keyboard = node(Some(0), NodeKind::Other, 0.0, 420.0, W_PT, 220.0);
    let private = vec![input.frame, popup.frame];
    Screen {
        name: "chat-keyboard",
        nodes: vec![root, list, bubble, input, popup, suggestion, keyboard],
        private,
    }
}

fn id_check() -> Screen {
    let root = node(None, NodeKind::Container, 0.0, 0.0, W_PT, H_PT);
    let camera = node(Some(0), NodeKind::Camera, 30.0, 100.0, 300.0, 400.0);
    // The face-outline overlay is drawn a little larger than the preview.
    let overlay = node(Some(1), NodeKind::Image, 20.0, 90.0, 320.0, 420.0);
    let hint = node(Some(0), NodeKind::Text, 30.0, 520.0, 300.0, 30.0);
    let private = vec![camera.frame, overlay.frame];
    Screen {
        name: "id-check",
        nodes: vec![root, camera, overlay, hint],
        private,
    }
}

/// Paints a busy bright pattern (stripes of light colours) over the whole frame.
fn paint(spec: &FrameSpec, seed: u32) -> Vec<u8> {
    let mut px = vec![0u8; spec.stride * spec.height as usize];
    for y in 0..spec.height as usize {
        for x in 0..spec.width as usize {
            let i = y * spec.stride + x * 4;
            let v = ((x / 3 + y / 5 + seed as usize) % 4) as u8;
            px[i..i + 4].copy_from_slice(&[200 + v * 18, 230 - v * 10, 180 + v * 20, 255]);
        }
    }
    px
}

fn spec_at(scale: f32, format: PixelFormat, pad: usize) -> FrameSpec {
    let (w, h) = ((W_PT * scale).round() as u32, (H_PT * scale).round() as u32);
    FrameSpec {
        width: w,
        height: h,
        stride: w as usize * 4 + pad,
        format,
        scale,
    }
}

/// Every frame the server stored, decoded, in order.
fn stored_frames(srv: &IngestServer) -> Vec<(u64, Decoded)> {
    let mut out = Vec::new();
    let mut arts = srv.artifacts();
    arts.sort_by_key(|a| a.start_time);
    for a in arts.iter().filter(|a| a.kind == "screenshots") {
        let bytes = std::fs::read(&a.path).unwrap();
        for f in parse_bundle(&bytes, ParseLimits::default()).unwrap() {
            out.push((f.offset_ms, decode_jpeg(&f.jpeg).unwrap()));
        }
    }
    out
}

fn dropped(c: &Client, reason: &str) -> u64 {
    c.telemetry()
        .capture
        .dropped
        .get(reason)
        .copied()
        .unwrap_or(0)
}

#[test]
fn untrusted_trees_are_dropped_and_counted_and_masks_cover_overflowing_children() {
    let srv = IngestServer::start(ServerOptions::new(tmp("srv"))).unwrap();
    let c = client(&srv.url(), &tmp("spool"));
    let t0 = 1_700_000_000_000u64;
    c.start(t0).unwrap();
    let screens = [checkout(), chat_with_keyboard(), id_check()];
    let mut ts = t0;
    let mut expected = Vec::new();
    for (i, s) in screens.iter().enumerate() {
        for (format, pad) in [(PixelFormat::Rgba, 0), (PixelFormat::Bgra, 48)] {
            let spec = spec_at(1.25, format, pad);
            let pixels = paint(&spec, i as u32);

            // 1. An empty tree: the shim saw nothing. Refused, counted, not stored.
            ts += 1000;
            let err = c
                .submit_frame(pixels.clone(), spec, &[], kinds(), ts)
                .unwrap_err();
            assert!(matches!(err, ClientError::Nodes(NodeError::Empty)), "{err}");

            // 2. The same tree with the wrong scale (1.0 for a 1.25 px/pt buffer, or the
            //    portrait tree against a landscape buffer): refused, counted, not stored.
            ts += 1000;
            let wrong = FrameSpec { scale: 1.0, ..spec };
            let err = c
                .submit_frame(pixels.clone(), wrong, &s.nodes, kinds(), ts)
                .unwrap_err();
            assert!(
                matches!(err, ClientError::Nodes(NodeError::RootMismatch { .. })),
                "{err}"
            );
            let mut rotated = s.nodes.clone();
            rotated[0].frame = Rect::new(0.0, 0.0, H_PT, W_PT);
            ts += 1000;
            let err = c
                .submit_frame(pixels.clone(), spec, &rotated, kinds(), ts)
                .unwrap_err();
            assert!(matches!(err, ClientError::Nodes(_)), "{err}");

            // 3. The tree names strings its table does not have (a new, empty table: the
            //    shim lost track of its own), or its update does not continue the core's
            //    table: its class names could be anyone's. Refused, counted, not stored.
            ts += 1000;
            let empty = fresh_strings(&[]);
            let err = c
                .submit_frame(pixels.clone(), spec, &s.nodes, empty.clone(), ts)
                .unwrap_err();
            assert!(
                matches!(err, ClientError::Nodes(NodeError::UnknownString { .. })),
                "{err}"
            );
            let skipped = StringsUpdate { base: 3, ..kinds() };
            let err = c
                .submit_frame(pixels.clone(), spec, &s.nodes, skipped, ts)
                .unwrap_err();
            assert!(matches!(err, ClientError::Strings(_)), "{err}");

            // 4. The right tree: stored, with the overflowing children black.
            ts += 1000;
            c.submit_frame(pixels, spec, &s.nodes, kinds(), ts).unwrap();
            assert!(c.sync_capture(WAIT));
            expected.push((ts - t0, s.name, &s.private, spec.scale));
        }
    }
    c.stop(ts + 1000).unwrap();
    assert!(c.flush(WAIT), "delivered");
    assert_eq!(dropped(&c, "tree_empty"), 6);
    assert_eq!(dropped(&c, "tree_mismatch"), 12);
    assert_eq!(
        dropped(&c, "invalid_tree"),
        12,
        "unknown strings, a skipped update"
    );
    assert_eq!(c.telemetry().capture.frames_captured, 6);

    let frames = stored_frames(&srv);
    let offsets: Vec<u64> = frames.iter().map(|f| f.0).collect();
    let wanted: Vec<u64> = expected.iter().map(|e| e.0).collect();
    assert_eq!(offsets, wanted, "exactly the trusted frames were stored");
    let mut regions = 0;
    for ((_, img), (_, name, private, scale)) in frames.iter().zip(&expected) {
        for r in private.iter() {
            let max = brightest_inside(img, r, *scale).expect("region on screen");
            assert!(max <= MAX_CHANNEL, "{name}: {r:?} leaks (channel {max})");
            regions += 1;
        }
        // And the frame is not simply black: the public parts are there.
        let bright = img.rgb.iter().filter(|&&v| v > 150).count();
        assert!(bright > img.rgb.len() / 3, "{name}: public content kept");
    }
    assert_eq!(regions, (3 + 2 + 2) * 2);
}

#[test]
fn the_explicit_mask_api_keeps_its_contract() {
    let srv = IngestServer::start(ServerOptions::new(tmp("esrv"))).unwrap();
    let c = client(&srv.url(), &tmp("espool"));
    c.start(1_000).unwrap();
    let spec = spec_at(1.0, PixelFormat::Rgba, 0);
    c.submit_frame_with_masks(paint(&spec, 0), spec, &[], 2_000)
        .unwrap();
    c.submit_frame_with_masks(
        paint(&spec, 1),
        spec,
        &[Rect::new(10.0, 10.0, 50.0, 50.0)],
        3_000,
    )
    .unwrap();
    assert!(c.sync_capture(WAIT));
    assert_eq!(c.telemetry().capture.frames_captured, 2);
    assert_eq!(dropped(&c, "tree_empty"), 0);
}

/// Host values at the edges of their types never panic or wedge the policy.
#[test]
fn extreme_host_values_saturate() {
    let srv = IngestServer::start(ServerOptions::new(tmp("xsrv"))).unwrap();
    let c = client(&srv.url(), &tmp("xspool"));
    c.start(1_000).unwrap();
    c.touch_began();
    c.touch_ended(u64::MAX);
    c.scroll_began();
    c.scroll_ended(u64::MAX);
    // The interaction "ended in the future": it ends now and settles, it does not hold
    // capture forever.
    let d = c.tick(2_000).unwrap();
    assert!(d.next_check_ms <= 60_000, "{d:?}");
    let later = c.tick(2_000 + 10_000).unwrap();
    assert_eq!(
        later.action,
        rejourney_core::policy::Action::Capture,
        "{later:?}"
    );
    c.app_backgrounded(0);
    c.app_foregrounded(u64::MAX);
    let _ = c.tick(u64::MAX).unwrap();
    let _ = c.tick(0).unwrap();
    let _ = c.report_capture_cost(f64::MAX);
    c.stop(u64::MAX).unwrap_or(());
    c.start(u64::MAX).unwrap();
    c.shutdown(Duration::from_millis(100));
}

/// (scale, frame width px, frame height px, expected (x0, x1, y0, y1) of the masked span).
type AlignmentCase = (f32, u32, u32, (u32, u32, u32, u32));

#[test]
fn hand_computed_alignment_at_odd_sizes_and_every_common_scale() {
    // Mask (3.3, 5.5, 10.1 × 7.2) pt, rounded outwards: x0 = floor(3.3 s),
    // x1 = ceil(13.4 s), y0 = floor(5.5 s), y1 = ceil(12.7 s).
    let cases: [AlignmentCase; 4] = [
        (1.0, 41, 31, (3, 14, 5, 13)),
        (1.25, 51, 39, (4, 17, 6, 16)),
        (2.0, 83, 61, (6, 27, 11, 26)),
        (3.0, 123, 91, (9, 41, 16, 39)),
    ];
    for (scale, w, h, (x0, x1, y0, y1)) in cases {
        for (format, pad) in [(PixelFormat::Rgba, 0usize), (PixelFormat::Bgra, 20)] {
            let spec = FrameSpec {
                width: w,
                height: h,
                stride: w as usize * 4 + pad,
                format,
                scale,
            };
            // The root of a tree for this buffer is accepted at this scale.
            let root = node(
                None,
                NodeKind::Container,
                0.0,
                0.0,
                w as f32 / scale,
                h as f32 / scale,
            );
            assert_eq!(check_tree(&[root], &spec, 10), Ok(()), "scale {scale}");
            let mut buf = vec![255u8; spec.stride * h as usize];
            Redactor::new()
                .apply(&mut buf, &spec, &[Rect::new(3.3, 5.5, 10.1, 7.2)])
                .unwrap();
            for y in 0..h {
                for x in 0..w {
                    let i = y as usize * spec.stride + x as usize * 4;
                    let black = buf[i..i + 3] == [0, 0, 0];
                    let inside = (x0..x1).contains(&x) && (y0..y1).contains(&y);
                    assert_eq!(black, inside, "scale {scale} pixel ({x},{y})");
                }
            }
        }
    }
}

fn is_black(buf: &[u8], spec: &FrameSpec, x: u32, y: u32) -> bool {
    let i = y as usize * spec.stride + x as usize * 4;
    buf[i..i + 3] == [0, 0, 0]
}

/// Pixels whose centre lies inside `r` (points) at `spec`'s scale, clipped to the frame.
fn centres_inside(r: &Rect, spec: &FrameSpec) -> impl Iterator<Item = (u32, u32)> {
    let s = spec.scale;
    let (w, h) = (spec.width, spec.height);
    let x0 = ((r.x * s - 0.5).ceil().max(0.0) as u32).min(w);
    let x1 = (((r.x + r.width) * s - 0.5).ceil().max(0.0) as u32).min(w);
    let y0 = ((r.y * s - 0.5).ceil().max(0.0) as u32).min(h);
    let y1 = (((r.y + r.height) * s - 0.5).ceil().max(0.0) as u32).min(h);
    (y0..y1).flat_map(move |y| (x0..x1).map(move |x| (x, y)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Whatever the subtree of a masked node looks like, every descendant's pixels are
    /// black, however far outside the masked node it is drawn.
    #[test]
    fn prop_descendants_of_a_masked_node_are_black_wherever_they_are_drawn(
        scale in prop::sample::select(vec![1.0f32, 1.25, 2.0, 2.625, 3.0]),
        masked in (0.0f32..50.0, 0.0f32..80.0, 1.0f32..40.0, 1.0f32..30.0),
        kids in prop::collection::vec(
            (0usize..6, -20.0f32..70.0, -20.0f32..110.0, 0.0f32..40.0, 0.0f32..40.0), 1..7),
        tag in prop::sample::select(vec![0u8, 1, 2]),
    ) {
        let (w_pt, h_pt) = (61.0f32, 97.0f32);
        let spec = FrameSpec::packed((w_pt * scale).round() as u32, (h_pt * scale).round() as u32,
            PixelFormat::Rgba, scale);
        let mut nodes = vec![node(None, NodeKind::Container, 0.0, 0.0, w_pt, h_pt)];
        let (mx, my, mw, mh) = masked;
        // Masked by kind, by tag, or as a secure input.
        let mut m = node(Some(0), [NodeKind::TextInput, NodeKind::Container, NodeKind::SecureInput][tag as usize], mx, my, mw, mh);
        if tag == 1 { m.tag = MaskTag::Mask; }
        nodes.push(m);
        for (p, x, y, w, h) in kids {
            // Each child hangs under the masked node or one of its descendants; an unmask
            // tag below a masked ancestor changes nothing.
            let parent = 1 + (p % (nodes.len() - 1));
            let mut k = node(Some(parent as u32), NodeKind::Text, x, y, w, h);
            k.tag = if p == 5 { MaskTag::Unmask } else { MaskTag::None };
            nodes.push(k);
        }
        prop_assert_eq!(check_tree(&nodes, &spec, 100), Ok(()));
        let (mut rects, mut flags) = (Vec::new(), Vec::new());
        let table = Strings::from_vec(kind_names());
        mask_decisions(&nodes, &table, &MaskOptions::default(), &mut rects, &mut flags).unwrap();
        let mut buf = vec![255u8; spec.stride * spec.height as usize];
        Redactor::new().apply(&mut buf, &spec, &rects).unwrap();
        for n in &nodes[1..] {
            for (x, y) in centres_inside(&n.frame, &spec) {
                prop_assert!(is_black(&buf, &spec, x, y), "({x},{y}) of {:?}", n.frame);
            }
        }
    }

    /// A tree is accepted at the scale its buffer was drawn at, for any size; a scale wrong
    /// enough to misplace masks by more than the tolerance at the far edge is refused.
    #[test]
    fn prop_a_tree_is_trusted_only_at_the_scale_of_its_pixels(
        w_pt in 200.0f32..1400.0,
        h_pt in 200.0f32..1400.0,
        scale in 0.5f32..4.0,
        wrong in 0.5f32..4.0,
    ) {
        let spec = FrameSpec::packed((w_pt * scale) as u32, (h_pt * scale) as u32,
            PixelFormat::Rgba, scale);
        let root = [node(None, NodeKind::Container, 0.0, 0.0, w_pt, h_pt)];
        // The true scale passes even with the buffer truncated (not rounded) to whole pixels.
        prop_assert_eq!(check_tree(&root, &spec, 10), Ok(()));
        let off = ((wrong - scale) * w_pt.max(h_pt)).abs();
        let reported = FrameSpec { scale: wrong, ..spec };
        if off > 3.5 {
            prop_assert!(check_tree(&root, &reported, 10).is_err(), "off by {off} px");
        }
    }
}

/// An empty tree is refused through the client for any frame, and nothing is stored.
#[test]
fn prop_an_empty_tree_never_yields_a_frame() {
    let srv = IngestServer::start(ServerOptions::new(tmp("psrv"))).unwrap();
    let c = client(&srv.url(), &tmp("pspool"));
    c.start(1_000).unwrap();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(64));
    let submitted = std::cell::Cell::new(0u64);
    runner
        .run(
            &(1u32..200, 1u32..200, 0.5f32..4.0, 0u8..=255),
            |(w, h, scale, v)| {
                let spec = FrameSpec::packed(w, h, PixelFormat::Bgra, scale);
                let err = c
                    .submit_frame(
                        vec![v; w as usize * h as usize * 4],
                        spec,
                        &[],
                        kinds(),
                        2_000,
                    )
                    .unwrap_err();
                prop_assert!(matches!(err, ClientError::Nodes(NodeError::Empty)));
                submitted.set(submitted.get() + 1);
                Ok(())
            },
        )
        .unwrap();
    assert!(c.sync_capture(WAIT));
    let t = c.telemetry();
    assert_eq!(t.capture.frames_captured, 0);
    assert_eq!(dropped(&c, "tree_empty"), submitted.get());
    c.stop(3_000).unwrap();
    assert!(c.flush(WAIT));
    assert!(srv.artifacts().iter().all(|a| a.kind != "screenshots"));
}
