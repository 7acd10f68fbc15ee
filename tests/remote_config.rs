//! Remote configuration against the local ingest server (real HTTP on 127.0.0.1), which
//! answers `GET /api/sdk/config` in the backend's shape: each field mapped onto the session,
//! the off switches, the failures (401/403/404 refuse the key; 5xx, garbage and stalls fall
//! back), the per-key disk cache, the first-capture hold and the re-fetch at rotation.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rejourney_core::client::{Client, ClientOptions};
use rejourney_core::policy::Action;
use rejourney_core::remote_config::{RemoteStatus, SessionMode};
use rejourney_core::telemetry::SkipReason;
use rejourney_harness::{fast_retry_options, temp_path};
use rejourney_ingest::{Fault, IngestServer, Route, ServerOptions};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(20);
const T0: u64 = 1_700_000_000_000;

fn tmp(name: &str) -> PathBuf {
    temp_path("remote", name)
}

fn options(url: &str, spool: &Path) -> ClientOptions {
    let mut o = fast_retry_options(url, spool);
    o.anr_threshold_ms = 0;
    o.remote.enabled = true;
    o.device_info = json!({"platform": "android", "appId": "com.example.shop"});
    o
}

fn server(name: &str) -> IngestServer {
    IngestServer::start(ServerOptions::new(tmp(name))).unwrap()
}

/// A client whose first fetch has settled.
fn settled(o: ClientOptions) -> Client {
    let c = Client::new(o).unwrap();
    assert!(c.wait_remote_config(WAIT));
    c
}

fn config_requests(srv: &IngestServer) -> usize {
    srv.requests()
        .iter()
        .filter(|r| r.route == Route::SdkConfig)
        .count()
}

#[test]
fn each_field_maps_onto_the_session_and_the_request_names_the_app() {
    let srv = server("fields");
    srv.set_sdk_config_fields(json!({"recordingFps": 2, "maxRecordingMinutes": 3,
        "textInputMasking": "secure_only", "imageVideoMasking": "all", "sampleRate": 100}));
    let c = settled(options(&srv.url(), &tmp("fields-spool")));
    c.start(T0).unwrap();
    let plan = c
        .session_plan()
        .expect("planned at once: the answer is known");
    assert_eq!(plan.mode, SessionMode::Record);
    assert_eq!(plan.capture_interval_ms, 500, "recordingFps 2");
    assert_eq!(plan.max_session_ms, 3 * 60_000);
    assert!(
        !plan.mask_text_inputs,
        "secure_only and the app did not choose"
    );
    assert!(
        plan.mask_all_images && plan.mask_video,
        "imageVideoMasking all"
    );
    assert_eq!(c.remote_state().unwrap().status, RemoteStatus::Fresh);
    // The capture policy runs at the server's rate: due every 500 ms.
    assert_eq!(c.tick(T0).unwrap().action, Action::Capture);
    assert_eq!(c.tick(T0 + 499).unwrap().action, Action::NotDue);
    assert_eq!(c.tick(T0 + 500).unwrap().action, Action::Capture);
    // maxRecordingMinutes ends the session and stops recording (no rotation: a long visit
    // is one session with its first minutes recorded, as with the official SDKs).
    let first = c.session_id().unwrap();
    assert_eq!(
        c.tick(T0 + 3 * 60_000 + 10).unwrap().action,
        Action::Skip(SkipReason::Stopped)
    );
    assert_eq!(c.session_id(), None, "no new session");
    assert!(c.flush(WAIT));
    let end = srv.session_summary(&first).unwrap().end.unwrap();
    assert_eq!(end["endReason"], "max_duration");
    assert_eq!(end["endedAt"], json!(T0 + 3 * 60_000));
    let req = srv
        .requests()
        .into_iter()
        .find(|r| r.route == Route::SdkConfig)
        .unwrap();
    assert_eq!(req.method, "GET");
    assert_eq!(req.api_key.as_deref(), Some("pk_test"));
    assert_eq!(req.platform.as_deref(), Some("android"));
    assert_eq!(req.bundle_id.as_deref(), Some("com.example.shop"));
    c.shutdown(Duration::ZERO);
}

