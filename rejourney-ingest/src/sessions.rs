//! The sessions list the ingest server shows at `/`: per stored session its start, duration,
//! frames, events, faults and bytes, newest first, each linking to its player.
//!
//! Frames are counted with the core's strict parser, so a bundle the player would refuse is
//! counted as refused here too. The list reads every listed session from disk, so it is cut at
//! [`MAX_LISTED`] sessions.

use std::path::Path;

use rejourney_core::{parse_bundle, ParseLimits};

use crate::replay::escape_html;
use crate::stored::{self, StoredError, StoredSession};

/// Sessions listed at most (the newest).
pub const MAX_LISTED: usize = 200;

/// One line of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub id: String,
    /// Epoch ms, when known (from the id or the earliest timestamp stored).
    pub start_ms: Option<u64>,
    /// From the session end (`endedAt` − start), else to the last frame, event or snapshot.
    pub duration_ms: u64,
    pub ended: bool,
    pub frames: u64,
    /// Bundles the strict parser refuses.
    pub bundles_refused: u64,
    pub events: u64,
    pub faults: u64,
    pub bytes: u64,
}

/// Summarises a stored session.
pub fn row(s: &StoredSession) -> SessionRow {
    let mut frames = 0u64;
    let mut refused = 0u64;
    let mut last_ms = 0u64;
    for b in &s.bundles {
        match parse_bundle(&b.bytes, ParseLimits::default()) {
            Ok(f) => {
                frames += f.len() as u64;
                last_ms = last_ms.max(f.last().map_or(0, |f| f.offset_ms));
            }
            Err(_) => refused += 1,
        }
    }
    let start = s.start_ms.unwrap_or(0);
    let since_start = |v: &serde_json::Value| {
        v["timestamp"]
            .as_f64()
            .or_else(|| v["timestampMs"].as_f64())
            .filter(|t| t.is_finite() && *t >= start as f64)
            .map_or(0, |t| t as u64 - start)
    };
    for v in s.events.iter().chain(&s.hierarchy).chain(&s.faults) {
        last_ms = last_ms.max(since_start(v));
    }
    let ended_at = s
        .end
        .as_ref()
        .and_then(|e| e["endedAt"].as_f64())
        .filter(|t| t.is_finite() && *t >= start as f64);
    SessionRow {
        id: s.id.clone(),
        start_ms: s.start_ms,
        duration_ms: ended_at.map_or(last_ms, |t| t as u64 - start),
        ended: s.end.is_some(),
        frames,
        bundles_refused: refused,
        events: s.events.len() as u64,
        faults: s.faults.len() as u64,
        bytes: s.bytes(),
    }
}

/// The newest [`MAX_LISTED`] sessions under `data_dir`. A session that cannot be read is
/// listed with what is known (its id) rather than hiding the others.
pub fn list_sessions(data_dir: &Path) -> Result<Vec<SessionRow>, StoredError> {
    let mut rows = Vec::new();
    for id in stored::session_ids(data_dir)?.into_iter().take(MAX_LISTED) {
        rows.push(match stored::load(data_dir, &id) {
            Ok(s) => row(&s),
            Err(_) => SessionRow {
                id,
                start_ms: None,
                duration_ms: 0,
                ended: false,
                frames: 0,
                bundles_refused: 0,
                events: 0,
                faults: 0,
                bytes: 0,
            },
        });
    }
    Ok(rows)
}

/// `1 m 05 s`, `12.3 s`.
fn duration(ms: u64) -> String {
    if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        format!("{} m {:02} s", ms / 60_000, ms % 60_000 / 1000)
    }
}

fn bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / f64::from(1 << 20)),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

/// The list page. Start times are written as epoch ms and shown in the reader's time zone by
/// a line of script; without it the ISO time in UTC stays.
pub fn render_list(rows: &[SessionRow], data_dir: &Path) -> String {
    let mut body = String::new();
    for r in rows {
        let id = escape_html(&r.id);
        let start = r.start_ms.map_or(String::from("—"), |ms| {
            format!("<time data-ms=\"{ms}\">{ms}</time>")
        });
        let refused = if r.bundles_refused > 0 {
            format!(
                " <span class=\"bad\">({} refused)</span>",
                r.bundles_refused
            )
        } else {
            String::new()
        };
        body.push_str(&format!(
            "<tr data-session=\"{id}\"><td><a href=\"/sessions/{id}\">{id}</a>{}</td>\
             <td>{start}</td><td class=\"n\">{}</td><td class=\"n\" data-k=\"frames\">{}{refused}</td>\
             <td class=\"n\" data-k=\"events\">{}</td><td class=\"n\" data-k=\"faults\">{}</td>\
             <td class=\"n\" data-k=\"bytes\" data-bytes=\"{}\">{}</td></tr>\n",
            if r.ended { "" } else { " <span class=\"live\">live</span>" },
            duration(r.duration_ms),
            r.frames,
            r.events,
            r.faults,
            r.bytes,
            bytes(r.bytes),
        ));
    }
    if rows.is_empty() {
        body.push_str("<tr><td colspan=\"7\">No sessions yet.</td></tr>\n");
    }
    include_str!("../viewer/sessions.html")
        .replacen(
            "{{data_dir}}",
            &escape_html(&data_dir.display().to_string()),
            1,
        )
        .replacen("{{max}}", &MAX_LISTED.to_string(), 1)
        .replacen("{{rows}}", &body, 1)
}
