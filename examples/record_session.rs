//! The main job: a realistic 60-second recorded session through the real pipeline.
//!
//! Plays the screen corpus (`examples/corpus`) as a user would use the app: reading a chat,
//! scrolling, logging in, shopping, reading an article, a dashboard, a map, settings, a video.
//! The host side does only what a native shim does: on each tick it asks the core whether to
//! capture, hands over the framebuffer and the view tree's mask rects, and reports touches,
//! scrolls and its capture cost. Bundles are written to `demo-output/`, read back with the
//! strict parser, decoded, and every masked region is checked black.
//!
//! Usage: `cargo run --release --example record_session [-- --speed 10 --out demo-output]`

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rejourney_core::masks::{mask_rects, MaskOptions};
use rejourney_core::{parse_bundle, Action, Config, FrameSpec, ParseLimits, Pipeline, SessionTag};
use rejourney_harness::{
    brightest_inside, corpus_dir, decode_jpeg, load_corpus, Screen, MAX_CHANNEL,
};

/// What the user does, at virtual second `at`.
#[derive(Clone, Copy)]
enum Step {
    Show(&'static str),
    Tap,
    Scroll { secs: f32, then: &'static str },
    Pinch { secs: f32 },
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
    (16.0, Step::Tap),
    (18.0, Step::Tap),
    (20.0, Step::Tap),
    (23.6, Step::Tap),
    (24.0, Step::Show("shop-000")),
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
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        speed: 10.0,
        out: PathBuf::from("demo-output"),
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
            other => {
                return Err(format!(
                    "unknown argument {other}; use --speed N, --out DIR"
                ))
            }
        }
    }
    Ok(args)
}

/// A prepared screen: the framebuffer at capture scale and its mask rects.
struct Prepared {
    screen: Screen,
    pixels: Vec<u8>,
    spec: FrameSpec,
    masks: Vec<rejourney_core::Rect>,
}

