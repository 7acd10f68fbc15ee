//! The route handlers: device auth, presign (with the backend's idempotency states, replay
//! and kill switches), PUT (strict body checks), complete, session end and faults, each
//! validating like the backend and storing under the data directory.

use std::path::Path;
use std::sync::atomic::Ordering::Acquire;

use rejourney_core::bundle::{parse_bundle, ParseLimits};
use serde_json::{json, Value};

use crate::contract::{check_fault, check_session_end, platform_from_user_agent};
use crate::faults::project_disabled;
use crate::http::{Request, Response};
use crate::{lock, Batch, Inner, KeyState, StoredArtifact};

pub(crate) fn str_field<'a>(v: Option<&'a Value>, k: &str) -> Option<&'a str> {
    v?.get(k)?.as_str().filter(|s| !s.is_empty())
}

pub(crate) fn num_field(v: Option<&Value>, k: &str) -> Option<u64> {
    let x = v?.get(k)?;
    x.as_u64().or_else(|| {
        x.as_f64()
            .filter(|f| f.is_finite() && *f >= 0.0)
            .map(|f| f as u64)
    })
}

pub(crate) fn device_auth(inner: &Inner, body: Option<&Value>) -> Response {
    if str_field(body, "deviceId").is_none() {
        return Response::error(400, "deviceId is required");
    }
    let token = format!("upl_{:016x}", fastrand::u64(..));
    lock(&inner.state).tokens.insert(token.clone());
    Response::json(200, &json!({ "uploadToken": token, "expiresIn": 3600 }))
}

pub(crate) fn presign(
    inner: &Inner,
    req: &Request,
    body: Option<&Value>,
    segment: bool,
    expire: bool,
) -> Response {
    let Some(session) = str_field(body, "sessionId") else {
        return Response::error(400, "sessionId is required");
    };
    let kind = if segment {
        match str_field(body, "kind") {
            Some(k @ ("screenshots" | "hierarchy")) => k.to_owned(),
            _ => return Response::error(400, "kind must be screenshots or hierarchy"),
        }
    } else {
        if str_field(body, "contentType") != Some("events")
            || num_field(body, "batchNumber").is_none()
        {
            return Response::error(400, "contentType events and batchNumber are required");
        }
        "events".to_owned()
    };
    if num_field(body, "sizeBytes").is_none() || (segment && num_field(body, "startTime").is_none())
    {
        return Response::error(400, "sizeBytes and startTime are required");
    }
    let key = req.header("idempotency-key").map(str::to_owned);
    let mut st = lock(&inner.state);
    // The backend reads the key first: done → a duplicate, processing → come back later
    // (for as long as the key lives: only a complete call carrying it finishes it).
    match key.as_deref().and_then(|k| st.idempotency.get(k)) {
        Some(KeyState::Done) => {
            return Response::json(
                200,
                &json!({"skipUpload": true, "deduplicated": true, "sessionId": session,
                    "reason": "Already processed"}),
            )
        }
        Some(KeyState::Processing) => {
            return Response::json(202, &json!({"message": "Processing", "retryAfter": 5}))
        }
        None => {}
    }
    if inner.project_disabled.load(Acquire) {
        return project_disabled();
    }
    if segment && kind == "screenshots" && !inner.recording_enabled.load(Acquire) {
        return Response::json(
            200,
            &json!({"skipUpload": true, "sessionId": session,
                "reason": "Recording disabled for project"}),
        );
    }
    // The session's platform: the presign's own field, else the user agent.
    let platform = str_field(body, "platform")
        .map(str::to_ascii_lowercase)
        .or_else(|| req.header("user-agent").and_then(platform_from_user_agent));
    let summary = st.summaries.entry(session.to_owned()).or_default();
    if summary.platform.is_none() {
        summary.platform = platform;
    }
    st.next_id += 1;
    let batch_id = format!("b{:06}{:08x}", st.next_id, fastrand::u32(..));
    let start = num_field(body, "startTime").unwrap_or(0);
    st.batches.insert(
        batch_id.clone(),
        Batch {
            session_id: session.to_owned(),
            kind: kind.clone(),
            idempotency_key: key.clone(),
            start_time: start,
            end_time: num_field(body, "endTime").unwrap_or(start),
            expired: false,
            uploaded: None,
            completed: false,
        },
    );
    if let Some(k) = &key {
        st.idempotency.set(k, KeyState::Processing);
    }
    if let Some(b) = st.batches.get_mut(&batch_id) {
        b.expired = expire;
    }
    let prefix = if segment { "segment" } else { "events" };
    let url = format!(
        "http://{}/upload/{prefix}/{batch_id}?sig={:08x}",
        inner.addr,
        fastrand::u32(..)
    );
    Response::json(200, &json!({ "presignedUrl": url, "batchId": batch_id }))
}

