//! The development pages the server serves beside the protocol: `GET /` (the sessions list),
//! `GET /sessions/<id>` (the replay player, live: it fetches `GET /sessions/<id>/data.json`
//! again until the session has ended). They read what is on disk, need no key (the server is
//! a local tool bound to loopback by default) and are not recorded as protocol requests.
//!
//! A page reads a whole session (up to `stored::MAX_SESSION_BYTES`), so pages are built one at
//! a time: with the connection cap that bounds what page requests can hold in memory.

use std::sync::Mutex;

use crate::http::{Request, Response};
use crate::replay::{page_data, render_replay, script_json, ReplayOptions};
use crate::sessions::{list_sessions, render_list};
use crate::stored::{self, StoredError};
use crate::{lock, Inner};

/// One page built at a time.
static BUILDING: Mutex<()> = Mutex::new(());

fn html(status: u16, body: String) -> Response {
    Response {
        status,
        headers: vec![
            ("Content-Type".into(), "text/html; charset=utf-8".into()),
            ("Cache-Control".into(), "no-store".into()),
        ],
        body: body.into_bytes(),
    }
}

fn refused(e: &StoredError) -> Response {
    let status = match e {
        StoredError::NoSuchSession { .. } | StoredError::NoSessions(_) => 404,
        StoredError::TooLarge { .. } => 413,
        StoredError::Io { .. } => 500,
    };
    Response::error(status, &e.to_string())
}

/// Answers a `GET` for a page; `None` if the path is not one (the caller answers 404).
pub(crate) fn handle(inner: &Inner, req: &Request) -> Option<Response> {
    if req.method != "GET" {
        return None;
    }
    let path = req.path.as_str();
    let data_dir = &inner.opts.data_dir;
    if path == "/" {
        let _one = lock(&BUILDING);
        return Some(match list_sessions(data_dir) {
            Ok(rows) => html(200, render_list(&rows, data_dir)),
            Err(e) => refused(&e),
        });
    }
    let rest = path.strip_prefix("/sessions/")?;
    let (id, data) = match rest.strip_suffix("/data.json") {
        Some(id) => (id, true),
        None => (rest.trim_end_matches('/'), false),
    };
    if id.is_empty() || id.contains('/') {
        return None;
    }
    let _one = lock(&BUILDING);
    let session = match stored::load(data_dir, id) {
        Ok(s) => s,
        Err(e) => return Some(refused(&e)),
    };
    let opts = ReplayOptions {
        live: true,
        client_telemetry: None,
    };
    Some(if data {
        Response {
            status: 200,
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                ("Cache-Control".into(), "no-store".into()),
            ],
            body: script_json(&page_data(&session, &opts)).into_bytes(),
        }
    } else {
        html(200, render_replay(&session, &opts))
    })
}
