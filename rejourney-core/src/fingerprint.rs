//! Unchanged-frame detection: a 64-bit xxh3 of the visible bytes of the *masked* buffer.
//!
//! Hashing runs at memory speed (~0.1 ms for a 491×1065 frame, benches/RESULTS.md), far below
//! an encode, so an idle screen costs almost nothing. Row padding is skipped: hosts may leave
//! garbage there and it must not make identical screens look different.

use crate::frame::FrameSpec;
use xxhash_rust::xxh3::{xxh3_64, Xxh3};

/// FNV-1a (64-bit) of `parts` joined by a 0 byte: a hash fixed across platforms and
/// releases, for sampling draws and for file names derived from keys or session ids (the
/// key itself is never written). Not for frames: [`fingerprint`] is.
pub fn stable_hash(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, part) in parts.iter().enumerate() {
        let sep: &[u8] = if i == 0 { &[] } else { &[0] };
        for b in sep.iter().chain(part.iter()) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// Fingerprint of the visible pixels of a frame; the geometry is mixed in so two different
/// sizes never compare equal.
pub fn fingerprint(buf: &[u8], spec: &FrameSpec) -> u64 {
    let row = spec.width as usize * 4;
    let geometry = (spec.width as u64) << 32 | spec.height as u64;
    if spec.stride == row {
        return xxh3_64(&buf[..row * spec.height as usize]) ^ geometry;
    }
    let mut h = Xxh3::new();
    for y in 0..spec.height as usize {
        let start = y * spec.stride;
        h.update(&buf[start..start + row]);
    }
    h.digest() ^ geometry
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::PixelFormat;

    #[test]
    fn padding_is_ignored_but_pixels_are_not() {
        let spec = FrameSpec {
            width: 2,
            height: 2,
            stride: 12,
            format: PixelFormat::Rgba,
            scale: 1.0,
        };
        let mut a = vec![7u8; 24];
        let mut b = a.clone();
        b[8..12].copy_from_slice(&[1, 2, 3, 4]); // padding of row 0
        assert_eq!(fingerprint(&a, &spec), fingerprint(&b, &spec));
        a[0] = 8;
        assert_ne!(fingerprint(&a, &spec), fingerprint(&b, &spec));
        let packed = FrameSpec::packed(2, 2, PixelFormat::Rgba, 1.0);
        let tight = vec![7u8; 16];
        let mut padded = vec![0u8; 24];
        for y in 0..2 {
            padded[y * 12..y * 12 + 8].copy_from_slice(&tight[y * 8..y * 8 + 8]);
        }
        assert_eq!(fingerprint(&tight, &packed), fingerprint(&padded, &spec));
    }

    #[test]
    fn geometry_is_part_of_the_fingerprint() {
        let buf = vec![0u8; 64];
        let a = FrameSpec::packed(4, 4, PixelFormat::Rgba, 1.0);
        let b = FrameSpec::packed(2, 8, PixelFormat::Rgba, 1.0);
        assert_ne!(fingerprint(&buf, &a), fingerprint(&buf, &b));
    }
}
