//! The backend's small readers, re-implemented from its behaviour: JavaScript's `Number()`,
//! screen names (`utils/heatmapScreens.ts`), which network events are its own traffic or
//! static assets (`utils/internalToolEndpointFilter.ts`), the platform a user agent implies
//! (`services/ingestSessionLifecycle.ts`), and how it recognises frustration taps and
//! keyboard-area taps (`utils/mobileFrustration.ts`). Each decides what a session's numbers
//! become, so each must match for our tests to see what a dashboard would.

use serde_json::Value;

/// JavaScript's `Number(v)`: numbers as they are, numeric strings parsed (empty is 0),
/// booleans 1/0, null 0, anything else NaN.
pub(crate) fn js_number(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::String(s) => {
            let t = s.trim();
            if t.is_empty() {
                0.0
            } else {
                t.parse::<f64>().unwrap_or(f64::NAN)
            }
        }
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Null => 0.0,
        _ => f64::NAN,
    }
}

/// The first of `keys` (dotted paths into `v`) that is present and not null (`a ?? b ?? c`).
pub(crate) fn first<'a>(v: &'a Value, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().find_map(|k| {
        let mut cur = v;
        for part in k.split('.') {
            cur = match part.parse::<usize>() {
                Ok(i) => cur.get(i)?,
                Err(_) => cur.get(part)?,
            };
        }
        (!cur.is_null()).then_some(cur)
    })
}

/// A field as a lowercase string ("" when absent or not a string).
pub(crate) fn lower(v: &Value, keys: &[&str]) -> String {
    first(v, keys)
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_ascii_lowercase()
}

const NOISE: &[&str] = &["unknown", "undefined", "null", "none", "n/a"];

fn has_scheme(s: &str) -> bool {
    let Some((scheme, _)) = s.split_once("://") else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
}

/// (host, path) of a URL or path, as `new URL(x)` would give them (path without query or
/// fragment); a relative value has no host and is its own path.
pub(crate) fn split_url(raw: &str) -> (Option<String>, String) {
    let cut = |s: &str| s.split(['?', '#']).next().unwrap_or("").to_owned();
    if !has_scheme(raw) {
        return (None, cut(raw));
    }
    let rest = raw.split_once("://").map_or("", |(_, r)| r);
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let host = rest[..end]
        .rsplit('@')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let path = cut(&rest[end..]);
    let path = if path.starts_with('/') {
        path
    } else {
        "/".to_owned()
    };
    (Some(host), path)
}

/// Paths the backend files as static assets (not API calls, not screens).
pub(crate) fn is_static_asset(path: &str) -> bool {
    const EXT: &[&str] = &[
        "jpg", "jpeg", "png", "gif", "webp", "avif", "svg", "ico", "css", "js", "map", "woff",
        "woff2", "ttf", "otf", "mp4", "webm", "mov", "m4v", "mp3", "wav", "pdf",
    ];
    let p = path.trim().split(['?', '#']).next().unwrap_or("");
    p.rsplit_once('.')
        .is_some_and(|(_, ext)| EXT.contains(&ext.to_ascii_lowercase().as_str()))
}

fn is_hex(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_hexdigit())
}

/// A path segment that is an id (UUID, long hex, number, long token with a digit).
fn is_id_segment(seg: &str) -> bool {
    // 8-4-4-4-12 hex digits, version 1–5, variant 8/9/a/b.
    let parts: Vec<&str> = seg.split('-').collect();
    let uuid = parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && parts.iter().all(|p| is_hex(p))
        && parts
            .get(2)
            .is_some_and(|p| p.starts_with(['1', '2', '3', '4', '5']))
        && parts
            .get(3)
            .is_some_and(|p| p.starts_with(['8', '9', 'a', 'b', 'A', 'B']));
    let digits = !seg.is_empty() && seg.chars().all(|c| c.is_ascii_digit());
    let token = seg.len() >= 20
        && seg.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && seg.chars().any(|c| c.is_ascii_digit());
    uuid || (seg.len() >= 16 && is_hex(seg)) || digits || token
}

/// A web route as a screen: path only, ids as `:id`, no assets, no `/api`.
fn web_route(raw: &str) -> Option<String> {
    let (_, path) = split_url(raw);
    let path = path.trim();
    if path.is_empty() || is_static_asset(path) {
        return None;
    }
    let segments: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| if is_id_segment(s) { ":id" } else { s })
        .collect();
    let route = format!("/{}", segments.join("/"));
    (route != "/api" && !route.starts_with("/api/")).then_some(route)
}

