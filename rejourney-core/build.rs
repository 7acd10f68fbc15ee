//! Link options for the shipped shared library only (tests and the static library are not
//! affected). On GNU/Linux the cdylib's relative relocations are packed (`DT_RELR`, glibc
//! 2.36+): about 8 000 of them (vtables, panic locations) take 24 bytes each in `.rela.dyn`
//! otherwise, some 180 KiB of a 3 MiB library (`benches/RESULTS.md`, library size).
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-z,pack-relative-relocs");
    }
}
