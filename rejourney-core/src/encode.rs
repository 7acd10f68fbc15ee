//! JPEG encoding with libjpeg-turbo (vendored, SIMD). Chosen by benchmark: ~1.1 ms for a
//! 491×1065 frame at q50 versus ~3.7 ms for `jpeg-encoder` and ~14 ms for `image`, and it reads
//! RGBA/BGRA with a row stride directly, so no RGB copy is made (benches/RESULTS.md).

use crate::error::EncodeError;
use crate::frame::PixelFormat;

/// An encoder that owns its libjpeg-turbo handle and output scratch buffer; one per thread.
pub struct Encoder {
    compressor: turbojpeg::Compressor,
    scratch: Vec<u8>,
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoder").finish_non_exhaustive()
    }
}

/// A view of pixels ready to encode (already validated and masked).
#[derive(Debug, Clone, Copy)]
pub struct PixelsRef<'a> {
    pub pixels: &'a [u8],
    pub width: u32,
    pub height: u32,
    pub stride: usize,
    pub format: PixelFormat,
}

impl Encoder {
    /// `quality` is libjpeg's 1..=100.
    pub fn new(quality: i32) -> Result<Self, EncodeError> {
        let mut compressor = turbojpeg::Compressor::new().map_err(jpeg_err)?;
        compressor
            .set_quality(quality.clamp(1, 100))
            .map_err(jpeg_err)?;
        // 4:2:0 chroma: screens are mostly flat colour and text luma; halves chroma bytes.
        compressor
            .set_subsamp(turbojpeg::Subsamp::Sub2x2)
            .map_err(jpeg_err)?;
        Ok(Self {
            compressor,
            scratch: Vec::new(),
        })
    }

    /// Encodes `img` and returns the JPEG bytes, valid until the next call. The scratch
    /// buffer is sized once to libjpeg's worst case and reused.
    pub fn encode(&mut self, img: PixelsRef<'_>) -> Result<&[u8], EncodeError> {
        let worst = self
            .compressor
            .buf_len(img.width as usize, img.height as usize)
            .map_err(jpeg_err)?;
        if self.scratch.len() < worst {
            self.scratch.resize(worst, 0);
        }
        let format = match img.format {
            PixelFormat::Rgba => turbojpeg::PixelFormat::RGBX,
            PixelFormat::Bgra => turbojpeg::PixelFormat::BGRX,
        };
        let image = turbojpeg::Image {
            pixels: img.pixels,
            width: img.width as usize,
            pitch: img.stride,
            height: img.height as usize,
            format,
        };
        let n = self
            .compressor
            .compress_to_slice(image, &mut self.scratch)
            .map_err(jpeg_err)?;
        Ok(&self.scratch[..n])
    }
}

fn jpeg_err(e: turbojpeg::Error) -> EncodeError {
    EncodeError::Jpeg(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_bgra_with_stride_and_decodes_to_the_same_colours() {
        let (w, h, stride) = (32u32, 16u32, 32 * 4 + 16);
        let mut px = vec![0u8; stride * h as usize];
        for y in 0..h as usize {
            for x in 0..w as usize {
                // BGRA: left half pure red, right half pure blue.
                let p = if x < 16 {
                    [0, 0, 255, 255]
                } else {
                    [255, 0, 0, 255]
                };
                px[y * stride + x * 4..y * stride + x * 4 + 4].copy_from_slice(&p);
            }
        }
        let mut enc = Encoder::new(90).unwrap();
        let jpeg = enc
            .encode(PixelsRef {
                pixels: &px,
                width: w,
                height: h,
                stride,
                format: PixelFormat::Bgra,
            })
            .unwrap()
            .to_vec();
        assert_eq!(&jpeg[..2], &[0xFF, 0xD8]);
        let mut dec = zune_jpeg::JpegDecoder::new(&jpeg);
        let rgb = dec.decode().unwrap();
        let (r, _, b) = (rgb[(8 * 32 + 4) * 3], 0, rgb[(8 * 32 + 4) * 3 + 2]);
        assert!(r > 200 && b < 60, "left is red: {r} {b}");
        let i = (8 * 32 + 28) * 3;
        assert!(rgb[i] < 60 && rgb[i + 2] > 200, "right is blue");
    }
}