/// A screen name as the backend keeps it: trimmed, whitespace runs collapsed, placeholder
/// values ("unknown", "null", …) dropped, routes and URLs reduced to a path.
pub(crate) fn screen_name(raw: &str) -> Option<String> {
    let t = raw.trim();
    if t.is_empty() || NOISE.contains(&t.to_ascii_lowercase().as_str()) {
        return None;
    }
    if t.starts_with('/') || has_scheme(t) {
        return web_route(t);
    }
    Some(t.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The screen an event names (`screen`, `screenName`, `payload.screenName|name|route`).
pub(crate) fn event_screen(e: &Value) -> Option<String> {
    let raw = [
        "screen",
        "screenName",
        "payload.screenName",
        "payload.name",
        "payload.route",
    ]
    .iter()
    .find_map(|k| {
        first(e, &[k])
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    })?;
    screen_name(raw)
}

/// Network events the backend drops before counting API calls: anything naming rejourney,
/// static assets, its upload relay, and `/api/ingest` on its own (or no) host.
pub(crate) fn network_excluded(e: &Value) -> bool {
    let raw = first(e, &["url", "endpoint"])
        .and_then(Value::as_str)
        .unwrap_or("");
    let method = e["method"].as_str().unwrap_or("GET");
    if format!("{method} {raw}")
        .to_ascii_lowercase()
        .contains("rejourney")
    {
        return true;
    }
    let (parsed_host, path) = split_url(raw);
    let host = e["urlHost"]
        .as_str()
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .or(parsed_host)
        .unwrap_or_default();
    let path = path.to_ascii_lowercase();
    let under = |prefix: &str| path == prefix || path.starts_with(&format!("{prefix}/"));
    is_static_asset(&path)
        || under("/upload/artifacts")
        || (under("/api/ingest") && (host.is_empty() || host == "api.rejourney.co"))
}

/// What a session's device shape is when the backend creates it (`inferSessionShape`):
/// the presign's `platform` (else "unknown"), overridden from the user agent when the body
/// has no `deviceModel`: `Darwin`/`iPhone`/`iPad` → ios, `Android`/`okhttp` → android, and
/// `Rejourney-SDK/<digits.> (<Platform>; <Model>; <digits.>)` → its platform, lowercased.
pub(crate) fn infer_platform(
    body_platform: Option<&str>,
    has_device_model: bool,
    ua: Option<&str>,
) -> String {
    let mut platform = body_platform.unwrap_or("unknown").to_owned();
    let Some(ua) = ua.filter(|_| !has_device_model) else {
        return platform;
    };
    if ua.contains("Darwin") || ua.contains("iPhone") || ua.contains("iPad") {
        platform = "ios".into();
    } else if ua.contains("Android") || ua.contains("okhttp") {
        platform = "android".into();
    }
    if let Some(p) = sdk_agent_platform(ua) {
        platform = p;
    }
    platform
}

/// The platform of a `Rejourney-SDK/<digits.> (<\w+>; <model>; <digits.>)` user agent.
pub(crate) fn sdk_agent_platform(ua: &str) -> Option<String> {
    ua.match_indices("Rejourney-SDK/").find_map(|(at, tag)| {
        let rest = &ua[at + tag.len()..];
        let version_end = rest.find(|c: char| !c.is_ascii_digit() && c != '.')?;
        if version_end == 0 {
            return None;
        }
        let inner = rest[version_end..].strip_prefix(" (")?;
        let word_end = inner.find(|c: char| !c.is_ascii_alphanumeric() && c != '_')?;
        let (platform, rest) = inner.split_at(word_end);
        let rest = rest.strip_prefix("; ")?;
        let model_end = rest.find(';')?;
        let rest = rest[model_end..].strip_prefix("; ")?;
        let os_end = rest.find(|c: char| !c.is_ascii_digit() && c != '.')?;
        let ok =
            !platform.is_empty() && model_end > 0 && os_end > 0 && rest[os_end..].starts_with(')');
        ok.then(|| platform.to_ascii_lowercase())
    })
}

/// Platforms whose frustration counts the backend recomputes from the raw events
/// (`shouldTrustClientFrustrationCountsForPlatform` is false for them).
pub(crate) fn is_mobile_platform(platform: &str) -> bool {
    let p = platform
        .trim()
        .to_ascii_lowercase()
        .split(|c: char| c == '_' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    [
        "ios",
        "android",
        "swift",
        "swiftui",
        "expo",
        "rn",
        "react-native",
        "reactnative",
        "react-native-ios",
        "react-native-android",
        "mobile",
        "native",
    ]
    .contains(&p.as_str())
}

/// A tap on the system keyboard (UIKit class names in its label): never a rage tap.
pub(crate) fn is_keyboard_area(e: &Value) -> bool {
    let keys = [
        "label",
        "targetLabel",
        "name",
        "payload.label",
        "payload.targetLabel",
        "payload.target",
        "properties.label",
        "properties.targetLabel",
        "properties.target",
    ];
    let text = keys
        .iter()
        .filter_map(|k| first(e, &[k]).and_then(Value::as_str))
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase();
    [
        "uikeyboard",
        "uiinputset",
        "uitexteffects",
        "uiremotekeyboard",
    ]
    .iter()
    .any(|k| text.contains(k))
}

/// An explicit frustration tap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Frustration {
    Rage,
    Dead,
}

/// Whether an event is an explicit rage or dead tap (type, `gestureType` or
/// `frustrationKind`, also under `properties` / `payload`).
pub(crate) fn frustration(e: &Value) -> Option<Frustration> {
    let ty = lower(e, &["type"]);
    let gesture = lower(
        e,
        &[
            "gestureType",
            "properties.gestureType",
            "payload.gestureType",
        ],
    );
    let kind = lower(
        e,
        &[
            "frustrationKind",
            "properties.frustrationKind",
            "payload.frustrationKind",
        ],
    );
    let is = |a: &str, b: &str| ty == a || ty == b || gesture == a || kind == a;
    if is("dead_tap", "dead_click") {
        Some(Frustration::Dead)
    } else if is("rage_tap", "rage_click") {
        Some(Frustration::Rage)
    } else {
        None
    }
}

/// `gestureType` values the backend counts as taps.
pub(crate) fn tap_like_gesture(gesture: &str) -> bool {
    matches!(gesture, "tap" | "single_tap" | "double_tap" | "long_press") || gesture.contains("tap")
}

/// Whether an event is a tap for rage inference (`touch`/`tap`/`click`, or a tap-like
/// `gestureType`).
pub(crate) fn tap_like(e: &Value) -> bool {
    let ty = lower(e, &["type"]);
    let gesture = lower(
        e,
        &[
            "gestureType",
            "properties.gestureType",
            "payload.gestureType",
        ],
    );
    matches!(ty.as_str(), "touch" | "tap" | "click") || tap_like_gesture(&gesture)
}

/// The first touch point of an event (`touches[0]`, else the event's `x`/`y`/`timestamp`).
pub(crate) fn first_touch(e: &Value) -> Option<(f64, f64, f64)> {
    let touches = first(e, &["touches", "properties.touches", "payload.touches"])
        .and_then(Value::as_array)
        .and_then(|t| t.first());
    let pick = |k: &str| {
        let own = touches.and_then(|t| first(t, &[k]));
        let v = own.or_else(|| first(e, &[k, &format!("properties.{k}"), &format!("payload.{k}")]));
        v.map(js_number).filter(|n| n.is_finite())
    };
    Some((pick("x")?, pick("y")?, pick("timestamp")?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn screens_are_trimmed_and_routes_reduced() {
        assert_eq!(screen_name("  Home   Feed "), Some("Home Feed".into()));
        assert_eq!(screen_name("Unknown"), None);
        assert_eq!(
            screen_name("https://shop.example/products/123/reviews?x=1"),
            Some("/products/:id/reviews".into())
        );
        assert_eq!(screen_name("/logo.png"), None);
        assert_eq!(screen_name("/api/items"), None);
        assert_eq!(screen_name("/"), Some("/".into()));
        assert_eq!(
            screen_name("/orders/3f2b8c1e-9a4d-4c2e-8b1f-0123456789ab/items/0123456789abcdef01"),
            Some("/orders/:id/items/:id".into())
        );
    }

    #[test]
    fn own_traffic_and_assets_are_not_api_calls() {
        assert!(network_excluded(
            &json!({"url": "https://api.rejourney.co/api/ingest/presign"})
        ));
        assert!(network_excluded(&json!({"url": "/api/ingest/fault"})));
        assert!(network_excluded(
            &json!({"url": "https://cdn.example.com/a/logo.PNG?v=2"})
        ));
        assert!(!network_excluded(
            &json!({"url": "https://api.example.com/api/ingest/x"})
        ));
        assert!(!network_excluded(
            &json!({"url": "https://api.example.com/items?id=3"})
        ));
    }

    #[test]
    fn the_user_agent_decides_only_without_a_device_model() {
        let sdk = Some("Rejourney-SDK/0.1.0 (Android; Pixel 8; 14)");
        assert_eq!(infer_platform(Some("ios"), false, sdk), "android");
        assert_eq!(infer_platform(Some("ios"), true, sdk), "ios");
        assert_eq!(
            infer_platform(None, false, Some("okhttp/4.12.0")),
            "android"
        );
        assert_eq!(
            infer_platform(None, false, Some("App/1 CFNetwork Darwin/23")),
            "ios"
        );
        assert_eq!(infer_platform(None, false, Some("curl/8")), "unknown");
        // The pattern wants digits and dots: a pre-release version falls back to the words.
        assert_eq!(
            sdk_agent_platform("Rejourney-SDK/0.1.0-dev (iOS; iPhone15,2; 17.5)"),
            None
        );
        assert_eq!(
            sdk_agent_platform("x Rejourney-SDK/1.2 (iOS; iPhone15,2; 17.5) y").as_deref(),
            Some("ios")
        );
        assert!(is_mobile_platform("React Native") && !is_mobile_platform("web"));
    }

    #[test]
    fn frustration_and_taps() {
        let rage = json!({"type": "gesture", "gestureType": "rage_tap", "x": 1, "y": 2,
            "timestamp": 3});
        assert_eq!(frustration(&rage), Some(Frustration::Rage));
        assert!(tap_like(&rage));
        assert_eq!(first_touch(&rage), Some((1.0, 2.0, 3.0)));
        assert!(!tap_like(
            &json!({"type": "gesture", "gestureType": "swipe"})
        ));
        assert!(is_keyboard_area(&json!({"label": "UIKeyboardLayoutStar"})));
    }
}
