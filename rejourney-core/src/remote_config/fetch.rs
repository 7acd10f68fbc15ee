//! Getting the remote config: one background thread, a deadline, and the last good answer
//! kept on disk per key.
//!
//! The thread loads the cached answer for this key, then asks `GET {api}/api/sdk/config`
//! (`x-public-key`, `x-platform`, `x-bundle-id`). A readable 200 replaces the cache; 401, 403
//! or 404 mean the server refused the key (recording stops and telemetry says so, and the
//! cache for the key is deleted); anything else (offline, 5xx, a stall past the deadline, a
//! body that is not a JSON object) keeps the cached answer, or none. Nobody waits for it: the
//! client reads [`RemoteConfigSource::state`] on its ticks, and holds the first frame of a
//! session for at most its hold time while nothing at all is known.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering::*};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use super::RemoteConfig;
use crate::artifact::wall_clock_ms;
use crate::upload::http::{Timeouts, Transport, TransportError};
use crate::wait::{lock, Deadline};

/// Where the config comes from and how long a fetch may take.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    pub api_url: String,
    pub api_key: String,
    /// `x-platform` (`ios`, `android`, …); not sent when empty.
    pub platform: String,
    /// `x-bundle-id`: the app's bundle id or package name; not sent when empty.
    pub app_id: String,
    /// Directory of the cached answers.
    pub cache_dir: PathBuf,
    /// Bounds one fetch (connect, answer and body).
    pub timeouts: Timeouts,
    pub sdk_version: String,
}

/// How the current knowledge was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RemoteStatus {
    /// The first fetch has not finished and nothing was cached.
    Pending,
    /// The server answered this process.
    Fresh,
    /// The fetch failed (or has not finished); the answer cached by an earlier run is used.
    Cached,
    /// The fetch failed and nothing was cached: the app's options alone apply.
    Unavailable,
    /// The server refused the key (401, 403 or 404): nothing is recorded.
    Refused,
}

/// What is known, read by the client.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RemoteState {
    /// Bumped on every change (the client re-plans when it moves).
    pub generation: u64,
    pub status: RemoteStatus,
    pub config: Option<RemoteConfig>,
    /// The HTTP status of the last answer, if any.
    pub http_status: Option<u16>,
    /// Why the last fetch did not give a fresh config.
    pub error: Option<String>,
    /// Fetches finished (answered or failed).
    pub fetches: u64,
    /// A fetch is running or requested.
    pub in_flight: bool,
}

impl RemoteState {
    /// Whether the server refused the key.
    pub fn refused(&self) -> bool {
        self.status == RemoteStatus::Refused
    }

    /// Nothing is known yet and an answer is on its way: the first frame may wait for it.
    pub fn undecided(&self) -> bool {
        self.config.is_none() && self.status == RemoteStatus::Pending
    }

    /// For telemetry and `effective_options`.
    pub fn to_json(&self) -> Value {
        json!({"status": self.status, "httpStatus": self.http_status, "error": self.error,
            "fetches": self.fetches, "config": self.config})
    }
}

struct Inner {
    cfg: FetchConfig,
    state: Mutex<RemoteState>,
    changed: Condvar,
    /// Fetches asked for and not started.
    wanted: Mutex<u64>,
    wake: Condvar,
    stop: AtomicBool,
    /// Tracking consent pending or denied: no request leaves the phone; a wanted fetch
    /// waits until it is released ([`RemoteConfigSource::set_held`]).
    held: AtomicBool,
}

/// The fetch thread's handle. Dropping it stops the thread (a fetch in flight is abandoned
/// after its own deadline).
pub struct RemoteConfigSource {
    inner: Arc<Inner>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl std::fmt::Debug for RemoteConfigSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteConfigSource").finish_non_exhaustive()
    }
}

/// The cache file of a key: the key itself is never written to disk, only its hash.
pub fn cache_path(dir: &Path, api_key: &str) -> PathBuf {
    let h = crate::fingerprint::stable_hash(&[api_key.as_bytes()]);
    dir.join(format!("remote-config-{h:016x}.json"))
}

