#!/usr/bin/env bash
# Generates the UniFFI bindings (Kotlin and/or Swift) from the host-built library, in library
# mode. Generated files are never committed: they land in bindings/*/generated (git-ignored).
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
[[ $which == swift || $which == all ]] && gen swift bindings/swift/generated
exit 0
