//! Remote configuration: what the backend's `GET /api/sdk/config` says about this project,
//! parsed so that every doubt falls to the more private side.
//!
//! The answer (`routes/sdk.ts` in the Rejourney backend) carries `rejourneyEnabled`,
//! `recordingEnabled`, `billingBlocked`, `disabled` + `reason`, `sampleRate` (0–100),
//! `recordingFps` (1–3), `maxRecordingMinutes` (1–10), `textInputMasking` (`all` |
//! `secure_only`) and `imageVideoMasking` (`none` | `all`). Older backends omit some of these:
//! an absent field says nothing (the app's own choice stands), while a present field with an
//! unknown, malformed or unreadable value is read as its most private choice (no recording,
//! fewest frames, shortest sessions, everything masked). Each field is read on its own
//! ([`read_answer`]): one value the JSON layer cannot read never hides a `disabled` beside it. [`plan`] combines it with the app's options;
//! [`fetch`] gets it with a deadline and keeps the last good answer on disk per key.

pub mod fetch;
pub mod plan;
mod tolerant;

use serde_json::Value;

pub use fetch::{RemoteConfigSource, RemoteState, RemoteStatus};
pub use plan::{plan_session, sample_unit, LocalChoices, SessionMode, SessionPlan};

/// `textInputMasking`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TextInputMasking {
    /// Every text input is masked.
    All,
    /// Only secure (password) inputs; secure inputs are masked whatever anyone says.
    SecureOnly,
}

/// The project settings the backend sent, each `None` when it did not say.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RemoteConfig {
    /// `rejourneyEnabled` and not `disabled`: false turns the SDK off for the project.
    pub enabled: bool,
    /// `recordingEnabled`: false when replay is off (e.g. the quota is used up).
    pub recording_enabled: bool,
    /// `billingBlocked`: the team may not record.
    pub billing_blocked: bool,
    /// Why the project is off (`reason` or `billingReason`), for telemetry.
    pub reason: Option<String>,
    /// `sampleRate` as a fraction, clamped to 0..=1.
    pub sample_rate: Option<f64>,
    /// `recordingFps`, clamped to 1..=3.
    pub fps: Option<u32>,
    /// `maxRecordingMinutes`, clamped to 1..=10.
    pub max_minutes: Option<u32>,
    pub text_input_masking: Option<TextInputMasking>,
    /// `imageVideoMasking`: true for `all`.
    pub mask_images_and_video: Option<bool>,
    pub project_id: Option<String>,
}

/// Why an answer could not be read at all (then the cached answer or the app's own options
/// are used, see [`fetch`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the remote config is not JSON: {0}")]
    NotJson(String),
    #[error("the remote config is not a JSON object")]
    NotObject,
}

/// The answer's top-level object with each member read on its own: a value the JSON layer
/// cannot read (`1e400`, a lone `"\ud800"`) stands as a value of the wrong type, which its
/// field reads as its most private choice, and never hides the other fields (`tolerant`).
pub fn read_answer(body: &[u8]) -> Result<Value, ParseError> {
    tolerant::read_object(body)
}

/// A flag: absent takes `absent`; anything but a JSON boolean is read as `private`.
fn flag(v: &Value, key: &str, absent: bool, private: bool) -> bool {
    match v.get(key) {
        None | Some(Value::Null) => absent,
        Some(Value::Bool(b)) => *b,
        Some(_) => private,
    }
}

/// A whole number clamped to `lo..=hi`; present but not a finite number reads `private`.
fn number(v: &Value, key: &str, lo: f64, hi: f64, private: f64) -> Option<f64> {
    match v.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => match n.as_f64() {
            Some(x) if x.is_finite() => Some(x.clamp(lo, hi)),
            _ => Some(private),
        },
        Some(_) => Some(private),
    }
}

impl RemoteConfig {
    /// Parses the body of a 200 answer, field by field ([`read_answer`]).
    pub fn parse(body: &[u8]) -> Result<Self, ParseError> {
        Self::from_json(&read_answer(body)?)
    }

