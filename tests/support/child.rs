//! Kill tests run their "app" as a child process: this test binary again, with one ignored or
//! env-gated test selected, which records, prints `SESSION=<id>` and aborts. A real abort is the
//! point — no destructor, no shutdown — so what the next launch finds is what a killed app leaves.

use std::path::Path;
use std::process::Command;

/// Runs `test` of the current test binary as a child with `env_key` set to `spool`, asserts it
/// died (aborted, not returned), and returns the session id it printed.
pub fn run_aborting_child(test: &str, env_key: &str, spool: &Path) -> String {
    let exe = std::env::current_exe().expect("the test binary's path");
    let out = Command::new(exe)
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(env_key, spool)
        .output()
        .expect("the child test process runs");
    assert!(!out.status.success(), "the child aborts");
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .find_map(|l| l.split("SESSION=").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no session id: {stdout}"))
        .to_owned()
}
