//! Bad input from the host is a typed error, counted, and never a panic or an encoded frame.

use std::time::Duration;

use rejourney_core::{
    Config, ConfigError, FrameError, FrameSpec, Pipeline, PipelineError, PixelFormat, Rect,
    SessionTag,
};

fn pipeline() -> Pipeline {
    Pipeline::new(
        Config::default(),
        SessionTag {
            id: "bad".into(),
            start_ms: 0,
        },
    )
    .unwrap()
}

fn spec(w: u32, h: u32) -> FrameSpec {
    FrameSpec::packed(w, h, PixelFormat::Rgba, 1.25)
}

/// A bad frame: its buffer, its spec, its masks, and the error it must be refused with.
type BadFrame = (Vec<u8>, FrameSpec, Vec<Rect>, fn(&FrameError) -> bool);

#[test]
fn bad_frames_are_typed_errors_and_nothing_is_encoded() {
    let p = pipeline();
    let ok = Rect::new(1.0, 1.0, 2.0, 2.0);
    let cases: Vec<BadFrame> = vec![
        (vec![0; 10], spec(4, 4), vec![], |e| {
            matches!(e, FrameError::BufferLength { actual: 10, .. })
        }),
        (vec![0; 65], spec(4, 4), vec![], |e| {
            matches!(e, FrameError::BufferLength { .. })
        }),
        (vec![], spec(0, 4), vec![], |e| {
            matches!(e, FrameError::Size { .. })
        }),
        (vec![], spec(4, 0), vec![], |e| {
            matches!(e, FrameError::Size { .. })
        }),
        (vec![], spec(100_000, 4), vec![], |e| {
            matches!(e, FrameError::Size { .. })
        }),
        (
            vec![0; 64],
            FrameSpec {
                stride: 8,
                ..spec(4, 4)
            },
            vec![],
            |e| matches!(e, FrameError::Stride { stride: 8, min: 16 }),
        ),
        (
            vec![0; 64],
            FrameSpec {
                scale: f32::NAN,
                ..spec(4, 4)
            },
            vec![],
            |e| matches!(e, FrameError::Scale(_)),
        ),
        (
            vec![0; 64],
            FrameSpec {
                scale: 0.0,
                ..spec(4, 4)
            },
            vec![],
            |e| matches!(e, FrameError::Scale(_)),
        ),
        (
            vec![0; 64],
            FrameSpec {
                scale: -3.0,
                ..spec(4, 4)
            },
            vec![],
            |e| matches!(e, FrameError::Scale(_)),
        ),
        (
            vec![0; 64],
            spec(4, 4),
            vec![ok, Rect::new(f32::NAN, 0.0, 1.0, 1.0)],
            |e| matches!(e, FrameError::Mask { index: 1, .. }),
        ),
        (
            vec![0; 64],
            spec(4, 4),
            vec![Rect::new(0.0, 0.0, f32::INFINITY, 1.0)],
            |e| matches!(e, FrameError::Mask { index: 0, .. }),
        ),
        (
            vec![0; 64],
            spec(4, 4),
            vec![Rect::new(0.0, 0.0, 1.0, -1.0)],
            |e| matches!(e, FrameError::Mask { index: 0, .. }),
        ),
        (
            vec![0; 64],
            spec(4, 4),
            vec![Rect::new(f32::NEG_INFINITY, 0.0, 1.0, 1.0)],
            |e| matches!(e, FrameError::Mask { .. }),
        ),
        (
            vec![0; 16],
            FrameSpec {
                width: 1 << 13,
                height: 1 << 13,
                stride: usize::MAX / 2,
                ..spec(1, 1)
            },
            vec![],
            |e| matches!(e, FrameError::TooLarge { .. }),
        ),
    ];
    let n = cases.len() as u64;
    for (i, (px, spec, masks, check)) in cases.into_iter().enumerate() {
        let err = p
            .submit_frame(px, spec, &masks, 1000)
            .expect_err("must be rejected");
        assert!(check(&err), "case {i}: unexpected {err:?}");
    }
    let token = p.flush();
    assert!(p.wait_flushed(token, Duration::from_secs(10)));
    let t = p.telemetry();
    assert_eq!(t.frames_offered, n);
    assert_eq!(t.frames_captured, 0, "no invalid frame is ever encoded");
    assert_eq!(t.dropped["invalid_frame"] + t.dropped["invalid_mask"], n);
    assert_eq!(t.dropped["invalid_mask"], 4);
    assert!(p.take_bundle().is_none());
}

#[test]
fn padded_last_row_is_optional() {
    let p = pipeline();
    let s = FrameSpec {
        stride: 32,
        ..spec(4, 4)
    };
    p.submit_frame(vec![9; 32 * 3 + 16], s, &[], 0)
        .expect("last row unpadded");
    p.submit_frame(vec![9; 32 * 4], s, &[], 1)
        .expect("last row padded");
    assert!(p.submit_frame(vec![9; 32 * 3 + 15], s, &[], 2).is_err());
    assert!(p.submit_frame(vec![9; 32 * 4 + 1], s, &[], 3).is_err());
}

#[test]
fn bad_config_is_a_typed_error() {
    let tag = || SessionTag {
        id: "x".into(),
        start_ms: 0,
    };
    for (cfg, want) in [
        (
            Config {
                jpeg_quality: 2.0,
                ..Config::default()
            },
            "quality",
        ),
        (
            Config {
                capture_interval_ms: 0,
                ..Config::default()
            },
            "interval",
        ),
        (
            Config {
                batch_size: 0,
                ..Config::default()
            },
            "batch",
        ),
    ] {
        match Pipeline::new(cfg, tag()) {
            Err(PipelineError::Config(e)) => match want {
                "quality" => assert!(matches!(e, ConfigError::Quality(_))),
                "interval" => assert!(matches!(e, ConfigError::Interval(0))),
                _ => assert!(matches!(e, ConfigError::BatchSize(0))),
            },
            other => panic!("expected a config error, got {other:?}"),
        }
    }
}

#[test]
fn a_stopped_pipeline_rejects_frames_and_counts_them() {
    let p = pipeline();
    p.stop();
    assert_eq!(
        p.submit_frame(vec![0; 64], spec(4, 4), &[], 0),
        Err(FrameError::Stopped)
    );
    assert_eq!(p.telemetry().dropped["stopped"], 1);
    assert!(p.report_capture_cost(f64::NAN).is_err());
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    /// Arbitrary geometry, buffer lengths and rectangles never panic; accepted frames are
    /// consistent with their geometry.
    #[test]
    fn prop_submit_never_panics(w in 0u32..64, h in 0u32..64, pad in 0usize..16, len_delta in -8i64..8,
                                scale in proptest::prelude::prop_oneof![proptest::prelude::Just(f32::NAN), -1.0f32..5.0],
                                rects in proptest::collection::vec((-1e6f32..1e6, -1e6f32..1e6, -10.0f32..1e6, -10.0f32..1e6), 0..4)) {
        let p = pipeline();
        let stride = w as usize * 4 + pad;
        let len = ((stride * h as usize) as i64 + len_delta).max(0) as usize;
        let spec = FrameSpec { width: w, height: h, stride, format: PixelFormat::Bgra, scale };
        let masks: Vec<Rect> = rects.iter().map(|&(x, y, rw, rh)| Rect::new(x, y, rw, rh)).collect();
        let r = p.submit_frame(vec![7; len], spec, &masks, 0);
        if r.is_ok() {
            proptest::prop_assert!(w > 0 && h > 0 && scale > 0.0);
        }
    }
}
