#!/usr/bin/env bash
# Per-frame host cost through the Kotlin binding on the JVM (benches/jvm/FrameCost.kt) and
# the same call from Rust (`cargo bench --bench frame_cost`), against a plain copy of the
# frame. The JVM loads the shipped library (profile `release-lib`, scripts/build-lib.sh).
# Not part of scripts/test.sh: a benchmark, nothing asserts a time. Results: benches/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

kotlin_version=2.4.20
cache=${REJOURNEY_CACHE:-$HOME/.cache/rejourney}/kotlin-$kotlin_version
kotlinc=$cache/package/bin/kotlinc
[[ -x $kotlinc ]] || { echo "bench-jvm: run scripts/test-kotlin.sh once (it fetches kotlinc into $cache)" >&2; exit 1; }
stdlib=$cache/package/lib/kotlin-stdlib.jar
jna=/usr/share/java/jna.jar
[[ -f $jna ]] || { echo "bench-jvm: missing $jna (scripts/setup.sh --tests)" >&2; exit 1; }

./scripts/gen-bindings.sh kotlin
./scripts/build-lib.sh >&2

out=target/bench-jvm
rm -rf "$out" && mkdir -p "$out"
"$kotlinc" -nowarn -jvm-target 17 -cp "$jna" -d "$out" bindings/kotlin/generated benches/jvm/FrameCost.kt 2>&1 | grep -v '^warning' >&2 || true
echo "== JVM (Kotlin binding, shipped library target/release-lib)"
java -Djna.library.path="$root/target/release-lib" -cp "$out:$stdlib:$jna" io.rejourney.bench.FrameCostKt
echo "== Rust (same call, no binding; bench profile)"
cargo bench -q --bench frame_cost
