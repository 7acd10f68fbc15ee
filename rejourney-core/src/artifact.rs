//! Artifacts: what is delivered (a frame bundle, a hierarchy snapshot, an event batch, a
//! session end call, a crash or ANR), with the metadata persisted beside it in the spool and
//! the idempotency key that follows it through retries and restarts.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::bundle::Bundle;

/// What an artifact is, which decides the endpoints it is uploaded through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArtifactKind {
    /// Frame bundle: segment presign (kind "screenshots") → PUT → segment complete.
    Screenshots,
    /// Hierarchy snapshot: segment presign (kind "hierarchy") → PUT → segment complete.
    Hierarchy,
    /// Event batch: presign (contentType "events") → PUT → batch complete.
    Events,
    /// Session end call (JSON body).
    SessionEnd,
    /// Crash/ANR incident (JSON body).
    Fault,
}

impl ArtifactKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Screenshots => "screenshots",
            Self::Hierarchy => "hierarchy",
            Self::Events => "events",
            Self::SessionEnd => "session_end",
            Self::Fault => "fault",
        }
    }
}

/// Everything needed to upload an artifact, persisted with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactMeta {
    pub kind: ArtifactKind,
    pub session_id: String,
    /// Epoch ms of the first and last item (frames, events).
    pub start_ms: u64,
    pub end_ms: u64,
    /// Frames in a bundle, events in a batch, 0 otherwise.
    pub item_count: u64,
    /// Events batch number within the session.
    #[serde(default)]
    pub batch_number: u64,
    /// Sent as `Idempotency-Key`; stable across retries and restarts.
    pub idempotency_key: String,
    pub created_ms: u64,
    #[serde(default = "yes")]
    pub is_sampled_in: bool,
}

fn yes() -> bool {
    true
}

/// An artifact for delivery: metadata plus the exact upload body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    pub meta: ArtifactMeta,
    pub body: Vec<u8>,
}

/// Wall-clock epoch ms: artifact ages are measured on it, never on host-supplied times.
pub fn wall_clock_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Artifact {
    /// An artifact of `session_id` with a fresh idempotency key, created now.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        kind: ArtifactKind,
        session_id: &str,
        sampled_in: bool,
        start_ms: u64,
        end_ms: u64,
        item_count: u64,
        batch_number: u64,
        body: Vec<u8>,
    ) -> Self {
        Self {
            meta: ArtifactMeta {
                kind,
                session_id: session_id.to_owned(),
                start_ms,
                end_ms,
                item_count,
                batch_number,
                idempotency_key: idempotency_key(session_id, kind, start_ms),
                created_ms: wall_clock_ms(),
                is_sampled_in: sampled_in,
            },
            body,
        }
    }

    /// A frame bundle as an artifact, with a fresh idempotency key.
    pub fn from_bundle(b: Bundle, is_sampled_in: bool) -> Self {
        let meta = ArtifactMeta {
            kind: ArtifactKind::Screenshots,
            session_id: b.session_id.to_string(),
            start_ms: b.start_ms,
            end_ms: b.end_ms,
            item_count: b.frame_count as u64,
            batch_number: 0,
            idempotency_key: idempotency_key(&b.session_id, ArtifactKind::Screenshots, b.start_ms),
            created_ms: wall_clock_ms(),
            is_sampled_in,
        };
        Self { meta, body: b.gz }
    }
}

/// `<session>:<kind>:<start>:<random>`: unique per artifact, generated once and persisted with
/// it so retries and restarts send the same key.
pub fn idempotency_key(session_id: &str, kind: ArtifactKind, start_ms: u64) -> String {
    format!(
        "{session_id}:{}:{start_ms}:{:016x}",
        kind.as_str(),
        fastrand::u64(..)
    )
}

/// Gzip at level 1 (event batches, hierarchy snapshots): 4x less CPU than level 6 for about
/// 2 % more bytes (`benches/RESULTS.md`).
pub fn gzip(raw: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let _ = enc.write_all(raw);
    enc.finish().unwrap_or_default()
}
