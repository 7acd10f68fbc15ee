//! The replay page: one self-contained HTML file per session (`rejourney-ingest replay`, the
//! demo's `replay.html`, and the server's `/sessions/<id>`). Everything the player needs is
//! inlined — the frame bundles exactly as stored (base64 of the gzip; the page's own parser
//! reads them, held to the core's by shared test vectors), events, hierarchy snapshots, faults,
//! the session end — and its Content-Security-Policy forbids every request (the live page may
//! only fetch its own data again), so a replay file opens anywhere with no network at all.
//!
//! The player's code lives in `rejourney-ingest/viewer/` (readable, and tested in a real browser
//! by `scripts/test-viewer.sh`); it is embedded here with `include_str!`.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use rejourney_core::{Config, ParseLimits};
use serde_json::{json, Value};

use crate::stored::{self, StoredError, StoredSession};

/// Page data format, bumped when the shape the player reads changes.
pub const FORMAT: u32 = 1;

const TEMPLATE: &str = include_str!("../viewer/player.html");
const STYLE: &str = include_str!("../viewer/player.css");
/// The player's scripts, in load order (each adds to `window.RJ`).
const SCRIPTS: [&str; 6] = [
    include_str!("../viewer/bundle.js"),
    include_str!("../viewer/model.js"),
    include_str!("../viewer/overlays.js"),
    include_str!("../viewer/timeline.js"),
    include_str!("../viewer/panels.js"),
    include_str!("../viewer/player.js"),
];

/// No request at all: inline scripts and styles, images from `blob:` (decoded frames).
const CSP_FILE: &str =
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
                        img-src blob: data:; connect-src 'none'";
/// The live page may fetch its own session's data again.
const CSP_LIVE: &str =
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
                        img-src blob: data:; connect-src 'self'";

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error(transparent)]
    Stored(#[from] StoredError),
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// How a page is written.
#[derive(Debug, Clone, Default)]
pub struct ReplayOptions {
    /// The server's live page: polls `/sessions/<id>/data.json` until the session has ended.
    pub live: bool,
    /// The recording client's own capture telemetry (`TelemetrySnapshot` as JSON), which the
    /// server never receives; the demo passes it so its replay shows frames captured, skipped
    /// and dropped by reason.
    pub client_telemetry: Option<Value>,
}

/// What [`write_replay`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplaySummary {
    pub session_id: String,
    pub path: PathBuf,
    pub bundles: usize,
    pub events: usize,
    pub snapshots: usize,
    pub faults: usize,
    /// Size of the HTML file.
    pub bytes: u64,
}

/// Text for HTML content and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Changes whenever what is stored for the session changes (the live page reloads on it).
fn signature(s: &StoredSession) -> String {
    let mut sig: Vec<String> = s
        .storage
        .iter()
        .map(|(k, v)| format!("{k}:{}:{}", v.files, v.bytes))
        .collect();
    sig.push(format!("problems:{}", s.problems.len()));
    sig.join(",")
}

/// The data the player reads (the `rj-data` block of the page, and the live data route).
pub fn page_data(s: &StoredSession, opts: &ReplayOptions) -> Value {
    let limits = ParseLimits::default();
    let b64 = base64::engine::general_purpose::STANDARD;
    let bundles: Vec<Value> = s
        .bundles
        .iter()
        .map(|b| json!({"name": b.name, "size": b.bytes.len(), "gz": b64.encode(&b.bytes)}))
        .collect();
    let storage: serde_json::Map<String, Value> = s
        .storage
        .iter()
        .map(|(k, v)| ((*k).to_owned(), json!({"files": v.files, "bytes": v.bytes})))
        .collect();
    json!({
        "format": FORMAT,
        "generator": concat!("rejourney-ingest ", env!("CARGO_PKG_VERSION")),
        "live": opts.live,
        "dataUrl": opts.live.then(|| format!("/sessions/{}/data.json", s.id)),
        "signature": signature(s),
        "session": {"id": s.id, "startMs": s.start_ms, "ended": s.end.is_some(), "end": s.end},
        "deviceInfo": s.device_info,
        "limits": {"maxDecompressed": limits.max_decompressed, "maxFrames": limits.max_frames,
            "maxFrameLen": limits.max_frame_len},
        "captureIntervalMs": Config::default().capture_interval_ms,
        "bundles": bundles,
        "events": s.events,
        "hierarchy": s.hierarchy,
        "faults": s.faults,
        "storage": storage,
        "clientTelemetry": opts.client_telemetry,
        "problems": s.problems,
    })
}

