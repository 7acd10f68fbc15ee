//! Test-only module (declared `#[cfg(test)] mod tests;` in `mod.rs`). FFI calls with hostile input: typed errors, never a panic.

use super::*;

fn options(dir: &std::path::Path) -> RejourneyOptions {
    RejourneyOptions {
        spool_quota_bytes: Some(1 << 20),
        anr_threshold_ms: Some(0),
        platform: "test".into(),
        screen_width: f32::NAN,
        screen_height: -1.0,
        screen_scale: f32::INFINITY,
        ..RejourneyOptions::with_defaults(
            "pk",
            "http://127.0.0.1:9",
            "d",
            &dir.display().to_string(),
        )
    }
}

fn arg(r: Result<impl std::fmt::Debug, RejourneyError>) {
    assert!(
        matches!(r, Err(RejourneyError::InvalidArgument { .. })),
        "{r:?}"
    );
}

/// Every event entry point with hostile input: typed errors or sanitised values, never a
/// panic, and the same calls after shutdown say `Closed`.
#[test]
fn event_entry_points_reject_or_sanitise_hostile_input() {
    let dir = std::env::temp_dir().join(format!("rj-ffi-events-{}", std::process::id()));
    let rj = Rejourney::new(options(&dir)).expect("non-finite screen sizes are sanitised");
    assert!(matches!(
        rj.track_gesture(Gesture::Tap, 1, 0.0, 0.0, None, None),
        Err(RejourneyError::NotStarted)
    ));
    assert!(matches!(
        rj.record_crash(1, "E".into(), "r".into(), "s".into(), 10),
        Err(RejourneyError::NotStarted)
    ));
    rj.start(1).unwrap();
    arg(rj.track_gesture(Gesture::Tap, 2, f32::NAN, 0.0, None, None));
    arg(rj.track_gesture(Gesture::Pinch, 2, 0.0, f32::INFINITY, None, None));
    arg(rj.log_event(3, " ".into(), HashMap::new()));
    let many: HashMap<String, EventValue> = (0..10_000)
        .map(|i| (format!("k{i}"), EventValue::Number { value: f64::NAN }))
        .collect();
    rj.log_event(3, "x".repeat(1 << 20), many).unwrap();
    let req = |d: f64, url: &str| NetworkRequestInfo {
        method: "\u{0}GET".into(),
        url: url.into(),
        status_code: Some(999),
        duration_ms: d,
        request_bytes: Some(u64::MAX),
        response_bytes: None,
        error: Some("e".repeat(100_000)),
    };
    arg(rj.network_request(4, req(f64::NAN, "https://a.example")));
    arg(rj.network_request(4, req(-1.0, "https://a.example")));
    assert_eq!(
        rj.network_request(4, req(1.0, "::not a url::")).ok(),
        Some(true)
    );
    rj.keyboard_shown(5, f32::NAN).unwrap();
    rj.keyboard_hidden(u64::MAX).unwrap();
    rj.log_message(6, "x".repeat(1 << 16), "\u{fffd}".repeat(1 << 16))
        .unwrap();
    rj.screen_changed(7, String::new()).unwrap();
    rj.heartbeat().unwrap();
    let orphan = ViewNode {
        parent: Some(5),
        class_index: 0,
        x: 0.0,
        y: 0.0,
        width: 1.0,
        height: 1.0,
        kind: NodeKind::Container,
        tag: MaskTag::None,
        view_id: None,
        test_id_index: None,
        text_length: None,
        mask_hint_index: None,
        animating: false,
    };
    let tree = |nodes: Vec<ViewNode>, base: u32, added: &[&str]| NodeTree {
        nodes,
        strings: NodeStrings {
            table: 77,
            base,
            // The table is ["V", ...]: its digest before `base`.
            digest: ["V"][..base as usize]
                .iter()
                .fold(crate::strings::DIGEST_SEED, |h, s| {
                    crate::strings::digest(h, s)
                }),
            added: added.iter().map(|s| s.to_string()).collect(),
        },
    };
    assert!(matches!(
        rj.submit_partial_frame(8, tree(vec![orphan.clone()], 0, &["V"])),
        Err(RejourneyError::InvalidNodes { .. })
    ));
    // The update was applied all the same: sent again (an answer the shim did not trust)
    // it is accepted, the frame still refused for its tree.
    assert!(matches!(
        rj.submit_partial_frame(8, tree(vec![orphan.clone()], 0, &["V"])),
        Err(RejourneyError::InvalidNodes { .. })
    ));
    // Another string at a held index, or a base the core does not have: the shim is told.
    assert!(matches!(
        rj.submit_partial_frame(8, tree(vec![orphan.clone()], 0, &["W"])),
        Err(RejourneyError::StringTable { .. })
    ));
    let root = ViewNode {
        parent: None,
        test_id_index: Some(1),
        ..orphan.clone()
    };
    assert!(
        matches!(
            rj.submit_partial_frame(8, tree(vec![root.clone()], 1, &[])),
            Err(RejourneyError::InvalidNodes { .. })
        ),
        "a node naming a string the table does not have"
    );
    rj.submit_partial_frame(8, tree(vec![root], 1, &["t"]))
        .unwrap();
    assert!(rj
        .record_crash(9, "E".into(), "r".repeat(1 << 20), String::new(), 2_000)
        .unwrap());
    let t = rj.telemetry().unwrap();
    let json: serde_json::Value = serde_json::from_str(&t.json).unwrap();
    assert_eq!(json["events"]["dropped_properties"], 10_000 - 50);
    assert!(json["events"]["truncated_strings"].as_u64().unwrap() >= 3);
    rj.shutdown(0).unwrap();
    assert!(matches!(
        rj.track_gesture(Gesture::Tap, 10, 1.0, 1.0, None, None),
        Err(RejourneyError::Closed)
    ));
    assert!(matches!(
        rj.log_event(10, "late".into(), HashMap::new()),
        Err(RejourneyError::Closed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
}
