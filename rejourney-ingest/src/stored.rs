//! One session read back from the data directory, for the replay page and the sessions list:
//! its frame bundles exactly as uploaded (gzipped; the page parses them itself), its hierarchy
//! snapshots, its events with the batch's `deviceInfo`, its session end as the schema kept it,
//! and the fault reports that name it. The layout is `storage`'s: `<session>/<kind>/<id>.gz`,
//! `<session>/session-end.json`, `faults/fault-N.json`.
//!
//! Everything here was written by clients, so every read is bounded (files per kind, bytes per
//! file and per session) and a file that cannot be read or parsed is reported by name in
//! [`StoredSession::problems`] instead of failing the whole session.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::events::session_start_ms;
use crate::storage::{gunzip, safe};

/// Files read at most per kind of artifact in one session.
const MAX_FILES: usize = 10_000;
/// Largest stored file read (the server's largest upload body).
const MAX_FILE_BYTES: u64 = 64 << 20;
/// Most bytes read for one session, all kinds together.
pub(crate) const MAX_SESSION_BYTES: u64 = 512 << 20;
/// Fault reports looked at at most (the oldest first), and the largest read (the JSON limit).
const MAX_FAULT_FILES: usize = 10_000;
const MAX_FAULT_BYTES: u64 = 5 << 20;
/// Session directories looked at at most.
pub(crate) const MAX_SESSIONS: usize = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum StoredError {
    #[error("no session {id} under {}", dir.display())]
    NoSuchSession { id: String, dir: PathBuf },
    #[error("no sessions under {}", .0.display())]
    NoSessions(PathBuf),
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("session {id} holds more than {max} bytes")]
    TooLarge { id: String, max: u64 },
}

/// A stored file, named by its upload id.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Files and bytes stored of one kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KindStats {
    pub files: u64,
    pub bytes: u64,
}

/// What the data directory holds for one session.
#[derive(Debug, Clone, Default)]
pub struct StoredSession {
    /// The directory name (the session id, with any unsafe character replaced).
    pub id: String,
    /// Epoch ms the frame offsets count from: the id's `session_<ms>_…`, else the earliest
    /// timestamp stored, else `None`.
    pub start_ms: Option<u64>,
    /// Frame bundles as uploaded, by name.
    pub bundles: Vec<StoredFile>,
    /// Hierarchy snapshots, by their `timestamp`.
    pub hierarchy: Vec<Value>,
    /// Every stored event, batch after batch (batches in upload order).
    pub events: Vec<Value>,
    /// The last batch's `deviceInfo`.
    pub device_info: Option<Value>,
    /// `session-end.json`: the end call as the backend's schema kept it.
    pub end: Option<Value>,
    /// Fault reports (crashes, ANRs) naming this session.
    pub faults: Vec<Value>,
    /// Per kind (`screenshots`, `hierarchy`, `events`, `session-end`, `faults`).
    pub storage: BTreeMap<&'static str, KindStats>,
    /// Files skipped, each with why.
    pub problems: Vec<String>,
}

impl StoredSession {
    /// Bytes stored for the session, all kinds.
    pub fn bytes(&self) -> u64 {
        self.storage.values().map(|k| k.bytes).sum()
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoredError + '_ {
    move |source| StoredError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Reads at most `max` bytes of a file; `None` (and a problem noted) if it is larger.
fn read_bounded(path: &Path, max: u64, problems: &mut Vec<String>) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    let read = std::fs::File::open(path).and_then(|f| f.take(max + 1).read_to_end(&mut bytes));
    match read {
        Err(e) => problems.push(format!("{}: {e}", path.display())),
        Ok(_) if bytes.len() as u64 > max => {
            problems.push(format!("{}: larger than {max} bytes", path.display()))
        }
        Ok(_) => return Some(bytes),
    }
    None
}

/// The `*.gz` files of a kind directory, by name (temp files of unfinished writes skipped).
fn gz_files(dir: &Path) -> Result<Vec<PathBuf>, StoredError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(dir)(e)),
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "gz"))
        .collect();
    files.sort();
    files.truncate(MAX_FILES);
    Ok(files)
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Session directories under `data_dir`, newest first (by the start in the id, then name).
pub fn session_ids(data_dir: &Path) -> Result<Vec<String>, StoredError> {
    let entries = std::fs::read_dir(data_dir).map_err(io(data_dir))?;
    let mut ids: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "faults" && safe(n) == *n)
        .filter(|n| {
            let d = data_dir.join(n);
            ["screenshots", "hierarchy", "events", "session-end.json"]
                .iter()
                .any(|k| d.join(k).exists())
        })
        .take(MAX_SESSIONS)
        .collect();
    // Unknown starts (ids not of the SDK's form) sort last.
    let start = |id: &str| match session_start_ms(id, f64::MAX) {
        f64::MAX => -1.0,
        ms => ms,
    };
    ids.sort_by(|a, b| start(b).total_cmp(&start(a)).then_with(|| a.cmp(b)));
    Ok(ids)
}

