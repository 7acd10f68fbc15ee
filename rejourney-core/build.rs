//! Link options for the shipped shared library only (tests and the static library are not
//! affected). On GNU/Linux the cdylib's relative relocations are packed (`DT_RELR`, glibc
//! 2.36+): about 8 000 of them (vtables, panic locations) take 24 bytes each in `.rela.dyn`
//! otherwise, some 180 KiB of a 3 MiB library. On x86_64, where rustc links with its own
//! LLD since 1.90, identical functions are folded (`--icf=all`: generic instances that
//! compile to the same code, ~37 KiB). Both measured in `benches/RESULTS.md`, library size.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-z,pack-relative-relocs");
        if arch == "x86_64" && rustc_links_with_lld() {
            println!("cargo:rustc-cdylib-link-arg=-Wl,--icf=all");
        }
    }
}

/// Whether rustc is 1.90 or later (LLD by default on x86_64-unknown-linux-gnu); GNU ld
/// would refuse `--icf`.
fn rustc_links_with_lld() -> bool {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let Ok(out) = std::process::Command::new(rustc).arg("--version").output() else {
        return false;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    // "rustc 1.95.0 (…)"
    let minor = text
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.split('.').nth(1))
        .and_then(|m| m.parse::<u32>().ok());
    minor.is_some_and(|m| m >= 90)
}
