//! Per-stage and whole-path benchmarks on the corpus at the capture scale (1.25×, 491×1065),
//! with a memcpy baseline and libjpeg-turbo alone as the reference the encode stage is held
//! to. Every iteration processes all 12 corpus screens; criterion reports per-screen time
//! through `Throughput::Elements`. Results and ratios: `benches/RESULTS.md`.

use std::hint::black_box;
use std::io::Write;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rejourney_core::bundle::BundleBuilder;
use rejourney_core::encode::{Encoder, PixelsRef};
use rejourney_core::fingerprint::fingerprint;
use rejourney_core::masks::{mask_rects, MaskOptions};
use rejourney_core::redact::Redactor;
use rejourney_core::scale::Downscaler;
use rejourney_core::{Config, FrameSpec, Rect};
use rejourney_harness::{corpus_dir, load_corpus};

struct Frame {
    pixels: Vec<u8>,
    spec: FrameSpec,
    masks: Vec<Rect>,
    native: Vec<u8>,
    native_spec: FrameSpec,
}

fn frames() -> Vec<Frame> {
    let scale = Config::default().capture_scale;
    load_corpus(&corpus_dir())
        .expect("corpus")
        .into_iter()
        .map(|s| {
            let (pixels, spec) = s.render_at(scale);
            let mut masks = Vec::new();
            mask_rects(&s.nodes, &s.table(), &MaskOptions::default(), &mut masks).expect("masks");
            let native_spec = s.native_spec();
            Frame {
                pixels,
                spec,
                masks,
                native: s.rgba,
                native_spec,
            }
        })
        .collect()
}

fn px(f: &Frame) -> PixelsRef<'_> {
    PixelsRef {
        pixels: &f.pixels,
        width: f.spec.width,
        height: f.spec.height,
        stride: f.spec.stride,
        format: f.spec.format,
    }
}

fn stages(c: &mut Criterion) {
    let frames = frames();
    let n = frames.len() as u64;
    let quality = Config::default().jpeg_quality_percent();
    let mut g = c.benchmark_group("per_frame");
    g.throughput(Throughput::Elements(n));
    g.sample_size(20)
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1));

    g.bench_function("memcpy_baseline", |b| {
        b.iter(|| {
            for f in &frames {
                black_box(f.pixels.clone());
            }
        })
    });
    let mut bufs: Vec<Vec<u8>> = frames.iter().map(|f| f.pixels.clone()).collect();
    let mut redactor = Redactor::new();
    g.bench_function("redact", |b| {
        b.iter(|| {
            for (f, buf) in frames.iter().zip(bufs.iter_mut()) {
                black_box(redactor.apply(buf, &f.spec, &f.masks).expect("redact"));
            }
        })
    });
    g.bench_function("fingerprint", |b| {
        b.iter(|| {
            for f in &frames {
                black_box(fingerprint(&f.pixels, &f.spec));
            }
        })
    });
    let mut tj = turbojpeg::Compressor::new().expect("tj");
    tj.set_quality(quality).expect("q");
    tj.set_subsamp(turbojpeg::Subsamp::Sub2x2).expect("subsamp");
    g.bench_function("libjpeg_turbo_alone", |b| {
        b.iter(|| {
            for f in &frames {
                let img = turbojpeg::Image {
                    pixels: &f.pixels[..],
                    width: f.spec.width as usize,
                    pitch: f.spec.stride,
                    height: f.spec.height as usize,
                    format: turbojpeg::PixelFormat::RGBX,
                };
                black_box(tj.compress_to_owned(img).expect("tj"));
            }
        })
    });
    let mut enc = Encoder::new(quality).expect("encoder");
    g.bench_function("encode", |b| {
        b.iter(|| {
            for f in &frames {
                black_box(enc.encode(px(f)).expect("encode").len());
            }
        })
    });
    let jpegs: Vec<Vec<u8>> = frames
        .iter()
        .map(|f| enc.encode(px(f)).expect("encode").to_vec())
        .collect();
    for level in [1u32, 6, 9] {
        g.bench_function(format!("bundle_gzip_l{level}"), |b| {
            b.iter(|| {
                let mut builder = BundleBuilder::new("bench".into(), 0);
                for (i, j) in jpegs.iter().enumerate() {
                    builder.push(i as u64 * 1000, j);
                    if builder.len() == 3 {
                        black_box(builder.seal(level));
                    }
                }
            })
        });
    }
    // The encoder thread's whole path for a changed frame (the caller's copy excluded):
    // redact, fingerprint, encode, append to the bundle, seal every third frame.
    let mut builder = BundleBuilder::new("bench".into(), 0);
    let level = Config::default().gzip_level;
    g.bench_function("whole_path_changed_frame", |b| {
        b.iter(|| {
            for (i, (f, buf)) in frames.iter().zip(bufs.iter_mut()).enumerate() {
                redactor.apply(buf, &f.spec, &f.masks).expect("redact");
                black_box(fingerprint(buf, &f.spec));
                let spec = f.spec;
                let jpeg = enc
                    .encode(PixelsRef {
                        pixels: buf,
                        width: spec.width,
                        height: spec.height,
                        stride: spec.stride,
                        format: spec.format,
                    })
                    .expect("encode");
                builder.push(i as u64 * 1000, jpeg);
                if builder.len() == 3 {
                    black_box(builder.seal(level));
                }
            }
        })
    });
    g.bench_function("whole_path_unchanged_frame", |b| {
        b.iter(|| {
            for (f, buf) in frames.iter().zip(bufs.iter_mut()) {
                redactor.apply(buf, &f.spec, &f.masks).expect("redact");
                black_box(fingerprint(buf, &f.spec));
            }
        })
    });
    let mut ds = Downscaler::new();
    let mut out = Vec::new();
    g.bench_function("downscale_3x_to_1.25x", |b| {
        b.iter(|| {
            for f in &frames {
                ds.downscale(
                    &f.native,
                    &f.native_spec,
                    f.spec.width,
                    f.spec.height,
                    &mut out,
                );
                black_box(out.len());
            }
        })
    });
    g.finish();

    // Gzip ratios are sizes, not times: print them once for RESULTS.md.
    let raw: usize = jpegs.iter().map(|j| j.len() + 12).sum();
    for level in [1u32, 6, 9] {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
        for j in &jpegs {
            e.write_all(&[0u8; 12])
                .and_then(|_| e.write_all(j))
                .expect("gzip");
        }
        let gz = e.finish().expect("gzip").len();
        println!(
            "gzip level {level}: {gz} of {raw} bytes = {:.1} %",
            gz as f64 * 100.0 / raw as f64
        );
    }
    let jpeg_kb = jpegs.iter().map(|j| j.len()).sum::<usize>() as f64 / jpegs.len() as f64 / 1024.0;
    println!("mean JPEG size at q{quality}: {jpeg_kb:.1} KB");
}

criterion_group!(benches, stages);
criterion_main!(benches);
