//! `cargo run -p uniffi-bindgen -- generate --library <lib> --language kotlin|swift --out-dir <dir>`
//! Kept in the workspace so the generator always matches the runtime version.
fn main() {
    uniffi::uniffi_bindgen_main()
}
