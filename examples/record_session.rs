//! The main job: a realistic 60-second recorded session through the whole SDK into an ingest
//! server.
//!
//! Starts the local ingest server on 127.0.0.1 (or uses `--endpoint URL`, any Rejourney
//! backend), then plays the screen corpus (`examples/corpus`) as a user would use the app:
//! reading a chat, scrolling, logging in, shopping, an article, a dashboard, a map, settings, a
//! video. The host side does only what a native shim does: on each tick it asks the core
//! whether to capture, hands over the framebuffer and the view tree, and reports touches,
//! scrolls and its capture cost. The core masks, encodes, bundles, spools and uploads. At the
//! end the server's stored bundles are read back with the strict parser, decoded, and every
//! private node (text input, secure input, camera) is checked black, and the session is
//! written as a replay page (`replay.html`, printed at the end).
//!
//! Usage: `cargo run --release --example record_session [-- --speed 10 --out demo-output
//!         --endpoint URL --api-key KEY]`

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rejourney_core::client::{Client, ClientOptions};
use rejourney_core::events::{Gesture, NetworkRequest, PropValue};
use rejourney_core::strings::Interner;
use rejourney_core::upload::DeliveryConfig;
use rejourney_core::{parse_bundle, Action, FrameSpec, ParseLimits};
use rejourney_harness::{
    brightest_inside, corpus_dir, decode_jpeg, load_corpus, Screen, MAX_CHANNEL,
};
use rejourney_ingest::{write_replay, IngestServer, ReplayOptions, ServerOptions};

/// What the user does, at virtual second `at`.
#[derive(Clone, Copy)]
enum Step {
    Show(&'static str),
    Tap,
    /// A tap into a form field at (x, y) points: the login's inputs are masked, so touch
    /// privacy (on by default) records only the field's bounds.
    TapField(f32, f32, &'static str),
    /// Three quick taps on a chart that does nothing: a rage tap.
    RageTap,
    /// One tap on a view the shim's hit test says is not interactive, and nothing answers
    /// within the dead-tap window: a dead tap.
    DeadTap,
    /// An API call the screen makes (recorded as a network event, query secrets redacted).
    Request(&'static str),
    Scroll {
        secs: f32,
        then: &'static str,
    },
    Pinch {
        secs: f32,
    },
}

const SCRIPT: &[(f32, Step)] = &[
    (0.0, Step::Show("chat-000")),
    (3.0, Step::Tap),
    (
        6.0,
        Step::Scroll {
            secs: 0.8,
            then: "chat-120",
        },
    ),
    (
        10.0,
        Step::Scroll {
            secs: 0.6,
            then: "chat-240",
        },
    ),
    (13.6, Step::Tap),
    (14.0, Step::Show("login-000")),
    (16.0, Step::TapField(196.0, 305.0, "EmailField")),
    (18.0, Step::TapField(196.0, 380.0, "PasswordField")),
    (20.0, Step::Tap),
    (23.6, Step::Tap),
    (24.0, Step::Show("shop-000")),
    (
        24.2,
        Step::Request("https://api.shop.example/v1/products?page=1&session_token=8f14e45fceea167a5a36dedd4bea2543"),
    ),
    (
        28.0,
        Step::Scroll {
            secs: 1.0,
            then: "shop-300",
        },
    ),
    (31.6, Step::Tap),
    (32.0, Step::Show("article-000")),
    (
        36.0,
        Step::Scroll {
            secs: 1.2,
            then: "article-200",
        },
    ),
    (40.0, Step::Show("dashboard-000")),
    (41.0, Step::DeadTap),
    (43.0, Step::RageTap),
    (45.6, Step::Tap),
    (46.0, Step::Show("map-000")),
    (48.0, Step::Pinch { secs: 1.5 }),
    (52.0, Step::Show("settings-000")),
    (55.6, Step::Tap),
    (56.0, Step::Show("video-000")),
];
const SESSION_SECS: u64 = 60;
const TICK_MS: u64 = 100;

struct Args {
    speed: f64,
    out: PathBuf,
    endpoint: Option<String>,
    api_key: String,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        speed: 10.0,
        out: PathBuf::from("demo-output"),
        endpoint: None,
        api_key: "rj_demo_public_key".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--speed" => {
                args.speed = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|s: &f64| *s > 0.0)
                    .ok_or("--speed takes a positive number")?
            }
            "--out" => {
                args.out = it
                    .next()
                    .map(PathBuf::from)
                    .ok_or("--out takes a directory")?
            }
            "--endpoint" => args.endpoint = Some(it.next().ok_or("--endpoint takes a URL")?),
            "--api-key" => args.api_key = it.next().ok_or("--api-key takes a key")?,
            other => {
                return Err(format!(
                "unknown argument {other}; use --speed N, --out DIR, --endpoint URL, --api-key KEY"
            ))
            }
        }
    }
    Ok(args)
}

