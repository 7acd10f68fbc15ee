//! The session plan: what one session records, from the app's options and the remote config.
//!
//! Pure and deterministic. The rules:
//! - the server's off switches (`disabled`, `billingBlocked`, `!recordingEnabled`) capture
//!   nothing; nor does a key the server refused (see [`super::fetch`]). Only `disabled`,
//!   `billingBlocked` and a refused key stop *everything* ([`SessionPlan::stops_everything`]):
//!   `recordingEnabled: false` is replay off (replay disabled, or the replay quota reached),
//!   and the backend says "analytics will continue without replay", so events, faults and
//!   the end call still go and the session stays sampled in ([`SessionPlan::replay_off`]);
//! - sampling is a function of the session id (the same id always gets the same answer, on
//!   every platform and after a restart): a session is *recorded* when its unit draw is below
//!   the session rate, else *buffered* for on-error upload when a second, independent draw is
//!   below the on-error rate, else *off*;
//! - every rate, interval, duration and mask is the more private of the app's choice and the
//!   server's: the app can make recording rarer or more masked than the server says, never
//!   less. Where the app made no choice (`None` in [`LocalChoices`]) the server's value is
//!   used, and where neither spoke the core's default.

use super::{RemoteConfig, TextInputMasking};

/// What a session does with what it captures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionMode {
    /// Nothing is captured (frames, hierarchy); ordered first: the most private.
    Off,
    /// Captured, masked and encoded as usual but kept on the device (the last window only)
    /// until an error or crash asks for it.
    Buffer,
    /// Captured and uploaded.
    Record,
}

/// The app's own choices that the server may refine. `None` means "no choice": the server's
/// value, else the core's default (the value already in the client's options).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LocalChoices {
    pub capture_interval_ms: Option<u64>,
    pub mask_text_inputs: Option<bool>,
}

/// Everything [`plan_session`] reads besides the remote config.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanInputs {
    pub choices: LocalChoices,
    /// Fraction of sessions recorded (0..=1).
    pub session_sample_rate: f64,
    /// Fraction of the sessions not recorded that are buffered for on-error upload (0..=1).
    pub on_error_sample_rate: f64,
    /// The core's defaults where nobody chose.
    pub default_interval_ms: u64,
    /// Capture interval while buffering (never faster than the recording interval).
    pub buffer_interval_ms: u64,
    pub max_session_ms: u64,
    pub mask_text_inputs: bool,
    pub mask_all_images: bool,
    pub mask_video: bool,
}

/// What one session does.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SessionPlan {
    pub mode: SessionMode,
    /// Why the mode is `Off` (`sampled_out`, `remote_disabled`, …).
    pub off_reason: Option<&'static str>,
    /// Capture interval while recording.
    pub capture_interval_ms: u64,
    /// Capture interval while buffering.
    pub buffer_interval_ms: u64,
    pub max_session_ms: u64,
    pub mask_text_inputs: bool,
    pub mask_all_images: bool,
    pub mask_video: bool,
}

/// The off reason of `recordingEnabled: false`: replay off, analytics on.
pub const REPLAY_OFF: &str = "remote_recording_disabled";

impl SessionPlan {
    /// Replay is off for the project (`recordingEnabled: false`): nothing is captured, but
    /// events, faults and the end call go as for a recorded session.
    pub fn replay_off(&self) -> bool {
        self.off_reason == Some(REPLAY_OFF)
    }

    /// The switches that mean "stop everything": the SDK disabled for the project, billing
    /// blocked, a refused key. No event is sent either.
    pub fn stops_everything(&self) -> bool {
        matches!(
            self.off_reason,
            Some("remote_disabled" | "remote_billing_blocked" | "remote_key_refused")
        )
    }

    /// Whether the session counts as sampled in (`isSampledIn` of its uploads and end
    /// call): recorded, or replay-off (its analytics are kept).
    pub fn sampled_in(&self) -> bool {
        self.mode == SessionMode::Record || self.replay_off()
    }

    /// The interval the capture policy runs at in this plan's mode.
    pub fn interval_ms(&self) -> u64 {
        match self.mode {
            SessionMode::Buffer => self.buffer_interval_ms,
            _ => self.capture_interval_ms,
        }
    }

    /// Field by field the more private of two plans (a config that arrives mid-session may
    /// tighten the running session, never loosen it).
    pub fn stricter(&self, other: &SessionPlan) -> SessionPlan {
        let (mode, off_reason) = if other.mode < self.mode {
            (other.mode, other.off_reason)
        } else {
            (self.mode, self.off_reason)
        };
        SessionPlan {
            mode,
            off_reason,
            capture_interval_ms: self.capture_interval_ms.max(other.capture_interval_ms),
            buffer_interval_ms: self.buffer_interval_ms.max(other.buffer_interval_ms),
            max_session_ms: self.max_session_ms.min(other.max_session_ms),
            mask_text_inputs: self.mask_text_inputs || other.mask_text_inputs,
            mask_all_images: self.mask_all_images || other.mask_all_images,
            mask_video: self.mask_video || other.mask_video,
        }
    }
}