/// Checks an uploaded body for its kind; returns the item count.
pub(crate) fn verify(kind: &str, body: &[u8]) -> Result<u64, String> {
    match kind {
        "screenshots" => parse_bundle(body, ParseLimits::default())
            .map(|f| f.len() as u64)
            .map_err(|e| e.to_string()),
        _ => {
            let mut raw = Vec::new();
            std::io::Read::read_to_end(
                &mut std::io::Read::take(flate2::read::GzDecoder::new(body), 64 << 20),
                &mut raw,
            )
            .map_err(|e| format!("gzip: {e}"))?;
            let v: Value = serde_json::from_slice(&raw).map_err(|e| format!("json: {e}"))?;
            match kind {
                "events" => verify_events(&v),
                "hierarchy" => verify_hierarchy(&v),
                _ => Ok(1),
            }
        }
    }
}

/// `{"events": [{"type": string, "timestamp": number, ...}], "deviceInfo": {...}}`.
pub(crate) fn verify_events(v: &Value) -> Result<u64, String> {
    let events = v
        .get("events")
        .and_then(Value::as_array)
        .ok_or("no events array")?;
    if !v.get("deviceInfo").is_some_and(Value::is_object) {
        return Err("no deviceInfo object".into());
    }
    for (i, e) in events.iter().enumerate() {
        if !e.get("type").is_some_and(Value::is_string) {
            return Err(format!("event {i} has no string type"));
        }
        if !e.get("timestamp").is_some_and(Value::is_number) {
            return Err(format!("event {i} has no numeric timestamp"));
        }
    }
    Ok(events.len() as u64)
}

/// A snapshot: numeric `timestamp` and a `root` object whose nodes all have finite frames.
/// Walked with an explicit stack so a deep tree cannot overflow the server's stack.
pub(crate) fn verify_hierarchy(v: &Value) -> Result<u64, String> {
    if !v.get("timestamp").is_some_and(Value::is_number) {
        return Err("no numeric timestamp".into());
    }
    let root = v.get("root").ok_or("no root")?;
    let mut stack = vec![root];
    let mut nodes = 0u64;
    while let Some(n) = stack.pop() {
        let obj = n.as_object().ok_or("node is not an object")?;
        nodes += 1;
        if let Some(frame) = obj.get("frame") {
            for k in ["x", "y", "width", "height"] {
                if !frame.get(k).is_some_and(Value::is_number) {
                    return Err(format!("node frame.{k} is not a number"));
                }
            }
        }
        if let Some(children) = obj.get("children") {
            stack.extend(children.as_array().ok_or("children is not an array")?);
        }
    }
    Ok(nodes)
}

pub(crate) fn put(inner: &Inner, req: &Request) -> Response {
    let batch_id = req.path.rsplit('/').next().unwrap_or("").to_owned();
    let (session, kind) = {
        let st = lock(&inner.state);
        match st.batches.get(&batch_id) {
            None => return Response::error(404, "unknown upload"),
            Some(b) if b.expired => return Response::error(403, "presigned URL expired"),
            Some(b) => (b.session_id.clone(), b.kind.clone()),
        }
    };
    let items = match verify(&kind, &req.body) {
        Ok(n) => n,
        Err(e) => {
            lock(&inner.state).stats.bundles_rejected += 1;
            return Response::error(400, &format!("invalid {kind} body: {e}"));
        }
    };
    let dir = inner.opts.data_dir.join(safe(&session)).join(&kind);
    let path = dir.join(format!("{batch_id}.gz"));
    if let Err(e) = write_atomic(&dir, &path, &req.body) {
        return Response::error(500, &format!("storage: {e}"));
    }
    if let Some(b) = lock(&inner.state).batches.get_mut(&batch_id) {
        b.uploaded = Some((path, req.body.len() as u64, items));
    }
    Response::json(200, &json!({}))
}

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

