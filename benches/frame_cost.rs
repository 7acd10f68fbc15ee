//! What a captured frame costs the host's thread when the call is made from Rust, to set
//! beside the same call through the Kotlin binding (`benches/jvm/FrameCost.kt`, run by
//! `scripts/bench-jvm.sh`): `tick` + `submit_frame` with a 491×1065 RGBA frame and a 200-node
//! tree, against a plain copy of the frame; and what UniFFI's lift of each argument costs on
//! the Rust side of the binding. Plain `harness = false` binary: 300 warm-up, 300 timed,
//! median and p95; frames are paced (4 ms apart) so the encoder keeps up, as at a real
//! capture rate.

use std::hint::black_box;
use std::time::{Duration, Instant};

use rejourney_core::ffi::{
    MaskTag, NodeKind, NodeStrings, NodeTree, PixelFormat, Rejourney, RejourneyOptions, ViewNode,
};
use rejourney_core::strings;
use rejourney_core::UniFfiTag;
use uniffi::{Lift, Lower};

const WIDTH: u32 = 491;
const HEIGHT: u32 = 1065;
const SCALE: f32 = 1.25;
const WARMUP: usize = 300;
const TIMED: usize = 300;

/// The tree FrameCost.kt sends: a window, 19 rows of a container and 9 children, and 9 bar
/// items under the window; and the string table its nodes name (sent with the first frame
/// only, as a shim does).
fn tree() -> (Vec<ViewNode>, Vec<String>) {
    let mut table = rejourney_core::strings::Interner::new();
    let mut node =
        |parent: Option<u32>, class: &str, f: [f32; 4], kind, id: u64, test_id: Option<String>| {
            ViewNode {
                parent,
                class_index: table.intern(class).0,
                x: f[0],
                y: f[1],
                width: f[2],
                height: f[3],
                kind,
                tag: MaskTag::None,
                view_id: Some(id),
                test_id_index: test_id.map(|t| table.intern(&t).0),
                text_length: None,
                mask_hint_index: None,
                animating: false,
            }
        };
    let root = [0.0, 0.0, WIDTH as f32 / SCALE, HEIGHT as f32 / SCALE];
    let mut nodes = vec![node(
        None,
        "com.android.internal.policy.DecorView",
        root,
        NodeKind::Container,
        1,
        None,
    )];
    let mut id = 2;
    for row in 0..19 {
        let index = nodes.len() as u32;
        let y = 40.0 + row as f32 * 42.0;
        nodes.push(node(
            Some(0),
            "android.widget.LinearLayout",
            [0.0, y, 392.0, 40.0],
            NodeKind::Container,
            id,
            Some(format!("row-{row}")),
        ));
        id += 1;
        for k in 0..9 {
            let (class, kind) = match k {
                0 => ("android.widget.ImageView", NodeKind::Image),
                8 => ("android.widget.EditText", NodeKind::TextInput),
                _ => ("android.widget.TextView", NodeKind::Text),
            };
            let mut n = node(
                Some(index),
                class,
                [4.0 + k as f32 * 43.0, y + 2.0, 40.0, 36.0],
                kind,
                id,
                None,
            );
            if matches!(kind, NodeKind::TextInput) {
                n.text_length = Some(12);
            }
            nodes.push(n);
            id += 1;
        }
    }
    for k in 0..9 {
        let f = [4.0 + k as f32 * 43.0, 0.0, 40.0, 36.0];
        nodes.push(node(
            Some(0),
            "android.widget.ImageButton",
            f,
            NodeKind::Image,
            id,
            Some(format!("bar-{k}")),
        ));
        id += 1;
    }
    assert_eq!(nodes.len(), 200);
    (nodes, table.take_update().added)
}

/// What a shim sends with each frame: the whole table with the first, nothing after.
struct Updates {
    strings: Vec<String>,
    sent: bool,
}

impl Updates {
    fn next(&mut self) -> NodeStrings {
        let sent = std::mem::replace(&mut self.sent, true);
        NodeStrings {
            table: 1,
            base: if sent { self.strings.len() as u32 } else { 0 },
            digest: if sent {
                self.strings
                    .iter()
                    .fold(strings::DIGEST_SEED, |h, s| strings::digest(h, s))
            } else {
                strings::DIGEST_SEED
            },
            added: if sent {
                Vec::new()
            } else {
                self.strings.clone()
            },
        }
    }
}

