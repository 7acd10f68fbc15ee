//! A frame-bundle parse outcome as plain JSON, the form the shared bundle vectors
//! (`tests/vectors/bundles/expected.json`) and the replay page's parser tests compare: frames
//! as `{offsetMs, len, crc32}` with u64 offsets as decimal strings (exact in JavaScript too), an
//! error as `{kind, ...its fields}`, a gzip error by its kind alone (the inflaters word their
//! messages differently).

use rejourney_core::{BundleError, BundleFrame};
use serde_json::{json, Value};

/// CRC-32 (IEEE), to name a frame's bytes in an outcome.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in bytes {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 == 1 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// The outcome of `parse_bundle`, as JSON.
pub fn bundle_outcome(r: &Result<Vec<BundleFrame>, BundleError>) -> Value {
    let frames = match r {
        Ok(f) => f,
        Err(e) => {
            let error = match e {
                BundleError::Gzip(_) => json!({"kind": "Gzip"}),
                BundleError::TooLarge { max } => json!({"kind": "TooLarge", "max": max}),
                BundleError::Truncated { offset, what } => {
                    json!({"kind": "Truncated", "offset": offset, "what": what})
                }
                BundleError::FrameTooLarge { index, len, max } => {
                    json!({"kind": "FrameTooLarge", "index": index, "len": len, "max": max})
                }
                BundleError::NotJpeg { index } => json!({"kind": "NotJpeg", "index": index}),
                BundleError::TimestampOrder { index, ts, prev } => json!({"kind": "TimestampOrder",
                    "index": index, "ts": ts.to_string(), "prev": prev.to_string()}),
                BundleError::TooManyFrames { max } => json!({"kind": "TooManyFrames", "max": max}),
                BundleError::Empty => json!({"kind": "Empty"}),
            };
            return json!({ "error": error });
        }
    };
    let list: Vec<Value> = frames
        .iter()
        .map(|f| {
            json!({"offsetMs": f.offset_ms.to_string(), "len": f.jpeg.len(),
                "crc32": format!("{:08x}", crc32(&f.jpeg))})
        })
        .collect();
    json!({"ok": true, "frameCount": list.len(), "frames": list})
}
