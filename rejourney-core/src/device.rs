//! The device a session is recorded on, as the backend reads it: `deviceInfo` of event
//! batches (it sets the session's platform, model, OS and app version), device fields of
//! presigns and the SDK's user agent.

use serde_json::{json, Value};

/// What the host knows about its device. Empty strings and non-finite or negative sizes mean
/// "unknown" and are sent as empty / 0, never as invalid JSON.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeviceInfo {
    /// `ios` or `android` (the backend compares lowercase).
    pub platform: String,
    pub model: String,
    pub os_version: String,
    pub app_id: String,
    pub app_version: String,
    /// Screen size in points and the pixels per point.
    pub screen_width: f32,
    pub screen_height: f32,
    pub screen_scale: f32,
}

impl DeviceInfo {
    pub fn to_json(&self) -> Value {
        let finite = |v: f32| if v.is_finite() && v >= 0.0 { v } else { 0.0 };
        let (w, h, s) = (
            finite(self.screen_width),
            finite(self.screen_height),
            finite(self.screen_scale),
        );
        json!({
            "platform": self.platform.to_ascii_lowercase(), "model": self.model,
            "osVersion": self.os_version, "appId": self.app_id, "appVersion": self.app_version,
            "sdkVersion": crate::SDK_VERSION, "screenWidth": w, "screenHeight": h,
            "pixelRatio": s, "screenWidthPx": (w * s).round(), "screenHeightPx": (h * s).round(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_values_stay_valid_json() {
        let d = DeviceInfo {
            platform: "iOS".into(),
            screen_width: f32::NAN,
            screen_height: 852.0,
            screen_scale: 3.0,
            ..DeviceInfo::default()
        };
        let j = d.to_json();
        assert_eq!(j["platform"], "ios");
        assert_eq!(j["screenWidth"], 0.0);
        assert_eq!(j["screenHeightPx"], 2556.0);
    }
}
