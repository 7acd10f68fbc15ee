#!/usr/bin/env bash
# Generates the UniFFI bindings (Kotlin and/or Swift) from the host-built library, in library
# mode. Generated files are never committed: they land in bindings/*/generated (git-ignored).
# The bindings depend only on the library's metadata, the same in every profile: this builds
# the test profile (`release`), which the platform suites load; the shipped library is built
# by scripts/build-lib.sh / scripts/build-xcframework.sh (`release-lib`).
# Usage: scripts/gen-bindings.sh [kotlin|swift|all]   (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-all}
cargo build --release -p rejourney-core -p uniffi-bindgen >&2
lib=target/release/librejourney_core.so
gen() {
  local lang=$1 out=$2
  rm -rf "$out"
  ./target/release/uniffi-bindgen generate --no-format --library "$lib" --language "$lang" --out-dir "$out" >&2
  echo "generated $lang bindings in $out" >&2
}
[[ $which == kotlin || $which == all ]] && gen kotlin bindings/kotlin/generated
if [[ $which == swift || $which == all ]]; then
  gen swift bindings/swift/generated
  # Lay the output out as the Swift package expects: the Swift file in its own target, the
  # header with a module map for the C library. On Linux that module links the host .so; the
  # Apple module map (inside the xcframework) is written by scripts/build-xcframework.sh.
  pkg=bindings/swift/Sources
  rm -rf "$pkg/RejourneyBindings" "$pkg/rejourney_coreFFI"
  mkdir -p "$pkg/RejourneyBindings" "$pkg/rejourney_coreFFI"
  cp bindings/swift/generated/rejourney_core.swift "$pkg/RejourneyBindings/"
  cp bindings/swift/generated/rejourney_coreFFI.h "$pkg/rejourney_coreFFI/"
  cat > "$pkg/rejourney_coreFFI/module.modulemap" <<'MAP'
module rejourney_coreFFI {
    header "rejourney_coreFFI.h"
    link "rejourney_core"
    export *
}
MAP
fi
exit 0
