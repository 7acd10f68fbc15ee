//! Device-aware capture and upload: what the phone's state (heat, battery saver, battery,
//! network) lets the SDK do. The wrappers only report the state ([`DeviceState`]); this
//! module decides, as a pure function ([`decide`]), and [`DeviceGate`] keeps the decision
//! and its counters for the client.
//!
//! Rules (shared with every platform through `tests/conformance/device.json`):
//! - capture: thermal `critical` stops it; `serious` and low-power mode each multiply the
//!   capture interval by [`DevicePolicyConfig::throttle_factor`] (both: its square);
//! - upload: deferred while offline, while the battery is under
//!   [`DevicePolicyConfig::low_battery_threshold`] and not charging, and on a metered network
//!   when the app asked for `uploadOnlyOnUnmetered`. A deferred upload stays in the spool
//!   (nothing is lost; the spool's quota and age bound it) and goes when the state changes.
//!
//! Events keep being recorded whatever the state: only capture and the network are spared.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::*};
use std::sync::Mutex;

use crate::wait::lock;

/// The OS's thermal pressure (iOS `ProcessInfo.ThermalState`, Android `PowerManager`
/// thermal status mapped to these four).
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThermalState {
    #[default]
    Nominal,
    Fair,
    Serious,
    Critical,
}

/// The network the uploads would use.
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NetworkState {
    /// Not known (never reported): treated as unmetered, uploads go.
    #[default]
    Unknown,
    Unmetered,
    Metered,
    Offline,
}

/// The device's state as a wrapper reports it.
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceState {
    pub thermal: ThermalState,
    /// iOS Low Power Mode, Android battery saver.
    pub low_power: bool,
    /// 0..=1; `None` when unknown (never "low").
    pub battery_level: Option<f32>,
    pub charging: bool,
    pub network: NetworkState,
}

/// The app's choices (options `lowBatteryThreshold`, `uploadOnlyOnUnmetered`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DevicePolicyConfig {
    /// Uploads wait while the battery is below this level (0..=1) and not charging; 0 never
    /// waits. Default 0.15 (Datadog's low-battery rule).
    pub low_battery_threshold: f32,
    /// Uploads wait on a metered network (cellular, a metered Wi-Fi).
    pub upload_only_on_unmetered: bool,
    /// Interval multiplier under thermal pressure or low-power mode (2..=8, default 2).
    pub throttle_factor: u32,
}

impl Default for DevicePolicyConfig {
    fn default() -> Self {
        Self {
            low_battery_threshold: 0.15,
            upload_only_on_unmetered: false,
            throttle_factor: 2,
        }
    }
}

/// A state or an option the policy cannot use.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DeviceStateError {
    #[error("battery level {0} is not within 0..=1")]
    BatteryLevel(f32),
    #[error("low battery threshold {0} is not within 0..=1")]
    Threshold(f32),
    #[error("throttle factor {0} is not within 2..=8")]
    ThrottleFactor(u32),
}

impl DevicePolicyConfig {
    pub fn validate(&self) -> Result<(), DeviceStateError> {
        let t = self.low_battery_threshold;
        if !t.is_finite() || !(0.0..=1.0).contains(&t) {
            return Err(DeviceStateError::Threshold(t));
        }
        if !(2..=8).contains(&self.throttle_factor) {
            return Err(DeviceStateError::ThrottleFactor(self.throttle_factor));
        }
        Ok(())
    }
}

impl DeviceState {
    pub fn validate(&self) -> Result<(), DeviceStateError> {
        match self.battery_level {
            Some(l) if !l.is_finite() || !(0.0..=1.0).contains(&l) => {
                Err(DeviceStateError::BatteryLevel(l))
            }
            _ => Ok(()),
        }
    }
}

/// Why uploads wait.
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeferReason {
    Offline,
    LowBattery,
    Metered,
}

impl DeferReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Offline => "offline",
            Self::LowBattery => "low_battery",
            Self::Metered => "metered",
        }
    }
}

