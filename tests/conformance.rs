//! The conformance vectors (`tests/conformance/*.json`) through the core, as the Kotlin and
//! Swift suites run them through their SDKs: mask decisions for view trees, gestures for
//! touch sequences, effective options for option sets. A walk here plays the shim (pre-order,
//! invisible subtrees skipped, the node budget the core hands out).

use rejourney_core::ffi::{
    classify_touch, effective_options, evaluate_masks, Gesture, MaskTag, NodeKind,
    RejourneyOptions, TouchSummary, ViewNode,
};
use rejourney_core::strings::Interner;
use serde_json::Value;

fn vectors(file: &str) -> Vec<Value> {
    let path = format!("{}/tests/conformance/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let v: Value = serde_json::from_str(&text).unwrap();
    v["cases"].as_array().unwrap().clone()
}

/// Options from a vector's option set (core names, milliseconds).
fn options(set: &Value) -> RejourneyOptions {
    let mut o = RejourneyOptions::with_defaults("pk", "http://127.0.0.1:9", "dev", "/tmp/rj-conf");
    let u = |k: &str| set.get(k).and_then(Value::as_u64);
    let f = |k: &str| set.get(k).and_then(Value::as_f64);
    let b = |k: &str| set.get(k).and_then(Value::as_bool);
    let list = |k: &str| -> Vec<String> {
        set.get(k)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(Into::into))
                    .collect()
            })
            .unwrap_or_default()
    };
    o.capture_interval_ms = u("captureIntervalMs");
    o.capture_scale = f("captureScale").map(|v| v as f32);
    o.jpeg_quality = f("jpegQuality").map(|v| v as f32);
    o.batch_size = u("batchSize").map(|v| v as u32);
    o.sample_rate = f("sampleRate");
    o.background_timeout_ms = u("backgroundTimeoutMs");
    o.mask_all_text = b("maskAllText");
    o.mask_all_images = b("maskAllImages");
    o.mask_web_views = b("maskWebViews");
    o.mask_video = b("maskVideo");
    o.masked_classes = list("maskedClasses");
    o.masked_test_ids = list("maskedTestIds");
    o.spool_quota_bytes = u("spoolQuotaBytes");
    o.anr_threshold_ms = u("anrThresholdMs");
    o.url_deny_list = list("urlDenyList");
    o.capture_hierarchy = b("captureHierarchy");
    o.walk_max_nodes = u("walkMaxNodes").map(|v| v as u32);
    o.walk_budget_ms = f("walkBudgetMs");
    o.session_sample_rate = f("sessionSampleRate");
    o.on_error_sample_rate = f("onErrorSampleRate");
    o.buffer_window_ms = u("bufferWindowMs");
    o.buffer_max_bytes = u("bufferMaxBytes");
    o.buffer_capture_interval_ms = u("bufferCaptureIntervalMs");
    o.remote_config = b("remoteConfig");
    o.remote_config_hold_ms = u("remoteConfigHoldMs");
    o.mask_text_inputs = b("maskTextInputs");
    // Device policy (issue 26).
    o.upload_only_on_unmetered = b("uploadOnlyOnUnmetered");
    o.low_battery_threshold = f("lowBatteryThreshold").map(|v| v as f32);
    // Session links (issue 26).
    o.dashboard_url = set
        .get("dashboardUrl")
        .and_then(Value::as_str)
        .map(Into::into);
    o.trace_hosts = list("traceHosts");
    let text = |k: &str| set.get(k).and_then(Value::as_str);
    o.touch_privacy = text("touchPrivacy").map(|t| {
        rejourney_core::events::TouchPrivacy::parse(t).unwrap_or_else(|| panic!("touchPrivacy {t}"))
    });
    o.initial_consent = text("initialConsent").map(|t| {
        rejourney_core::consent::Consent::parse(t).unwrap_or_else(|| panic!("initialConsent {t}"))
    });
    o
}

