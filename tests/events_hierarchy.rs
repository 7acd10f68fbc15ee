//! The explanation layer against the real local server: masks decided from every corpus view
//! tree, hierarchy snapshots stored as kind `hierarchy`, the event stream in the events
//! protocol, ANRs from a deliberately blocked heartbeat, and a crash persisted in one run and
//! delivered by the next.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rejourney_core::client::{Client, ClientOptions};
use rejourney_core::events::{Gesture, NetworkRequest, PropValue};
use rejourney_core::masks::{mask_decisions, MaskOptions, MaskTag, NodeKind, ViewNode};
use rejourney_core::strings::Interner;
use rejourney_core::upload::{DeliveryConfig, RetryPolicy};
use rejourney_core::Rect;
use rejourney_harness::{corpus_dir, load_corpus, Screen};
use rejourney_ingest::{IngestServer, ServerOptions};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(20);

fn tmp(name: &str) -> PathBuf {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    std::env::temp_dir().join(format!("rj-evh-{name}-{}-{n:x}", std::process::id()))
}

fn options(url: &str, spool: &Path) -> ClientOptions {
    let mut d = DeliveryConfig::new(url, "pk", "dev", spool);
    d.retry = RetryPolicy {
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
        ..RetryPolicy::default()
    };
    let mut o = ClientOptions::new(d);
    o.device_info = json!({"platform": "ios", "model": "iPhone15,2", "osVersion": "18.1",
        "screenWidth": 393, "screenHeight": 852, "scale": 3.0});
    o
}

fn gunzip_json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap();
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_end(&mut raw)
        .unwrap();
    serde_json::from_slice(&raw).unwrap()
}

fn contains(outer: &Rect, inner: &Rect) -> bool {
    outer.x <= inner.x
        && outer.y <= inner.y
        && outer.x + outer.width >= inner.x + inner.width
        && outer.y + outer.height >= inner.y + inner.height
}

fn corpus() -> Vec<Screen> {
    let screens = load_corpus(&corpus_dir()).unwrap();
    assert!(screens.len() >= 10, "the corpus is there");
    screens
}

/// Is any ancestor of node `i` (or `i` itself) of a kind that must be masked?
fn private_ancestry(nodes: &[ViewNode], mut i: usize, private: &[NodeKind]) -> bool {
    loop {
        if private.contains(&nodes[i].kind) {
            return true;
        }
        match nodes[i].parent {
            Some(p) => i = p as usize,
            None => return false,
        }
    }
}