#[test]
fn the_app_can_be_more_private_than_the_server_never_less() {
    let srv = server("private");
    srv.set_sdk_config_fields(json!({"recordingFps": 3, "textInputMasking": "secure_only"}));
    let mut o = options(&srv.url(), &tmp("private-spool"));
    o.capture.capture_interval_ms = 2_000;
    o.choices.capture_interval_ms = Some(2_000);
    o.choices.mask_text_inputs = Some(true);
    let c = settled(o);
    c.start(T0).unwrap();
    let plan = c.session_plan().unwrap();
    assert_eq!(plan.capture_interval_ms, 2_000, "rarer than the server");
    assert!(plan.mask_text_inputs, "more masked than the server");

    let srv = server("private2");
    srv.set_sdk_config_fields(json!({"recordingFps": 1, "textInputMasking": "all"}));
    let mut o = options(&srv.url(), &tmp("private2-spool"));
    o.choices.capture_interval_ms = Some(100);
    o.choices.mask_text_inputs = Some(false);
    let c = settled(o);
    c.start(T0).unwrap();
    let plan = c.session_plan().unwrap();
    assert_eq!(
        plan.capture_interval_ms, 1_000,
        "never faster than the server"
    );
    assert!(plan.mask_text_inputs, "never less masked than the server");
}

#[test]
fn off_switches_capture_nothing() {
    for (name, fields, why) in [
        (
            "billing",
            json!({"billingBlocked": true, "billingReason": "over quota"}),
            "remote_billing_blocked",
        ),
        (
            "malformed",
            json!({"rejourneyEnabled": "yes"}),
            "remote_disabled",
        ),
        ("sampled", json!({"sampleRate": 0}), "sampled_out"),
    ] {
        let srv = server(name);
        srv.set_sdk_config_fields(fields);
        let c = settled(options(&srv.url(), &tmp(&format!("{name}-spool"))));
        let id = c.start(T0).unwrap();
        let plan = c.session_plan().unwrap();
        assert_eq!(
            (plan.mode, plan.off_reason),
            (SessionMode::Off, Some(why)),
            "{name}"
        );
        assert_eq!(
            c.tick(T0).unwrap().action,
            Action::Skip(SkipReason::Stopped),
            "{name}"
        );
        c.screen_changed(T0 + 5, "Home").unwrap();
        c.stop(T0 + 10).unwrap();
        assert!(c.flush(WAIT), "{name}");
        let frames = srv
            .artifacts()
            .iter()
            .filter(|a| a.session_id == id && a.kind == "screenshots")
            .count();
        assert_eq!(frames, 0, "{name}");
        let events = srv
            .requests()
            .iter()
            .filter(|r| r.route == Route::EventsPresign)
            .filter(|r| {
                r.json
                    .as_ref()
                    .is_some_and(|j| j["sessionId"] == id.as_str())
            })
            .count();
        // The server's off switches send no events either; a sampled-out session still
        // offers them, saying it is not sampled in (the backend skips them).
        assert_eq!(events > 0, why == "sampled_out", "{name}: events {events}");
    }
    // The project switched off: `disabled` with the backend's exact answer.
    let srv = server("disabled");
    srv.set_project_disabled(true);
    let c = settled(options(&srv.url(), &tmp("disabled-spool")));
    c.start(T0).unwrap();
    assert_eq!(
        c.session_plan().unwrap().off_reason,
        Some("remote_disabled")
    );
}

/// Events presigned for `id`, and the events the server stored for it.
fn events_of(srv: &IngestServer, id: &str) -> (usize, u64) {
    let presigns = srv
        .requests()
        .iter()
        .filter(|r| r.route == Route::EventsPresign)
        .filter(|r| r.json.as_ref().is_some_and(|j| j["sessionId"] == id))
        .count();
    let stored = srv.session_summary(id).map_or(0, |s| s.events_received);
    (presigns, stored)
}

