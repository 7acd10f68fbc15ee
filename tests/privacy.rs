//! Privacy, end to end: every text input, secure input and camera node of every corpus screen
//! comes out black after redaction, encode, bundle, strict parse and JPEG decode — for the
//! host paths we support (RGBA at capture scale, BGRA with padded rows, full-resolution input
//! downscaled by the core). The tolerance is defined once in `rejourney_harness`.

use std::time::Duration;

use rejourney_core::masks::{mask_rects, MaskOptions};
use rejourney_core::redact::Redactor;
use rejourney_core::{parse_bundle, Config, FrameSpec, ParseLimits, Pipeline, Rect, SessionTag};
use rejourney_harness::{
    brightest_inside, corpus_dir, decode_jpeg, load_corpus, to_bgra_padded, Screen, MAX_CHANNEL,
};

fn config() -> Config {
    Config {
        skip_unchanged_frames: false,
        ..Config::default()
    }
}

/// Runs each (pixels, spec) through a fresh pipeline and returns the decoded frames in order.
fn encode_all(frames: Vec<(Vec<u8>, FrameSpec, Vec<Rect>)>) -> Vec<rejourney_harness::Decoded> {
    let p = Pipeline::new(
        config(),
        SessionTag {
            id: "privacy".into(),
            start_ms: 0,
        },
    )
    .unwrap();
    for (i, (px, spec, masks)) in frames.into_iter().enumerate() {
        p.submit_frame(px, spec, &masks, i as u64 * 1000).unwrap();
        // Give the encoder time so the small raw queue never drops a frame under test.
        let token = p.flush();
        assert!(p.wait_flushed(token, Duration::from_secs(30)));
    }
    p.stop();
    let mut out = Vec::new();
    while let Some(b) = p.take_bundle() {
        for f in parse_bundle(&b.gz, ParseLimits::default()).unwrap() {
            out.push(decode_jpeg(&f.jpeg).unwrap());
        }
    }
    out
}

fn masks_for(screen: &Screen) -> Vec<Rect> {
    let mut masks = Vec::new();
    mask_rects(
        &screen.nodes,
        &screen.table(),
        &MaskOptions::default(),
        &mut masks,
    )
    .unwrap();
    masks
}

/// Asserts every private node is black in `img`; returns how many regions were checked.
fn assert_private_black(screen: &Screen, img: &rejourney_harness::Decoded, path: &str) -> usize {
    let scale = img.width as f32 / screen.width_pt;
    let mut checked = 0;
    for rect in screen.private_rects() {
        if let Some(max) = brightest_inside(img, &rect, scale) {
            assert!(
                max <= MAX_CHANNEL,
                "{path}: {} private rect {rect:?} has a channel at {max}",
                screen.id
            );
            checked += 1;
        }
    }
    checked
}

#[test]
fn every_private_node_is_black_after_decode_on_every_host_path() {
    let screens = load_corpus(&corpus_dir()).unwrap();
    let with_private: Vec<&Screen> = screens
        .iter()
        .filter(|s| !s.private_rects().is_empty())
        .collect();
    assert!(
        with_private.len() >= 3,
        "the corpus has screens with private nodes"
    );
    let scale = config().capture_scale;

    let rgba = encode_all(
        screens
            .iter()
            .map(|s| {
                let (px, spec) = s.render_at(scale);
                (px, spec, masks_for(s))
            })
            .collect(),
    );
    let bgra = encode_all(
        screens
            .iter()
            .map(|s| {
                let (px, spec) = s.render_at(scale);
                let (px, spec) = to_bgra_padded(&px, &spec, 32);
                (px, spec, masks_for(s))
            })
            .collect(),
    );
    let native = encode_all(
        screens
            .iter()
            .map(|s| (s.rgba.clone(), s.native_spec(), masks_for(s)))
            .collect(),
    );

    let mut checked = 0;
    for (path, imgs) in [
        ("rgba", &rgba),
        ("bgra+stride", &bgra),
        ("native 3x", &native),
    ] {
        assert_eq!(imgs.len(), screens.len(), "{path}: one frame per screen");
        for (s, img) in screens.iter().zip(imgs.iter()) {
            assert_eq!(
                (img.width, img.height),
                (491, 1065),
                "{path}: output at capture scale"
            );
            checked += assert_private_black(s, img, path);
        }
    }
    let expected: usize = with_private
        .iter()
        .map(|s| s.private_rects().len())
        .sum::<usize>()
        * 3;
    assert!(
        checked >= expected * 9 / 10,
        "checked {checked} of {expected} private regions"
    );
}

/// The control: the same check must fail when masks are not applied, or it proves nothing.
#[test]
fn the_privacy_check_detects_unmasked_frames() {
    let screens = load_corpus(&corpus_dir()).unwrap();
    let scale = config().capture_scale;
    let imgs = encode_all(
        screens
            .iter()
            .map(|s| {
                let (px, spec) = s.render_at(scale);
                (px, spec, Vec::new())
            })
            .collect(),
    );
    let mut leaks = 0;
    for (s, img) in screens.iter().zip(imgs.iter()) {
        let scale = img.width as f32 / s.width_pt;
        leaks += s
            .private_rects()
            .iter()
            .filter(|r| brightest_inside(img, r, scale).is_some_and(|m| m > MAX_CHANNEL))
            .count();
    }
    assert!(
        leaks > 0,
        "unmasked private regions must be visible to the check"
    );
}

/// Before any lossy stage the masked pixels are exactly black, including the outward-rounded
/// edges, on every corpus screen.
#[test]
fn redaction_is_exact_on_the_raw_buffer() {
    for s in load_corpus(&corpus_dir()).unwrap() {
        let (mut px, spec) = s.render_at(config().capture_scale);
        Redactor::new()
            .apply(&mut px, &spec, &masks_for(&s))
            .unwrap();
        for r in s.private_rects() {
            let x0 = (r.x * spec.scale).floor().max(0.0) as usize;
            let y0 = (r.y * spec.scale).floor().max(0.0) as usize;
            let x1 = ((r.x + r.width) * spec.scale).ceil().min(spec.width as f32) as usize;
            let y1 = ((r.y + r.height) * spec.scale)
                .ceil()
                .min(spec.height as f32) as usize;
            for y in y0..y1 {
                for x in x0..x1 {
                    let i = y * spec.stride + x * 4;
                    assert_eq!(&px[i..i + 3], &[0, 0, 0], "{} pixel {x},{y}", s.id);
                }
            }
        }
    }
}