/// Most bytes of a cached answer read back (the fetch itself is bounded by its timeouts).
const MAX_CACHE_BYTES: u64 = 64 * 1024;

fn load_cache(path: &Path) -> Option<RemoteConfig> {
    let meta = fs::metadata(path).ok()?;
    if meta.len() > MAX_CACHE_BYTES {
        return None;
    }
    let v: Value = serde_json::from_slice(&fs::read(path).ok()?).ok()?;
    RemoteConfig::from_json(v.get("answer")?).ok()
}

fn save_cache(path: &Path, answer: &Value) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    let body = serde_json::to_vec(&json!({"savedAtMs": wall_clock_ms(), "answer": answer}))
        .unwrap_or_default();
    fs::write(&tmp, body)?;
    fs::rename(&tmp, path)
}

/// One fetch's outcome.
enum Outcome {
    Fresh(RemoteConfig, Value),
    Refused(u16),
    Failed(Option<u16>, String),
}

fn fetch_once(cfg: &FetchConfig, transport: &Transport) -> Outcome {
    let url = format!("{}/api/sdk/config", cfg.api_url.trim_end_matches('/'));
    let mut headers = vec![("x-public-key", cfg.api_key.as_str())];
    if !cfg.platform.is_empty() {
        headers.push(("x-platform", cfg.platform.as_str()));
    }
    if !cfg.app_id.is_empty() {
        headers.push(("x-bundle-id", cfg.app_id.as_str()));
    }
    match transport.get(&url, &headers) {
        Err(e) => Outcome::Failed(None, transport_words(&e)),
        Ok(r) if matches!(r.status, 401 | 403 | 404) => Outcome::Refused(r.status),
        Ok(r) if r.status == 200 => {
            match super::read_answer(&r.body)
                .map_err(|e| e.to_string())
                .and_then(|v| {
                    RemoteConfig::from_json(&v)
                        .map(|c| (c, v))
                        .map_err(|e| e.to_string())
                }) {
                Ok((c, v)) => Outcome::Fresh(c, v),
                Err(e) => Outcome::Failed(Some(200), format!("unreadable answer: {e}")),
            }
        }
        Ok(r) => Outcome::Failed(Some(r.status), format!("HTTP {}", r.status)),
    }
}

fn transport_words(e: &TransportError) -> String {
    e.to_string()
}

impl RemoteConfigSource {
    /// Starts the thread and its first fetch.
    pub fn start(cfg: FetchConfig) -> std::io::Result<Self> {
        Self::start_held(cfg, false)
    }

