//! Presign → PUT → complete, in the backend's order of checks (`routes/ingestUploads.ts`):
//! body fields, then the `Idempotency-Key` (done → duplicate, processing → 202), the 413,
//! the kill switch, sampling, replay disabled, the recording limit; then a URL, and the key
//! marked `processing`. Segment ids are deterministic over the segment's description, as
//! the backend's are, so presigning a stored segment again is "Already processed" and
//! presigning an unfinished one again reuses it. The PUT ingests (the backend's upload
//! relay); complete calls confirm and mark their key `done`.

use std::hash::{Hash, Hasher};
use std::sync::atomic::Ordering::Acquire;

use serde_json::{json, Value};

use crate::events::SessionState;
use crate::faults::{policy_skip, project_disabled, PolicySkip};
use crate::http::{Request, Response};
use crate::idempotency::{self, key_of, Gate, KeyState};
use crate::incidents::Origin;
use crate::normalize::infer_platform;
use crate::storage::{read_gzip_json, safe, write_atomic};
use crate::validate::{
    check_events_presign, check_segment_presign, check_upload, too_large, PresignRequest,
    MAX_OBJECT_BYTES,
};
use crate::{lock, now_ms, Batch, Inner, State, StoredArtifact};

/// A policy skip the server decided, counted by reason.
fn skip(st: &mut State, p: &PresignRequest, why: PolicySkip) -> Response {
    let reason = why.reason();
    *st.stats.presign_skips.entry(reason.clone()).or_default() += 1;
    policy_skip(Some(&p.session_id), &reason)
}

/// The backend's segment id: the same segment described again gets the same id.
fn segment_id(p: &PresignRequest) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (
        &p.session_id,
        &p.kind,
        p.start_time,
        p.end_time,
        p.frame_count,
        p.size_bytes,
    )
        .hash(&mut h);
    format!("seg_{:016x}", h.finish())
}

pub(crate) fn presign(
    inner: &Inner,
    req: &Request,
    body: &Value,
    segment: bool,
    expire: bool,
) -> Response {
    let checked = if segment {
        check_segment_presign(body)
    } else {
        check_events_presign(body)
    };
    let p = match checked {
        Ok(p) => p,
        Err((status, refusal)) => return Response::json(status, &refusal),
    };
    let key = key_of(req).map(str::to_owned);
    let mut st = lock(&inner.state);
    match st.idempotency.gate(key.as_deref()) {
        Gate::Open => {}
        Gate::Duplicate => {
            *st.stats
                .presign_skips
                .entry("Already processed".into())
                .or_default() += 1;
            return idempotency::duplicate(Some(&p.session_id));
        }
        Gate::Processing => {
            st.stats.idempotency_processing += 1;
            return idempotency::processing();
        }
    }
    if p.size_bytes > MAX_OBJECT_BYTES {
        let (status, refusal) = too_large();
        return Response::json(status, &refusal);
    }
    if inner.project_disabled.load(Acquire) {
        return project_disabled();
    }
    let recording = inner.recording_enabled.load(Acquire);
    let observe_only = req.header("x-rj-observe-only") == Some("1");
    if p.is_sampled_in == Some(false) && recording && !observe_only {
        return skip(&mut st, &p, PolicySkip::SampledOut);
    }
    if segment && p.kind == "screenshots" && !recording {
        return skip(&mut st, &p, PolicySkip::RecordingDisabled);
    }
    // The session is created by its first presign, with the device shape it implies.
    let now = now_ms();
    let ua = req.header("user-agent");
    let start_ms = st
        .sessions
        .get_or_insert_with(p.session_id.clone(), || {
            let platform = infer_platform(p.platform.as_deref(), p.has_device_model, ua);
            SessionState::new(&p.session_id, now, platform)
        })
        .start_ms;
    let minutes = inner.max_recording_minutes.load(Acquire);
    if segment && minutes > 0 {
        let limit = f64::from(minutes) * 60_000.0;
        let starts = p.start_time as f64 - start_ms;
        let ends = p.end_time.unwrap_or(p.start_time) as f64 - start_ms;
        if starts > limit || ends > limit + 120_000.0 {
            return skip(&mut st, &p, PolicySkip::RecordingLimit { minutes });
        }
    }
    st.next_id += 1;
    let id = if segment {
        segment_id(&p)
    } else {
        format!(
            "batch_{:06}_{}_{:08x}",
            st.next_id,
            p.batch_number.unwrap_or(0),
            fastrand::u32(..)
        )
    };
    if st.batches.get(&id).is_some_and(|b| b.completed) {
        if let Some(k) = &key {
            st.idempotency.set(k, KeyState::Done);
        }
        *st.stats
            .presign_skips
            .entry("Already processed".into())
            .or_default() += 1;
        return Response::json(
            200,
            &json!({"skipUpload": true, "deduplicated": true, "sessionId": p.session_id,
                "segmentId": id, "reason": "Already processed"}),
        );
    }
    match st.batches.get_mut(&id) {
        // Presigned before and not finished: the backend reuses the artifact.
        Some(b) => {
            b.expired = expire;
            b.idempotency_key = key.clone();
        }
        None => {
            st.batches.insert(
                id.clone(),
                Batch {
                    session_id: p.session_id.clone(),
                    kind: p.kind.clone(),
                    idempotency_key: key.clone(),
                    start_time: p.start_time,
                    end_time: p.end_time.unwrap_or(p.start_time),
                    expired: expire,
                    uploaded: None,
                    completed: false,
                },
            );
        }
    }
    if let Some(k) = &key {
        st.idempotency.set(k, KeyState::Processing);
    }
    let prefix = if segment { "segment" } else { "events" };
    let url = format!(
        "http://{}/upload/{prefix}/{id}?token={:08x}",
        inner.addr,
        fastrand::u32(..)
    );
    let s3_key = format!("local/{}/{}/{id}.gz", safe(&p.session_id), p.kind);
    let id_field = if segment { "segmentId" } else { "batchId" };
    Response::json(
        200,
        &json!({"presignedUrl": url, id_field: id, "sessionId": p.session_id,
            "s3Key": s3_key, "endpointId": "local"}),
    )
}