#[test]
fn replay_off_stops_capture_only_analytics_go_on() {
    // `recordingEnabled: false` is replay disabled or the replay quota reached: the backend
    // says "analytics will continue without replay".
    let srv = server("replayoff");
    srv.set_sdk_config_fields(json!({"recordingEnabled": false}));
    let c = settled(options(&srv.url(), &tmp("replayoff-spool")));
    let id = c.start(T0).unwrap();
    let plan = c.session_plan().unwrap();
    assert_eq!(
        (plan.mode, plan.off_reason),
        (SessionMode::Off, Some("remote_recording_disabled"))
    );
    assert_eq!(
        c.tick(T0).unwrap().action,
        Action::Skip(SkipReason::Stopped),
        "no capture"
    );
    c.screen_changed(T0 + 5, "Home").unwrap();
    c.log_message(T0 + 6, "info", "hello").unwrap();
    c.stop(T0 + 10).unwrap();
    assert!(c.flush(WAIT));
    let frames = srv
        .artifacts()
        .iter()
        .filter(|a| a.session_id == id && a.kind == "screenshots")
        .count();
    assert_eq!(frames, 0);
    let (presigns, stored) = events_of(&srv, &id);
    assert!(presigns > 0, "events are offered");
    assert_eq!(stored, 2, "and stored");
    let summary = srv.session_summary(&id).expect("a session row");
    let end = summary.end.expect("the end call is kept, not sampled out");
    assert_eq!(end["isSampledIn"], json!(true));
    assert_eq!(srv.stats().session_ends_ignored, 0);
}

#[test]
fn a_held_session_answered_replay_off_keeps_its_events() {
    let srv = server("heldoff");
    srv.set_sdk_config_fields(json!({"recordingEnabled": false}));
    srv.faults()
        .push(Route::SdkConfig, Fault::Delay(Duration::from_millis(300)));
    let mut o = options(&srv.url(), &tmp("heldoff-spool"));
    o.remote.hold_ms = 60_000;
    let c = Client::new(o).unwrap();
    let id = c.start(T0).unwrap();
    assert!(c.session_plan().is_none(), "held");
    c.screen_changed(T0 + 1, "Home").unwrap();
    c.log_message(T0 + 2, "info", "while held").unwrap();
    assert_eq!(
        c.tick(T0 + 3).unwrap().action,
        Action::Skip(SkipReason::RemoteConfig)
    );
    assert!(c.wait_remote_config(WAIT));
    c.tick(T0 + 4).unwrap();
    assert!(c.session_plan().unwrap().replay_off());
    c.stop(T0 + 10).unwrap();
    assert!(c.flush(WAIT));
    assert_eq!(events_of(&srv, &id).1, 2, "the events recorded while held");
    // Stop-everything answers still drop them.
    let srv = server("helddisabled");
    srv.set_project_disabled(true);
    srv.faults()
        .push(Route::SdkConfig, Fault::Delay(Duration::from_millis(300)));
    let mut o = options(&srv.url(), &tmp("helddisabled-spool"));
    o.remote.hold_ms = 60_000;
    let c = Client::new(o).unwrap();
    let id = c.start(T0).unwrap();
    c.screen_changed(T0 + 1, "Home").unwrap();
    assert!(c.wait_remote_config(WAIT));
    c.tick(T0 + 4).unwrap();
    assert!(c.session_plan().unwrap().stops_everything());
    c.stop(T0 + 10).unwrap();
    c.flush(WAIT);
    assert_eq!(events_of(&srv, &id), (0, 0));
}

#[test]
fn a_refused_key_stops_recording_and_says_so() {
    for status in [401, 403, 404] {
        let srv = server(&format!("refused{status}"));
        srv.faults().push(Route::SdkConfig, Fault::Status(status));
        let c = settled(options(&srv.url(), &tmp(&format!("refused{status}-spool"))));
        c.start(T0).unwrap();
        let st = c.remote_state().unwrap();
        assert_eq!(st.status, RemoteStatus::Refused, "{status}");
        assert_eq!(st.http_status, Some(status));
        let plan = c.session_plan().unwrap();
        assert_eq!(plan.off_reason, Some("remote_key_refused"));
        assert_eq!(
            c.tick(T0).unwrap().action,
            Action::Skip(SkipReason::Stopped)
        );
        let t = c.telemetry();
        assert_eq!(t.remote_config.unwrap().status, RemoteStatus::Refused);
    }
    // The real server's own refusal: a wrong key is a 401.
    let mut so = ServerOptions::new(tmp("wrongkey"));
    so.api_key = Some("pk_live_other".into());
    let srv = IngestServer::start(so).unwrap();
    let c = settled(options(&srv.url(), &tmp("wrongkey-spool")));
    assert_eq!(c.remote_state().unwrap().http_status, Some(401));
}

