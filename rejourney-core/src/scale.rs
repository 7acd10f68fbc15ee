//! Downscale a full-resolution framebuffer to the capture scale with a box (area-average)
//! filter. Hosts that already render at the capture scale skip this stage entirely.
//!
//! Box averaging never invents detail: a fully masked (black) source area stays exactly
//! black; only the one-pixel border of a mask blends with its neighbours.

use crate::frame::FrameSpec;

/// Output size for `spec` at `capture_scale` px/pt, or `None` when the buffer is already at
/// or below it (we never upscale).
pub fn target_size(spec: &FrameSpec, capture_scale: f32) -> Option<(u32, u32)> {
    if spec.scale <= capture_scale * 1.01 {
        return None;
    }
    let f = capture_scale as f64 / spec.scale as f64;
    let w = ((spec.width as f64 * f).round() as u32).max(1);
    let h = ((spec.height as f64 * f).round() as u32).max(1);
    (w < spec.width || h < spec.height).then_some((w, h))
}

/// Reusable downscaler: its spans and accumulator are kept between frames.
#[derive(Debug, Default)]
pub struct Downscaler {
    x_spans: Vec<(u32, u32)>,
    acc: Vec<u32>,
    /// Fixed-point reciprocals (16.16) of each output pixel's box area, per band height:
    /// divisions dominate otherwise. Band heights take one or two values, so this is tiny.
    recips: Vec<(u32, Vec<u32>)>,
}

impl Downscaler {
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes a tightly packed `dst_w × dst_h` image (same pixel format) into `out`.
    ///
    /// Separable: each output row first sums its band of source rows into a full-width
    /// accumulator (a straight, vectorisable add), then averages horizontal spans of it.
    pub fn downscale(
        &mut self,
        src: &[u8],
        spec: &FrameSpec,
        dst_w: u32,
        dst_h: u32,
        out: &mut Vec<u8>,
    ) {
        let (sw, sh) = (spec.width as usize, spec.height as usize);
        let (dw, dh) = (dst_w as usize, dst_h as usize);
        if self.x_spans.len() != dw || self.x_spans.last().map(|s| s.1 as usize) != Some(sw) {
            spans(sw, dw, &mut self.x_spans);
            self.recips.clear();
        }
        out.clear();
        out.resize(dw * dh * 4, 0);
        self.acc.clear();
        self.acc.resize(sw * 4, 0);
        for oy in 0..dh {
            let y0 = oy * sh / dh;
            let y1 = ((oy + 1) * sh / dh).max(y0 + 1).min(sh);
            let first = &src[y0 * spec.stride..y0 * spec.stride + sw * 4];
            for (a, &p) in self.acc.iter_mut().zip(first) {
                *a = p as u32;
            }
            for sy in y0 + 1..y1 {
                let row = &src[sy * spec.stride..sy * spec.stride + sw * 4];
                for (a, &p) in self.acc.iter_mut().zip(row) {
                    *a += p as u32;
                }
            }
            let rows = (y1 - y0) as u32;
            let recip_at = match self.recips.iter().position(|(r, _)| *r == rows) {
                Some(i) => i,
                None => {
                    let table = self
                        .x_spans
                        .iter()
                        .map(|&(x0, x1)| (1u32 << 16) / (rows * (x1 - x0)))
                        .collect();
                    self.recips.push((rows, table));
                    self.recips.len() - 1
                }
            };
            let recip = &self.recips[recip_at].1;
            let dst = &mut out[oy * dw * 4..(oy + 1) * dw * 4];
            for ((px, &(x0, x1)), &inv) in dst.chunks_exact_mut(4).zip(&self.x_spans).zip(recip) {
                let mut sum = [0u32; 4];
                for a in self.acc[x0 as usize * 4..x1 as usize * 4].chunks_exact(4) {
                    sum[0] += a[0];
                    sum[1] += a[1];
                    sum[2] += a[2];
                    sum[3] += a[3];
                }
                for c in 0..4 {
                    px[c] = ((sum[c] * inv + (1 << 15)) >> 16).min(255) as u8;
                }
            }
        }
    }
}

fn spans(src: usize, dst: usize, out: &mut Vec<(u32, u32)>) {
    out.clear();
    for o in 0..dst {
        let a = o * src / dst;
        let b = ((o + 1) * src / dst).max(a + 1).min(src);
        out.push((a as u32, b as u32));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::PixelFormat;

    #[test]
    fn target_size_follows_points() {
        let native = FrameSpec::packed(1179, 2556, PixelFormat::Rgba, 3.0);
        assert_eq!(target_size(&native, 1.25), Some((491, 1065)));
        let small = FrameSpec::packed(491, 1065, PixelFormat::Rgba, 1.25);
        assert_eq!(target_size(&small, 1.25), None);
    }

    #[test]
    fn averages_boxes_and_keeps_black_black() {
        // 4x2 source with stride padding, scale 2 -> 2x1 at scale 1.
        let spec = FrameSpec {
            width: 4,
            height: 2,
            stride: 20,
            format: PixelFormat::Rgba,
            scale: 2.0,
        };
        let mut src = vec![0u8; 40];
        for y in 0..2 {
            for x in 2..4 {
                src[y * 20 + x * 4..y * 20 + x * 4 + 4].copy_from_slice(&[200, 100, 50, 255]);
            }
            src[y * 20 + 3] = 255; // alpha of the black pixel
        }
        src[4 + 3] = 255;
        src[20 + 4 + 3] = 255;
        let mut out = Vec::new();
        Downscaler::new().downscale(&src, &spec, 2, 1, &mut out);
        assert_eq!(&out[0..3], &[0, 0, 0]);
        assert_eq!(&out[4..8], &[200, 100, 50, 255]);
    }
}
