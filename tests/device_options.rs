//! The device policy's options end to end: `upload_only_on_unmetered` and
//! `low_battery_threshold` from the host's options (FFI) to the decision, validated at
//! `Client::new` like every other option.

use rejourney_core::client::Client;
use rejourney_core::device_policy::{
    DeferReason, DevicePolicyConfig, DeviceState, NetworkState, ThermalState,
};
use rejourney_core::ffi::{effective_options, Rejourney, RejourneyError, RejourneyOptions};
use rejourney_harness::{fast_retry_options, temp_path};

fn state(battery: f32, network: NetworkState) -> DeviceState {
    DeviceState {
        thermal: ThermalState::Nominal,
        low_power: false,
        battery_level: Some(battery),
        charging: false,
        network,
    }
}

fn ffi_options(dir: &str) -> RejourneyOptions {
    let spool = temp_path("device-options", dir);
    let mut o = RejourneyOptions::with_defaults(
        "pk_test",
        "http://127.0.0.1:9",
        "dev",
        spool.to_str().unwrap(),
    );
    o.remote_config = Some(false);
    o
}

#[test]
fn client_new_refuses_an_invalid_device_policy() {
    for (threshold, factor) in [(1.5, 2), (-0.1, 2), (f32::NAN, 2), (0.15, 1), (0.15, 9)] {
        let mut opts = fast_retry_options("http://127.0.0.1:9", &temp_path("device-options", "c"));
        opts.device = DevicePolicyConfig {
            low_battery_threshold: threshold,
            throttle_factor: factor,
            ..Default::default()
        };
        assert!(
            Client::new(opts).is_err(),
            "threshold {threshold}, factor {factor} accepted"
        );
    }
}

#[test]
fn ffi_options_reach_the_device_policy() {
    let mut o = ffi_options("unmetered");
    o.upload_only_on_unmetered = Some(true);
    o.low_battery_threshold = Some(0.5);
    let rj = Rejourney::new(o).unwrap();
    let metered = rj.device_state(state(0.9, NetworkState::Metered)).unwrap();
    assert_eq!(metered.upload_deferred, Some(DeferReason::Metered));
    let low = rj
        .device_state(state(0.4, NetworkState::Unmetered))
        .unwrap();
    assert_eq!(low.upload_deferred, Some(DeferReason::LowBattery));
    let fine = rj
        .device_state(state(0.6, NetworkState::Unmetered))
        .unwrap();
    assert_eq!(fine.upload_deferred, None);
    rj.shutdown(0).unwrap();

    // Unset: metered networks upload, 15 % is the threshold.
    let rj = Rejourney::new(ffi_options("defaults")).unwrap();
    let d = rj.device_state(state(0.4, NetworkState::Metered)).unwrap();
    assert_eq!(d.upload_deferred, None);
    rj.shutdown(0).unwrap();
}

#[test]
fn ffi_refuses_a_bad_threshold_with_a_typed_error() {
    for bad in [1.01, -0.5, f32::NAN, f32::INFINITY] {
        let mut o = ffi_options("bad");
        o.low_battery_threshold = Some(bad);
        assert!(
            matches!(
                effective_options(o.clone()),
                Err(RejourneyError::InvalidConfig { .. })
            ),
            "{bad}"
        );
        assert!(matches!(
            Rejourney::new(o),
            Err(RejourneyError::InvalidConfig { .. })
        ));
    }
}

#[test]
fn effective_options_show_the_device_choices() {
    let v: serde_json::Value =
        serde_json::from_str(&effective_options(ffi_options("show")).unwrap()).unwrap();
    assert_eq!(v["uploadOnlyOnUnmetered"], false);
    assert!((v["lowBatteryThreshold"].as_f64().unwrap() - 0.15).abs() < 1e-6);
    let mut o = ffi_options("show2");
    o.upload_only_on_unmetered = Some(true);
    o.low_battery_threshold = Some(0.0);
    let v: serde_json::Value = serde_json::from_str(&effective_options(o).unwrap()).unwrap();
    assert_eq!(v["uploadOnlyOnUnmetered"], true);
    assert_eq!(v["lowBatteryThreshold"], 0.0);
}
