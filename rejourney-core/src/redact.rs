//! Redaction: paint mask rectangles opaque black directly into the raw framebuffer, before any
//! other stage reads it. Nothing downstream (hash, downscale, encode) ever sees unmasked pixels.
//!
//! Rectangles arrive in points; they are converted with the frame's scale and rounded
//! *outwards* so a fractional edge never leaves a sliver of private pixels. Overlapping
//! rectangles are merged per horizontal band so each pixel is written at most once.

use crate::error::FrameError;
use crate::frame::{FrameSpec, Rect};

/// Opaque black in both RGBA and BGRA (alpha is the 4th byte in both).
const BLACK: [u8; 4] = [0, 0, 0, 255];

/// A rectangle in pixels, half-open: `[x0, x1) × [y0, y1)`, already clipped to the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PixelRect {
    pub x0: u32,
    pub y0: u32,
    pub x1: u32,
    pub y1: u32,
}

/// Converts point rectangles to clipped pixel rectangles. Empty or fully off-screen
/// rectangles are dropped; any non-finite or negative-size rectangle is an error (the caller
/// must then fail closed: the frame is not encoded).
pub fn to_pixel_rects(
    masks: &[Rect],
    spec: &FrameSpec,
    out: &mut Vec<PixelRect>,
) -> Result<(), FrameError> {
    out.clear();
    let s = spec.scale as f64;
    let (w, h) = (spec.width as f64, spec.height as f64);
    for (index, r) in masks.iter().enumerate() {
        if let Some(reason) = r.invalid_reason() {
            return Err(FrameError::Mask { index, reason });
        }
        let x0 = (r.x as f64 * s).floor().clamp(0.0, w);
        let y0 = (r.y as f64 * s).floor().clamp(0.0, h);
        let x1 = ((r.x as f64 + r.width as f64) * s).ceil().clamp(0.0, w);
        let y1 = ((r.y as f64 + r.height as f64) * s).ceil().clamp(0.0, h);
        if x1 > x0 && y1 > y0 {
            out.push(PixelRect {
                x0: x0 as u32,
                y0: y0 as u32,
                x1: x1 as u32,
                y1: y1 as u32,
            });
        }
    }
    Ok(())
}

/// Reusable scratch space so redaction allocates nothing per frame once warmed up.
#[derive(Debug, Default)]
pub struct Redactor {
    pixel_rects: Vec<PixelRect>,
    bands: Vec<u32>,
    spans: Vec<(u32, u32)>,
}

impl Redactor {
    pub fn new() -> Self {
        Self::default()
    }

    /// Paints `masks` black into `buf`. Returns how many (clipped, non-empty) rectangles were
    /// applied. On error the buffer may be partly painted; the caller must drop the frame.
    pub fn apply(
        &mut self,
        buf: &mut [u8],
        spec: &FrameSpec,
        masks: &[Rect],
    ) -> Result<usize, FrameError> {
        to_pixel_rects(masks, spec, &mut self.pixel_rects)?;
        if self.pixel_rects.is_empty() {
            return Ok(0);
        }
        // Horizontal bands between consecutive distinct y edges: inside a band the set of
        // covering rectangles is constant, so the merged x spans are computed once per band.
        self.bands.clear();
        for r in &self.pixel_rects {
            self.bands.push(r.y0);
            self.bands.push(r.y1);
        }
        self.bands.sort_unstable();
        self.bands.dedup();
        for pair in self.bands.windows(2) {
            let (top, bottom) = (pair[0], pair[1]);
            self.spans.clear();
            self.spans.extend(
                self.pixel_rects
                    .iter()
                    .filter(|r| r.y0 <= top && r.y1 >= bottom)
                    .map(|r| (r.x0, r.x1)),
            );
            if self.spans.is_empty() {
                continue;
            }
            merge_spans(&mut self.spans);
            for y in top..bottom {
                let row = y as usize * spec.stride;
                for &(x0, x1) in &self.spans {
                    let start = row + x0 as usize * 4;
                    let end = row + x1 as usize * 4;
                    fill_black(&mut buf[start..end]);
                }
            }
        }
        Ok(self.pixel_rects.len())
    }
}

/// Sorts and merges overlapping or touching spans in place.
fn merge_spans(spans: &mut Vec<(u32, u32)>) {
    spans.sort_unstable();
    let mut w = 0;
    for i in 1..spans.len() {
        if spans[i].0 <= spans[w].1 {
            spans[w].1 = spans[w].1.max(spans[i].1);
        } else {
            w += 1;
            spans[w] = spans[i];
        }
    }
    spans.truncate(w + 1);
}

fn fill_black(px: &mut [u8]) {
    for p in px.chunks_exact_mut(4) {
        p.copy_from_slice(&BLACK);
    }
}