#[test]
fn masks_from_every_corpus_tree_cover_what_they_must_and_nothing_else() {
    let must = [
        NodeKind::TextInput,
        NodeKind::SecureInput,
        NodeKind::Camera,
        NodeKind::WebView,
    ];
    let (mut rects, mut masked) = (Vec::new(), Vec::new());
    let mut private_seen = 0;
    for s in corpus() {
        let table = s.table();
        mask_decisions(
            &s.nodes,
            &table,
            &MaskOptions::default(),
            &mut rects,
            &mut masked,
        )
        .unwrap();
        assert_eq!(masked.len(), s.nodes.len());
        for (i, n) in s.nodes.iter().enumerate() {
            let should = private_ancestry(&s.nodes, i, &must);
            assert_eq!(masked[i], should, "{} node {i} ({:?})", s.id, n.kind);
            if must.contains(&n.kind) {
                private_seen += 1;
                assert!(
                    rects.iter().any(|r| contains(r, &n.frame)),
                    "{}: {:?} at {:?} has a covering rect",
                    s.id,
                    n.kind,
                    n.frame
                );
            }
        }
        // One rect per masked subtree root: no duplicates for descendants.
        let roots = (0..s.nodes.len())
            .filter(|&i| masked[i] && s.nodes[i].parent.is_none_or(|p| !masked[p as usize]))
            .count();
        assert_eq!(rects.len(), roots, "{}", s.id);

        // maskAllText / maskAllImages extend the set to every text / image node.
        let all = MaskOptions {
            mask_all_text: true,
            mask_all_images: true,
            ..MaskOptions::default()
        };
        mask_decisions(&s.nodes, &table, &all, &mut rects, &mut masked).unwrap();
        for (i, n) in s.nodes.iter().enumerate() {
            if matches!(n.kind, NodeKind::Text | NodeKind::Image) {
                assert!(masked[i], "{} {:?} {i} masked by option", s.id, n.kind);
            }
        }

        // rj-unmask on the root frees text inputs, but never a secure field; an rj-mask tag
        // or a listed class masks a plain container and everything inside it.
        let mut tagged = s.nodes.clone();
        tagged[0].tag = MaskTag::Unmask;
        mask_decisions(
            &tagged,
            &table,
            &MaskOptions::default(),
            &mut rects,
            &mut masked,
        )
        .unwrap();
        for (i, n) in tagged.iter().enumerate() {
            if n.kind == NodeKind::SecureInput {
                assert!(masked[i], "{}: secure fields ignore rj-unmask", s.id);
            }
            if n.kind == NodeKind::TextInput
                && !private_ancestry(&tagged, i, &[NodeKind::SecureInput])
            {
                assert!(!masked[i], "{}: rj-unmask frees text input {i}", s.id);
            }
        }
        let class = table.get(s.nodes[0].class_name).unwrap().to_owned();
        let by_class = MaskOptions {
            masked_classes: vec![class.rsplit('.').next().unwrap_or(&class).to_owned()],
            ..MaskOptions::default()
        };
        mask_decisions(&s.nodes, &table, &by_class, &mut rects, &mut masked).unwrap();
        assert!(
            masked.iter().all(|m| *m),
            "{}: masked class covers its tree",
            s.id
        );
        // The root's rectangle, plus only nodes drawn outside it (scrolled content: masked
        // too, since an unclipped child of a masked view must not leak).
        assert_eq!(rects[0], s.nodes[0].frame);
        let root = s.nodes[0].frame;
        for r in &rects[1..] {
            let inside = r.x >= root.x
                && r.y >= root.y
                && r.x + r.width <= root.x + root.width
                && r.y + r.height <= root.y + root.height;
            assert!(!inside, "{}: {r:?} lies inside the masked root", s.id);
        }
    }
    assert!(private_seen >= 10, "the corpus exercises private nodes");
}