/// Reads one session. `id` may be the session id or its directory name.
pub fn load(data_dir: &Path, id: &str) -> Result<StoredSession, StoredError> {
    let name = safe(id);
    let dir = data_dir.join(&name);
    if name.is_empty() || name == "faults" || !dir.is_dir() {
        return Err(StoredError::NoSuchSession {
            id: id.to_owned(),
            dir: data_dir.to_owned(),
        });
    }
    let mut s = StoredSession {
        id: name,
        ..StoredSession::default()
    };
    let mut total = 0u64;
    let mut count = |s: &mut StoredSession, kind: &'static str, len: u64| {
        total += len;
        let k = s.storage.entry(kind).or_default();
        k.files += 1;
        k.bytes += len;
        if total > MAX_SESSION_BYTES {
            return Err(StoredError::TooLarge {
                id: s.id.clone(),
                max: MAX_SESSION_BYTES,
            });
        }
        Ok(())
    };
    for path in gz_files(&dir.join("screenshots"))? {
        if let Some(bytes) = read_bounded(&path, MAX_FILE_BYTES, &mut s.problems) {
            count(&mut s, "screenshots", bytes.len() as u64)?;
            s.bundles.push(StoredFile {
                name: file_name(&path),
                bytes,
            });
        }
    }
    for (kind, path) in gz_files(&dir.join("hierarchy"))?
        .into_iter()
        .map(|p| ("hierarchy", p))
        .chain(
            gz_files(&dir.join("events"))?
                .into_iter()
                .map(|p| ("events", p)),
        )
    {
        let Some(bytes) = read_bounded(&path, MAX_FILE_BYTES, &mut s.problems) else {
            continue;
        };
        count(&mut s, kind, bytes.len() as u64)?;
        let parsed = gunzip(&bytes[..])
            .map_err(|e| e.to_string())
            .and_then(|raw| serde_json::from_slice::<Value>(&raw).map_err(|e| e.to_string()));
        match (kind, parsed) {
            (_, Err(e)) => s.problems.push(format!("{}: {e}", path.display())),
            ("hierarchy", Ok(snapshot)) => s.hierarchy.push(snapshot),
            (_, Ok(mut batch)) => {
                if let Some(Value::Array(events)) = batch.get_mut("events").map(Value::take) {
                    s.events.extend(events);
                }
                if batch.get("deviceInfo").is_some_and(Value::is_object) {
                    s.device_info = Some(batch["deviceInfo"].take());
                }
            }
        }
    }
    s.hierarchy
        .sort_by(|a, b| timestamp(a).total_cmp(&timestamp(b)));
    let end_path = dir.join("session-end.json");
    if end_path.exists() {
        if let Some(bytes) = read_bounded(&end_path, MAX_FAULT_BYTES, &mut s.problems) {
            count(&mut s, "session-end", bytes.len() as u64)?;
            match serde_json::from_slice(&bytes) {
                Ok(v) => s.end = Some(v),
                Err(e) => s.problems.push(format!("{}: {e}", end_path.display())),
            }
        }
    }
    for (len, fault) in faults_of(data_dir, id, &s.id, &mut s.problems)? {
        count(&mut s, "faults", len)?;
        s.faults.push(fault);
    }
    s.start_ms = start_of(&s, id);
    Ok(s)
}

fn timestamp(v: &Value) -> f64 {
    v["timestamp"]
        .as_f64()
        .or_else(|| v["timestampMs"].as_f64())
        .unwrap_or(f64::MAX)
}

/// The start the SDK counted frame offsets from: the id's, else the earliest timestamp.
fn start_of(s: &StoredSession, id: &str) -> Option<u64> {
    let from_id = session_start_ms(id, f64::MAX);
    if from_id < f64::MAX {
        return Some(from_id as u64);
    }
    s.events
        .iter()
        .chain(&s.hierarchy)
        .chain(&s.faults)
        .map(timestamp)
        .filter(|t| t.is_finite() && *t >= 0.0 && *t < f64::MAX)
        .min_by(f64::total_cmp)
        .map(|t| t as u64)
}

/// The stored fault reports whose `sessionId` is `id` (or maps to the directory `name`).
fn faults_of(
    data_dir: &Path,
    id: &str,
    name: &str,
    problems: &mut Vec<String>,
) -> Result<Vec<(u64, Value)>, StoredError> {
    let dir = data_dir.join("faults");
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(&dir)(e)),
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files.truncate(MAX_FAULT_FILES);
    let mut out = Vec::new();
    for path in files {
        let Some(bytes) = read_bounded(&path, MAX_FAULT_BYTES, problems) else {
            continue;
        };
        let Ok(v) = serde_json::from_slice::<Value>(&bytes) else {
            problems.push(format!("{}: not JSON", path.display()));
            continue;
        };
        let named = v["sessionId"].as_str().unwrap_or_default();
        if named == id || safe(named) == name {
            out.push((bytes.len() as u64, v));
        }
    }
    Ok(out)
}
