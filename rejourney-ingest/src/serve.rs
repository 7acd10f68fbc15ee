//! Connections: accept (bounded), read one request, answer the development pages (`pages`),
//! else record it, apply a scripted fault or authenticate and dispatch it to its route,
//! answer, close. JSON bodies are read the way
//! the backend's `express.json({limit: '5mb'})` reads them, so a malformed or oversized body
//! gets its 500 and a body without a JSON content type reads as `{}`.

use std::net::{TcpListener, TcpStream};
use std::sync::atomic::Ordering::*;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::faults::{injected, Fault};
use crate::http::{read_request, write_response, ReadError, Request, Response};
use crate::{lifecycle, lock, pages, uploads, Inner, RequestRecord, Route};

/// Most connections served at once; more are closed at accept.
const MAX_CONNECTIONS: usize = 128;

/// The backend's JSON body limit (`express.json({limit: '5mb'})`).
const MAX_JSON_BYTES: usize = 5 << 20;

pub(crate) fn accept_loop(inner: Arc<Inner>, listener: TcpListener) {
    for conn in listener.incoming() {
        if inner.stop.load(Acquire) {
            return;
        }
        let Ok(stream) = conn else { continue };
        if inner.down.load(Acquire) || inner.connections.load(Acquire) >= MAX_CONNECTIONS {
            reset(stream);
            continue;
        }
        inner.connections.fetch_add(1, AcqRel);
        let conn_inner = inner.clone();
        let spawned = std::thread::Builder::new()
            .name("ingest-conn".into())
            .spawn(move || {
                serve(&conn_inner, stream);
                conn_inner.connections.fetch_sub(1, AcqRel);
            });
        if spawned.is_err() {
            inner.connections.fetch_sub(1, AcqRel);
        }
    }
}

/// Closes with a TCP reset (no FIN): what a client sees from a crashed peer.
pub(crate) fn reset(stream: TcpStream) {
    let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
    drop(stream);
}

fn route_of(method: &str, path: &str) -> Option<Route> {
    Some(match (method, path) {
        ("POST", "/api/ingest/auth/device") => Route::DeviceAuth,
        ("POST", "/api/ingest/segment/presign") => Route::SegmentPresign,
        ("POST", "/api/ingest/segment/complete") => Route::SegmentComplete,
        ("POST", "/api/ingest/presign") => Route::EventsPresign,
        ("POST", "/api/ingest/batch/complete") => Route::BatchComplete,
        ("POST", "/api/ingest/session/end") => Route::SessionEnd,
        ("POST", "/api/ingest/fault") => Route::Fault,
        ("GET", "/api/sdk/config") => Route::SdkConfig,
        ("PUT", p) if p.starts_with("/upload/segment/") => Route::SegmentPut,
        ("PUT", p) if p.starts_with("/upload/events/") => Route::EventsPut,
        _ => return None,
    })
}

/// The body a route sees, as `express.json` leaves it: `{}` when the content type is not
/// JSON or the body is empty; a 500 for a body over 5 MB, malformed, or not an object or
/// array (the backend's error handler turns the parser's errors into 500s).
fn json_body(req: &Request) -> Result<Value, Response> {
    let is_json = req
        .header("content-type")
        .is_some_and(|t| t.to_ascii_lowercase().starts_with("application/json"));
    if !is_json || req.body.is_empty() {
        return Ok(json!({}));
    }
    let internal = |message: String| {
        Response::json(
            500,
            &json!({"error": "Internal Server Error", "message": message}),
        )
    };
    if req.body.len() > MAX_JSON_BYTES {
        return Err(internal("request entity too large".into()));
    }
    match serde_json::from_slice::<Value>(&req.body) {
        Ok(v @ (Value::Object(_) | Value::Array(_))) => Ok(v),
        Ok(_) => Err(internal("JSON body must be an object or an array".into())),
        Err(e) => Err(internal(format!("Unexpected token in JSON: {e}"))),
    }
}

