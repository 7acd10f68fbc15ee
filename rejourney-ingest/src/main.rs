//! `rejourney-ingest [--bind 127.0.0.1:8787] [--data DIR] [--api-key KEY]`: the local ingest
//! server for development and demos. Prints its URL, then serves until killed.

use std::net::SocketAddr;

use rejourney_ingest::{IngestServer, ServerOptions};

fn main() {
    let mut opts = ServerOptions::new("ingest-data");
    opts.bind = SocketAddr::from(([127, 0, 0, 1], 8787));
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let value = args.next();
        match (a.as_str(), value) {
            ("--bind", Some(v)) => match v.parse() {
                Ok(addr) => opts.bind = addr,
                Err(_) => fail(&format!("--bind takes host:port, got {v}")),
            },
            ("--data", Some(v)) => opts.data_dir = v.into(),
            ("--api-key", Some(v)) => opts.api_key = Some(v),
            _ => {
                fail("usage: rejourney-ingest [--bind 127.0.0.1:8787] [--data DIR] [--api-key KEY]")
            }
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