/// A prepared screen: the framebuffer at capture scale.
struct Prepared {
    screen: Screen,
    pixels: Vec<u8>,
    spec: FrameSpec,
}

fn main() {
    if let Err(e) = run() {
        eprintln!("record_session: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let _ = std::fs::remove_dir_all(&args.out);
    std::fs::create_dir_all(&args.out)?;
    let dir = corpus_dir();
    println!("Loading corpus from {}", dir.display());
    let mut options = ClientOptions::new(DeliveryConfig::new(
        "http://127.0.0.1",
        &args.api_key,
        "demo-device-hash",
        args.out.join("spool"),
    ));
    // What the iOS shim reports for the device the corpus was rendered on.
    options.device_info = serde_json::json!({
        "platform": "ios", "model": "iPhone15,2", "osVersion": "17.5", "systemName": "iOS",
        "appId": "co.rejourney.demo", "appVersion": "1.0.0",
        "sdkVersion": rejourney_core::SDK_VERSION, "screenWidth": 393, "screenHeight": 852,
        "pixelRatio": 3, "coordinateSpace": "pt",
    });
    let mut screens = HashMap::new();
    for screen in load_corpus(&dir)? {
        let (pixels, spec) = screen.render_at(options.capture.capture_scale);
        screens.insert(
            screen.id.clone(),
            Prepared {
                screen,
                pixels,
                spec,
            },
        );
    }

    let server = match &args.endpoint {
        Some(_) => None,
        None => Some(IngestServer::start(ServerOptions::new(
            args.out.join("ingest-data"),
        ))?),
    };
    let url = match (&args.endpoint, &server) {
        (Some(u), _) => u.clone(),
        (None, Some(s)) => s.url(),
        (None, None) => unreachable!("a server is started when no endpoint is given"),
    };
    println!(
        "Uploading to {url}{}",
        if server.is_some() {
            " (local ingest server)"
        } else {
            ""
        }
    );
    options.delivery = DeliveryConfig {
        api_url: url.trim_end_matches('/').to_owned(),
        ..options.delivery
    };
    let client = Client::new(options)?;
    let mut table = Interner::new();

    let start_ms = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis() as u64;
    let session_id = client.start(start_ms)?;
    let wall = Instant::now();
    let mut shown = "chat-000";
    let mut submitted: HashMap<u64, &'static str> = HashMap::new();
    let mut step = 0;
    let mut interaction_until: Option<(u64, Option<&'static str>)> = None;
    for tick in 0..=(SESSION_SECS * 1000 / TICK_MS) {
        let vt = tick * TICK_MS;
        let now = start_ms + vt;
        while step < SCRIPT.len() && (SCRIPT[step].0 * 1000.0) as u64 <= vt {
            match SCRIPT[step].1 {
                Step::Show(id) => {
                    shown = id;
                    client.screen_changed(now, id)?;
                    if id == "login-000" {
                        client.keyboard(now + 300, true, 291.0)?;
                    }
                }
                Step::Tap => {
                    client.touch_began();
                    client.gesture(Gesture::Tap, now, 196.0, 620.0, Some("Button"))?;
                    interaction_until = Some((vt + 120, None));
                }
                Step::TapField(x, y, label) => {
                    client.touch_began();
                    client.gesture(Gesture::Tap, now, x, y, Some(label))?;
                    interaction_until = Some((vt + 120, None));
                }
                Step::DeadTap => {
                    client.gesture_on(
                        Gesture::Tap,
                        now,
                        120.0,
                        90.0,
                        Some("Title"),
                        Some(false),
                    )?;
                }
                Step::RageTap => {
                    for i in 0..3 {
                        // A chart is not interactive: the shim's hit test says so, and only
                        // such taps may count as dead.
                        client.gesture_on(
                            Gesture::Tap,
                            now + i * 180,
                            300.0,
                            120.0,
                            Some("Chart"),
                            Some(false),
                        )?;
                    }
                }
                Step::Request(url) => {
                    let req = NetworkRequest {
                        method: "GET".into(),
                        url: url.into(),
                        status: Some(200),
                        duration_ms: 182.0,
                        request_bytes: Some(0),
                        response_bytes: Some(48_211),
                        error: None,
                    };
                    client.network_request(now, &req)?;
                    let props = [
                        ("items".to_owned(), PropValue::Num(24.0)),
                        ("category".to_owned(), PropValue::Str("shoes".into())),
                    ];
                    client.log_event(now + 200, "catalog_loaded", &props)?;
                }
                Step::Scroll { secs, then } => {
                    client.scroll_began();
                    client.gesture(Gesture::Swipe, now, 196.0, 500.0, None)?;
                    interaction_until = Some((vt + (secs * 1000.0) as u64, Some(then)));
                }
                Step::Pinch { secs } => {
                    client.touch_began();
                    client.gesture(Gesture::Pinch, now, 196.0, 400.0, Some("MapView"))?;
                    interaction_until = Some((vt + (secs * 1000.0) as u64, None));
                }
            }
            step += 1;
        }
        if let Some((until, then)) = interaction_until {
            if vt >= until {
                client.touch_ended(now);
                client.scroll_ended(now);
                if let Some(id) = then {
                    shown = id;
                }
                interaction_until = None;
            }
        }
        if client.tick(now)?.action == Action::Capture {
            let p = &screens[shown];
            // The shim's work: read the framebuffer into a fresh buffer, report its cost,
            // hand it over with the view tree. The core decides what to mask.
            let capture = Instant::now();
            let pixels = p.pixels.clone();
            client.report_capture_cost(capture.elapsed().as_secs_f64() * 1000.0)?;
            // A shim keeps one string table: each class name crosses once, then by index.
            let (nodes, strings) = p.screen.report(&mut table);
            client.submit_frame_owned(pixels, p.spec, nodes, strings, now)?;
            submitted.insert(vt, shown);
        }
        let due = Duration::from_secs_f64((vt + TICK_MS) as f64 / 1000.0 / args.speed);
        if let Some(wait) = due.checked_sub(wall.elapsed()) {
            std::thread::sleep(wait);
        }
    }
    client.stop(start_ms + SESSION_SECS * 1000)?;
    let flushed = client.flush(Duration::from_secs(60));
    let t = client.telemetry();
    // Delivered means the backend accepted every artifact: nothing dropped, declined
    // (`skipUpload`) or left waiting.
    let delivered = flushed && t.delivery.dropped.values().all(|n| *n == 0);
    client.shutdown(Duration::from_secs(5));

    let mut summary = serde_json::to_value(&t.capture)?;
    summary["session_id"] = session_id.clone().into();
    summary["session_seconds"] = SESSION_SECS.into();
    summary["endpoint"] = url.clone().into();
    summary["all_delivered"] = delivered.into();
    summary["delivery"] = serde_json::to_value(&t.delivery)?;
    summary["events"] = serde_json::to_value(t.events)?;
    summary["hierarchy"] = serde_json::to_value(t.hierarchy)?;
    summary["wall_seconds"] = wall.elapsed().as_secs_f64().into();

    // Verify what the server stored: strict parse, decode, privacy check.
    let (mut frames_verified, mut regions_verified, mut worst) = (0, 0, 0u8);
    if let Some(srv) = &server {
        let frames_dir = args.out.join("frames");
        std::fs::create_dir_all(&frames_dir)?;
        let arts = srv.artifacts();
        for a in arts
            .iter()
            .filter(|a| a.kind == "screenshots" && a.session_id == session_id)
        {
            for f in parse_bundle(&std::fs::read(&a.path)?, ParseLimits::default())? {
                let img = decode_jpeg(&f.jpeg)?;
                let id = submitted
                    .get(&f.offset_ms)
                    .ok_or("stored frame with an unknown timestamp")?;
                let p = &screens[*id];
                let scale = img.width as f32 / p.screen.width_pt;
                for rect in p.screen.private_rects() {
                    if let Some(max) = brightest_inside(&img, &rect, scale) {
                        worst = worst.max(max);
                        regions_verified += 1;
                    }
                }
                std::fs::write(
                    frames_dir.join(format!("{:06}-{id}.jpg", f.offset_ms)),
                    &f.jpeg,
                )?;
                frames_verified += 1;
            }
        }
        let stats = srv.stats();
        let ours = |kind: &str| -> Vec<u64> {
            arts.iter()
                .filter(|a| a.kind == kind && a.session_id == session_id)
                .map(|a| a.frame_count)
                .collect()
        };
        let events_stored: u64 = ours("events").iter().sum();
        let snapshots_stored = ours("hierarchy").len() as u64;
        if events_stored != t.events.recorded || snapshots_stored != t.hierarchy.snapshots {
            return Err(format!(
                "server stored {events_stored} events and {snapshots_stored} hierarchy snapshots; \
                 {} and {} were recorded",
                t.events.recorded, t.hierarchy.snapshots
            )
            .into());
        }
        summary["server"] = serde_json::json!({
            "artifacts": arts.len(),
            "screenshots": arts.iter().filter(|a| a.kind == "screenshots").count(),
            "events_stored": events_stored,
            "hierarchy_snapshots_stored": snapshots_stored,
            "frames_stored": frames_verified,
            "session_end_stored": args.out.join("ingest-data").join(&session_id).join("session-end.json").exists(),
            "stats": format!("{stats:?}"),
        });
        summary["frames_verified"] = frames_verified.into();
        summary["private_regions_verified_black"] = regions_verified.into();
        if worst > MAX_CHANNEL {
            return Err(
                format!("privacy check failed: a private region has a channel at {worst}").into(),
            );
        }
        if frames_verified as u64 != t.capture.frames_captured {
            return Err(format!(
                "server stored {frames_verified} frames, {} were captured",
                t.capture.frames_captured
            )
            .into());
        }
    }
    std::fs::write(
        args.out.join("summary.json"),
        serde_json::to_string_pretty(&summary)?,
    )?;
    // The player for what the server stored, in one self-contained HTML file, with the capture
    // telemetry only this client has.
    let replay = match &server {
        Some(_) => Some(write_replay(
            &args.out.join("ingest-data"),
            Some(&session_id),
            &args.out.join("replay.html"),
            &ReplayOptions {
                live: false,
                client_telemetry: Some(serde_json::to_value(&t.capture)?),
            },
        )?),
        None => None,
    };

    let c = &t.capture;
    let d = &t.delivery;
    println!(
        "\nRecorded a {SESSION_SECS}s session ({session_id}) in {:.1}s wall",
        wall.elapsed().as_secs_f64()
    );
    println!(
        "  frames offered {:>5}   captured {:>4}   unchanged-skipped {:>3}   dropped {:>3}",
        c.frames_offered, c.frames_captured, c.frames_skipped_unchanged, c.frames_dropped
    );
    println!(
        "  policy skips   {:>5}   {:?}",
        c.frames_skipped_policy,
        c.skipped_policy
            .iter()
            .filter(|(_, v)| **v > 0)
            .collect::<Vec<_>>()
    );
    println!(
        "  bundles        {:>5}   bytes out {} ({:.1} KB/frame; raw in {:.1} MB)",
        c.bundles,
        c.bytes_out,
        c.bytes_out as f64 / 1024.0 / c.frames_captured.max(1) as f64,
        c.bytes_in as f64 / 1e6
    );
    println!("  masked regions {:>5}", c.masked_regions);
    let (e, h) = (&t.events, &t.hierarchy);
    println!(
        "  events         {:>5}   in {} batches; rage taps {}, dead taps {}, dropped {}; touches on masked views {} (bounds only), hidden {}",
        e.recorded, e.batches, e.rage_taps, e.dead_taps, e.dropped_buffer_full, e.touches_masked, e.touches_hidden
    );
    println!(
        "  hierarchy      {:>5} snapshots; unchanged {}, rate-limited {}, partial {}",
        h.snapshots, h.unchanged, h.rate_limited, h.partial
    );
    println!(
        "  delivery       {:>5} requests, delivered {:?}, dropped {:?}, retries {}",
        d.requests, d.delivered, d.dropped, d.retries
    );
    if server.is_some() {
        println!("  server stored  {frames_verified} frames; {regions_verified} private regions verified black (max channel {worst} <= {MAX_CHANNEL})");
    }
    for (stage, s) in &c.stage_ms {
        println!(
            "  stage {stage:<12} p50 {:>7.3} ms   p95 {:>7.3} ms   n={}",
            s.p50, s.p95, s.count
        );
    }
    println!(
        "Summary: {}   decoded frames: {}",
        args.out.join("summary.json").display(),
        args.out.join("frames").display()
    );
    if let Some(r) = &replay {
        println!(
            "Replay: {} (open it in a browser: frames, events, hierarchy and telemetry inlined)",
            r.path.display()
        );
    }
    if !delivered {
        return Err(format!(
            "not everything was delivered within 60 s (flushed {flushed}, dropped {:?}, \
             skipped {:?})",
            t.delivery.dropped, t.delivery.skipped
        )
        .into());
    }
    Ok(())
}
