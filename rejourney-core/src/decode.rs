//! JPEG decoding for privacy checks: an app's debug tests (through the frame observer) read
//! the frames the SDK stores, on platforms without a decoder of their own (Swift on Linux).
//! Not on any recording path. Refuses images over [`MAX_DECODE_SIDE`] pixels a side.

use crate::error::EncodeError;

/// Largest width or height decoded (the frame limit's order of magnitude).
pub const MAX_DECODE_SIDE: usize = 8_192;

/// Decodes `jpeg` to packed RGBA: (width, height, pixels).
pub fn decode_rgba(jpeg: &[u8]) -> Result<(u32, u32, Vec<u8>), EncodeError> {
    let err = |e: turbojpeg::Error| EncodeError::Jpeg(e.to_string());
    let mut d = turbojpeg::Decompressor::new().map_err(err)?;
    let header = d.read_header(jpeg).map_err(err)?;
    let (w, h) = (header.width, header.height);
    if w == 0 || h == 0 || w > MAX_DECODE_SIDE || h > MAX_DECODE_SIDE {
        return Err(EncodeError::Jpeg(format!("{w}×{h} is not a frame size")));
    }
    let mut image = turbojpeg::Image {
        pixels: vec![0u8; w * h * 4],
        width: w,
        pitch: w * 4,
        height: h,
        format: turbojpeg::PixelFormat::RGBA,
    };
    d.decompress(jpeg, image.as_deref_mut()).map_err(err)?;
    Ok((w as u32, h as u32, image.pixels))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::{Encoder, PixelsRef};
    use crate::frame::PixelFormat;

    #[test]
    fn decodes_what_the_encoder_wrote_and_refuses_garbage() {
        let (w, h) = (16u32, 8u32);
        let px: Vec<u8> = (0..w * h)
            .flat_map(|i| {
                if i % 16 < 8 {
                    [0, 0, 0, 255]
                } else {
                    [255, 255, 255, 255]
                }
            })
            .collect();
        let jpeg = Encoder::new(90)
            .unwrap()
            .encode(PixelsRef {
                pixels: &px,
                width: w,
                height: h,
                stride: w as usize * 4,
                format: PixelFormat::Rgba,
            })
            .unwrap()
            .to_vec();
        let (dw, dh, rgba) = decode_rgba(&jpeg).unwrap();
        assert_eq!((dw, dh, rgba.len()), (w, h, (w * h * 4) as usize));
        assert!(rgba[4 * (4 * 16 + 1)] < 40, "left is black");
        assert!(rgba[4 * (4 * 16 + 14)] > 215, "right is white");
        assert!(decode_rgba(b"not a jpeg").is_err());
    }
}
