//! Frame bundles, the `screenshots` artifact of the ingest protocol (`docs/PROTOCOL.md`):
//! per frame `[u64 BE capture time − session start, ms][u32 BE JPEG length][JPEG]`, in capture
//! order, the whole concatenation gzipped. No padding, no other metadata.
//!
//! [`BundleBuilder`] appends encoded frames into one reusable buffer and gzips on seal;
//! [`parse_bundle`] is the strict reader used by tests, tools and the ingest server: it rejects
//! anything truncated, oversized or out of order with an error, never a panic.

use std::io::{Read, Write};
use std::sync::Arc;

use flate2::{read::GzDecoder, write::GzEncoder, Compression};

use crate::error::BundleError;

/// Bytes of the per-frame header: u64 offset + u32 length.
pub const FRAME_HEADER_LEN: usize = 12;

/// A sealed, gzipped bundle ready for the spool and upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    /// Session the frames belong to.
    pub session_id: Arc<str>,
    /// Gzipped bytes, the exact upload body.
    pub gz: Vec<u8>,
    pub frame_count: usize,
    /// Capture time (epoch ms) of the first and last frame.
    pub start_ms: u64,
    pub end_ms: u64,
    /// Bytes before gzip.
    pub raw_len: usize,
}

/// Accumulates frames for one bundle.
#[derive(Debug)]
pub struct BundleBuilder {
    session_id: Arc<str>,
    session_start_ms: u64,
    raw: Vec<u8>,
    frames: usize,
    first_ms: u64,
    last_ms: u64,
    last_offset: u64,
}

impl BundleBuilder {
    pub fn new(session_id: Arc<str>, session_start_ms: u64) -> Self {
        Self {
            session_id,
            session_start_ms,
            raw: Vec::new(),
            frames: 0,
            first_ms: 0,
            last_ms: 0,
            last_offset: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.frames
    }

    pub fn session_id(&self) -> &Arc<str> {
        &self.session_id
    }

    /// Starts a new session; the builder must be empty (seal first).
    pub fn reset_session(&mut self, session_id: Arc<str>, session_start_ms: u64) {
        debug_assert!(self.frames == 0);
        self.session_id = session_id;
        self.session_start_ms = session_start_ms;
        self.last_offset = 0;
    }

    pub fn is_empty(&self) -> bool {
        self.frames == 0
    }

    /// Capture time of the oldest frame in the open bundle.
    pub fn oldest_ms(&self) -> Option<u64> {
        (self.frames > 0).then_some(self.first_ms)
    }

    /// Appends one JPEG captured at `ts_ms` (epoch). A clock that steps backwards is clamped
    /// so offsets stay monotonic, which the format's readers rely on.
    pub fn push(&mut self, ts_ms: u64, jpeg: &[u8]) {
        let offset = ts_ms
            .saturating_sub(self.session_start_ms)
            .max(self.last_offset);
        self.last_offset = offset;
        if self.frames == 0 {
            self.first_ms = ts_ms;
        }
        self.last_ms = ts_ms.max(self.last_ms);
        self.frames += 1;
        self.raw.extend_from_slice(&offset.to_be_bytes());
        self.raw
            .extend_from_slice(&(jpeg.len() as u32).to_be_bytes());
        self.raw.extend_from_slice(jpeg);
    }

    /// Gzips the open bundle and resets the builder (its buffer is kept for reuse).
    pub fn seal(&mut self, level: u32) -> Option<Bundle> {
        if self.frames == 0 {
            return None;
        }
        let mut enc = GzEncoder::new(Vec::with_capacity(self.raw.len()), Compression::new(level));
        // Writing into a Vec cannot fail.
        let gz = enc
            .write_all(&self.raw)
            .and_then(|_| enc.finish())
            .unwrap_or_default();
        let bundle = Bundle {
            session_id: self.session_id.clone(),
            gz,
            frame_count: self.frames,
            start_ms: self.first_ms,
            end_ms: self.last_ms,
            raw_len: self.raw.len(),
        };
        self.raw.clear();
        self.frames = 0;
        self.last_ms = 0;
        Some(bundle)
    }

    /// Deletes the open bundle unsealed (a stop-everything); returns its frame count.
    pub fn discard(&mut self) -> usize {
        let frames = std::mem::take(&mut self.frames);
        self.raw.clear();
        self.last_ms = 0;
        frames
    }
}

/// One frame read back from a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleFrame {
    /// Milliseconds since session start.
    pub offset_ms: u64,
    pub jpeg: Vec<u8>,
}

