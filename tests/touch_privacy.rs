//! Touch privacy against the real local server: a tap or gesture that starts on a masked
//! view (the login screen's inputs) is stored with that view's bounds only, no stored event
//! carries a coordinate inside a masked rectangle, rage taps on a masked view are still
//! detected, touches before the screen's first frame carry no position, and `HideAll`
//! stores no position at all.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rejourney_core::client::{Client, ClientOptions};
use rejourney_core::events::{Gesture, TouchPrivacy};
use rejourney_core::masks::{mask_decisions, MaskOptions};
use rejourney_core::strings::Interner;
use rejourney_core::upload::DeliveryConfig;
use rejourney_core::Rect;
use rejourney_harness::{corpus_dir, load_screen};
use rejourney_ingest::{IngestServer, ServerOptions};
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(20);
const T0: u64 = 1_700_000_000_000;

fn tmp(name: &str) -> PathBuf {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    std::env::temp_dir().join(format!("rj-touch-{name}-{}-{n:x}", std::process::id()))
}

/// The events the server stored, in order.
fn stored_events(srv: &IngestServer) -> Vec<Value> {
    let mut batches: Vec<_> = srv
        .artifacts()
        .into_iter()
        .filter(|a| a.kind == "events")
        .collect();
    batches.sort_by_key(|a| (a.start_time, a.batch_id.clone()));
    let mut out = Vec::new();
    for b in batches {
        let bytes = std::fs::read(&b.path).unwrap();
        let mut raw = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_end(&mut raw)
            .unwrap();
        let body: Value = serde_json::from_slice(&raw).unwrap();
        out.extend(body["events"].as_array().unwrap().iter().cloned());
    }
    out.sort_by_key(|e| e["timestamp"].as_u64());
    out
}

/// Every coordinate an event carries: `x`/`y` and each of its `touches`.
fn points(e: &Value) -> Vec<(f64, f64)> {
    let mut p = Vec::new();
    if let (Some(x), Some(y)) = (e["x"].as_f64(), e["y"].as_f64()) {
        p.push((x, y));
    }
    for t in e["touches"].as_array().into_iter().flatten() {
        p.push((t["x"].as_f64().unwrap(), t["y"].as_f64().unwrap()));
    }
    p
}

fn inside(r: &Rect, (x, y): (f64, f64)) -> bool {
    let (x, y) = (x as f32, y as f32);
    x >= r.x && x <= r.x + r.width && y >= r.y && y <= r.y + r.height
}

/// Records the login screen (one frame) and touches on and off its masked inputs.
fn record(srv: &IngestServer, privacy: TouchPrivacy, spool: &Path) -> (String, Vec<Rect>) {
    let mut o = ClientOptions::new(DeliveryConfig::new(&srv.url(), "pk", "dev", spool));
    o.events.touch_privacy = privacy;
    let c = Client::new(o).unwrap();
    let session = c.start(T0).unwrap();
    let login = load_screen(&corpus_dir(), "login-000").unwrap();
    let (mut rects, mut masked) = (Vec::new(), Vec::new());
    let opts = MaskOptions::default();
    mask_decisions(&login.nodes, &login.table(), &opts, &mut rects, &mut masked).unwrap();
    assert!(rects.len() >= 2, "the login screen has masked inputs");
    c.screen_changed(T0, "login").unwrap();
    // Before the screen's first frame its masks are unknown: no position.
    c.gesture(Gesture::Tap, T0 + 50, 5.0, 5.0, Some("early"))
        .unwrap();
    let (px, spec) = login.render_at(1.0);
    let (nodes, update) = login.report(&mut Interner::new());
    c.submit_frame(px, spec, &nodes, update, T0 + 100).unwrap();
    let field = rects[0];
    let (cx, cy) = (field.x + field.width / 2.0, field.y + field.height / 2.0);
    // Three quick taps on the masked field: a rage tap, at the field's bounds only.
    for i in 0..3 {
        let ts = T0 + 1_000 + i * 150;
        c.gesture(Gesture::Tap, ts, cx + i as f32, cy, Some("field"))
            .unwrap();
    }
    // A swipe that starts inside the other masked input.
    let other = rects[1];
    c.gesture(
        Gesture::Swipe,
        T0 + 3_000,
        other.x + 2.0,
        other.y + 2.0,
        None,
    )
    .unwrap();
    // A drag that starts inside the masked input and ends outside every mask: it started
    // on the masked view, so it keeps that view's bounds (its end would say where the
    // finger went from the field).
    let outside = (1.0, spec.height as f32 - 1.0);
    let drag = rejourney_core::events::TouchSummary {
        start_x: other.x + 10.0,
        start_y: other.y + 10.0,
        end_x: outside.0,
        end_y: outside.1,
        duration_ms: 300,
        max_pointers: 1,
    };
    c.touch_on(T0 + 3_500, &drag, Some("dragged-out"), None)
        .unwrap();
    // A tap outside every mask keeps its position (unless hidden), and a dead tap on a
    // masked view is still found.
    assert!(!rects.iter().any(|r| inside(r, (1.0, outside.1 as f64))));
    c.gesture(Gesture::Tap, T0 + 4_000, outside.0, outside.1, Some("free"))
        .unwrap();
    c.gesture_on(Gesture::Tap, T0 + 6_000, cx, cy, Some("label"), Some(false))
        .unwrap();
    c.stop(T0 + 10_000).unwrap();
    assert!(c.flush(WAIT));
    let ev = c.telemetry().events;
    let placed = ev.touches_masked + ev.touches_hidden;
    assert!(placed >= 5, "counted: {ev:?}");
    (session, rects)
}

