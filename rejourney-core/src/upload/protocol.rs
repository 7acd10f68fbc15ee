//! The Rejourney ingest protocol (`docs/PROTOCOL.md`): endpoint paths, request bodies and the
//! parsing of answers. No I/O here: the worker sends what this module builds.

use std::time::Duration;

use serde_json::{json, Value};

use super::url_policy::{self, UrlRefused};
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
    /// A presigned URL the HTTP policy refuses (`http://` to a non-loopback host, another
    /// scheme): the artifact is not sent there (`url_policy`).
    #[error("presigned URL refused: {0}")]
    InsecureUrl(UrlRefused),
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

/// Adds the device fields the backend records on the session it creates at the first presign
/// (`platform`, `deviceModel`, `osVersion`, `appVersion`), from the host's device info.
pub fn add_device_fields(body: &mut Value, device: &Value) {
    for (from, to) in [
        ("platform", "platform"),
        ("model", "deviceModel"),
        ("osVersion", "osVersion"),
        ("appVersion", "appVersion"),
    ] {
        if let Some(v) = device
            .get(from)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
        {
            body[to] = Value::String(v.to_owned());
        }
    }
}

/// `Rejourney-SDK/<version> (<Platform>; <Model>; <OS version>)`: the backend reads platform,
/// model and OS from this pattern when a request carries no device fields (and maps an
/// unknown agent to platform "unknown").
pub fn user_agent(sdk_version: &str, device: &Value) -> String {
    let field = |k: &str| {
        device
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .chars()
            .filter(|c| !matches!(c, ';' | '(' | ')') && !c.is_control())
            .collect::<String>()
    };
    let platform = match field("platform").to_ascii_lowercase().as_str() {
        "ios" => "iOS".to_owned(),
        "android" => "Android".to_owned(),
        "" => return format!("Rejourney-SDK/{sdk_version}"),
        other => other.to_owned(),
    };
    format!(
        "Rejourney-SDK/{sdk_version} ({platform}; {}; {})",
        field("model"),
        field("osVersion")
    )
}

pub fn presign_path(kind: ArtifactKind) -> &'static str {
    match kind {
        ArtifactKind::Events => EVENTS_PRESIGN,
        _ => SEGMENT_PRESIGN,
    }
}

/// What a policy `skipUpload` declines beyond the upload it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Declined {
    /// The session's replay (frames and hierarchy): replay disabled for the project, the
    /// replay quota or the recording time limit reached. Events, faults and the session's
    /// end call still go: the backend keeps analytics.
    Replay,
    /// Everything of the session (sampled out, billing blocked).
    All,
    /// Only the upload it answered (a reason we do not know, on an upload that is not
    /// replay): never recorded against the session.
    Upload,
}

/// How far a `skipUpload` with `reason` reaches. The backend's reasons
/// (`routes/ingestUploads.ts`): "Session sampled out - …" declines the session; "Recording
/// disabled for project", "Replay quota reached …" and "Recording limit exceeded …" decline
/// its replay; a reason we do not know declines no more than what it answered (replay, for
/// frames and hierarchy; nothing else for events).
pub fn skip_scope(reason: &str, kind: ArtifactKind) -> Declined {
    let r = reason.to_ascii_lowercase();
    let replay_reason = ["recording disabled", "replay quota", "recording limit"]
        .iter()
        .any(|k| r.contains(k));
    let replay_kind = matches!(kind, ArtifactKind::Screenshots | ArtifactKind::Hierarchy);
    if r.contains("sampled out") {
        Declined::All
    } else if replay_reason || replay_kind {
        Declined::Replay
    } else {
        Declined::Upload
    }
}

/// The backend's kill-switch answer to a presign (`routes/ingestUploads.ts`:
/// `ApiError.forbidden('Rejourney is disabled for this project')`, serialized with the error
/// code `FORBIDDEN`).
pub const PROJECT_DISABLED_MESSAGE: &str = "Rejourney is disabled for this project";

/// Whether a 403 answer is the project kill switch, which means stop, not re-authenticate.
/// Matched exactly (the message, and the code when present): any other 403, whatever its
/// words ("Uploads disabled for this key"), is a credentials problem and loses nothing.
pub fn is_project_disabled(body: &[u8]) -> bool {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return false;
    };
    let code_ok = v
        .get("error")
        .is_none_or(|c| c.as_str() == Some("FORBIDDEN"));
    code_ok && v.get("message").and_then(Value::as_str) == Some(PROJECT_DISABLED_MESSAGE)
}

/// What a 2xx presign answer says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presign {
    Upload {
        url: String,
        batch_id: String,
    },
    /// Not to be uploaded: the backend already has it (`deduplicated`), or declines it on
    /// purpose (not sampled in, replay disabled, quota, recording limit).
    Skip {
        reason: String,
        deduplicated: bool,
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
        let deduplicated = v.get("deduplicated").and_then(Value::as_bool) == Some(true);
        return Ok(Presign::Skip {
            reason,
            deduplicated,
        });
    }
    let url = v.get("presignedUrl").and_then(Value::as_str);
    let batch = v
        .get("batchId")
        .or_else(|| v.get("segmentId"))
        .and_then(Value::as_str);
    match (url, batch) {
        (Some(u), Some(b)) => match url_policy::checked(u) {
            Ok(_) => Ok(Presign::Upload {
                url: u.to_owned(),
                batch_id: b.to_owned(),
            }),
            Err(UrlRefused::Unparsable(_)) => Err(ProtocolError::BadResponse(
                "presignedUrl is not a URL".into(),
            )),
            Err(refused) => Err(ProtocolError::InsecureUrl(refused)),
        },
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
            parse_presign(200, br#"{"presignedUrl":"https://h/u/1","batchId":"b1"}"#),
            Ok(Presign::Upload {
                url: "https://h/u/1".into(),
                batch_id: "b1".into()
            })
        );
        assert!(parse_presign(
            200,
            br#"{"presignedUrl":"http://127.0.0.1:9/u","batchId":"b"}"#
        )
        .is_ok());
        assert_eq!(
            parse_presign(200, br#"{"skipUpload":true,"reason":"not_sampled"}"#),
            Ok(Presign::Skip {
                reason: "not_sampled".into(),
                deduplicated: false,
            })
        );
        assert_eq!(
            parse_presign(202, br#"{"retryAfter":7}"#),
            Ok(Presign::Later(Duration::from_secs(7)))
        );
        assert!(parse_presign(200, b"<html>").is_err());
        assert!(parse_presign(200, br#"{"presignedUrl":"not a url","batchId":"b"}"#).is_err());
        assert!(parse_presign(200, br#"{"batchId":"b"}"#).is_err());
        for insecure in [
            r#"{"presignedUrl":"http://bucket.s3.amazonaws.com/k?X-Amz-Signature=s","batchId":"b"}"#,
            r#"{"presignedUrl":"http://10.0.0.7:9000/k","segmentId":"b"}"#,
            r#"{"presignedUrl":"ftp://127.0.0.1/k","segmentId":"b"}"#,
        ] {
            assert!(
                matches!(
                    parse_presign(200, insecure.as_bytes()),
                    Err(ProtocolError::InsecureUrl(_))
                ),
                "{insecure}"
            );
        }
        assert_eq!(parse_auth(br#"{"uploadToken":"t"}"#), Ok("t".into()));
        assert!(parse_auth(br#"{"uploadToken":""}"#).is_err());
    }
}