/// Limits for [`parse_bundle`]; the defaults are generous for real bundles and small enough
/// that a hostile body cannot exhaust memory.
#[derive(Debug, Clone, Copy)]
pub struct ParseLimits {
    pub max_decompressed: usize,
    pub max_frames: usize,
    pub max_frame_len: usize,
}

impl Default for ParseLimits {
    fn default() -> Self {
        Self {
            max_decompressed: 64 << 20,
            max_frames: 1000,
            max_frame_len: 8 << 20,
        }
    }
}

/// Gunzips and parses a bundle strictly.
pub fn parse_bundle(gz: &[u8], limits: ParseLimits) -> Result<Vec<BundleFrame>, BundleError> {
    let mut raw = Vec::new();
    GzDecoder::new(gz)
        .take(limits.max_decompressed as u64 + 1)
        .read_to_end(&mut raw)
        .map_err(|e| BundleError::Gzip(e.to_string()))?;
    if raw.len() > limits.max_decompressed {
        return Err(BundleError::TooLarge {
            max: limits.max_decompressed,
        });
    }
    parse_raw(&raw, limits)
}

/// Parses the uncompressed concatenation.
pub fn parse_raw(raw: &[u8], limits: ParseLimits) -> Result<Vec<BundleFrame>, BundleError> {
    if raw.is_empty() {
        return Err(BundleError::Empty);
    }
    let mut frames = Vec::new();
    let mut pos = 0usize;
    let mut prev = 0u64;
    while pos < raw.len() {
        let index = frames.len();
        if index >= limits.max_frames {
            return Err(BundleError::TooManyFrames {
                max: limits.max_frames,
            });
        }
        let header = raw
            .get(pos..pos + FRAME_HEADER_LEN)
            .ok_or(BundleError::Truncated {
                offset: pos,
                what: "frame header",
            })?;
        let mut ts = [0u8; 8];
        ts.copy_from_slice(&header[..8]);
        let mut len = [0u8; 4];
        len.copy_from_slice(&header[8..12]);
        let (offset_ms, len) = (u64::from_be_bytes(ts), u32::from_be_bytes(len) as usize);
        if len > limits.max_frame_len {
            return Err(BundleError::FrameTooLarge {
                index,
                len,
                max: limits.max_frame_len,
            });
        }
        if offset_ms < prev {
            return Err(BundleError::TimestampOrder {
                index,
                ts: offset_ms,
                prev,
            });
        }
        prev = offset_ms;
        pos += FRAME_HEADER_LEN;
        let jpeg = raw.get(pos..pos + len).ok_or(BundleError::Truncated {
            offset: pos,
            what: "JPEG data",
        })?;
        if jpeg.len() < 2 || jpeg[..2] != [0xFF, 0xD8] {
            return Err(BundleError::NotJpeg { index });
        }
        frames.push(BundleFrame {
            offset_ms,
            jpeg: jpeg.to_vec(),
        });
        pos += len;
    }
    Ok(frames)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_jpeg(n: u8, len: usize) -> Vec<u8> {
        let mut v = vec![0xFF, 0xD8];
        v.extend(std::iter::repeat_n(n, len));
        v
    }

    #[test]
    fn round_trip_keeps_order_offsets_and_bytes() {
        let mut b = BundleBuilder::new("s".into(), 1_000);
        for i in 0..5u8 {
            b.push(1_000 + i as u64 * 1000, &fake_jpeg(i, 100 + i as usize));
        }
        let bundle = b.seal(1).unwrap();
        assert_eq!(bundle.frame_count, 5);
        assert_eq!((bundle.start_ms, bundle.end_ms), (1_000, 5_000));
        let frames = parse_bundle(&bundle.gz, ParseLimits::default()).unwrap();
        assert_eq!(frames.len(), 5);
        for (i, f) in frames.iter().enumerate() {
            assert_eq!(f.offset_ms, i as u64 * 1000);
            assert_eq!(f.jpeg, fake_jpeg(i as u8, 100 + i));
        }
        assert!(b.seal(1).is_none(), "builder is empty after seal");
    }

    #[test]
    fn layout_is_exactly_the_protocol() {
        let mut b = BundleBuilder::new("s".into(), 500);
        b.push(1_734, &[0xFF, 0xD8, 0xAA]);
        let bundle = b.seal(6).unwrap();
        let mut raw = Vec::new();
        GzDecoder::new(&bundle.gz[..])
            .read_to_end(&mut raw)
            .unwrap();
        assert_eq!(
            raw,
            [0, 0, 0, 0, 0, 0, 4, 0xD2, 0, 0, 0, 3, 0xFF, 0xD8, 0xAA]
        );
    }

    #[test]
    fn backwards_clock_is_clamped_monotonic() {
        let mut b = BundleBuilder::new("s".into(), 1_000);
        b.push(5_000, &fake_jpeg(0, 1));
        b.push(4_000, &fake_jpeg(1, 1));
        b.push(500, &fake_jpeg(2, 1));
        let frames = parse_bundle(&b.seal(1).unwrap().gz, ParseLimits::default()).unwrap();
        assert!(frames.iter().all(|f| f.offset_ms == 4_000));
    }

    #[test]
    fn truncated_and_corrupt_input_is_rejected() {
        let mut b = BundleBuilder::new("s".into(), 0);
        b.push(10, &fake_jpeg(1, 50));
        b.push(20, &fake_jpeg(2, 50));
        let gz = b.seal(1).unwrap().gz;
        let mut raw = Vec::new();
        GzDecoder::new(&gz[..]).read_to_end(&mut raw).unwrap();
        let l = ParseLimits::default();
        for cut in 1..raw.len() {
            let r = parse_raw(&raw[..cut], l);
            if cut != 64 {
                assert!(r.is_err(), "prefix of {cut} bytes must be rejected");
            }
        }
        assert!(matches!(parse_raw(&[], l), Err(BundleError::Empty)));
        assert!(matches!(
            parse_bundle(b"not gzip", l),
            Err(BundleError::Gzip(_))
        ));
        assert!(
            parse_bundle(&gz[..gz.len() - 5], l).is_err(),
            "truncated gzip"
        );
        let mut not_jpeg = raw.clone();
        not_jpeg[12] = 0;
        assert!(matches!(
            parse_raw(&not_jpeg, l),
            Err(BundleError::NotJpeg { index: 0 })
        ));
        let mut huge = raw.clone();
        huge[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(
            parse_raw(&huge, l),
            Err(BundleError::FrameTooLarge { .. })
        ));
        let mut back = raw.clone();
        back[64 + 7] = 0;
        assert!(matches!(
            parse_raw(&back, l),
            Err(BundleError::TimestampOrder { .. })
        ));
    }

    #[test]
    fn decompression_bombs_stop_at_the_limit() {
        let zeros = vec![0u8; 4 << 20];
        let mut enc = GzEncoder::new(Vec::new(), Compression::best());
        enc.write_all(&zeros).unwrap();
        let gz = enc.finish().unwrap();
        let limits = ParseLimits {
            max_decompressed: 1 << 20,
            ..ParseLimits::default()
        };
        assert_eq!(
            parse_bundle(&gz, limits),
            Err(BundleError::TooLarge { max: 1 << 20 })
        );
    }

    proptest::proptest! {
        /// The parser never panics on arbitrary bytes, and whatever it accepts re-encodes to
        /// the same bytes.
        #[test]
        fn prop_parser_total_and_faithful(raw in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
            if let Ok(frames) = parse_raw(&raw, ParseLimits::default()) {
                let mut again = Vec::new();
                for f in &frames {
                    again.extend_from_slice(&f.offset_ms.to_be_bytes());
                    again.extend_from_slice(&(f.jpeg.len() as u32).to_be_bytes());
                    again.extend_from_slice(&f.jpeg);
                }
                proptest::prop_assert_eq!(again, raw);
            }
        }

        #[test]
        fn prop_round_trip(frames in proptest::collection::vec((0u64..10_000, proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)), 1..20)) {
            let mut b = BundleBuilder::new("s".into(), 0);
            let mut ts = 0;
            for (dt, body) in &frames {
                ts += dt;
                let mut jpeg = vec![0xFF, 0xD8];
                jpeg.extend_from_slice(body);
                b.push(ts, &jpeg);
            }
            let parsed = parse_bundle(&b.seal(1).unwrap().gz, ParseLimits::default()).unwrap();
            proptest::prop_assert_eq!(parsed.len(), frames.len());
        }
    }
}