pub(crate) fn complete(
    inner: &Inner,
    req: &Request,
    body: Option<&Value>,
    id_field: &str,
) -> Response {
    let Some(batch_id) = str_field(body, id_field) else {
        return Response::error(400, &format!("{id_field} is required"));
    };
    if str_field(body, "sessionId").is_none() {
        return Response::error(400, "sessionId is required");
    }
    let mut st = lock(&inner.state);
    let Some(b) = st.batches.get_mut(batch_id) else {
        return Response::error(404, "unknown batch");
    };
    let Some((path, size, items)) = b.uploaded.clone() else {
        return Response::error(400, "nothing was uploaded for this batch");
    };
    let repeated = std::mem::replace(&mut b.completed, true);
    // The complete call finishes the key it carries (without reading it), every time.
    if let Some(k) = req.header("idempotency-key") {
        st.idempotency.set(k, KeyState::Done);
    }
    if repeated {
        st.stats.duplicates_suppressed += 1;
        return Response::json(200, &json!({ "success": true, "duplicate": true }));
    }
    let b = match st.batches.get(batch_id) {
        Some(b) => b,
        None => return Response::error(404, "unknown batch"),
    };
    let artifact = StoredArtifact {
        session_id: b.session_id.clone(),
        kind: b.kind.clone(),
        batch_id: batch_id.to_owned(),
        idempotency_key: b.idempotency_key.clone(),
        size_bytes: size,
        frame_count: items,
        start_time: b.start_time,
        end_time: b.end_time,
        path,
    };
    *st.stats.artifacts.entry(artifact.kind.clone()).or_default() += 1;
    if artifact.kind == "screenshots" {
        st.stats.frames_stored += items;
    }
    if artifact.kind == "events" {
        if let Some(batch) = read_gzip_json(&artifact.path) {
            st.summaries
                .entry(artifact.session_id.clone())
                .or_default()
                .add_batch(&batch);
        }
    }
    st.artifacts.push(artifact);
    Response::json(200, &json!({ "success": true }))
}

pub(crate) fn session_end(inner: &Inner, body: Option<&Value>) -> Response {
    let kept = match check_session_end(body.unwrap_or(&Value::Null)) {
        Ok(k) => k,
        Err((status, body)) => return Response::json(status, &body),
    };
    let session = kept["sessionId"].as_str().unwrap_or_default().to_owned();
    if kept["isSampledIn"] == json!(false) {
        return Response::json(
            200,
            &json!({"success": true, "ignored": true, "reason": "client_sampled_out"}),
        );
    }
    let dir = inner.opts.data_dir.join(safe(&session));
    let text = serde_json::to_vec_pretty(&kept).unwrap_or_default();
    if let Err(e) = write_atomic(&dir, &dir.join("session-end.json"), &text) {
        return Response::error(500, &format!("storage: {e}"));
    }
    let start = session
        .strip_prefix("session_")
        .and_then(|r| r.split('_').next())
        .and_then(|s| s.parse::<u64>().ok());
    let ended = kept["endedAt"].as_u64();
    let background = kept["totalBackgroundTimeMs"].as_u64().unwrap_or(0);
    let duration = match (start, ended) {
        (Some(s), Some(e)) => e.saturating_sub(s).saturating_sub(background) / 1000,
        _ => 0,
    };
    let mut st = lock(&inner.state);
    st.stats.sessions_ended += 1;
    st.summaries.entry(session).or_default().end = Some(kept);
    Response::json(
        200,
        &json!({"success": true, "durationSeconds": duration,
            "backgroundTimeSeconds": background / 1000}),
    )
}

/// Reads a stored gzip JSON body (bounded).
pub(crate) fn read_gzip_json(path: &Path) -> Option<Value> {
    let file = std::fs::File::open(path).ok()?;
    let mut raw = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(flate2::read::GzDecoder::new(file), 64 << 20),
        &mut raw,
    )
    .ok()?;
    serde_json::from_slice(&raw).ok()
}

pub(crate) fn fault_report(inner: &Inner, body: Option<&Value>) -> Response {
    let body = body.unwrap_or(&Value::Null);
    let anr = match check_fault(body) {
        Ok(anr) => anr,
        Err((status, refusal)) => {
            lock(&inner.state).stats.faults_rejected += 1;
            return Response::json(status, &refusal);
        }
    };
    let session = body["sessionId"].as_str().unwrap_or_default().to_owned();
    let n = {
        let mut st = lock(&inner.state);
        if let Some(id) = body["incidentId"].as_str() {
            if !st.incidents.insert(id.to_owned()) {
                st.stats.faults_deduplicated += 1;
                return Response::json(200, &json!({"ok": true, "deduplicated": true}));
            }
            if st.incidents.len() > 100_000 {
                st.incidents.clear();
            }
        }
        st.stats.faults_recorded += 1;
        let summary = st.summaries.entry(session).or_default();
        if anr {
            summary.anrs += 1;
        } else {
            summary.crashes += 1;
        }
        st.stats.faults_recorded
    };
    let dir = inner.opts.data_dir.join("faults");
    let text = serde_json::to_vec_pretty(body).unwrap_or_default();
    if let Err(e) = write_atomic(&dir, &dir.join(format!("fault-{n:05}.json")), &text) {
        return Response::error(500, &format!("storage: {e}"));
    }
    Response::json(200, &json!({"ok": true}))
}
