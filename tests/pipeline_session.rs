//! The pipeline as a session sees it: unchanged screens are skipped, bundles are sealed by
//! size, by age (with the host's clock) and by session switch, in the exact wire format.

use std::time::Duration;

use rejourney_core::{
    parse_bundle, Action, Config, FrameSpec, ParseLimits, Pipeline, PixelFormat, SessionTag,
};
use rejourney_harness::{corpus_dir, load_screen};

fn tag(id: &str, start: u64) -> SessionTag {
    SessionTag {
        id: id.into(),
        start_ms: start,
    }
}

fn settle(p: &Pipeline) {
    assert!(p.wait_flushed(p.flush(), Duration::from_secs(30)));
}

#[test]
fn identical_scroll_positions_are_skipped_and_counted() {
    let dir = corpus_dir();
    let a = load_screen(&dir, "chat-120").unwrap();
    let b = load_screen(&dir, "chat-240").unwrap();
    let c = load_screen(&dir, "chat-000").unwrap();
    let p = Pipeline::new(Config::default(), tag("s", 0)).unwrap();
    for (i, s) in [&a, &b, &c, &c].iter().enumerate() {
        let (px, spec) = s.render_at(1.25);
        p.submit_frame(px, spec, &[], i as u64 * 1000).unwrap();
        settle(&p);
    }
    let t = p.telemetry();
    assert_eq!(
        t.frames_skipped_unchanged, 2,
        "chat-240 equals chat-120; chat-000 repeated"
    );
    assert_eq!(t.frames_captured, 2);
}

#[test]
fn bundles_seal_by_size_age_and_session_and_carry_offsets() {
    let cfg = Config::default();
    let p = Pipeline::new(cfg.clone(), tag("one", 10_000)).unwrap();
    let frame = |v: u8| {
        (
            vec![v; 32 * 32 * 4],
            FrameSpec::packed(32, 32, PixelFormat::Bgra, 2.0),
        )
    };
    // Three frames fill a bundle.
    for i in 0..3u8 {
        let (px, spec) = frame(i * 10);
        p.submit_frame(px, spec, &[], 10_000 + i as u64 * 1000)
            .unwrap();
    }
    let b1 = p
        .wait_for_bundle(Duration::from_secs(10))
        .expect("size-sealed bundle");
    assert_eq!(
        (b1.frame_count, b1.start_ms, b1.end_ms),
        (3, 10_000, 12_000)
    );
    let offsets: Vec<u64> = parse_bundle(&b1.gz, ParseLimits::default())
        .unwrap()
        .iter()
        .map(|f| f.offset_ms)
        .collect();
    assert_eq!(offsets, vec![0, 1000, 2000]);

    // One frame, then the host's clock moves past batch × interval: sealed without a flush.
    let (px, spec) = frame(100);
    p.submit_frame(px, spec, &[], 13_000).unwrap();
    assert!(
        p.wait_for_bundle(Duration::from_millis(400)).is_none(),
        "not old yet"
    );
    p.tick(13_000 + cfg.batch_max_age_ms());
    let b2 = p
        .wait_for_bundle(Duration::from_secs(10))
        .expect("age-sealed bundle");
    assert_eq!(b2.frame_count, 1);

    // A session switch seals the old session's open bundle and restarts offsets.
    let (px, spec) = frame(110);
    p.submit_frame(px, spec, &[], 20_000).unwrap();
    p.set_session(tag("two", 30_000));
    let (px, spec) = frame(120);
    p.submit_frame(px, spec, &[], 31_000).unwrap();
    settle(&p);
    let b3 = p.take_bundle().unwrap();
    let b4 = p.take_bundle().unwrap();
    assert_eq!((&*b3.session_id, b3.frame_count), ("one", 1));
    assert_eq!(&*b4.session_id, "two");
    assert_eq!(
        parse_bundle(&b4.gz, ParseLimits::default()).unwrap()[0].offset_ms,
        1000
    );
}

#[test]
fn policy_through_the_pipeline_counts_skips() {
    let p = Pipeline::new(Config::default(), tag("pol", 0)).unwrap();
    assert_eq!(p.tick(0).action, Action::Capture);
    p.with_policy(|pol| pol.touch_began());
    assert!(matches!(p.tick(1000).action, Action::Skip(_)));
    p.with_policy(|pol| pol.set_background(true));
    assert!(matches!(p.tick(2000).action, Action::Skip(_)));
    let t = p.telemetry();
    assert_eq!(t.skipped_policy["touch"], 1);
    assert_eq!(t.skipped_policy["background"], 1);
}

#[test]
fn full_resolution_input_is_downscaled_to_capture_scale() {
    let s = load_screen(&corpus_dir(), "settings-000").unwrap();
    let p = Pipeline::new(Config::default(), tag("full", 0)).unwrap();
    p.submit_frame(s.rgba.clone(), s.native_spec(), &[], 0)
        .unwrap();
    settle(&p);
    let b = p.take_bundle().unwrap();
    let f = &parse_bundle(&b.gz, ParseLimits::default()).unwrap()[0];
    let img = rejourney_harness::decode_jpeg(&f.jpeg).unwrap();
    assert_eq!((img.width, img.height), (491, 1065));
    assert!(p.telemetry().stage_ms.contains_key("downscale"));
}