/// A uniform draw in `[0, 1)` from the session id and a salt: FNV-1a, then a SplitMix64
/// finaliser for good low bits, then the top 53 bits. Stable across platforms and releases
/// (the conformance of sampling depends on it).
pub fn sample_unit(session_id: &str, salt: &str) -> f64 {
    let mut h = crate::fingerprint::stable_hash(&[salt.as_bytes(), session_id.as_bytes()]);
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// The plan for `session_id` under the remote config (`None`: nothing known, the app's
/// options alone) and whether the server refused the key (`refused`: nothing is captured).
pub fn plan_session(
    inputs: &PlanInputs,
    remote: Option<&RemoteConfig>,
    refused: bool,
    session_id: &str,
) -> SessionPlan {
    let server_interval = remote
        .and_then(|r| r.fps)
        .map(|fps| 1000 / u64::from(fps.max(1)));
    let capture_interval_ms = match (inputs.choices.capture_interval_ms, server_interval) {
        (Some(l), Some(s)) => l.max(s),
        (Some(l), None) => l,
        (None, Some(s)) => s,
        (None, None) => inputs.default_interval_ms,
    };
    let server_rate = remote.and_then(|r| r.sample_rate).unwrap_or(1.0);
    let session_rate = inputs.session_sample_rate.min(server_rate);
    let on_error_rate = inputs.on_error_sample_rate.min(server_rate);
    let server_minutes = remote.and_then(|r| r.max_minutes);
    let max_session_ms = match server_minutes {
        Some(m) => inputs.max_session_ms.min(u64::from(m) * 60_000),
        None => inputs.max_session_ms,
    };
    let server_text = remote
        .and_then(|r| r.text_input_masking)
        .map(|t| t == TextInputMasking::All);
    let mask_text_inputs = match (inputs.choices.mask_text_inputs, server_text) {
        (Some(l), Some(s)) => l || s,
        (Some(l), None) => l,
        (None, Some(s)) => s,
        (None, None) => inputs.mask_text_inputs,
    };
    let server_media = remote.and_then(|r| r.mask_images_and_video) == Some(true);
    let off_switch = if refused {
        Some("remote_key_refused")
    } else {
        remote.and_then(RemoteConfig::off_reason)
    };
    let (mode, off_reason) = if let Some(why) = off_switch {
        (SessionMode::Off, Some(why))
    } else if sample_unit(session_id, "session") < session_rate {
        (SessionMode::Record, None)
    } else if sample_unit(session_id, "on_error") < on_error_rate {
        (SessionMode::Buffer, None)
    } else {
        (SessionMode::Off, Some("sampled_out"))
    };
    SessionPlan {
        mode,
        off_reason,
        capture_interval_ms,
        buffer_interval_ms: inputs.buffer_interval_ms.max(capture_interval_ms),
        max_session_ms,
        mask_text_inputs,
        mask_all_images: inputs.mask_all_images || server_media,
        mask_video: inputs.mask_video || server_media,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn inputs() -> PlanInputs {
        PlanInputs {
            choices: LocalChoices::default(),
            session_sample_rate: 1.0,
            on_error_sample_rate: 0.0,
            default_interval_ms: 1000,
            buffer_interval_ms: 1000,
            max_session_ms: 60 * 60_000,
            mask_text_inputs: true,
            mask_all_images: false,
            mask_video: false,
        }
    }

    fn remote(v: serde_json::Value) -> RemoteConfig {
        RemoteConfig::from_json(&v).unwrap()
    }

    #[test]
    fn sampling_is_a_pure_function_of_the_id_and_roughly_uniform() {
        assert_eq!(
            sample_unit("session_1_ab", "session"),
            sample_unit("session_1_ab", "session")
        );
        assert_ne!(
            sample_unit("session_1_ab", "session"),
            sample_unit("session_1_ab", "on_error")
        );
        let n = 20_000;
        let below = (0..n)
            .filter(|i| sample_unit(&format!("session_{i}_x"), "session") < 0.3)
            .count();
        let share = below as f64 / n as f64;
        assert!((0.28..0.32).contains(&share), "share {share}");
        for i in 0..1000 {
            let u = sample_unit(&format!("id{i}"), "s");
            assert!((0.0..1.0).contains(&u));
        }
    }

    #[test]
    fn the_app_alone_decides_when_nothing_is_known() {
        let p = plan_session(&inputs(), None, false, "s");
        assert_eq!(p.mode, SessionMode::Record);
        assert_eq!((p.capture_interval_ms, p.max_session_ms), (1000, 3_600_000));
        assert!(p.mask_text_inputs && !p.mask_all_images);
    }

    #[test]
    fn the_server_fills_what_the_app_did_not_choose() {
        let r = remote(json!({"recordingFps": 2, "maxRecordingMinutes": 5,
            "textInputMasking": "secure_only", "imageVideoMasking": "all"}));
        let p = plan_session(&inputs(), Some(&r), false, "s");
        assert_eq!(p.capture_interval_ms, 500);
        assert_eq!(p.max_session_ms, 5 * 60_000);
        assert!(!p.mask_text_inputs, "secure_only with no app choice");
        assert!(p.mask_all_images && p.mask_video);
    }

    #[test]
    fn the_app_can_be_more_private_never_less() {
        let r = remote(json!({"recordingFps": 3, "maxRecordingMinutes": 10,
            "textInputMasking": "secure_only", "sampleRate": 50}));
        let mut i = inputs();
        i.choices.capture_interval_ms = Some(2000);
        i.choices.mask_text_inputs = Some(true);
        i.max_session_ms = 60_000;
        let p = plan_session(&i, Some(&r), false, "s");
        assert_eq!(p.capture_interval_ms, 2000, "rarer than the server");
        assert!(p.mask_text_inputs, "more masked than the server");
        assert_eq!(p.max_session_ms, 60_000);
        // Less private than the server: the server wins.
        i.choices.capture_interval_ms = Some(100);
        i.choices.mask_text_inputs = Some(false);
        let r = remote(json!({"recordingFps": 1, "textInputMasking": "all"}));
        let p = plan_session(&i, Some(&r), false, "s");
        assert_eq!(p.capture_interval_ms, 1000);
        assert!(p.mask_text_inputs);
    }

    #[test]
    fn rates_take_the_lower_of_app_and_server() {
        let ids: Vec<String> = (0..4000).map(|i| format!("session_{i}")).collect();
        let share = |i: &PlanInputs, r: Option<&RemoteConfig>, mode| {
            ids.iter()
                .filter(|id| plan_session(i, r, false, id).mode == mode)
                .count() as f64
                / ids.len() as f64
        };
        let half = remote(json!({"sampleRate": 50}));
        let s = share(&inputs(), Some(&half), SessionMode::Record);
        assert!((0.46..0.54).contains(&s), "{s}");
        let mut i = inputs();
        i.session_sample_rate = 0.1;
        let s = share(&i, Some(&half), SessionMode::Record);
        assert!((0.08..0.12).contains(&s), "{s}");
        // Buffered: among the rest, the on-error rate.
        i.on_error_sample_rate = 1.0;
        let b = share(&i, None, SessionMode::Buffer);
        assert!((0.86..0.94).contains(&b), "{b}");
        let none = remote(json!({"sampleRate": 0}));
        assert_eq!(share(&i, Some(&none), SessionMode::Record), 0.0);
        assert_eq!(share(&i, Some(&none), SessionMode::Buffer), 0.0);
    }

    #[test]
    fn off_switches_and_a_refused_key_capture_nothing() {
        for (v, why) in [
            (
                json!({"rejourneyEnabled": false, "disabled": true}),
                "remote_disabled",
            ),
            (json!({"billingBlocked": true}), "remote_billing_blocked"),
            (
                json!({"recordingEnabled": false}),
                "remote_recording_disabled",
            ),
        ] {
            let p = plan_session(&inputs(), Some(&remote(v)), false, "s");
            assert_eq!((p.mode, p.off_reason), (SessionMode::Off, Some(why)));
        }
        let p = plan_session(&inputs(), None, true, "s");
        assert_eq!(
            (p.mode, p.off_reason),
            (SessionMode::Off, Some("remote_key_refused"))
        );
    }

    #[test]
    fn replay_off_keeps_analytics_the_other_switches_stop_everything() {
        let plan = |v| plan_session(&inputs(), Some(&remote(v)), false, "s");
        let replay = plan(json!({"recordingEnabled": false}));
        assert!(replay.replay_off() && replay.sampled_in() && !replay.stops_everything());
        for v in [json!({"disabled": true}), json!({"billingBlocked": true})] {
            let p = plan(v);
            assert!(p.stops_everything() && !p.sampled_in() && !p.replay_off());
        }
        assert!(plan_session(&inputs(), None, true, "s").stops_everything());
        let mut i = inputs();
        i.session_sample_rate = 0.0;
        let out = plan_session(&i, None, false, "s");
        assert!(!out.sampled_in() && !out.stops_everything() && !out.replay_off());
    }

    #[test]
    fn buffering_never_captures_faster_than_recording() {
        let mut i = inputs();
        i.session_sample_rate = 0.0;
        i.on_error_sample_rate = 1.0;
        i.buffer_interval_ms = 100;
        let p = plan_session(&i, None, false, "s");
        assert_eq!(p.mode, SessionMode::Buffer);
        assert_eq!(p.interval_ms(), 1000);
        i.buffer_interval_ms = 3000;
        assert_eq!(plan_session(&i, None, false, "s").interval_ms(), 3000);
    }

    #[test]
    fn stricter_takes_the_more_private_of_each_field() {
        let a = plan_session(&inputs(), None, false, "s");
        let r = remote(json!({"recordingFps": 1, "maxRecordingMinutes": 2,
            "imageVideoMasking": "all", "recordingEnabled": false}));
        let b = plan_session(&inputs(), Some(&r), false, "s");
        let s = a.stricter(&b);
        assert_eq!(s.mode, SessionMode::Off);
        assert_eq!(s.off_reason, Some("remote_recording_disabled"));
        assert_eq!(s.max_session_ms, 120_000);
        assert!(s.mask_all_images);
        assert_eq!(b.stricter(&a), s);
    }
}
