//! The calls around the uploads: device auth (`routes/ingestDeviceAuth.ts`), the session
//! end (`routes/ingestLifecycle.ts`), fault reports (`routes/ingestFaults.ts`) and remote
//! config (`routes/sdk.ts`). None of them reads `Idempotency-Key`, and the kill switch does
//! not touch them: the backend still issues tokens, ends sessions and takes crashes for a
//! disabled project.

use std::sync::atomic::Ordering::Acquire;

use serde_json::{json, Value};

use crate::events::SessionState;
use crate::http::Response;
use crate::incidents::{Incident, Origin};
use crate::session_end::check_session_end;
use crate::storage::{safe, write_atomic};
use crate::validate::check_fault;
use crate::{lock, now_ms, Inner, State};

pub(crate) fn device_auth(inner: &Inner, body: &Value) -> Response {
    if body
        .get("deviceId")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Response::error(400, "deviceId is required");
    }
    let token = format!("upl_{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
    lock(&inner.state).tokens.insert(token.clone(), ());
    Response::json(200, &json!({ "uploadToken": token, "expiresIn": 3600 }))
}

/// `GET /api/sdk/config`: the project settings in the backend's shape.
pub(crate) fn sdk_config(inner: &Inner) -> Response {
    let enabled = !inner.project_disabled.load(Acquire);
    let recording = enabled && inner.recording_enabled.load(Acquire);
    let minutes = match inner.max_recording_minutes.load(Acquire) {
        0 => 10,
        m => m,
    };
    let mut v = json!({"projectId": "local-project", "teamId": "local-team",
        "name": "Local ingest", "rejourneyEnabled": enabled, "recordingEnabled": recording,
        "textInputMasking": "all", "imageVideoMasking": "none", "recordingFps": 1,
        "maxRecordingMinutes": minutes, "webMaxObservabilityMinutes": 30, "sampleRate": 100,
        "billingBlocked": false, "replayQuotaBillingExhausted": false});
    if !enabled {
        v["disabled"] = json!(true);
        v["reason"] = json!("Rejourney disabled by project admin");
    }
    for (k, field) in lock(&inner.sdk_config_fields).iter() {
        match (field.is_null(), v.as_object_mut()) {
            (true, Some(m)) => {
                m.remove(k);
            }
            (false, Some(m)) => {
                m.insert(k.clone(), field.clone());
            }
            _ => {}
        }
    }
    Response::json(200, &v)
}

/// The session a report names, created ("materialised") if the server never saw it: a
/// session created this way has platform "unknown", which later presigns keep.
fn session<'a>(st: &'a mut State, id: &str, now: f64) -> &'a mut SessionState {
    st.sessions.get_or_insert_with(id.to_owned(), || {
        SessionState::new(id, now, "unknown".into())
    })
}

/// `POST /api/ingest/session/end`, validated and stripped by the backend's schema. The
/// first end fixes the timing (`durationSeconds` = wall time from the id's start minus
/// background, at least 1); a repeat answers the same timing and stores its metrics.
pub(crate) fn session_end(inner: &Inner, body: &Value) -> Response {
    let kept = match check_session_end(body) {
        Ok(k) => k,
        Err((status, refusal)) => return Response::json(status, &refusal),
    };
    let id = kept["sessionId"].as_str().unwrap_or_default().to_owned();
    if kept["isSampledIn"] == json!(false) {
        lock(&inner.state).stats.session_ends_ignored += 1;
        return Response::json(
            200,
            &json!({"success": true, "ignored": true, "reason": "client_sampled_out"}),
        );
    }
    let dir = inner.opts.data_dir.join(safe(&id));
    let text = serde_json::to_vec_pretty(&kept).unwrap_or_default();
    if let Err(e) = write_atomic(&dir, &dir.join("session-end.json"), &text) {
        return Response::error(500, &format!("storage: {e}"));
    }
    let now = now_ms();
    let mut st = lock(&inner.state);
    let s = session(&mut st, &id, now);
    let first = s.summary.duration_seconds.is_none();
    if first {
        let ended = kept["endedAt"].as_f64().unwrap_or(now);
        let background_ms = kept["totalBackgroundTimeMs"].as_f64().unwrap_or(0.0);
        let wall = ((ended - s.start_ms) / 1000.0).round();
        let background = (background_ms / 1000.0).round();
        s.summary.duration_seconds = Some((wall - background.max(0.0)).max(1.0) as i64);
        s.summary.background_seconds = Some(background as i64);
    }
    s.summary.end = Some(kept);
    let (duration, background) = (s.summary.duration_seconds, s.summary.background_seconds);
    if first {
        st.stats.sessions_ended += 1;
    } else {
        st.stats.session_end_repeats += 1;
    }
    Response::json(
        200,
        &json!({"success": true, "durationSeconds": duration,
            "backgroundTimeSeconds": background}),
    )
}

/// `POST /api/ingest/fault`: a crash or ANR. Deduplicated by incident id (against earlier
/// reports and `anr` events) or, without one, by the backend's time window; the first report
/// of each incident is stored under `faults/`.
pub(crate) fn fault_report(inner: &Inner, body: &Value) -> Response {
    let report = match check_fault(body) {
        Ok(r) => r,
        Err((status, refusal)) => {
            lock(&inner.state).stats.faults_rejected += 1;
            return Response::json(status, &refusal);
        }
    };
    let now = now_ms();
    let seq = {
        let mut st = lock(&inner.state);
        let State {
            sessions,
            incidents,
            stats,
            ..
        } = &mut *st;
        let s = sessions.get_or_insert_with(report.session_id.clone(), || {
            SessionState::new(&report.session_id, now, "unknown".into())
        });
        let incident = Incident {
            anr: report.anr,
            id: report.incident_id.clone(),
            ts_ms: report.timestamp_ms.unwrap_or(now),
            identifier: report.identifier.clone(),
            detail: report.detail.clone(),
            duration_ms: report.duration_ms,
        };
        let outcome = incidents.record(&mut s.incidents, incident, Origin::Fault);
        if outcome.new {
            if report.anr {
                s.summary.anrs += 1;
                stats.anrs += 1;
            } else {
                s.summary.crashes += 1;
                stats.crashes += 1;
            }
        } else {
            stats.faults_deduplicated += 1;
        }
        if outcome.store_report {
            stats.faults_recorded += 1;
        }
        (outcome.store_report, outcome.new, stats.faults_recorded)
    };
    let (store, new, n) = seq;
    if store {
        let dir = inner.opts.data_dir.join("faults");
        let text = serde_json::to_vec_pretty(body).unwrap_or_default();
        if let Err(e) = write_atomic(&dir, &dir.join(format!("fault-{n:05}.json")), &text) {
            return Response::error(500, &format!("storage: {e}"));
        }
    }
    if new {
        Response::json(200, &json!({"ok": true}))
    } else {
        Response::json(200, &json!({"ok": true, "deduplicated": true}))
    }
}