    pub fn from_json(v: &Value) -> Result<Self, ParseError> {
        if !v.is_object() {
            return Err(ParseError::NotObject);
        }
        // `disabled: true` or `rejourneyEnabled: false` (either malformed) turns it off.
        let enabled = flag(v, "rejourneyEnabled", true, false) && !flag(v, "disabled", false, true);
        let text = match v.get("textInputMasking") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s == "secure_only" => Some(TextInputMasking::SecureOnly),
            Some(_) => Some(TextInputMasking::All),
        };
        let images = match v.get("imageVideoMasking") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s == "none" => Some(false),
            Some(_) => Some(true),
        };
        let text_of = |key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
        Ok(Self {
            enabled,
            recording_enabled: flag(v, "recordingEnabled", true, false),
            billing_blocked: flag(v, "billingBlocked", false, true),
            reason: text_of("reason").or_else(|| text_of("billingReason")),
            // The backend sends an integer percentage (0–100).
            sample_rate: number(v, "sampleRate", 0.0, 100.0, 0.0).map(|p| p / 100.0),
            fps: number(v, "recordingFps", 1.0, 3.0, 1.0).map(|f| f.floor() as u32),
            max_minutes: number(v, "maxRecordingMinutes", 1.0, 10.0, 1.0).map(|m| m.floor() as u32),
            text_input_masking: text,
            mask_images_and_video: images,
            project_id: text_of("projectId"),
        })
    }

    /// Why nothing may be captured under this config, if so.
    pub fn off_reason(&self) -> Option<&'static str> {
        if !self.enabled {
            Some("remote_disabled")
        } else if self.billing_blocked {
            Some("remote_billing_blocked")
        } else if !self.recording_enabled {
            Some("remote_recording_disabled")
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> RemoteConfig {
        RemoteConfig::from_json(&v).unwrap()
    }

    #[test]
    fn reads_the_backends_full_answer() {
        let c = parse(json!({"projectId": "p1", "teamId": "t", "name": "n",
            "rejourneyEnabled": true, "recordingEnabled": true, "textInputMasking": "secure_only",
            "imageVideoMasking": "all", "recordingFps": 3, "sampleRate": 25,
            "maxRecordingMinutes": 4, "billingBlocked": false}));
        assert!(c.enabled && c.recording_enabled && !c.billing_blocked);
        assert_eq!(c.sample_rate, Some(0.25));
        assert_eq!(c.fps, Some(3));
        assert_eq!(c.max_minutes, Some(4));
        assert_eq!(c.text_input_masking, Some(TextInputMasking::SecureOnly));
        assert_eq!(c.mask_images_and_video, Some(true));
        assert_eq!(c.project_id.as_deref(), Some("p1"));
        assert_eq!(c.off_reason(), None);
    }

    #[test]
    fn absent_fields_say_nothing() {
        let c = parse(json!({}));
        assert!(c.enabled && c.recording_enabled && !c.billing_blocked);
        assert_eq!((c.sample_rate, c.fps, c.max_minutes), (None, None, None));
        assert_eq!(c.text_input_masking, None);
        assert_eq!(c.mask_images_and_video, None);
    }

    #[test]
    fn malformed_values_fall_to_the_more_private_choice() {
        let c = parse(json!({"rejourneyEnabled": "yes", "sampleRate": "100",
            "recordingFps": null, "maxRecordingMinutes": [10], "textInputMasking": "none",
            "imageVideoMasking": "some", "billingBlocked": 0}));
        assert!(!c.enabled, "a non-boolean enabled is off");
        assert!(c.billing_blocked, "a non-boolean billingBlocked blocks");
        assert_eq!(c.sample_rate, Some(0.0));
        assert_eq!(c.fps, None, "null is absent");
        assert_eq!(c.max_minutes, Some(1));
        assert_eq!(c.text_input_masking, Some(TextInputMasking::All));
        assert_eq!(c.mask_images_and_video, Some(true));
        let c = parse(json!({"recordingEnabled": 1}));
        assert_eq!(c.off_reason(), Some("remote_recording_disabled"));
    }

    #[test]
    fn out_of_range_values_are_clamped() {
        let c = parse(json!({"sampleRate": 250, "recordingFps": 60, "maxRecordingMinutes": 0}));
        assert_eq!(c.sample_rate, Some(1.0));
        assert_eq!(c.fps, Some(3));
        assert_eq!(c.max_minutes, Some(1));
        let c = parse(json!({"sampleRate": -5, "recordingFps": 0.2}));
        assert_eq!(c.sample_rate, Some(0.0));
        assert_eq!(c.fps, Some(1));
    }

    #[test]
    fn each_off_switch_turns_recording_off() {
        let off = |v: Value| parse(v).off_reason();
        assert_eq!(
            off(
                json!({"projectId": "p", "rejourneyEnabled": false, "recordingEnabled": false,
                "disabled": true, "reason": "Rejourney disabled by project admin"})
            ),
            Some("remote_disabled")
        );
        assert_eq!(off(json!({"disabled": true})), Some("remote_disabled"));
        assert_eq!(
            off(json!({"billingBlocked": true, "billingReason": "quota"})),
            Some("remote_billing_blocked")
        );
        assert_eq!(
            off(json!({"recordingEnabled": false})),
            Some("remote_recording_disabled")
        );
        let c = parse(json!({"disabled": true, "reason": "admin"}));
        assert_eq!(c.reason.as_deref(), Some("admin"));
    }

    #[test]
    fn an_unreadable_value_never_hides_a_kill_switch() {
        let c = RemoteConfig::parse(
            br#"{"sampleRate": 1e400, "reason": "\ud800", "disabled": true, "recordingFps": 3}"#,
        )
        .unwrap();
        assert_eq!(c.off_reason(), Some("remote_disabled"));
        assert_eq!(
            c.sample_rate,
            Some(0.0),
            "unreadable: the most private rate"
        );
        assert_eq!(c.reason, None);
        assert_eq!(c.fps, Some(3), "its neighbours are read as sent");
        let c =
            RemoteConfig::parse(br#"{"recordingEnabled": true, "billingBlocked": 1e999}"#).unwrap();
        assert_eq!(c.off_reason(), Some("remote_billing_blocked"));
        let c = RemoteConfig::parse(
            br#"{"textInputMasking": "\udc00", "maxRecordingMinutes": -1e400}"#,
        )
        .unwrap();
        assert_eq!(c.text_input_masking, Some(TextInputMasking::All));
        assert_eq!(c.max_minutes, Some(1));
    }

    #[test]
    fn bodies_that_are_not_an_object_are_errors() {
        assert!(matches!(
            RemoteConfig::parse(b"<html>"),
            Err(ParseError::NotJson(_))
        ));
        assert_eq!(RemoteConfig::parse(b"[1]"), Err(ParseError::NotObject));
    }
}