fn main() {
    if let Err(e) = run() {
        eprintln!("record_session: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let config = Config::default();
    let dir = corpus_dir();
    println!("Loading corpus from {}", dir.display());
    let mut screens = HashMap::new();
    for screen in load_corpus(&dir)? {
        let (pixels, spec) = screen.render_at(config.capture_scale);
        let mut masks = Vec::new();
        mask_rects(&screen.nodes, &MaskOptions::default(), &mut masks)?;
        screens.insert(
            screen.id.clone(),
            Prepared {
                screen,
                pixels,
                spec,
                masks,
            },
        );
    }

    let start_ms = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis() as u64;
    let session_id = format!("session_{start_ms}_demo");
    let pipeline = Pipeline::new(
        config.clone(),
        SessionTag {
            id: session_id.as_str().into(),
            start_ms,
        },
    )?;
    let out_dir = args.out.join(&session_id);
    std::fs::create_dir_all(&out_dir)?;

    let wall = Instant::now();
    let mut shown = "chat-000";
    let mut submitted: HashMap<u64, &'static str> = HashMap::new();
    let mut bundles = Vec::new();
    let mut step = 0;
    let mut interaction_until: Option<(u64, Option<&'static str>)> = None;
    for tick in 0..=(SESSION_SECS * 1000 / TICK_MS) {
        let vt = tick * TICK_MS;
        let now = start_ms + vt;
        while step < SCRIPT.len() && (SCRIPT[step].0 * 1000.0) as u64 <= vt {
            match SCRIPT[step].1 {
                Step::Show(id) => shown = id,
                Step::Tap => {
                    pipeline.with_policy(|p| p.touch_began());
                    interaction_until = Some((vt + 120, None));
                }
                Step::Scroll { secs, then } => {
                    pipeline.with_policy(|p| p.scroll_began());
                    interaction_until = Some((vt + (secs * 1000.0) as u64, Some(then)));
                }
                Step::Pinch { secs } => {
                    pipeline.with_policy(|p| p.touch_began());
                    interaction_until = Some((vt + (secs * 1000.0) as u64, None));
                }
            }
            step += 1;
        }
        if let Some((until, then)) = interaction_until {
            if vt >= until {
                pipeline.with_policy(|p| {
                    p.touch_ended(now);
                    p.scroll_ended(now);
                });
                if let Some(id) = then {
                    shown = id;
                }
                interaction_until = None;
            }
        }
        if pipeline.tick(now).action == Action::Capture {
            let p = &screens[shown];
            // The shim's work: read the framebuffer into a fresh buffer, report its cost.
            let capture = Instant::now();
            let pixels = p.pixels.clone();
            pipeline.report_capture_cost(capture.elapsed().as_secs_f64() * 1000.0)?;
            pipeline.submit_frame(pixels, p.spec, &p.masks, now)?;
            submitted.insert(vt, shown);
        }
        while let Some(b) = pipeline.take_bundle() {
            bundles.push(b);
        }
        let due = Duration::from_secs_f64((vt + TICK_MS) as f64 / 1000.0 / args.speed);
        if let Some(wait) = due.checked_sub(wall.elapsed()) {
            std::thread::sleep(wait);
        }
    }
    pipeline.stop();
    while let Some(b) = pipeline.take_bundle() {
        bundles.push(b);
    }

    // Write and verify every bundle: strict parse, decode each JPEG, check masks are black.
    let mut frames_verified = 0;
    let mut regions_verified = 0;
    let mut worst_channel = 0u8;
    for (i, b) in bundles.iter().enumerate() {
        std::fs::write(out_dir.join(format!("bundle-{:04}.gz", i + 1)), &b.gz)?;
        for f in parse_bundle(&b.gz, ParseLimits::default())? {
            let img = decode_jpeg(&f.jpeg)?;
            let id = submitted
                .get(&f.offset_ms)
                .ok_or("bundle frame with an unknown timestamp")?;
            let p = &screens[*id];
            let scale = img.width as f32 / p.screen.width_pt;
            for rect in &p.masks {
                if let Some(max) = brightest_inside(&img, rect, scale) {
                    worst_channel = worst_channel.max(max);
                    regions_verified += 1;
                }
            }
            std::fs::write(
                out_dir.join(format!("frame-{:06}-{id}.jpg", f.offset_ms)),
                &f.jpeg,
            )?;
            frames_verified += 1;
        }
    }
    if worst_channel > MAX_CHANNEL {
        return Err(format!(
            "privacy check failed: a masked region has a channel at {worst_channel}"
        )
        .into());
    }

    let t = pipeline.telemetry();
    let mut summary = serde_json::to_value(&t)?;
    summary["session_id"] = session_id.clone().into();
    summary["session_seconds"] = SESSION_SECS.into();
    summary["bundles_written"] = bundles.len().into();
    summary["frames_verified"] = frames_verified.into();
    summary["masked_regions_verified_black"] = regions_verified.into();
    summary["wall_seconds"] = wall.elapsed().as_secs_f64().into();
    std::fs::write(
        args.out.join("summary.json"),
        serde_json::to_string_pretty(&summary)?,
    )?;

    let raw_mb = t.bytes_in as f64 / 1e6;
    println!(
        "\nRecorded a {SESSION_SECS}s session ({session_id}) in {:.1}s wall",
        wall.elapsed().as_secs_f64()
    );
    println!(
        "  frames offered {:>5}   captured {:>4}   unchanged-skipped {:>3}   dropped {:>3}",
        t.frames_offered, t.frames_captured, t.frames_skipped_unchanged, t.frames_dropped
    );
    println!(
        "  policy skips   {:>5}   {:?}",
        t.frames_skipped_policy,
        t.skipped_policy
            .iter()
            .filter(|(_, v)| **v > 0)
            .collect::<Vec<_>>()
    );
    println!(
        "  bundles        {:>5}   bytes out {} ({:.1} KB/frame; raw in {raw_mb:.1} MB)",
        t.bundles,
        t.bytes_out,
        t.bytes_out as f64 / 1024.0 / t.frames_captured.max(1) as f64
    );
    println!("  masked regions {:>5}   verified black after decode: {regions_verified} (max channel {worst_channel} <= {MAX_CHANNEL})", t.masked_regions);
    for (stage, s) in &t.stage_ms {
        println!(
            "  stage {stage:<12} p50 {:>7.3} ms   p95 {:>7.3} ms   n={}",
            s.p50, s.p95, s.count
        );
    }
    println!(
        "Wrote {} bundles and {frames_verified} decoded frames to {}, summary to {}",
        bundles.len(),
        out_dir.display(),
        args.out.join("summary.json").display()
    );
    Ok(())
}