/// Fail-closed fallback: blacks out the whole visible frame.
pub fn black_out(buf: &mut [u8], spec: &FrameSpec) {
    let row = spec.width as usize * 4;
    for y in 0..spec.height as usize {
        let start = y * spec.stride;
        fill_black(&mut buf[start..start + row]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::PixelFormat;

    fn white(spec: &FrameSpec) -> Vec<u8> {
        vec![255u8; spec.stride * spec.height as usize]
    }

    fn is_black(buf: &[u8], spec: &FrameSpec, x: u32, y: u32) -> bool {
        let i = y as usize * spec.stride + x as usize * 4;
        buf[i..i + 3] == [0, 0, 0]
    }

    #[test]
    fn paints_exactly_the_outward_rounded_rect_with_padded_stride() {
        let spec = FrameSpec {
            width: 20,
            height: 10,
            stride: 20 * 4 + 12,
            format: PixelFormat::Bgra,
            scale: 2.0,
        };
        let mut buf = white(&spec);
        let n = Redactor::new()
            .apply(&mut buf, &spec, &[Rect::new(1.2, 1.0, 2.0, 1.6)])
            .unwrap();
        assert_eq!(n, 1);
        // x: floor(2.4)=2 .. ceil(6.4)=7; y: 2 .. ceil(5.2)=6
        for y in 0..10 {
            for x in 0..20 {
                let inside = (2..7).contains(&x) && (2..6).contains(&y);
                assert_eq!(is_black(&buf, &spec, x, y), inside, "pixel {x},{y}");
            }
        }
        // Row padding is never written.
        for y in 0..10usize {
            let pad = &buf[y * spec.stride + 80..(y + 1) * spec.stride];
            assert!(pad.iter().all(|&b| b == 255));
        }
    }

    #[test]
    fn overlapping_and_offscreen_rects_are_merged_and_clipped() {
        let spec = FrameSpec::packed(10, 10, PixelFormat::Rgba, 1.0);
        let mut buf = white(&spec);
        let masks = [
            Rect::new(-5.0, -5.0, 8.0, 8.0),
            Rect::new(2.0, 2.0, 3.0, 3.0),
            Rect::new(50.0, 50.0, 3.0, 3.0),
            Rect::new(8.0, 0.0, 1e9, 2.0),
        ];
        let n = Redactor::new().apply(&mut buf, &spec, &masks).unwrap();
        assert_eq!(n, 3, "the off-screen rect is dropped");
        assert!(is_black(&buf, &spec, 0, 0));
        assert!(is_black(&buf, &spec, 4, 4));
        assert!(!is_black(&buf, &spec, 5, 5));
        assert!(is_black(&buf, &spec, 9, 1));
        assert!(!is_black(&buf, &spec, 9, 2));
    }

    #[test]
    fn non_finite_and_negative_rects_are_errors() {
        let spec = FrameSpec::packed(4, 4, PixelFormat::Rgba, 1.0);
        let mut buf = white(&spec);
        let mut r = Redactor::new();
        for bad in [
            Rect::new(f32::NAN, 0.0, 1.0, 1.0),
            Rect::new(0.0, f32::INFINITY, 1.0, 1.0),
            Rect::new(0.0, 0.0, -1.0, 1.0),
            Rect::new(0.0, 0.0, 1.0, f32::NEG_INFINITY),
        ] {
            let err = r
                .apply(&mut buf, &spec, &[Rect::new(0.0, 0.0, 1.0, 1.0), bad])
                .unwrap_err();
            assert!(matches!(err, FrameError::Mask { index: 1, .. }), "{err:?}");
        }
    }

    #[test]
    fn black_out_covers_every_visible_pixel() {
        let spec = FrameSpec {
            width: 3,
            height: 3,
            stride: 16,
            format: PixelFormat::Rgba,
            scale: 1.0,
        };
        let mut buf = white(&spec);
        black_out(&mut buf, &spec);
        for y in 0..3 {
            for x in 0..3 {
                assert!(is_black(&buf, &spec, x, y));
            }
        }
    }

    proptest::proptest! {
        /// Whatever the rectangles, every pixel inside any of them ends black and every pixel
        /// outside all of them keeps its value.
        #[test]
        fn prop_redaction_is_exact(rects in proptest::collection::vec((-10.0f32..40.0, -10.0f32..40.0, 0.0f32..30.0, 0.0f32..30.0), 0..8)) {
            let spec = FrameSpec::packed(32, 24, PixelFormat::Rgba, 1.5);
            let masks: Vec<Rect> = rects.iter().map(|&(x, y, w, h)| Rect::new(x, y, w, h)).collect();
            let mut buf = white(&spec);
            Redactor::new().apply(&mut buf, &spec, &masks).unwrap();
            let mut px = Vec::new();
            to_pixel_rects(&masks, &spec, &mut px).unwrap();
            for y in 0..24 {
                for x in 0..32 {
                    let covered = px.iter().any(|r| x >= r.x0 && x < r.x1 && y >= r.y0 && y < r.y1);
                    proptest::prop_assert_eq!(is_black(&buf, &spec, x, y), covered);
                }
            }
        }
    }
}