fn measure(mut f: impl FnMut(usize) -> Option<Duration>) -> (f64, f64) {
    let mut us: Vec<f64> = (0..WARMUP + TIMED)
        .filter_map(|i| {
            let d = f(i)?;
            (i >= WARMUP).then_some(d.as_secs_f64() * 1e6)
        })
        .collect();
    us.sort_by(f64::total_cmp);
    (us[us.len() / 2], us[us.len() * 95 / 100])
}

fn timed(f: impl FnOnce()) -> Option<Duration> {
    let t = Instant::now();
    f();
    Some(t.elapsed())
}

fn row(name: &str, (p50, p95): (f64, f64), what: &str) {
    println!("{name:<44} median {p50:8.1} µs   p95 {p95:8.1} µs   {what}");
}

fn options(dir: &str) -> RejourneyOptions {
    // No server: uploads fail and back off on their own thread.
    RejourneyOptions {
        capture_scale: Some(SCALE),
        spool_quota_bytes: Some(50 << 20),
        anr_threshold_ms: Some(0),
        remote_config: Some(false),
        ..RejourneyOptions::with_defaults("pk_bench", "http://127.0.0.1:9", "bench", dir)
    }
}

fn main() {
    let len = (WIDTH * HEIGHT * 4) as usize;
    let mut frame: Vec<u8> = (0..len).map(|i| (i * 31) as u8).collect();
    let (nodes, strings) = tree();
    println!("per captured frame, called from Rust ({WIDTH}×{HEIGHT} RGBA = {len} bytes, 200 nodes), {WARMUP} warm-up + {TIMED} timed");

    let mut copy = vec![0u8; len];
    row(
        "memcpy of the frame",
        measure(|_| timed(|| copy.copy_from_slice(black_box(&frame)))),
        "one copy into an existing buffer",
    );
    row(
        "clone of the frame",
        measure(|_| timed(|| drop(black_box(frame.clone())))),
        "allocate + copy (+ free), what an owned hand-over costs",
    );
    row(
        "  UniFFI lift of the frame (Vec<u8>)",
        measure(|_| {
            let buf = <Vec<u8> as Lower<UniFfiTag>>::lower(frame.clone());
            let t = Instant::now();
            let v = <Vec<u8> as Lift<UniFfiTag>>::try_lift(buf).expect("lifts");
            let d = t.elapsed();
            drop(black_box(v));
            Some(d)
        }),
        "Rust side of submitFrame's pixels: element by element into a new Vec",
    );
    row(
        "  UniFFI lift of the node list",
        measure(|_| {
            let buf = <Vec<ViewNode> as Lower<UniFfiTag>>::lower(nodes.clone());
            let t = Instant::now();
            let v = <Vec<ViewNode> as Lift<UniFfiTag>>::try_lift(buf).expect("lifts");
            let d = t.elapsed();
            drop(black_box(v));
            Some(d)
        }),
        "200 records, no string (class names and test ids are indices)",
    );
    let mut updates = Updates {
        strings: strings.clone(),
        sent: false,
    };

    let dir = std::env::temp_dir().join(format!("rj-frame-cost-{}", std::process::id()));
    let core = Rejourney::new(options(&dir.to_string_lossy())).expect("client");
    let mut now = 1_000_000u64;
    core.start(now).expect("start");
    let mut frame_call = |owned: bool| {
        measure(|i| {
            frame[0] = i as u8;
            frame[1] = (i >> 8) as u8;
            // A tick that says not now (the encoder's queue is full on a busy machine) is
            // waited out and not timed.
            loop {
                now += 1_000;
                if core.tick(now).expect("tick").capture {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            now += 1_000;
            let (pixels, list) = (owned.then(|| frame.clone()), nodes.clone());
            let update = updates.next();
            let t = Instant::now();
            let d = core.tick(now).expect("tick");
            assert!(d.capture, "policy said {:?}", d.skip_reason);
            let sent = match pixels {
                Some(p) => core.submit_frame(
                    p,
                    WIDTH,
                    HEIGHT,
                    WIDTH * 4,
                    PixelFormat::Rgba,
                    SCALE,
                    now,
                    NodeTree {
                        nodes: list,
                        strings: update,
                    },
                ),
                None => core.submit_frame_buffer(
                    &frame,
                    WIDTH,
                    HEIGHT,
                    WIDTH * 4,
                    PixelFormat::Rgba,
                    SCALE,
                    now,
                    NodeTree {
                        nodes: list,
                        strings: update,
                    },
                ),
            };
            let d = t.elapsed();
            sent.expect("submitted");
            std::thread::sleep(Duration::from_millis(4));
            Some(d)
        })
    };
    row(
        "tick + submit_frame (owned Vec)",
        frame_call(true),
        "the same call without the binding: pixels and nodes already owned",
    );
    row(
        "tick + submit_frame_buffer (&[u8])",
        frame_call(false),
        "pixels borrowed, copied once by the core",
    );
    let _ = core.shutdown(0);
    let _ = std::fs::remove_dir_all(dir);
    modes(&mut frame, &nodes, &strings);
}

/// Recording against on-error buffering, per frame: the host's call (the same in both) and
/// the whole path to disk (mask, encode, bundle, then the upload spool or the buffer spool
/// with its window eviction), measured as `submit_frame` + `persist` on the core client.
fn modes(frame: &mut [u8], nodes: &[ViewNode], strings: &[String]) {
    use rejourney_core::client::{Client, ClientOptions};
    use rejourney_core::upload::DeliveryConfig;
    use rejourney_core::{FrameSpec, PixelFormat as Px};
    println!(
        "per captured frame, recording vs buffering (batch of 1: every frame is sealed and stored)"
    );
    for (name, buffering) in [("recording", false), ("buffering", true)] {
        let dir = std::env::temp_dir().join(format!("rj-modes-{name}-{}", std::process::id()));
        let mut o = ClientOptions::new(DeliveryConfig::new(
            "http://127.0.0.1:9",
            "pk",
            "bench",
            &dir,
        ));
        o.anr_threshold_ms = 0;
        o.capture.capture_scale = SCALE;
        o.capture.batch_size = 1;
        o.delivery.spool.quota_bytes = 200 << 20;
        o.delivery.spool.max_files = 100_000;
        if buffering {
            o.session.sample_rate = 0.0;
            o.session.on_error_sample_rate = 1.0;
        }
        let c = Client::new(o).expect("client");
        let mut now = 1_000_000u64;
        c.start(now).expect("start");
        let spec = FrameSpec::packed(WIDTH, HEIGHT, Px::Rgba, SCALE);
        let nodes = rejourney_core::ffi::convert_nodes(nodes.to_vec());
        let nodes = &nodes[..];
        let mut updates = Updates {
            strings: strings.to_vec(),
            sent: false,
        };
        let host = measure(|i| {
            frame[0] = i as u8;
            frame[1] = (i >> 8) as u8;
            now += 1_000;
            let pixels = frame.to_vec();
            let t = Instant::now();
            let _ = c.tick(now);
            c.submit_frame(pixels, spec, nodes, updates.next().into(), now)
                .expect("submitted");
            let d = t.elapsed();
            c.persist(Duration::from_secs(10));
            Some(d)
        });
        let whole = measure(|i| {
            frame[0] = i as u8;
            frame[1] = (i >> 8) as u8 ^ 0x55;
            now += 1_000;
            let pixels = frame.to_vec();
            let t = Instant::now();
            c.submit_frame(pixels, spec, nodes, updates.next().into(), now)
                .expect("submitted");
            assert!(c.persist(Duration::from_secs(10)));
            Some(t.elapsed())
        });
        row(
            &format!("{name}: tick + submit_frame"),
            host,
            "the host's thread",
        );
        row(
            &format!("{name}: submit_frame + persist"),
            whole,
            "mask, encode, bundle, stored on disk",
        );
        c.shutdown(Duration::ZERO);
        let _ = std::fs::remove_dir_all(dir);
    }
}