#[test]
fn failures_fall_back_to_the_apps_options() {
    for (name, fault) in [
        ("status500", Fault::Status(500)),
        ("garbage", Fault::Garbage),
        ("reset", Fault::Reset),
    ] {
        let srv = server(name);
        srv.faults().push(Route::SdkConfig, fault);
        let c = settled(options(&srv.url(), &tmp(&format!("{name}-spool"))));
        c.start(T0).unwrap();
        let st = c.remote_state().unwrap();
        assert_eq!(st.status, RemoteStatus::Unavailable, "{name}");
        assert!(st.error.is_some(), "{name}");
        let plan = c.session_plan().unwrap();
        assert_eq!(
            plan.mode,
            SessionMode::Record,
            "{name}: the app's options decide"
        );
        assert_eq!(c.tick(T0).unwrap().action, Action::Capture, "{name}");
    }
}

#[test]
fn a_slow_server_holds_the_first_capture_for_the_hold_time_only() {
    let srv = server("stall");
    srv.faults()
        .push(Route::SdkConfig, Fault::Stall(Duration::from_secs(3)));
    let mut o = options(&srv.url(), &tmp("stall-spool"));
    o.remote.hold_ms = 1_000;
    let c = Client::new(o).unwrap();
    c.start(T0).unwrap();
    assert!(
        c.session_plan().is_none(),
        "undecided while the fetch is out"
    );
    let d = c.tick(T0).unwrap();
    assert_eq!(d.action, Action::Skip(SkipReason::RemoteConfig));
    assert!(d.next_check_ms <= 100);
    assert_eq!(
        c.tick(T0 + 999).unwrap().action,
        Action::Skip(SkipReason::RemoteConfig)
    );
    // The hold is over: the app's options decide and the frame is captured.
    assert_eq!(c.tick(T0 + 1_000).unwrap().action, Action::Capture);
    assert_eq!(c.session_plan().unwrap().mode, SessionMode::Record);
    assert!(c.wait_remote_config(WAIT));
    assert_eq!(c.remote_state().unwrap().status, RemoteStatus::Unavailable);
    c.shutdown(Duration::ZERO);
}

#[test]
fn a_late_answer_tightens_the_running_session() {
    let srv = server("late");
    srv.set_sdk_config_fields(json!({"recordingEnabled": false}));
    srv.faults()
        .push(Route::SdkConfig, Fault::Stall(Duration::from_millis(30)));
    srv.faults().push(Route::SdkConfig, Fault::Pass);
    let mut o = options(&srv.url(), &tmp("late-spool"));
    o.remote.hold_ms = 0;
    let c = Client::new(o).unwrap();
    c.start(T0).unwrap();
    // No hold: recording starts under the app's options while the first fetch fails.
    assert_eq!(c.tick(T0).unwrap().action, Action::Capture);
    assert!(c.wait_remote_config(WAIT));
    // A new session asks again; the answer (recording off) applies at once.
    c.start(T0 + 10).unwrap();
    assert!(c.wait_remote_config(WAIT));
    assert_eq!(
        c.tick(T0 + 2_000).unwrap().action,
        Action::Skip(SkipReason::Stopped)
    );
    assert_eq!(c.session_plan().unwrap().mode, SessionMode::Off);
}

