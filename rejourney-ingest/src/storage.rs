//! Where accepted data lands under the data directory: one directory per session (artifacts
//! by kind, `session-end.json`) and `faults/` for fault reports. Writes are atomic (temp file
//! + rename) so a reader never sees half a file.

use std::path::Path;

use serde_json::Value;

/// A session id usable as a directory name.
pub(crate) fn safe(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

pub(crate) fn write_atomic(dir: &Path, path: &Path, body: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, body)?;
    std::fs::rename(tmp, path)
}

/// Largest decompressed JSON artifact read back (a gzip bomb costs no more than this).
pub(crate) const MAX_INFLATED: u64 = 64 << 20;

/// Gunzips `body` (bounded by [`MAX_INFLATED`]).
pub(crate) fn gunzip(body: impl std::io::Read) -> std::io::Result<Vec<u8>> {
    let mut raw = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(flate2::read::GzDecoder::new(body), MAX_INFLATED),
        &mut raw,
    )?;
    Ok(raw)
}

/// Reads a stored gzip JSON artifact back.
pub(crate) fn read_gzip_json(path: &Path) -> Option<Value> {
    let file = std::fs::File::open(path).ok()?;
    serde_json::from_slice(&gunzip(file).ok()?).ok()
}