/// `PUT` of a presigned URL, ingested as the backend's upload relay does
/// (`routes/ingestUploadRelay.ts`): the body is checked for its kind (strict bundle parser,
/// events envelope, hierarchy snapshot), stored and processed now, answered 204; the complete
/// call only confirms it. A PUT repeated for an upload already stored answers 204 and stores
/// nothing ("already stored"), so the same URL can be retried safely, while a second presign
/// (events get a fresh batch id each time) and its PUT store the batch twice, visibly.
pub(crate) fn put(inner: &Inner, req: &Request) -> Response {
    let no_content = Response {
        status: 204,
        headers: Vec::new(),
        body: Vec::new(),
    };
    let batch_id = req.path.rsplit('/').next().unwrap_or("").to_owned();
    let (session, kind) = {
        let mut st = lock(&inner.state);
        match st.batches.get(&batch_id) {
            None => return Response::error(404, "unknown upload"),
            Some(b) if b.expired => return Response::error(403, "presigned URL expired"),
            Some(b) if b.uploaded.is_some() => {
                st.stats.puts_already_stored += 1;
                return no_content;
            }
            Some(b) => (b.session_id.clone(), b.kind.clone()),
        }
    };
    let items = match check_upload(&kind, &req.body) {
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
    let artifact = {
        let mut st = lock(&inner.state);
        let Some(b) = st.batches.get_mut(&batch_id) else {
            return Response::error(404, "unknown upload");
        };
        if b.uploaded.is_some() {
            // A concurrent PUT of the same URL stored it first.
            st.stats.puts_already_stored += 1;
            return no_content;
        }
        let size = req.body.len() as u64;
        b.uploaded = Some((path.clone(), size, items));
        let artifact = StoredArtifact {
            session_id: b.session_id.clone(),
            kind: b.kind.clone(),
            batch_id: batch_id.clone(),
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
        st.store_artifact(artifact.clone());
        artifact
    };
    if artifact.kind == "events" {
        // Read back outside the lock: the relay's flush job processes the stored artifact.
        if let Some(batch) = read_gzip_json(&artifact.path) {
            process_events(inner, &artifact.session_id, &batch);
        }
    }
    no_content
}

/// `POST /segment/complete` (`segmentId`) or `/batch/complete` (`batchId`): confirms an
/// upload its PUT already ingested. The key it carries is marked `done` without being read,
/// every time, repeats included.
pub(crate) fn complete(inner: &Inner, req: &Request, body: &Value, id_field: &str) -> Response {
    let Some(batch_id) = body
        .get(id_field)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    else {
        return Response::error(400, &format!("{id_field} is required"));
    };
    let mut st = lock(&inner.state);
    let Some(b) = st.batches.get_mut(batch_id) else {
        return Response::error(404, "Upload not found");
    };
    if (b.kind == "events") != (id_field == "batchId") {
        return Response::error(400, &format!("{id_field} names a {} upload", b.kind));
    }
    if let Some(s) = body.get("sessionId").and_then(Value::as_str) {
        if s != b.session_id {
            return Response::error(400, "sessionId is not the upload's session");
        }
    }
    if b.uploaded.is_none() {
        return Response::error(400, "nothing was uploaded for this batch");
    }
    let repeated = std::mem::replace(&mut b.completed, true);
    if let Some(k) = key_of(req) {
        st.idempotency.set(k, KeyState::Done);
    }
    if repeated {
        st.stats.duplicates_suppressed += 1;
        return Response::json(200, &json!({ "success": true, "duplicate": true }));
    }
    Response::json(200, &json!({ "success": true }))
}

/// Counts an events artifact into its session; its `anr` events join the incidents.
fn process_events(inner: &Inner, session_id: &str, batch: &Value) {
    let now = now_ms();
    let mut st = lock(&inner.state);
    let State {
        sessions,
        incidents,
        stats,
        ..
    } = &mut *st;
    let session = sessions.get_or_insert_with(session_id.to_owned(), || {
        SessionState::new(session_id, now, "unknown".into())
    });
    for anr in session.add_batch(batch, now) {
        if incidents
            .record(&mut session.incidents, anr, Origin::Event)
            .new
        {
            session.summary.anrs += 1;
            stats.anrs += 1;
        }
    }
}