#[test]
fn hierarchy_snapshots_are_stored_nested_masked_and_without_input_text() {
    let srv = IngestServer::start(ServerOptions::new(tmp("hsrv"))).unwrap();
    let c = Client::new(options(&srv.url(), &tmp("hspool"))).unwrap();
    let screens = corpus();
    let t0 = 1_700_000_000_000;
    let session = c.start(t0).unwrap();
    let mut expected = Vec::new();
    // One string table across the session, as a shim keeps it: each class name is sent once.
    let mut table = Interner::new();
    let mut sent = 0;
    for (i, s) in screens.iter().enumerate() {
        let ts = t0 + i as u64 * 1_000;
        let (px, spec) = s.render_at(1.25);
        let (mut nodes, update) = s.report(&mut table);
        sent += update.added.len();
        for n in nodes.iter_mut() {
            if n.kind == NodeKind::TextInput {
                n.text_length = Some(7);
            }
        }
        // Snapshots carry the screen the user is on, as the backend shows them.
        c.screen_changed(ts, &s.id).unwrap();
        c.submit_frame(px.clone(), spec, &nodes, update, ts)
            .unwrap();
        // The snapshot thread keeps a few trees and drops past them (counted `dropped_busy`,
        // tested elsewhere); here each tree is awaited, so a loaded machine drops none.
        assert!(c.persist(WAIT));
        // The corpus has consecutive screens with the same tree (a scroll that moved pixels,
        // not views): those are no new snapshot.
        let same = |a: &Screen, b: &Screen| (&a.nodes, &a.strings) == (&b.nodes, &b.strings);
        if i == 0 || !same(&screens[i - 1], s) {
            expected.push((ts, s));
        }
        // The same tree again 300 ms later: unchanged, no second snapshot, no new string.
        let (_, again) = s.report(&mut table);
        assert!(again.added.is_empty(), "each string crosses once");
        c.submit_frame(px, spec, &nodes, again, ts + 300).unwrap();
        assert!(c.persist(WAIT));
    }
    assert_eq!(sent, table.len(), "nothing sent twice");
    c.stop(t0 + 60_000).unwrap();
    assert!(c.flush(WAIT));
    let h = c.telemetry().hierarchy;
    assert_eq!(h.snapshots, expected.len() as u64);
    assert_eq!(h.unchanged, (2 * screens.len() - expected.len()) as u64);

    let mut stored: Vec<_> = srv
        .artifacts()
        .into_iter()
        .filter(|a| a.kind == "hierarchy")
        .collect();
    stored.sort_by_key(|a| a.start_time);
    assert!(
        expected.len() < screens.len(),
        "the corpus has a repeated tree"
    );
    assert_eq!(
        stored.len(),
        expected.len(),
        "one snapshot per distinct tree"
    );
    for (a, (ts, s)) in stored.iter().zip(&expected) {
        assert_eq!(a.session_id, session);
        assert_eq!(a.start_time, *ts);
        let snap = gunzip_json(&a.path);
        assert_eq!(snap["timestamp"], json!(ts));
        assert_eq!(snap["partial"], json!(false));
        assert_eq!(snap["nodeCount"], json!(s.nodes.len()));
        assert_eq!(snap["screenName"], json!(s.id));
        // Walk the nested tree: every node, in pre-order, matches the reported list.
        let mut stack = vec![&snap["root"]];
        let mut seen = Vec::new();
        while let Some(n) = stack.pop() {
            seen.push(n);
            if let Some(ch) = n["children"].as_array() {
                stack.extend(ch.iter().rev());
            }
        }
        assert_eq!(seen.len(), s.nodes.len(), "{}", s.id);
        for (n, v) in seen.iter().zip(&s.nodes) {
            // JavaScript reads ids as doubles: exact only up to 2^53.
            let id = n["id"].as_u64().expect("an integer id");
            assert!(id < 1 << 53, "{}: id {id} loses precision", s.id);
            assert_eq!(n["class"], json!(s.strings[v.class_name.0 as usize]));
            let w = n["frame"]["width"].as_f64().unwrap();
            assert!((w - v.frame.width as f64).abs() < 1e-3, "{}: width", s.id);
            let private = matches!(
                v.kind,
                NodeKind::TextInput | NodeKind::SecureInput | NodeKind::Camera
            );
            if private {
                assert_eq!(n["masked"], json!(true), "{}: {:?}", s.id, v.kind);
                assert!(n.get("text").is_none(), "input content is never reported");
            }
            if n["masked"] == json!(true) {
                // A masked node says what it is, not its length nor its developer strings.
                assert!(n.get("textLength").is_none(), "{}: {n}", s.id);
                assert!(n.get("testId").is_none(), "{}: {n}", s.id);
            }
        }
        if a.start_time > t0 {
            assert!(
                snap["changes"].is_object(),
                "later snapshots carry the diff"
            );
        }
    }
}

#[test]
fn a_truncated_tree_drops_the_frame_and_sends_a_partial_snapshot() {
    let srv = IngestServer::start(ServerOptions::new(tmp("psrv"))).unwrap();
    let c = Client::new(options(&srv.url(), &tmp("pspool"))).unwrap();
    let s = &corpus()[0];
    let t0 = 1_700_000_000_000;
    c.start(t0).unwrap();
    c.submit_partial_frame(s.nodes[..s.nodes.len() / 2].to_vec(), s.fresh_update(), t0)
        .unwrap();
    c.stop(t0 + 5_000).unwrap();
    assert!(c.flush(WAIT));
    let t = c.telemetry();
    assert_eq!(
        t.capture
            .dropped
            .get("tree_truncated")
            .copied()
            .unwrap_or(0),
        1
    );
    assert_eq!(t.hierarchy.partial, 1);
    let arts = srv.artifacts();
    assert!(
        arts.iter().all(|a| a.kind != "screenshots"),
        "no frame sent for an unexamined screen"
    );
    let snap = arts.iter().find(|a| a.kind == "hierarchy").unwrap();
    assert_eq!(gunzip_json(&snap.path)["partial"], json!(true));
}

