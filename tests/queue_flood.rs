//! Bounded everything: a flood with a stalled encoder or a stalled consumer keeps memory
//! flat, counts every drop, and keeps the newest frames.

use std::time::Duration;

use rejourney_core::{
    parse_bundle, Config, FrameSpec, ParseLimits, Pipeline, PixelFormat, SessionTag,
};

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse::<u64>().ok())
        .unwrap_or(0)
        * 4096
}

fn frame(i: u32, w: u32, h: u32) -> (Vec<u8>, FrameSpec) {
    // Each frame differs (the index is written into the first pixels) so none is skipped as
    // unchanged.
    let mut px = vec![200u8; (w * h * 4) as usize];
    px[..4].copy_from_slice(&i.to_le_bytes());
    (px, FrameSpec::packed(w, h, PixelFormat::Rgba, 1.0))
}

#[test]
fn stalled_encoder_flood_is_bounded_counted_and_keeps_the_newest() {
    let cfg = Config::default();
    let cap = cfg.max_queued_raw_frames as u64;
    let p = Pipeline::new(
        cfg,
        SessionTag {
            id: "flood".into(),
            start_ms: 0,
        },
    )
    .unwrap();
    p.set_encoder_paused(true);
    let before = rss_bytes();
    const N: u32 = 10_000;
    // 10 000 frames of 320 KB: 3.2 GB if anything kept them all.
    for i in 0..N {
        let (px, spec) = frame(i, 200, 400);
        p.submit_frame(px, spec, &[], i as u64).unwrap();
    }
    let grown = rss_bytes().saturating_sub(before);
    assert!(grown < 200 << 20, "memory grew by {} MB", grown >> 20);
    let t = p.telemetry();
    assert_eq!(t.frames_offered, N as u64);
    assert_eq!(t.dropped["raw_queue_full"], N as u64 - cap);
    assert_eq!(t.frames_captured, 0, "the encoder is stalled");

    p.set_encoder_paused(false);
    let token = p.flush();
    assert!(p.wait_flushed(token, Duration::from_secs(30)));
    let mut offsets = Vec::new();
    while let Some(b) = p.take_bundle() {
        offsets.extend(
            parse_bundle(&b.gz, ParseLimits::default())
                .unwrap()
                .into_iter()
                .map(|f| f.offset_ms),
        );
    }
    let newest: Vec<u64> = ((N as u64 - cap)..N as u64).collect();
    assert_eq!(offsets, newest, "the newest frames survive, in order");
    assert_eq!(p.telemetry().frames_captured, cap);
}

#[test]
fn stalled_consumer_caps_pending_bundles_and_frames() {
    let cfg = Config {
        max_pending_batches: 50,
        max_buffered_frames: 120,
        batch_size: 3,
        ..Config::default()
    };
    let p = Pipeline::new(
        cfg,
        SessionTag {
            id: "pending".into(),
            start_ms: 0,
        },
    )
    .unwrap();
    const N: u32 = 600;
    for i in 0..N {
        let (px, spec) = frame(i, 16, 16);
        p.submit_frame(px, spec, &[], i as u64 * 10).unwrap();
        if i % 3 == 2 {
            // Let the encoder keep up so the raw queue does not drop: this test is about
            // the pending side.
            assert!(p.wait_flushed(p.flush(), Duration::from_secs(10)));
        }
    }
    let t = p.telemetry();
    assert_eq!(t.dropped["raw_queue_full"], 0);
    assert_eq!(t.frames_captured, N as u64);
    assert_eq!(t.bundles, (N / 3) as u64);
    assert!(
        p.pending_bundles() <= 40,
        "120 buffered frames / 3 per bundle"
    );
    let kept = p.pending_bundles() as u64 * 3;
    assert_eq!(kept, 120);
    assert_eq!(
        t.dropped["buffered_frames_full"] + t.dropped["pending_batches_full"],
        N as u64 - kept
    );
    assert_eq!(t.bundles_dropped, (N as u64 - kept) / 3);
    let first = p.take_bundle().unwrap();
    let offsets: Vec<u64> = parse_bundle(&first.gz, ParseLimits::default())
        .unwrap()
        .iter()
        .map(|f| f.offset_ms)
        .collect();
    assert_eq!(
        offsets[0],
        (N as u64 - kept) * 10,
        "the oldest kept bundle is the first after the dropped ones"
    );
}

#[test]
fn pending_batch_cap_applies_before_the_frame_cap() {
    let cfg = Config {
        max_pending_batches: 5,
        max_buffered_frames: 500,
        batch_size: 1,
        ..Config::default()
    };
    let p = Pipeline::new(
        cfg,
        SessionTag {
            id: "cap".into(),
            start_ms: 0,
        },
    )
    .unwrap();
    for i in 0..20 {
        let (px, spec) = frame(i, 8, 8);
        p.submit_frame(px, spec, &[], i as u64).unwrap();
        assert!(p.wait_flushed(p.flush(), Duration::from_secs(10)));
    }
    assert_eq!(p.pending_bundles(), 5);
    let t = p.telemetry();
    assert_eq!(t.dropped["pending_batches_full"], 15);
    assert_eq!(t.bundles_dropped, 15);
}
