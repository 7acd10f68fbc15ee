//! Device-aware capture and upload against the real local server: the reported device state
//! slows or stops capture, and defers uploads (low battery, metered with
//! `upload_only_on_unmetered`) without losing them: they stay spooled and go once the
//! state changes. Plus the shared device-state vectors (`tests/conformance/device.json`).

use std::time::Duration;

use rejourney_core::client::Client;
use rejourney_core::device_policy::{
    decide, DevicePolicyConfig, DeviceState, NetworkState, ThermalState,
};
use rejourney_core::policy::Action;
use rejourney_core::telemetry::SkipReason;
use rejourney_harness::{fast_retry_options, submit_window_frame, temp_path};
use rejourney_ingest::{IngestServer, ServerOptions};

fn state(battery: f32, charging: bool, network: NetworkState) -> DeviceState {
    DeviceState {
        thermal: ThermalState::Nominal,
        low_power: false,
        battery_level: Some(battery),
        charging,
        network,
    }
}

fn stored_frames(srv: &IngestServer, session: &str) -> usize {
    srv.artifacts()
        .iter()
        .filter(|a| a.session_id == session && a.kind == "screenshots")
        .count()
}

/// Records one session of three frames (a sealed bundle) and its end while `deferred` holds,
/// checks nothing reached the server and everything is spooled, then reports `resumed`.
fn deferred_then_resumed(deferred: DeviceState, resumed: DeviceState, unmetered_only: bool) {
    let srv = IngestServer::start(ServerOptions::new(temp_path("device", "srv"))).unwrap();
    let mut opts = fast_retry_options(&srv.url(), &temp_path("device", "spool"));
    opts.device.upload_only_on_unmetered = unmetered_only;
    let c = Client::new(opts).unwrap();
    let d = c.device_state(deferred).unwrap();
    assert!(d.upload_deferred.is_some(), "{d:?}");
    let session = c.start(1_000_000).unwrap();
    for i in 0..3u8 {
        submit_window_frame(&c, i * 40, 1_000_000 + i as u64 * 1_000);
    }
    c.stop(1_004_000).unwrap();
    assert!(
        !c.flush(Duration::from_millis(1_500)),
        "a deferred upload is not delivered"
    );
    assert_eq!(stored_frames(&srv, &session), 0);
    assert!(srv.requests().is_empty(), "{:?}", srv.requests());
    assert!(c.telemetry().delivery.spool_files >= 2, "kept in the spool");
    c.device_state(resumed).unwrap();
    assert!(c.flush(Duration::from_secs(20)), "resumed uploads deliver");
    assert_eq!(
        stored_frames(&srv, &session),
        1,
        "nothing lost, nothing twice"
    );
    let t = c.telemetry();
    assert_eq!(t.delivery.spool_files, 0);
    assert_eq!(t.device.reports, 2);
}

#[test]
fn low_battery_defers_uploads_until_charging() {
    deferred_then_resumed(
        state(0.05, false, NetworkState::Unmetered),
        state(0.05, true, NetworkState::Unmetered),
        false,
    );
}

#[test]
fn metered_network_defers_uploads_when_the_app_asks() {
    deferred_then_resumed(
        state(0.9, false, NetworkState::Metered),
        state(0.9, false, NetworkState::Unmetered),
        true,
    );
}

#[test]
fn heat_slows_capture_and_critical_stops_it() {
    let srv = IngestServer::start(ServerOptions::new(temp_path("device", "srv"))).unwrap();
    let c = Client::new(fast_retry_options(
        &srv.url(),
        &temp_path("device", "spool"),
    ))
    .unwrap();
    c.start(2_000_000).unwrap();
    let hot = DeviceState {
        thermal: ThermalState::Serious,
        ..state(0.9, false, NetworkState::Unmetered)
    };
    c.device_state(hot).unwrap();
    assert_eq!(c.tick(2_000_000).unwrap().action, Action::Capture);
    assert_eq!(
        c.tick(2_001_000).unwrap().action,
        Action::Skip(SkipReason::DeviceThrottled),
        "1 s is due at full rate, not at half"
    );
    assert_eq!(c.tick(2_002_000).unwrap().action, Action::Capture);
    c.device_state(DeviceState {
        thermal: ThermalState::Critical,
        ..hot
    })
    .unwrap();
    assert_eq!(
        c.tick(2_010_000).unwrap().action,
        Action::Skip(SkipReason::DeviceCritical)
    );
    c.device_state(state(0.9, false, NetworkState::Unmetered))
        .unwrap();
    assert_eq!(c.tick(2_010_001).unwrap().action, Action::Capture);
    let t = c.telemetry();
    assert_eq!(
        (t.device.capture_throttled, t.device.capture_stopped),
        (1, 1)
    );
    assert!(
        t.capture.skipped_policy["device_throttled"] >= 1,
        "{:?}",
        t.capture.skipped_policy
    );
    assert!(t.capture.skipped_policy["device_critical"] >= 1);
    assert!(c
        .device_state(DeviceState {
            battery_level: Some(f32::NAN),
            ..hot
        })
        .is_err());
    assert_eq!(c.telemetry().device.invalid_reports, 1);
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Vector {
    name: String,
    state: DeviceState,
    upload_only_on_unmetered: bool,
    expected: serde_json::Value,
}

#[test]
fn device_state_vectors() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/conformance/device.json");
    let vectors: Vec<Vector> =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(vectors.len() >= 12);
    for v in vectors {
        let cfg = DevicePolicyConfig {
            upload_only_on_unmetered: v.upload_only_on_unmetered,
            ..Default::default()
        };
        let got = serde_json::to_value(decide(&v.state, &cfg)).unwrap();
        assert_eq!(got, v.expected, "{}", v.name);
    }
}