/// What the device state allows.
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceDecision {
    /// Capture is stopped (thermal critical).
    pub capture_stopped: bool,
    /// The capture interval is multiplied by this (1: full rate).
    pub interval_factor: u32,
    /// Uploads wait, and why (`None`: they go).
    pub upload_deferred: Option<DeferReason>,
}

impl Default for DeviceDecision {
    fn default() -> Self {
        Self {
            capture_stopped: false,
            interval_factor: 1,
            upload_deferred: None,
        }
    }
}

/// The policy: a pure function of the state and the app's choices.
pub fn decide(state: &DeviceState, cfg: &DevicePolicyConfig) -> DeviceDecision {
    let f = cfg.throttle_factor.max(1);
    let mut factor = 1u32;
    if state.thermal == ThermalState::Serious {
        factor = factor.saturating_mul(f);
    }
    if state.low_power {
        factor = factor.saturating_mul(f);
    }
    let low_battery = state
        .battery_level
        .is_some_and(|l| l < cfg.low_battery_threshold)
        && !state.charging;
    let upload_deferred = if state.network == NetworkState::Offline {
        Some(DeferReason::Offline)
    } else if low_battery {
        Some(DeferReason::LowBattery)
    } else if cfg.upload_only_on_unmetered && state.network == NetworkState::Metered {
        Some(DeferReason::Metered)
    } else {
        None
    };
    let stopped = state.thermal == ThermalState::Critical;
    DeviceDecision {
        capture_stopped: stopped,
        interval_factor: if stopped { 1 } else { factor },
        upload_deferred,
    }
}

/// What the device policy did, for the telemetry snapshot (`device`).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceCounters {
    /// States reported by the wrapper.
    pub reports: u64,
    /// Reports refused (a battery level outside 0..=1): the previous state stays.
    pub invalid_reports: u64,
    /// Times capture was slowed, stopped, and uploads deferred (by reason): transitions
    /// into each, not ticks.
    pub capture_throttled: u64,
    pub capture_stopped: u64,
    pub deferred_offline: u64,
    pub deferred_low_battery: u64,
    pub deferred_metered: u64,
    /// The state and decision now.
    pub state: DeviceState,
    pub decision: DeviceDecision,
}

/// The client's device gate: the last state, its decision (mirrored in atomics the tick
/// reads without a lock) and the counters.
#[derive(Debug)]
pub struct DeviceGate {
    cfg: DevicePolicyConfig,
    counters: Mutex<DeviceCounters>,
    factor: AtomicU32,
    stopped: AtomicBool,
}

impl DeviceGate {
    pub fn new(cfg: DevicePolicyConfig) -> Self {
        Self {
            cfg,
            counters: Mutex::new(DeviceCounters::default()),
            factor: AtomicU32::new(1),
            stopped: AtomicBool::new(false),
        }
    }

    /// Takes a reported state; returns the new decision, or the error for an invalid state
    /// (counted; the previous decision stays).
    pub fn report(&self, state: DeviceState) -> Result<DeviceDecision, DeviceStateError> {
        let mut c = lock(&self.counters);
        c.reports += 1;
        if let Err(e) = state.validate() {
            c.invalid_reports += 1;
            return Err(e);
        }
        let d = decide(&state, &self.cfg);
        let before = c.decision;
        if d.interval_factor > 1 && before.interval_factor <= 1 {
            c.capture_throttled += 1;
        }
        if d.capture_stopped && !before.capture_stopped {
            c.capture_stopped += 1;
        }
        if d.upload_deferred != before.upload_deferred {
            match d.upload_deferred {
                Some(DeferReason::Offline) => c.deferred_offline += 1,
                Some(DeferReason::LowBattery) => c.deferred_low_battery += 1,
                Some(DeferReason::Metered) => c.deferred_metered += 1,
                None => {}
            }
        }
        c.state = state;
        c.decision = d;
        self.factor.store(d.interval_factor, Release);
        self.stopped.store(d.capture_stopped, Release);
        Ok(d)
    }