#[test]
fn no_stored_event_has_a_coordinate_inside_a_masked_view() {
    let srv = IngestServer::start(ServerOptions::new(tmp("srv"))).unwrap();
    let (_, rects) = record(&srv, TouchPrivacy::MaskMasked, &tmp("spool"));
    let events = stored_events(&srv);
    let touches: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "touch" || e["type"] == "gesture")
        .collect();
    assert!(touches.len() >= 6, "{touches:?}");
    for e in &touches {
        for p in points(e) {
            assert!(
                !rects.iter().any(|r| inside(r, p)),
                "{p:?} inside a mask: {e}"
            );
        }
    }
    let by_label = |l: &str| touches.iter().find(|e| e["label"] == l).copied();
    let early = by_label("early").unwrap();
    assert_eq!(early["touchPrivacy"], "hidden");
    assert!(points(early).is_empty());
    let rage = touches
        .iter()
        .find(|e| e["gestureType"] == "rage_tap")
        .expect("a rage tap on the masked field");
    assert_eq!(rage["touchPrivacy"], "masked");
    let b = &rage["targetBounds"];
    assert_eq!(
        Rect::new(
            b["x"].as_f64().unwrap() as f32,
            b["y"].as_f64().unwrap() as f32,
            b["width"].as_f64().unwrap() as f32,
            b["height"].as_f64().unwrap() as f32
        ),
        rects[0]
    );
    let swipe = touches
        .iter()
        .find(|e| e["gestureType"] == "swipe")
        .unwrap();
    assert_eq!(swipe["touchPrivacy"], "masked");
    let dragged = by_label("dragged-out").expect("the drag out of the field");
    assert_eq!(dragged["gestureType"], "swipe");
    assert_eq!(
        dragged["touchPrivacy"], "masked",
        "placed by its end: {dragged}"
    );
    assert_eq!(
        dragged["targetBounds"]["y"].as_f64().unwrap() as f32,
        rects[1].y,
        "{dragged}"
    );
    assert!(touches
        .iter()
        .any(|e| e["gestureType"] == "dead_tap" && e["touchPrivacy"] == "masked"));
    let free = by_label("free").unwrap();
    assert!(free.get("touchPrivacy").is_none());
    assert_eq!(points(free).len(), 2, "x/y and one touch: {free}");
}

#[test]
fn hide_all_stores_no_touch_position() {
    let srv = IngestServer::start(ServerOptions::new(tmp("hsrv"))).unwrap();
    record(&srv, TouchPrivacy::HideAll, &tmp("hspool"));
    let events = stored_events(&srv);
    let touches: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "touch" || e["type"] == "gesture")
        .collect();
    assert!(touches.len() >= 6);
    for e in touches {
        assert!(points(e).is_empty(), "{e}");
        assert!(e.get("targetBounds").is_none(), "{e}");
        assert_eq!(e["touchPrivacy"], "hidden");
    }
}
