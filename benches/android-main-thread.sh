#!/usr/bin/env bash
# The Android adapter's main-thread cost of one capture (walk + copy request) for a 500- and a
# 1 000-view Activity under Robolectric (benches/android/AndroidMainThreadBench.kt), with the
# cached dependencies of scripts/test-android.sh. Prints median and p95 per row and the
# 1 000 / 500 ratios; record them in benches/RESULTS.md. Not part of ./scripts/test.sh.
# REJOURNEY_BENCH_MAIN: another copy of bindings/kotlin/src/main/kotlin to measure (a "before").
# -Dbench.runs / -Dbench.warmup / -Dbench.rounds through REJOURNEY_BENCH_JAVA_OPTS.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
kotlinc=$(./scripts/kotlin-toolchain.sh)
stdlib=$(dirname "$(dirname "$kotlinc")")/lib/kotlin-stdlib.jar
deps=$(./scripts/android-deps.sh)
android_all=$(ls "$deps"/compile/android-all-*.jar)
jna=/usr/share/java/jna.jar
jars=$(find "$deps/jars" -name '*.jar' | sort | tr '\n' ':')
[[ -d bindings/kotlin/generated ]] || ./scripts/gen-bindings.sh kotlin
main=${REJOURNEY_BENCH_MAIN:-bindings/kotlin/src/main/kotlin}
out=target/bench-android
rm -rf "$out" && mkdir -p "$out"
sources=$(find bindings/kotlin/generated "$main" benches/android -name '*.kt')
"$kotlinc" -nowarn -jvm-target 17 -no-reflect -cp "$android_all:$jna:$jars" -d "$out" $sources
echo "bench: nproc $(nproc), load $(cut -d' ' -f1-3 /proc/loadavg), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
java -Djava.awt.headless=true -Drobolectric.offline=true -Drobolectric.dependency.dir="$deps/sdk" \
  -Drobolectric.logging.enabled=false ${REJOURNEY_BENCH_JAVA_OPTS:-} \
  -cp "$out:$stdlib:$jna:$jars:$android_all" org.junit.runner.JUnitCore io.rejourney.android.AndroidMainThreadBench 2>&1 |
  grep -E '^BENCH|^OK|^FAILURES|Exception|Error' || true
echo "bench: load after $(cut -d' ' -f1-3 /proc/loadavg)"
