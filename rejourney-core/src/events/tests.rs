//! Test-only module (declared `#[cfg(test)] mod tests;` in `mod.rs`). The recorder's rules: types the backend counts, tap detectors, bounds, URL privacy.

use super::*;

fn rec() -> EventRecorder {
    EventRecorder::new(EventConfig::default())
}

fn kinds(b: &Batch) -> Vec<String> {
    b.events
        .iter()
        .map(|e| {
            let t = e["type"].as_str().unwrap_or("");
            match e["gestureType"].as_str() {
                Some(g) => format!("{t}:{g}"),
                None => t.to_owned(),
            }
        })
        .collect()
}

#[test]
fn three_quick_taps_in_one_place_are_a_rage_tap() {
    let mut r = rec();
    for (i, ts) in [0u64, 200, 400].iter().enumerate() {
        r.gesture(
            Gesture::Tap,
            *ts,
            100.0 + i as f32,
            200.0,
            Some("BuyButton"),
        )
        .unwrap();
    }
    // The third tap went out as the rage tap instead of a touch.
    let early = r.take_batch(450, true).unwrap();
    assert_eq!(
        kinds(&early),
        ["touch:tap", "touch:tap", "gesture:rage_tap"],
        "one burst, three taps, one of them the rage tap"
    );
    // Spread out in space or time: not rage.
    r.gesture(Gesture::Tap, 5_000, 10.0, 10.0, None).unwrap();
    r.gesture(Gesture::Tap, 5_100, 300.0, 600.0, None).unwrap();
    r.gesture(Gesture::Tap, 7_000, 10.0, 10.0, None).unwrap();
    r.screen_changed(7_100, "Checkout");
    let b = r.take_batch(8_000, true).unwrap();
    let k = kinds(&b);
    assert!(!k.iter().any(|k| k == "gesture:rage_tap"), "{k:?}");
    assert_eq!(r.counters().rage_taps, 1);
    let rage = early
        .events
        .iter()
        .find(|e| e["gestureType"] == "rage_tap")
        .unwrap();
    assert_eq!(rage["count"], 3);
    assert_eq!(rage["label"], "BuyButton");
}

#[test]
fn a_tap_nothing_answers_is_a_dead_tap() {
    let mut r = rec();
    let plain = Some(false);
    r.gesture_on(Gesture::Tap, 1_000, 5.0, 5.0, Some("Logo"), plain)
        .unwrap(); // dead
    r.gesture_on(Gesture::Tap, 4_000, 50.0, 50.0, Some("Next"), plain)
        .unwrap();
    r.screen_changed(4_300, "Step2"); // answers the 4_000 tap
    r.gesture_on(Gesture::Tap, 9_000, 50.0, 50.0, Some("Send"), plain)
        .unwrap();
    r.network(
        9_200,
        &NetworkRequest {
            method: "post".into(),
            url: "https://api.example.com/send".into(),
            status: Some(200),
            duration_ms: 80.0,
            request_bytes: None,
            response_bytes: None,
            error: None,
        },
        &[],
    )
    .unwrap();
    let b = r.take_batch(20_000, false).unwrap();
    let dead: Vec<&Value> = b
        .events
        .iter()
        .filter(|e| e["gestureType"] == "dead_tap")
        .collect();
    assert_eq!(dead.len(), 1, "{:?}", kinds(&b));
    assert_eq!(dead[0]["label"], "Logo");
    assert_eq!(dead[0]["timestamp"], 1_000);
}

#[test]
fn only_taps_on_views_known_not_to_be_interactive_can_be_dead() {
    let mut r = rec();
    // Unanswered taps on a button, and on a view the shim could not tell.
    r.gesture_on(Gesture::Tap, 1_000, 5.0, 5.0, Some("Button"), Some(true))
        .unwrap();
    r.gesture_on(Gesture::Tap, 4_000, 300.0, 5.0, Some("View"), None)
        .unwrap();
    r.gesture(Gesture::Tap, 7_000, 5.0, 300.0, None).unwrap();
    // A plain view, superseded by the next tap before its window closed: the user moved on.
    r.gesture_on(Gesture::Tap, 10_000, 5.0, 5.0, Some("Label"), Some(false))
        .unwrap();
    r.gesture_on(
        Gesture::Tap,
        10_500,
        300.0,
        300.0,
        Some("Label"),
        Some(false),
    )
    .unwrap();
    let b = r.take_batch(20_000, true).unwrap();
    let dead: Vec<_> = b
        .events
        .iter()
        .filter(|e| e["gestureType"] == "dead_tap")
        .map(|e| e["timestamp"].as_u64())
        .collect();
    assert_eq!(dead, [Some(10_500)], "{:?}", kinds(&b));
    assert_eq!(r.counters().dead_taps, 1);
}