    /// The capture side of the decision: (interval factor, stopped). Lock-free.
    pub fn capture(&self) -> (u32, bool) {
        (self.factor.load(Acquire), self.stopped.load(Acquire))
    }

    pub fn counters(&self) -> DeviceCounters {
        lock(&self.counters).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(
        thermal: ThermalState,
        low_power: bool,
        battery: Option<f32>,
        charging: bool,
    ) -> DeviceState {
        DeviceState {
            thermal,
            low_power,
            battery_level: battery,
            charging,
            network: NetworkState::Unmetered,
        }
    }

    #[test]
    fn heat_and_low_power_slow_capture_critical_stops_it() {
        let cfg = DevicePolicyConfig::default();
        let d = |s| decide(&s, &cfg);
        assert_eq!(
            d(st(ThermalState::Nominal, false, None, false)),
            DeviceDecision::default()
        );
        assert_eq!(
            d(st(ThermalState::Fair, false, None, false)).interval_factor,
            1
        );
        assert_eq!(
            d(st(ThermalState::Serious, false, None, false)).interval_factor,
            2
        );
        assert_eq!(
            d(st(ThermalState::Nominal, true, None, false)).interval_factor,
            2
        );
        assert_eq!(
            d(st(ThermalState::Serious, true, None, false)).interval_factor,
            4
        );
        assert!(d(st(ThermalState::Critical, false, None, false)).capture_stopped);
    }

    #[test]
    fn uploads_wait_on_low_battery_offline_and_metered_when_asked() {
        let mut cfg = DevicePolicyConfig::default();
        let low = st(ThermalState::Nominal, false, Some(0.10), false);
        assert_eq!(
            decide(&low, &cfg).upload_deferred,
            Some(DeferReason::LowBattery)
        );
        let charging = DeviceState {
            charging: true,
            ..low
        };
        assert_eq!(decide(&charging, &cfg).upload_deferred, None);
        let at = st(ThermalState::Nominal, false, Some(0.15), false);
        assert_eq!(
            decide(&at, &cfg).upload_deferred,
            None,
            "15 % is not below 15 %"
        );
        let metered = DeviceState {
            network: NetworkState::Metered,
            ..at
        };
        assert_eq!(decide(&metered, &cfg).upload_deferred, None);
        cfg.upload_only_on_unmetered = true;
        assert_eq!(
            decide(&metered, &cfg).upload_deferred,
            Some(DeferReason::Metered)
        );
        let offline = DeviceState {
            network: NetworkState::Offline,
            ..low
        };
        assert_eq!(
            decide(&offline, &cfg).upload_deferred,
            Some(DeferReason::Offline)
        );
    }

    #[test]
    fn invalid_reports_are_refused_and_keep_the_last_decision() {
        let gate = DeviceGate::new(DevicePolicyConfig::default());
        gate.report(st(ThermalState::Serious, false, Some(0.5), false))
            .unwrap();
        for bad in [f32::NAN, -0.1, 1.5, f32::INFINITY] {
            let e = gate.report(st(ThermalState::Critical, false, Some(bad), false));
            assert!(matches!(e, Err(DeviceStateError::BatteryLevel(_))));
        }
        assert_eq!(gate.capture(), (2, false));
        let c = gate.counters();
        assert_eq!(
            (c.reports, c.invalid_reports, c.capture_throttled),
            (5, 4, 1)
        );
    }

    #[test]
    fn transitions_are_counted_once() {
        let gate = DeviceGate::new(DevicePolicyConfig::default());
        let low = st(ThermalState::Nominal, false, Some(0.05), false);
        for _ in 0..3 {
            gate.report(low).unwrap();
        }
        gate.report(DeviceState {
            charging: true,
            ..low
        })
        .unwrap();
        gate.report(low).unwrap();
        assert_eq!(gate.counters().deferred_low_battery, 2);
    }
}