#[test]
fn events_arrive_batched_in_the_events_protocol() {
    let srv = IngestServer::start(ServerOptions::new(tmp("esrv"))).unwrap();
    let mut o = options(&srv.url(), &tmp("espool"));
    o.events.url_deny_list = vec!["analytics.example.com".into()];
    o.events.batch_max = 5;
    let c = Client::new(o).unwrap();
    let t0 = 1_700_000_000_000;
    let session = c.start(t0).unwrap();
    c.screen_changed(t0 + 10, "Checkout").unwrap();
    // Three quick taps on a button: the third is the rage tap (instead of a touch), and
    // none is dead although nothing answers them (a button is interactive).
    for i in 0..3 {
        c.gesture_on(
            Gesture::Tap,
            t0 + 100 + i * 150,
            200.0,
            300.0,
            Some("PayButton"),
            Some(true),
        )
        .unwrap();
    }
    // A tap on a plain view that nothing answers is dead.
    c.gesture_on(
        Gesture::Tap,
        t0 + 1_000,
        20.0,
        20.0,
        Some("Logo"),
        Some(false),
    )
    .unwrap();
    // A tap the app answers (a screen change inside the window) is not dead.
    c.gesture_on(Gesture::Tap, t0 + 4_000, 50.0, 60.0, None, Some(false))
        .unwrap();
    c.screen_changed(t0 + 4_300, "Receipt").unwrap();
    c.gesture(Gesture::Swipe, t0 + 5_000, 10.0, 10.0, None)
        .unwrap();
    c.log_event(
        t0 + 5_100,
        "purchase",
        &[
            ("amount".into(), PropValue::Num(12.5)),
            ("coupon".into(), PropValue::Bool(false)),
            ("bad".into(), PropValue::Num(f64::NAN)),
        ],
    )
    .unwrap();
    c.log_message(t0 + 5_200, "warn", "slow image").unwrap();
    let req = |url: &str| NetworkRequest {
        method: "get".into(),
        url: url.into(),
        status: Some(200),
        duration_ms: 84.0,
        request_bytes: Some(0),
        response_bytes: Some(2_048),
        error: None,
    };
    assert!(c
        .network_request(
            t0 + 5_300,
            &req("https://api.shop.example/v1/cart?id=4&access_token=s3cr3t#frag")
        )
        .unwrap());
    assert!(!c
        .network_request(t0 + 5_400, &req("https://analytics.example.com/collect"))
        .unwrap());
    assert!(
        !c.network_request(
            t0 + 5_500,
            &req(&format!("{}/api/ingest/presign", srv.url()))
        )
        .unwrap(),
        "the SDK's own traffic is never recorded"
    );
    c.keyboard(t0 + 5_600, true, 291.0).unwrap();
    c.keyboard(t0 + 5_700, false, 0.0).unwrap();
    c.identify(Some("user-42".into()));
    assert!(
        c.log_event(t0, "  ", &[]).is_err(),
        "empty names are errors"
    );
    c.app_backgrounded(t0 + 6_000);
    c.app_foregrounded(t0 + 7_000);
    c.stop(t0 + 8_000).unwrap();
    assert!(c.flush(WAIT));

    let mut batches: Vec<_> = srv
        .artifacts()
        .into_iter()
        .filter(|a| a.kind == "events")
        .collect();
    batches.sort_by_key(|a| a.start_time);
    assert!(batches.len() >= 3, "batches cut at 5 events");
    let mut events = Vec::new();
    for b in &batches {
        assert_eq!(b.session_id, session);
        let body = gunzip_json(&b.path);
        assert_eq!(body["deviceInfo"]["model"], json!("iPhone15,2"));
        let list = body["events"].as_array().unwrap();
        assert!(list.len() <= 5);
        assert_eq!(b.frame_count, list.len() as u64);
        events.extend(list.iter().cloned());
    }
    let label = |e: &Value| match e["gestureType"].as_str() {
        Some(g) => format!("{}:{g}", e["type"].as_str().unwrap_or("")),
        None => e["type"].as_str().unwrap_or("").to_owned(),
    };
    let labels: Vec<_> = events.iter().map(label).collect();
    // The types and gesture types the backend counts (`navigation` for screens, `touch` for
    // taps, `gesture` for the rest); `screen_change` would be ignored there.
    assert!(!labels.iter().any(|l| l.starts_with("screen_change")));
    for want in [
        "navigation",
        "touch:tap",
        "gesture:rage_tap",
        "gesture:dead_tap",
        "gesture:swipe",
        "custom",
        "log",
        "network_request",
        "keyboard_show",
        "keyboard_hide",
        "user_identity_changed",
        "app_background",
        "app_foreground",
    ] {
        assert!(labels.iter().any(|l| l == want), "{want} in {labels:?}");
    }
    assert_eq!(
        labels.iter().filter(|l| *l == "gesture:dead_tap").count(),
        1,
        "the unanswered tap on a plain view is dead; the button's and the answered one not"
    );
    assert_eq!(
        labels.iter().filter(|l| *l == "touch:tap").count(),
        4,
        "the burst's third tap went out as the rage tap only"
    );
    assert_eq!(
        labels.iter().filter(|l| *l == "gesture:rage_tap").count(),
        1
    );
    let net: Vec<_> = events
        .iter()
        .filter(|e| e["type"] == "network_request")
        .collect();
    assert_eq!(net.len(), 1, "denied and own hosts are not recorded");
    let url = net[0]["url"].as_str().unwrap();
    assert!(!url.contains("s3cr3t") && !url.contains("frag"), "{url}");
    assert!(url.contains("id=4"), "harmless query kept: {url}");
    assert_eq!(net[0]["method"], json!("GET"));
    assert_eq!(net[0]["statusCode"], json!(200));
    let custom = events.iter().find(|e| e["type"] == "custom").unwrap();
    assert_eq!(custom["properties"]["amount"], json!(12.5));
    assert_eq!(custom["properties"]["bad"], Value::Null, "NaN is not JSON");
    // Timestamps are ordered within the stream.
    let ts: Vec<u64> = events
        .iter()
        .filter_map(|e| e["timestamp"].as_u64())
        .collect();
    assert_eq!(
        ts.len(),
        events.len(),
        "every event has a numeric timestamp"
    );
    let e = c.telemetry().events;
    assert_eq!(e.recorded, events.len() as u64);
    assert_eq!(e.denied_urls, 2);
    assert_eq!((e.rage_taps, e.dead_taps), (1, 1));
}