#[test]
fn urls_lose_secrets_and_denied_hosts_are_not_recorded() {
    let s = sanitize_url(
        "https://bob:hunter2@api.example.com/v1/items?page=2&access_token=abc&API-KEY=k1&q=shoes#frag",
    );
    assert_eq!(
        s,
        "https://api.example.com/v1/items?page=2&access_token=%5Bredacted%5D&API-KEY=%5Bredacted%5D&q=shoes"
    );
    assert!(
        sanitize_url("https://x.io/cb?state=eyJhbGciOiJIUzI1NiJ9abc123def456").contains("redacted")
    );
    assert_eq!(sanitize_url("not a url"), "[invalid url]");
    let deny = vec![
        "analytics.example.com".to_owned(),
        "https://x.io/private".to_owned(),
    ];
    assert!(url_denied(
        "https://eu.analytics.example.com/collect",
        &deny
    ));
    assert!(url_denied("https://x.io/private/1", &deny));
    assert!(!url_denied("https://x.io/public", &deny));
    assert!(!url_denied(
        "https://notanalytics.example.com.evil.io/",
        &deny
    ));
    let mut r = rec();
    let req = NetworkRequest {
        method: "GET".into(),
        url: "https://eu.analytics.example.com/c".into(),
        status: Some(204),
        duration_ms: 3.0,
        request_bytes: None,
        response_bytes: Some(0),
        error: None,
    };
    assert_eq!(r.network(1, &req, &deny), Ok(false));
    assert_eq!(r.counters().denied_urls, 1);
    let bad = NetworkRequest {
        duration_ms: f64::NAN,
        ..req
    };
    assert!(r.network(1, &bad, &[]).is_err());
}

#[test]
fn bounded_buffer_drops_oldest_and_batches_cut_by_size_and_age() {
    let mut r = EventRecorder::new(EventConfig {
        max_buffered: 10,
        batch_max: 4,
        ..EventConfig::default()
    });
    for i in 0..15u64 {
        r.log(i, "info", &format!("line {i}"));
    }
    assert_eq!(r.counters().dropped_buffer_full, 5);
    let b = r.take_batch(15, false).unwrap();
    assert_eq!(b.events.len(), 4);
    assert_eq!(
        b.events[0]["message"], "line 5",
        "oldest dropped, newest kept"
    );
    assert_eq!((b.first_ms, b.last_ms), (5, 8));
    let mut r = rec();
    r.log(1_000, "info", "x");
    assert!(r.take_batch(2_000, false).is_none(), "not full, not old");
    assert!(r.take_batch(6_000, false).is_some(), "old enough");
    assert!(r.take_batch(6_000, true).is_none(), "nothing buffered");
}

#[test]
fn custom_events_validate_and_cut_long_strings() {
    let mut r = EventRecorder::new(EventConfig {
        max_string_len: 8,
        ..EventConfig::default()
    });
    assert_eq!(r.custom(1, " ", &[]), Err(EventError::EmptyName));
    r.custom(
        2,
        "purchase_completed",
        &[
            ("amount".into(), PropValue::Num(9.5)),
            ("nan".into(), PropValue::Num(f64::NAN)),
            ("ok".into(), PropValue::Bool(true)),
            ("s".into(), PropValue::Str("ééééééé".into())),
        ],
    )
    .unwrap();
    let b = r.take_batch(3, true).unwrap();
    let e = &b.events[0];
    assert_eq!(e["name"], "purchase");
    assert_eq!(e["properties"]["amount"], 9.5);
    assert_eq!(e["properties"]["nan"], Value::Null);
    assert_eq!(e["properties"]["s"], "éééé");
    assert!(r.counters().truncated_strings >= 2);
    assert!(r.gesture(Gesture::Tap, 1, f32::NAN, 0.0, None).is_err());
}