#[test]
fn the_last_good_answer_is_cached_per_key() {
    let srv = server("cache");
    srv.set_sdk_config_fields(json!({"recordingFps": 3, "sampleRate": 100}));
    let spool = tmp("cache-spool");
    let c = settled(options(&srv.url(), &spool));
    assert_eq!(c.remote_state().unwrap().status, RemoteStatus::Fresh);
    c.shutdown(Duration::ZERO);
    drop(c);
    // Next launch: the server fails; the cached answer is used with no hold.
    srv.faults().push(Route::SdkConfig, Fault::Status(503));
    let mut o = options(&srv.url(), &spool);
    o.remote.hold_ms = 5_000;
    let c = settled(o);
    let st = c.remote_state().unwrap();
    assert_eq!(st.status, RemoteStatus::Cached);
    assert_eq!(st.config.as_ref().unwrap().fps, Some(3));
    c.start(T0).unwrap();
    assert_eq!(c.session_plan().unwrap().capture_interval_ms, 333);
    c.shutdown(Duration::ZERO);
    drop(c);
    // Another key has no cache.
    let mut o = options(&srv.url(), &spool);
    o.delivery.api_key = "pk_other".into();
    srv.faults().push(Route::SdkConfig, Fault::Status(503));
    let c = settled(o);
    assert_eq!(c.remote_state().unwrap().status, RemoteStatus::Unavailable);
    c.shutdown(Duration::ZERO);
    drop(c);
    // A refused key deletes its cache: the next failure has nothing to fall back on.
    srv.faults().push(Route::SdkConfig, Fault::Status(401));
    let c = settled(options(&srv.url(), &spool));
    assert_eq!(c.remote_state().unwrap().status, RemoteStatus::Refused);
    c.shutdown(Duration::ZERO);
    drop(c);
    srv.faults().push(Route::SdkConfig, Fault::Status(503));
    let c = settled(options(&srv.url(), &spool));
    assert_eq!(c.remote_state().unwrap().status, RemoteStatus::Unavailable);
    assert!(config_requests(&srv) >= 5);
}

#[test]
fn rotation_asks_again() {
    let srv = server("rotation");
    let mut o = options(&srv.url(), &tmp("rotation-spool"));
    o.session.background_timeout_ms = 1_000;
    let c = settled(o);
    c.start(T0).unwrap();
    assert_eq!(c.session_plan().unwrap().mode, SessionMode::Record);
    let before = config_requests(&srv);
    srv.set_sdk_config_fields(json!({"sampleRate": 0}));
    c.app_backgrounded(T0 + 100);
    c.app_foregrounded(T0 + 5_000);
    assert!(c.wait_remote_config(WAIT));
    assert_eq!(config_requests(&srv), before + 1);
    // The running session only tightens: the new answer samples it out.
    c.tick(T0 + 5_001).unwrap();
    let plan = c.session_plan().unwrap();
    assert_eq!(
        (plan.mode, plan.off_reason),
        (SessionMode::Off, Some("sampled_out"))
    );
    assert_eq!(
        c.tick(T0 + 6_000).unwrap().action,
        Action::Skip(SkipReason::Stopped)
    );
}

/// Bodies a faulty or hostile server (or a JavaScript backend's `JSON.stringify`) can send
/// that `serde_json` refuses as a whole, served raw: each field is read on its own, so the
/// kill switch beside the unreadable value still turns recording off, and the unreadable
/// value itself reads as its most private choice.
#[test]
fn one_unreadable_value_never_hides_the_kill_switch() {
    for (name, body, why) in [
        (
            "huge-number",
            r#"{"rejourneyEnabled": true, "recordingEnabled": true, "sampleRate": 1e400, "disabled": true, "reason": "admin"}"#,
            "remote_disabled",
        ),
        (
            "lone-surrogate",
            r#"{"projectId": "p", "rejourneyEnabled": false, "reason": "\ud800 off", "sampleRate": 100}"#,
            "remote_disabled",
        ),
        (
            "billing",
            r#"{"name": "\udfff", "billingBlocked": true, "sampleRate": 100}"#,
            "remote_billing_blocked",
        ),
        (
            "unreadable-rate",
            r#"{"rejourneyEnabled": true, "recordingEnabled": true, "sampleRate": -1e999}"#,
            "sampled_out",
        ),
    ] {
        let srv = server(&format!("raw-{name}"));
        srv.faults().push(
            Route::SdkConfig,
            Fault::Raw {
                status: 200,
                body: body.as_bytes().to_vec(),
            },
        );
        let c = settled(options(&srv.url(), &tmp(&format!("raw-{name}-spool"))));
        let st = c.remote_state().unwrap();
        assert_eq!(
            st.status,
            RemoteStatus::Fresh,
            "{name}: read, not unavailable: {st:?}"
        );
        c.start(T0).unwrap();
        let plan = c.session_plan().unwrap();
        assert_eq!(
            (plan.mode, plan.off_reason),
            (SessionMode::Off, Some(why)),
            "{name}"
        );
        assert_eq!(
            c.tick(T0).unwrap().action,
            Action::Skip(SkipReason::Stopped),
            "{name}"
        );
    }
}
