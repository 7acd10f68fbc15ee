//! `rejourney-ingest [--bind 127.0.0.1:8787] [--data DIR] [--api-key KEY] [--replay-disabled]
//! [--project-disabled] [--max-recording-minutes N]`: the local ingest server for development
//! and demos. The switches set the project as the backend would have it (replay off, the kill
//! switch, the recording limit; 0 minutes: none). Prints its URL, then serves until killed.

use std::net::SocketAddr;

use rejourney_ingest::{IngestServer, ServerOptions};

const USAGE: &str = "usage: rejourney-ingest [--bind 127.0.0.1:8787] [--data DIR] [--api-key KEY] \
                     [--replay-disabled] [--project-disabled] [--max-recording-minutes N]";

fn main() {
    let mut opts = ServerOptions::new("ingest-data");
    opts.bind = SocketAddr::from(([127, 0, 0, 1], 8787));
    let mut args = std::env::args().skip(1);
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

fn fail(msg: &str) -> ! {
    eprintln!("{msg}");
    std::process::exit(2)
}
