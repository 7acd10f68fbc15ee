//! The Rejourney ingest protocol (`PROTOCOL.md`): endpoint paths, request bodies and the
//! parsing of answers. No I/O here: the worker sends what this module builds.

use std::time::Duration;

use serde_json::{json, Value};

use crate::spool::{ArtifactKind, ArtifactMeta};

pub const DEVICE_AUTH: &str = "/api/ingest/auth/device";
pub const SEGMENT_PRESIGN: &str = "/api/ingest/segment/presign";
pub const SEGMENT_COMPLETE: &str = "/api/ingest/segment/complete";
pub const EVENTS_PRESIGN: &str = "/api/ingest/presign";
pub const BATCH_COMPLETE: &str = "/api/ingest/batch/complete";
pub const SESSION_END: &str = "/api/ingest/session/end";
pub const FAULT: &str = "/api/ingest/fault";

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ProtocolError {
    #[error("response is not the JSON we expect: {0}")]
    BadResponse(String),
}

fn parse(body: &[u8]) -> Result<Value, ProtocolError> {
    serde_json::from_slice(body).map_err(|e| ProtocolError::BadResponse(e.to_string()))
}

pub fn device_auth_body(device_id: &str, metadata: &Value) -> Value {
    json!({ "deviceId": device_id, "metadata": metadata })
}

/// The upload token from a device-auth answer.
pub fn parse_auth(body: &[u8]) -> Result<String, ProtocolError> {
    let v = parse(body)?;
    v.get("uploadToken")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| ProtocolError::BadResponse("no uploadToken".into()))
}

/// The presign request for an artifact whose gzip body has `size` bytes.
pub fn presign_body(meta: &ArtifactMeta, size: usize, sdk_version: &str) -> Value {
    match meta.kind {
        ArtifactKind::Events => json!({
            "sessionId": meta.session_id,
            "contentType": "events",
            "batchNumber": meta.batch_number,
            "sizeBytes": size,
            "sdkVersion": sdk_version,
            "isSampledIn": meta.is_sampled_in,
        }),
        _ => json!({
            "sessionId": meta.session_id,
            "kind": meta.kind.as_str(),
            "sizeBytes": size,
            "startTime": meta.start_ms,
            "endTime": meta.end_ms,
            "frameCount": meta.item_count,
            "compression": "gzip",
            "sdkVersion": sdk_version,
            "isSampledIn": meta.is_sampled_in,
        }),
    }
}

pub fn presign_path(kind: ArtifactKind) -> &'static str {
    match kind {
        ArtifactKind::Events => EVENTS_PRESIGN,
        _ => SEGMENT_PRESIGN,
    }
}

/// What a 2xx presign answer says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presign {
    Upload {
        url: String,
        batch_id: String,
    },
    /// Dropped on purpose by the backend (not sampled in, quota, recording disabled).
    Skip {
        reason: String,
    },
    /// 202: try again after this long.
    Later(Duration),
}

pub fn parse_presign(status: u16, body: &[u8]) -> Result<Presign, ProtocolError> {
    let v = parse(body)?;
    if status == 202 {
        let secs = v
            .get("retryAfter")
            .and_then(Value::as_f64)
            .filter(|s| s.is_finite() && *s >= 0.0)
            .unwrap_or(5.0);
        return Ok(Presign::Later(Duration::from_secs_f64(secs.min(3600.0))));
    }
    if v.get("skipUpload").and_then(Value::as_bool) == Some(true) {
        let reason = v
            .get("reason")
            .and_then(Value::as_str)
            .unwrap_or("skipUpload")
            .to_owned();
        return Ok(Presign::Skip { reason });
    }
    let url = v.get("presignedUrl").and_then(Value::as_str);
    let batch = v
        .get("batchId")
        .or_else(|| v.get("segmentId"))
        .and_then(Value::as_str);
    match (url, batch) {
        (Some(u), Some(b)) if url::Url::parse(u).is_ok() => Ok(Presign::Upload {
            url: u.to_owned(),
            batch_id: b.to_owned(),
        }),
        _ => Err(ProtocolError::BadResponse(
            "presign answer lacks presignedUrl/batchId".into(),
        )),
    }
}

/// The completion call for an uploaded artifact.
pub fn complete_request(
    meta: &ArtifactMeta,
    batch_id: &str,
    size: usize,
    sdk_version: &str,
) -> (&'static str, Value) {
    match meta.kind {
        ArtifactKind::Events => (
            BATCH_COMPLETE,
            json!({
                "batchId": batch_id,
                "sessionId": meta.session_id,
                "actualSizeBytes": size,
                "eventCount": meta.item_count,
                "sdkVersion": sdk_version,
                "isSampledIn": meta.is_sampled_in,
            }),
        ),
        _ => (
            SEGMENT_COMPLETE,
            json!({
                "segmentId": batch_id,
                "sessionId": meta.session_id,
                "kind": meta.kind.as_str(),
                "actualSizeBytes": size,
                "frameCount": meta.item_count,
                "startTime": meta.start_ms,
                "endTime": meta.end_ms,
                "sdkVersion": sdk_version,
            }),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(kind: ArtifactKind) -> ArtifactMeta {
        ArtifactMeta {
            kind,
            session_id: "s".into(),
            start_ms: 10,
            end_ms: 20,
            item_count: 3,
            batch_number: 4,
            idempotency_key: "k".into(),
            created_ms: 0,
            is_sampled_in: true,
        }
    }

    #[test]
    fn presign_bodies_carry_the_required_fields() {
        let b = presign_body(&meta(ArtifactKind::Screenshots), 99, "1.0");
        for k in [
            "sessionId",
            "kind",
            "startTime",
            "sizeBytes",
            "endTime",
            "frameCount",
            "compression",
            "sdkVersion",
            "isSampledIn",
        ] {
            assert!(b.get(k).is_some(), "{k}");
        }
        assert_eq!(b["kind"], "screenshots");
        let e = presign_body(&meta(ArtifactKind::Events), 5, "1.0");
        assert_eq!(
            (e["contentType"].as_str(), e["batchNumber"].as_u64()),
            (Some("events"), Some(4))
        );
        assert_eq!(presign_path(ArtifactKind::Hierarchy), SEGMENT_PRESIGN);
    }

    #[test]
    fn presign_answers() {
        assert_eq!(
            parse_presign(200, br#"{"presignedUrl":"http://h/u/1","batchId":"b1"}"#),
            Ok(Presign::Upload {
                url: "http://h/u/1".into(),
                batch_id: "b1".into()
            })
        );
        assert_eq!(
            parse_presign(200, br#"{"skipUpload":true,"reason":"not_sampled"}"#),
            Ok(Presign::Skip {
                reason: "not_sampled".into()
            })
        );
        assert_eq!(
            parse_presign(202, br#"{"retryAfter":7}"#),
            Ok(Presign::Later(Duration::from_secs(7)))
        );
        assert!(parse_presign(200, b"<html>").is_err());
        assert!(parse_presign(200, br#"{"presignedUrl":"not a url","batchId":"b"}"#).is_err());
        assert!(parse_presign(200, br#"{"batchId":"b"}"#).is_err());
        assert_eq!(parse_auth(br#"{"uploadToken":"t"}"#), Ok("t".into()));
        assert!(parse_auth(br#"{"uploadToken":""}"#).is_err());
    }
}