fn kind(name: &str) -> NodeKind {
    match name {
        "container" => NodeKind::Container,
        "text" => NodeKind::Text,
        "text_input" => NodeKind::TextInput,
        "secure_input" => NodeKind::SecureInput,
        "image" => NodeKind::Image,
        "video" => NodeKind::Video,
        "camera" => NodeKind::Camera,
        "map" => NodeKind::Map,
        "web_view" => NodeKind::WebView,
        "other" => NodeKind::Other,
        other => panic!("unknown kind {other}"),
    }
}

/// Walks a vector tree like a shim: returns the nodes (view id = index into `names`, strings
/// interned into `strings`) and whether the node budget ran out.
fn walk(
    root: &Value,
    max_nodes: usize,
    names: &mut Vec<String>,
    strings: &mut Interner,
) -> (Vec<ViewNode>, bool) {
    let mut out = Vec::new();
    let mut stack = vec![(root, None::<u32>)];
    while let Some((v, parent)) = stack.pop() {
        if v.get("visible").and_then(Value::as_bool) == Some(false) {
            continue;
        }
        if out.len() >= max_nodes {
            return (out, true);
        }
        let frame: Vec<f32> = v["frame"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap() as f32)
            .collect();
        let tag = match v.get("registered").and_then(Value::as_str) {
            Some("mask") => MaskTag::Mask,
            Some("unmask") => MaskTag::Unmask,
            _ => MaskTag::None,
        };
        let mut text = |k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .map(|s| strings.intern(s).0)
        };
        let (test_id_index, mask_hint_index) = (text("testId"), text("tag"));
        let index = out.len() as u32;
        names.push(v["name"].as_str().unwrap().to_owned());
        out.push(ViewNode {
            parent,
            class_index: strings.intern(v["class"].as_str().unwrap()).0,
            x: frame[0],
            y: frame[1],
            width: frame[2],
            height: frame[3],
            kind: kind(v["kind"].as_str().unwrap()),
            tag,
            view_id: Some(names.len() as u64 - 1),
            test_id_index,
            text_length: v
                .get("textLength")
                .and_then(Value::as_u64)
                .map(|n| n as u32),
            mask_hint_index,
            animating: v.get("animating").and_then(Value::as_bool) == Some(true),
        });
        if let Some(children) = v.get("children").and_then(Value::as_array) {
            for c in children.iter().rev() {
                stack.push((c, Some(index)));
            }
        }
    }
    (out, false)
}

#[test]
fn mask_vectors() {
    let cases = vectors("masks.json");
    assert!(cases.len() >= 10);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let opts = options(&case["options"]);
        let effective: Value =
            serde_json::from_str(&effective_options(opts.clone()).unwrap()).unwrap();
        let budget = effective["walkMaxNodes"].as_u64().unwrap() as usize;
        let mut names = Vec::new();
        let mut strings = Interner::new();
        let (nodes, truncated) = walk(&case["tree"], budget, &mut names, &mut strings);
        let expect = &case["expect"];
        assert_eq!(
            truncated,
            expect
                .get("truncated")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            "{name}: truncated"
        );
        if let Some(visited) = expect.get("visited").and_then(Value::as_u64) {
            assert_eq!(nodes.len() as u64, visited, "{name}: visited");
        }
        let eval = evaluate_masks(nodes.clone(), strings.take_update().added, opts).unwrap();
        let mut masked: Vec<&str> = nodes
            .iter()
            .zip(&eval.masked)
            .filter(|(_, m)| **m)
            .map(|(n, _)| names[n.view_id.unwrap() as usize].as_str())
            .collect();
        let mut want: Vec<&str> = expect["masked"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        masked.sort_unstable();
        want.sort_unstable();
        assert_eq!(masked, want, "{name}: masked nodes");
        assert_eq!(
            eval.moving_masked,
            expect
                .get("movingMasked")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            "{name}: moving"
        );
        if let Some(rects) = expect.get("rects").and_then(Value::as_u64) {
            assert_eq!(eval.rects.len() as u64, rects, "{name}: rectangles");
        }
    }
}

