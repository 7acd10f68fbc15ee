//! `rejourney-ingest [--bind 127.0.0.1:8787] [--data DIR] [--api-key KEY] [--replay-disabled]
//! [--project-disabled] [--max-recording-minutes N]`: the local ingest server for development
//! and demos. The switches set the project as the backend would have it (replay off, the kill
//! switch, the recording limit; 0 minutes: none). Prints its URL, then serves until killed;
//! open the URL in a browser for the sessions list and the player.
//!
//! `rejourney-ingest replay --data DIR [--session ID] [--telemetry FILE] --out FILE.html`:
//! writes the replay of one stored session (default: the newest) as one self-contained HTML
//! file. `--telemetry` takes a JSON file with the recording client's capture telemetry (the
//! demo's `summary.json`), which the server never receives.

use std::net::SocketAddr;
use std::path::PathBuf;

use rejourney_ingest::{write_replay, IngestServer, ReplayOptions, ServerOptions};

const USAGE: &str = "usage: rejourney-ingest [--bind 127.0.0.1:8787] [--data DIR] [--api-key KEY] \
                     [--replay-disabled] [--project-disabled] [--max-recording-minutes N]\n       \
                     rejourney-ingest replay --data DIR [--session ID] [--telemetry FILE] --out FILE.html";

fn main() {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some("replay") {
        args.next();
        replay(args);
    }
    let mut opts = ServerOptions::new("ingest-data");
    opts.bind = SocketAddr::from(([127, 0, 0, 1], 8787));
    while let Some(a) = args.next() {
        match a.as_str() {
            "--replay-disabled" => opts.recording_enabled = false,
            "--project-disabled" => opts.project_disabled = true,
            "--bind" | "--data" | "--api-key" | "--max-recording-minutes" => {
                let Some(v) = args.next() else { fail(USAGE) };
                match a.as_str() {
                    "--bind" => match v.parse() {
                        Ok(addr) => opts.bind = addr,
                        Err(_) => fail(&format!("--bind takes host:port, got {v}")),
                    },
                    "--data" => opts.data_dir = v.into(),
                    "--api-key" => opts.api_key = Some(v),
                    _ => match v.parse::<u32>() {
                        Ok(0) => opts.max_recording_minutes = None,
                        Ok(m) => opts.max_recording_minutes = Some(m),
                        Err(_) => fail(&format!("--max-recording-minutes takes a number, got {v}")),
                    },
                }
            }
            _ => fail(USAGE),
        }
    }
    match IngestServer::start(opts.clone()) {
        Ok(server) => {
            println!(
                "rejourney-ingest listening on {} (data in {})",
                server.url(),
                opts.data_dir.display()
            );
            loop {
                std::thread::park();
            }
        }
        Err(e) => fail(&format!("cannot start: {e}")),
    }
}

/// `replay`: writes one session's player page and prints where.
fn replay(mut args: impl Iterator<Item = String>) -> ! {
    let (mut data, mut session, mut out, mut telemetry) = (None, None, None, None);
    while let Some(a) = args.next() {
        let Some(v) = args.next() else { fail(USAGE) };
        match a.as_str() {
            "--data" => data = Some(PathBuf::from(v)),
            "--session" => session = Some(v),
            "--out" => out = Some(PathBuf::from(v)),
            "--telemetry" => telemetry = Some(PathBuf::from(v)),
            _ => fail(USAGE),
        }
    }
    let (Some(data), Some(out)) = (data, out) else {
        fail(USAGE)
    };
    let client_telemetry = telemetry.map(|path| {
        let text = std::fs::read(&path)
            .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", path.display())));
        serde_json::from_slice::<serde_json::Value>(&text)
            .unwrap_or_else(|e| fail(&format!("{} is not JSON: {e}", path.display())))
    });
    let opts = ReplayOptions {
        live: false,
        client_telemetry,
    };
    match write_replay(&data, session.as_deref(), &out, &opts) {
        Ok(r) => {
            println!(
                "replay of {} ({} bundles, {} events, {} snapshots, {} faults): {}",
                r.session_id,
                r.bundles,
                r.events,
                r.snapshots,
                r.faults,
                r.path.display()
            );
            std::process::exit(0)
        }
        Err(e) => fail(&format!("replay: {e}")),
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("{msg}");
    std::process::exit(2)
}