    /// Starts the thread; with `held` its first fetch waits for [`Self::set_held`]`(false)`
    /// (the cached answer is still loaded: reading the disk sends nothing).
    pub fn start_held(cfg: FetchConfig, held: bool) -> std::io::Result<Self> {
        let inner = Arc::new(Inner {
            cfg,
            state: Mutex::new(RemoteState {
                generation: 0,
                status: RemoteStatus::Pending,
                config: None,
                http_status: None,
                error: None,
                fetches: 0,
                in_flight: true,
            }),
            changed: Condvar::new(),
            wanted: Mutex::new(1),
            wake: Condvar::new(),
            stop: AtomicBool::new(false),
            held: AtomicBool::new(held),
        });
        let worker = inner.clone();
        let thread = std::thread::Builder::new()
            .name("rejourney-config".into())
            .spawn(move || run(worker))?;
        Ok(Self {
            inner,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// What is known now (cheap: one short lock).
    pub fn state(&self) -> RemoteState {
        lock(&self.inner.state).clone()
    }

    /// The generation of [`Self::state`], to notice changes.
    pub fn generation(&self) -> u64 {
        lock(&self.inner.state).generation
    }

    /// Asks for a new fetch (session rotation); returns at once.
    pub fn refetch(&self) {
        *lock(&self.inner.wanted) += 1;
        lock(&self.inner.state).in_flight = true;
        self.inner.wake.notify_all();
    }

    /// Holds (or releases) every fetch: consent pending or denied sends nothing.
    pub fn set_held(&self, held: bool) {
        let _wanted = lock(&self.inner.wanted);
        self.inner.held.store(held, Release);
        self.inner.wake.notify_all();
    }

    /// Waits up to `timeout` until no fetch is in flight. Returns whether none is.
    pub fn wait_settled(&self, timeout: Duration) -> bool {
        let deadline = Deadline::after(timeout);
        let mut st = lock(&self.inner.state);
        while st.in_flight {
            let left = deadline.left();
            if left.is_zero() {
                return false;
            }
            st = match self.inner.changed.wait_timeout(st, left) {
                Ok((g, _)) => g,
                Err(p) => p.into_inner().0,
            };
        }
        true
    }

    /// Stops the thread without waiting for a fetch in flight.
    pub fn stop(&self) {
        self.inner.stop.store(true, Release);
        self.inner.wake.notify_all();
        // Detach: a fetch in flight ends by its own deadline; joining could block the host.
        drop(lock(&self.thread).take());
    }
}

impl Drop for RemoteConfigSource {
    fn drop(&mut self) {
        self.stop();
    }
}

fn update(inner: &Inner, f: impl FnOnce(&mut RemoteState)) {
    let mut st = lock(&inner.state);
    f(&mut st);
    st.generation += 1;
    inner.changed.notify_all();
}

fn run(inner: Arc<Inner>) {
    let path = cache_path(&inner.cfg.cache_dir, &inner.cfg.api_key);
    if let Some(cached) = load_cache(&path) {
        update(&inner, |st| {
            if st.status == RemoteStatus::Pending {
                st.status = RemoteStatus::Cached;
                st.config = Some(cached);
            }
        });
    }
    let agent = format!("rejourney-core/{}", inner.cfg.sdk_version);
    let transport = match Transport::new(inner.cfg.timeouts, &agent, &inner.cfg.api_url) {
        Ok(t) => t,
        Err(e) => {
            update(&inner, |st| {
                st.in_flight = false;
                st.error = Some(e.to_string());
                if st.status == RemoteStatus::Pending {
                    st.status = RemoteStatus::Unavailable;
                }
            });
            return;
        }
    };
    loop {
        {
            let mut wanted = lock(&inner.wanted);
            while (*wanted == 0 || inner.held.load(Acquire)) && !inner.stop.load(Acquire) {
                wanted = match inner.wake.wait(wanted) {
                    Ok(g) => g,
                    Err(p) => p.into_inner(),
                };
            }
            if inner.stop.load(Acquire) {
                return;
            }
            *wanted = 0;
        }
        let outcome = fetch_once(&inner.cfg, &transport);
        let more = *lock(&inner.wanted) > 0;
        match outcome {
            Outcome::Fresh(config, answer) => {
                let saved = save_cache(&path, &answer)
                    .err()
                    .map(|e| format!("cache: {e}"));
                update(&inner, |st| {
                    st.status = RemoteStatus::Fresh;
                    st.config = Some(config);
                    st.http_status = Some(200);
                    st.error = saved;
                    st.fetches += 1;
                    st.in_flight = more;
                });
            }
            Outcome::Refused(status) => {
                let _ = fs::remove_file(&path);
                update(&inner, |st| {
                    st.status = RemoteStatus::Refused;
                    st.config = None;
                    st.http_status = Some(status);
                    st.error = Some(format!("the server refused the key (HTTP {status})"));
                    st.fetches += 1;
                    st.in_flight = more;
                });
            }
            Outcome::Failed(status, why) => update(&inner, |st| {
                st.status = match (st.status, st.config.is_some()) {
                    // A refused key stays refused until the server says otherwise.
                    (RemoteStatus::Refused, _) => RemoteStatus::Refused,
                    (_, true) if st.status == RemoteStatus::Fresh => RemoteStatus::Fresh,
                    (_, true) => RemoteStatus::Cached,
                    (_, false) => RemoteStatus::Unavailable,
                };
                st.http_status = status;
                st.error = Some(why);
                st.fetches += 1;
                st.in_flight = more;
            }),
        }
    }
}