#[test]
fn gesture_vectors() {
    for case in vectors("gestures.json") {
        let t = &case["touch"];
        let g = |k: &str| t[k].as_f64().unwrap();
        let touch = TouchSummary {
            start_x: g("startX") as f32,
            start_y: g("startY") as f32,
            end_x: g("endX") as f32,
            end_y: g("endY") as f32,
            duration_ms: g("durationMs") as u64,
            max_pointers: g("maxPointers") as u32,
        };
        let got = match classify_touch(touch) {
            Gesture::Tap => "tap",
            Gesture::LongPress => "long_press",
            Gesture::Swipe => "swipe",
            Gesture::Pinch => "pinch",
        };
        assert_eq!(got, case["expect"].as_str().unwrap(), "{}", case["name"]);
    }
}

#[test]
fn option_vectors() {
    for case in vectors("options.json") {
        let name = case["name"].as_str().unwrap();
        let result = effective_options(options(&case["options"]));
        if case.get("error").and_then(Value::as_bool) == Some(true) {
            assert!(result.is_err(), "{name}: accepted {result:?}");
            continue;
        }
        let got: Value = serde_json::from_str(&result.unwrap()).unwrap();
        for (key, want) in case["expect"].as_object().unwrap() {
            let g = &got[key.as_str()];
            let same = match (g.as_f64(), want.as_f64()) {
                (Some(a), Some(b)) => (a - b).abs() < 1e-6,
                _ => g == want,
            };
            assert!(same, "{name}: {key} is {g}, expected {want}");
        }
        assert_eq!(
            got.as_object().unwrap().len(),
            case["expect"].as_object().unwrap().len(),
            "{name}: every effective option is in the vector"
        );
    }
}

#[test]
fn touch_privacy_vectors() {
    use rejourney_core::ffi::{place_touch, MaskRect, TouchPosition, TouchPrivacy};
    let cases = vectors("touch_privacy.json");
    assert!(cases.len() >= 8);
    let nums = |v: &Value| -> Vec<f32> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap() as f32)
            .collect()
    };
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let privacy = match case["privacy"].as_str().unwrap() {
            "mask_masked" => TouchPrivacy::MaskMasked,
            "hide_all" => TouchPrivacy::HideAll,
            "show" => TouchPrivacy::Show,
            other => panic!("unknown privacy {other}"),
        };
        let p = nums(&case["point"]);
        let masks = case["masks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                let r = nums(m);
                MaskRect {
                    x: r[0],
                    y: r[1],
                    width: r[2],
                    height: r[3],
                }
            })
            .collect();
        let known = case["masksKnown"].as_bool().unwrap();
        let got = place_touch(privacy, p[0], p[1], masks, known);
        let e = &case["expect"];
        let want = if e == "hidden" {
            TouchPosition::Hidden
        } else if let Some(x) = e.get("exact") {
            let x = nums(x);
            TouchPosition::Exact { x: x[0], y: x[1] }
        } else {
            let r = nums(&e["masked"]);
            TouchPosition::MaskedView {
                x: r[0],
                y: r[1],
                width: r[2],
                height: r[3],
            }
        };
        assert_eq!(got, want, "{name}");
    }
}

/// `consent.json`: what each consent means, and the consent a launch starts with (its
/// `transitions` are replayed against the real server by `tests/consent.rs`).
#[test]
fn consent_vectors() {
    use rejourney_core::consent::Consent;
    use rejourney_core::ffi::{consent_at_launch, consent_decision};
    let path = format!(
        "{}/tests/conformance/consent.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let consent = |v: &Value| Consent::parse(v.as_str().unwrap()).unwrap();
    let decisions = v["decisions"].as_array().unwrap();
    assert_eq!(decisions.len(), 3);
    for case in decisions {
        let d = consent_decision(consent(&case["consent"]));
        let e = &case["expect"];
        let want = (
            e["records"].as_bool().unwrap(),
            e["uploads"].as_bool().unwrap(),
            e["deletes"].as_bool().unwrap(),
        );
        assert_eq!((d.records, d.uploads, d.deletes), want, "{case}");
    }
    let launch = v["launch"].as_array().unwrap();
    assert!(launch.len() >= 8);
    for case in launch {
        let persisted = case["persisted"].as_str().map(str::to_owned);
        let got = consent_at_launch(persisted, consent(&case["initial"]));
        assert_eq!(got, consent(&case["expect"]), "{}", case["name"]);
    }
}