/// JSON safe inside a `<script>` element: no `<` (so no `</script>`), `>` or `&` left raw.
/// These characters can only occur inside JSON strings, where `\u003c` means the same.
pub(crate) fn script_json(v: &Value) -> String {
    let text = serde_json::to_string(v).unwrap_or_else(|_| "{}".into());
    text.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// Fills `{{name}}` slots of the template in one pass, so inserted text is never scanned for
/// slots itself.
fn fill(template: &str, slots: &[(&str, &str)]) -> String {
    let mut out =
        String::with_capacity(template.len() + slots.iter().map(|s| s.1.len()).sum::<usize>());
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        match after.find("}}").and_then(|close| {
            let name = &after[..close];
            slots
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (close, *v))
        }) {
            Some((close, value)) => {
                out.push_str(value);
                rest = &after[close + 2..];
            }
            None => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The player page for a session.
pub fn render_replay(s: &StoredSession, opts: &ReplayOptions) -> String {
    let data = script_json(&page_data(s, opts));
    let script = SCRIPTS.join("\n");
    let title = escape_html(&format!("Replay {}", s.id));
    fill(
        TEMPLATE,
        &[
            ("csp", if opts.live { CSP_LIVE } else { CSP_FILE }),
            ("title", &title),
            ("style", STYLE),
            ("data", &data),
            ("script", &script),
        ],
    )
}

/// Writes the replay of `session` (default: the newest under `data_dir`) to `out`.
pub fn write_replay(
    data_dir: &Path,
    session: Option<&str>,
    out: &Path,
    opts: &ReplayOptions,
) -> Result<ReplaySummary, ReplayError> {
    let id = match session {
        Some(id) => id.to_owned(),
        None => stored::session_ids(data_dir)?
            .into_iter()
            .next()
            .ok_or_else(|| StoredError::NoSessions(data_dir.to_owned()))?,
    };
    let s = stored::load(data_dir, &id)?;
    let html = render_replay(&s, opts);
    let write_err = |source| ReplayError::Write {
        path: out.to_owned(),
        source,
    };
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(write_err)?;
    }
    std::fs::write(out, html.as_bytes()).map_err(write_err)?;
    Ok(ReplaySummary {
        session_id: s.id.clone(),
        path: out.to_owned(),
        bundles: s.bundles.len(),
        events: s.events.len(),
        snapshots: s.hierarchy.len(),
        faults: s.faults.len(),
        bytes: html.len() as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_filled_once_and_inserted_text_is_not_rescanned() {
        let out = fill("a{{x}}b{{y}}c{{z}}", &[("x", "{{y}}"), ("y", "<&>")]);
        assert_eq!(out, "a{{y}}b<&>c{{z}}");
    }

    #[test]
    fn data_cannot_close_its_script_element() {
        let v = json!({"name": "</script><script>alert(1)</script>", "amp": "&"});
        let text = script_json(&v);
        assert!(!text.contains('<') && !text.contains('>') && !text.contains('&'));
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), v);
    }

    #[test]
    fn embedded_assets_do_not_end_their_elements() {
        for s in SCRIPTS {
            assert!(!s.to_ascii_lowercase().contains("</script"));
        }
        assert!(!STYLE.to_ascii_lowercase().contains("</style"));
        for slot in [
            "{{csp}}",
            "{{title}}",
            "{{style}}",
            "{{data}}",
            "{{script}}",
        ] {
            assert_eq!(TEMPLATE.matches(slot).count(), 1, "{slot}");
        }
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape_html("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