fn faults(data: &Path) -> Vec<Value> {
    let mut out: Vec<_> = std::fs::read_dir(data.join("faults"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter_map(|e| std::fs::read(e.path()).ok())
                .filter_map(|b| serde_json::from_slice(&b).ok())
                .collect()
        })
        .unwrap_or_default();
    out.sort_by_key(|v: &Value| v["timestamp"].as_u64());
    out
}

#[test]
fn a_blocked_main_thread_is_reported_as_an_anr_fault() {
    let data = tmp("asrv");
    let srv = IngestServer::start(ServerOptions::new(data.clone())).unwrap();
    let mut o = options(&srv.url(), &tmp("aspool"));
    o.anr_threshold_ms = 300;
    let c = Client::new(o).unwrap();
    let session = c.start(1_700_000_000_000).unwrap();
    c.tick(1_700_000_000_500).unwrap();
    // The "main thread" beats, then blocks for well over the threshold.
    for _ in 0..5 {
        c.heartbeat();
        std::thread::sleep(Duration::from_millis(50));
    }
    let recorded = c.telemetry().events.recorded;
    std::thread::sleep(Duration::from_millis(1_200));
    c.heartbeat();
    // The event waits for the main thread to answer (then its real duration is known):
    // wait for it to be recorded, as a host keeps beating meanwhile.
    let deadline = std::time::Instant::now() + WAIT;
    while c.telemetry().events.recorded == recorded && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        c.heartbeat();
    }
    assert!(c.flush(WAIT));
    assert_eq!(c.telemetry().anrs, 1, "one block, one ANR");
    let f = faults(&data);
    assert_eq!(f.len(), 1, "{f:?}");
    // The backend's fault shape: category + sessionId required, the duration in context.
    assert_eq!(f[0]["category"], json!("anr"));
    assert_eq!(f[0]["sessionId"], json!(session));
    assert!(f[0]["context"]["durationMs"].as_u64().unwrap() >= 300);
    assert_eq!(f[0]["context"]["threadState"], json!("blocked"));
    let incident = f[0]["incidentId"].as_str().unwrap().to_owned();
    // The event stream carries it too, at the host's clock of its last tick.
    let anr_events: Vec<Value> = srv
        .artifacts()
        .iter()
        .filter(|a| a.kind == "events")
        .flat_map(|a| {
            gunzip_json(&a.path)["events"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter(|e| e["type"] == "anr")
        .collect();
    assert_eq!(anr_events.len(), 1, "{anr_events:?}");
    assert_eq!(anr_events[0]["timestamp"], json!(1_700_000_000_500u64));
    assert_eq!(anr_events[0]["incidentId"], json!(incident), "counted once");
    let duration = anr_events[0]["durationMs"].as_u64().unwrap();
    assert!(
        duration >= 1_200,
        "the stall's real duration, not the threshold: {duration}"
    );

    // Beating steadily (and while backgrounded, not at all) reports nothing more.
    for _ in 0..10 {
        c.heartbeat();
        std::thread::sleep(Duration::from_millis(50));
    }
    c.app_backgrounded(1_700_000_010_000);
    std::thread::sleep(Duration::from_millis(800));
    assert!(c.flush(WAIT));
    assert_eq!(c.telemetry().anrs, 1);
    assert_eq!(faults(&data).len(), 1);
}

#[test]
fn a_crash_is_spooled_first_and_delivered_on_the_next_launch() {
    let data = tmp("csrv");
    let srv = IngestServer::start(ServerOptions::new(data.clone())).unwrap();
    let spool = tmp("cspool");
    srv.set_down(true); // the crash happens offline
                        // Default back-off: the dying process must not spend the artifact's attempts.
    let mut o = options(&srv.url(), &spool);
    o.delivery.retry = RetryPolicy::default();
    let c = Client::new(o).unwrap();
    let session = c.start(1_700_000_000_000).unwrap();
    let persisted = c
        .record_crash(
            1_700_000_001_000,
            "NSInvalidArgumentException",
            "unrecognized selector",
            "0 CoreFoundation ...\n1 App ...",
            Duration::from_secs(5),
        )
        .unwrap();
    assert!(persisted, "on disk before record_crash returns");
    c.shutdown(Duration::ZERO); // the process dies
    drop(c);
    assert!(faults(&data).is_empty());

    srv.set_down(false);
    let next = Client::new(options(&srv.url(), &spool)).unwrap();
    assert!(next.flush(WAIT));
    let f = faults(&data);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["category"], json!("exception"));
    assert_eq!(f[0]["frames"], json!(["0 CoreFoundation ...", "1 App ..."]));
    assert!(f[0]["incidentId"].is_string());
    assert_eq!(
        f[0]["sessionId"],
        json!(session),
        "linked to the crashed session"
    );
    assert_eq!(f[0]["identifier"], json!("NSInvalidArgumentException"));
    assert_eq!(f[0]["detail"], json!("unrecognized selector"));
}