fn serve(inner: &Inner, mut stream: TcpStream) {
    let req = match read_request(&stream, inner.opts.max_body_bytes) {
        Ok(r) => r,
        Err(ReadError::TooLarge(_)) => {
            let _ = write_response(&mut stream, &Response::error(413, "body too large"));
            return;
        }
        Err(ReadError::Malformed(m)) => {
            let _ = write_response(&mut stream, &Response::error(400, m));
            return;
        }
        Err(ReadError::Io(_)) => return,
    };
    if let Some(page) = pages::handle(inner, &req) {
        let _ = write_response(&mut stream, &page);
        return;
    }
    let Some(route) = route_of(&req.method, &req.path) else {
        let _ = write_response(&mut stream, &Response::error(404, "no such route"));
        return;
    };
    // Parsed for the request log only when a route could read it (the JSON limit).
    let parsed = (req.method == "POST" && req.body.len() <= MAX_JSON_BYTES)
        .then(|| serde_json::from_slice::<Value>(&req.body).ok())
        .flatten();
    let seq = {
        let mut st = lock(&inner.state);
        *st.stats.requests.entry(format!("{route:?}")).or_default() += 1;
        st.record(RequestRecord {
            route,
            method: req.method.clone(),
            path: req.path.clone(),
            api_key: project_key(&req)
                .or_else(|| req.header("x-public-key"))
                .map(str::to_owned),
            platform: req.header("x-platform").map(str::to_owned),
            bundle_id: req.header("x-bundle-id").map(str::to_owned),
            upload_token: req.header("x-upload-token").map(str::to_owned),
            session_id: req.header("x-session-id").map(str::to_owned),
            idempotency_key: req.header("idempotency-key").map(str::to_owned),
            content_type: req.header("content-type").map(str::to_owned),
            user_agent: req.header("user-agent").map(str::to_owned),
            body_len: req.body.len(),
            json: parsed.clone(),
            status: None,
            received: Instant::now(),
        })
    };
    let response = match inner.faults.take(route) {
        None | Some(Fault::Pass) => handle(inner, route, &req, false),
        Some(Fault::ExpireNextPut) => handle(inner, route, &req, true),
        Some(Fault::Delay(d)) => {
            let until = Instant::now() + d;
            while Instant::now() < until && !inner.stop.load(Acquire) {
                std::thread::sleep(Duration::from_millis(20));
            }
            handle(inner, route, &req, false)
        }
        Some(Fault::HangUpAfterHandling) => {
            let _ = handle(inner, route, &req, false);
            reset(stream);
            return;
        }
        Some(fault) => match injected(inner, fault, parsed.as_ref(), &mut stream) {
            Some(r) => r,
            None => return,
        },
    };
    if let Some(r) = lock(&inner.state).record_mut(seq) {
        r.status = Some(response.status);
    }
    let _ = write_response(&mut stream, &response);
}

/// The project key a request carries (`x-rejourney-key`, or `x-api-key`).
fn project_key(req: &Request) -> Option<&str> {
    req.header("x-rejourney-key")
        .or_else(|| req.header("x-api-key"))
        .filter(|k| !k.is_empty())
}

fn unauthorized(message: &str) -> Response {
    Response::json(401, &json!({"error": "Unauthorized", "message": message}))
}

/// Authentication per route. Stricter than the backend on purpose: ingest routes want an
/// upload token from device auth (the backend also takes the bare project key), except
/// faults, which the official SDKs send with the project key only, as the backend allows.
fn authorize(inner: &Inner, route: Route, req: &Request) -> Result<(), Response> {
    let key = project_key(req);
    let wrong_key = |k: &str| inner.opts.api_key.as_deref().is_some_and(|want| want != k);
    match route {
        Route::SegmentPut | Route::EventsPut => Ok(()),
        Route::SdkConfig => match req.header("x-public-key").filter(|k| !k.is_empty()) {
            None => Err(Response::error(400, "x-public-key header is required")),
            Some(k) if wrong_key(k) => Err(Response::error(401, "Invalid public key")),
            Some(_) => Ok(()),
        },
        Route::DeviceAuth => match key {
            None => Err(Response::error(401, "Project key is required")),
            Some(k) if wrong_key(k) => Err(Response::error(401, "Invalid project key")),
            Some(_) => Ok(()),
        },
        _ => {
            if key.is_some_and(wrong_key) {
                return Err(unauthorized("Invalid project key"));
            }
            let token = req.header("x-upload-token");
            if token.is_some_and(|t| lock(&inner.state).tokens.contains_key(t)) {
                return Ok(());
            }
            let browser = req.header("origin").is_some() || req.header("x-platform") == Some("web");
            match (key, token) {
                (Some(_), _) if route == Route::Fault && !browser => Ok(()),
                (None, None) => Err(unauthorized("Project key or upload token required")),
                _ if browser => Err(unauthorized(
                    "Valid upload token required for browser ingest",
                )),
                _ => Err(unauthorized(
                    "Valid upload token required (local server: call device auth first)",
                )),
            }
        }
    }
}

fn handle(inner: &Inner, route: Route, req: &Request, expire: bool) -> Response {
    if let Err(refused) = authorize(inner, route, req) {
        return refused;
    }
    if matches!(route, Route::SegmentPut | Route::EventsPut) {
        return uploads::put(inner, req);
    }
    if route == Route::SdkConfig {
        return lifecycle::sdk_config(inner);
    }
    let body = match json_body(req) {
        Ok(b) => b,
        Err(r) => return r,
    };
    match route {
        Route::DeviceAuth => lifecycle::device_auth(inner, &body),
        Route::SegmentPresign => uploads::presign(inner, req, &body, true, expire),
        Route::EventsPresign => uploads::presign(inner, req, &body, false, expire),
        Route::SegmentComplete => uploads::complete(inner, req, &body, "segmentId"),
        Route::BatchComplete => uploads::complete(inner, req, &body, "batchId"),
        Route::SessionEnd => lifecycle::session_end(inner, &body),
        _ => lifecycle::fault_report(inner, &body),
    }
}