#[test]
fn memory_is_bounded_by_bytes_and_property_count() {
    let mut r = EventRecorder::new(EventConfig {
        max_buffered_bytes: 64 * 1024,
        max_properties: 3,
        ..EventConfig::default()
    });
    let big = "x".repeat(1_000);
    let props: Vec<(String, PropValue)> = (0..10)
        .map(|i| (format!("k{i}"), PropValue::Str(big.clone())))
        .collect();
    for ts in 0..200 {
        r.custom(ts, "big", &props).unwrap();
    }
    let c = r.counters();
    assert_eq!(
        c.dropped_properties,
        200 * 7,
        "seven of ten properties dropped each time"
    );
    assert!(
        c.dropped_buffer_full > 0,
        "the byte budget evicted the oldest"
    );
    assert!(r.bytes <= 64 * 1024, "{} bytes held", r.bytes);
    let held = r.buf.len();
    assert_eq!(held as u64, 200 - c.dropped_buffer_full);
    // Taking batches releases their bytes.
    while r.take_batch(10_000, true).is_some() {}
    assert_eq!((r.buf.len(), r.bytes), (0, 0));
    let real: usize = {
        r.custom(1, "big", &props).unwrap();
        let b = r.take_batch(10_000, true).unwrap();
        serde_json::to_vec(&b.events[0]).unwrap().len()
    };
    let est = json_size(&json!({"type": "custom", "timestamp": 1, "name": "big",
        "properties": {"k0": big, "k1": big, "k2": big}}));
    assert!(
        est >= real * 9 / 10 && est <= real * 11 / 10,
        "estimate {est} vs {real}"
    );
}

#[test]
fn hidden_and_masked_taps_still_make_rage_and_dead_taps_without_a_position() {
    let mut r = rec();
    let pad = TouchPosition::MaskedView {
        x: 40.0,
        y: 400.0,
        width: 300.0,
        height: 200.0,
    };
    for (i, ts) in [0u64, 200, 400].iter().enumerate() {
        let at = (60.0 + i as f32, 410.0);
        r.gesture_placed(Gesture::Tap, *ts, at, pad, Some("PinPad"), None)
            .unwrap();
    }
    r.gesture_placed(
        Gesture::Tap,
        3_000,
        (10.0, 10.0),
        TouchPosition::Hidden,
        None,
        Some(false),
    )
    .unwrap();
    let b = r.take_batch(10_000, true).unwrap();
    assert_eq!(
        kinds(&b),
        [
            "touch:tap",
            "touch:tap",
            "gesture:rage_tap",
            "touch:tap",
            "gesture:dead_tap"
        ]
    );
    for e in &b.events {
        assert!(e.get("x").is_none() && e.get("y").is_none(), "{e}");
        assert_eq!(e["touches"], serde_json::json!([]), "{e}");
    }
    assert_eq!(b.events[2]["targetBounds"]["width"], 300.0);
    assert_eq!(b.events[2]["touchPrivacy"], "masked");
    assert_eq!(b.events[4]["touchPrivacy"], "hidden");
    let c = r.counters();
    assert_eq!((c.touches_masked, c.touches_hidden), (3, 1));
}

/// The recorder runs a network error's text through `sanitize_text` before cutting it (issue
/// 21 item 5: transport errors quote the URL they failed on, servers echo tokens). The
/// sanitiser's own table is in `urls.rs`; this proves the event uses it.
#[test]
fn a_network_errors_text_is_sanitised_before_it_is_recorded() {
    let mut r = rec();
    let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlLXZhbHVl";
    r.network(
        1_000,
        &NetworkRequest {
            method: "get".into(),
            url: "https://api.example.com/v1/me".into(),
            status: None,
            duration_ms: 12.0,
            request_bytes: None,
            response_bytes: None,
            error: Some(format!(
                "error sending request for url (https://api.example.com/v1/me?access_token=abc123): \
                 401 invalid token {jwt} for jane@example.com"
            )),
        },
        &[],
    )
    .unwrap();
    let b = r.take_batch(5_000, true).unwrap();
    let ev = b
        .events
        .iter()
        .find(|e| e["type"] == "network_request")
        .expect("the request is recorded");
    let error = ev["error"].as_str().unwrap_or_default();
    assert!(error.contains("[redacted]"), "{error}");
    for secret in ["abc123", jwt, "jane@example.com"] {
        assert!(!error.contains(secret), "{secret} in {error}");
    }
}
