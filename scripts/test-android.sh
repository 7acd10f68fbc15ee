#!/usr/bin/env bash
# The Android adapter on the real Android framework: compiles the generated bindings, the
# platform-free layer and the Android adapter against the real android-all jar (no stubs, no
# androidx), then runs the Robolectric suite (native graphics: real widgets in real pixels,
# PixelCopy) with the real core (the host .so through JNA) and the local ingest server, and
# decodes every stored frame with examples/verify_stored.rs. Robolectric, JUnit and the SDK jar
# come from Maven Central through scripts/android-deps.sh (cached in ~/.cache/rejourney);
# Robolectric runs offline from that cache. Prints "android: N passed, M failed" last.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

kotlinc=$(./scripts/kotlin-toolchain.sh)
stdlib=$(dirname "$(dirname "$kotlinc")")/lib/kotlin-stdlib.jar
deps=$(./scripts/android-deps.sh)
android_all=$(ls "$deps"/compile/android-all-*.jar)
jna=/usr/share/java/jna.jar
[[ -f $jna ]] || { echo "android: missing $jna (run scripts/setup.sh --tests)"; echo "android: 0 passed, 1 failed"; exit 1; }
jars=$(find "$deps/jars" -name '*.jar' | sort | tr '\n' ':')

# REJOURNEY_ANDROID_REUSE=1 (a focused rerun while working on the adapter): keep the bindings
# and binaries already built.
if [[ -z ${REJOURNEY_ANDROID_REUSE:-} || ! -d bindings/kotlin/generated || ! -x target/release/rejourney-ingest ]]; then
  ./scripts/gen-bindings.sh kotlin
  cargo build --release -p rejourney-ingest >&2
fi

out=target/android-test
rm -rf "$out" && mkdir -p "$out/classes"
# The adapter without Compose (its source set needs Compose, which only Gradle builds have):
# what an app without Compose on its classpath runs.
sources=$(find bindings/kotlin/generated bindings/kotlin/src/main/kotlin bindings/kotlin/src/robolectric/kotlin \
  bindings/kotlin/src/test/kotlin/io/rejourney/TestSupport.kt -name '*.kt')
echo "android: compiling $(echo "$sources" | wc -l) files against $(basename "$android_all")"
"$kotlinc" -nowarn -jvm-target 17 -no-reflect -cp "$android_all:$jna:$jars" -d "$out/classes" $sources

classes=$(cd "$out/classes" && find . -name '*Test.class' | sed 's|^\./||; s|\.class$||; s|/|.|g')
log=$out/junit.log
rc=0
ingest_data=$out/ingest-data
mkdir -p "$ingest_data"
RUST_BACKTRACE=0 java -Djna.library.path="$root/target/release" -Drejourney.root="$root" -Djava.awt.headless=true \
  -Drejourney.ingestData="$root/$ingest_data" \
  -Drobolectric.offline=true -Drobolectric.dependency.dir="$deps/sdk" \
  -Drobolectric.logging.enabled=false ${REJOURNEY_ANDROID_JAVA_OPTS:-} \
  -cp "$out/classes:$stdlib:$jna:$jars:$android_all" -Drejourney.tests="${REJOURNEY_ANDROID_TESTS:-}" io.rejourney.android.SuiteMain $classes 2>&1 | tee "$log" || rc=$?
if grep -qE '^OK \(([0-9]+) tests?\)' "$log"; then
  n=$(grep -oE '^OK \(([0-9]+)' "$log" | grep -oE '[0-9]+')
  failed=0
else
  run=$(grep -oE 'Tests run: [0-9]+' "$log" | grep -oE '[0-9]+' | tail -1)
  failed=$(grep -oE 'Failures: [0-9]+' "$log" | grep -oE '[0-9]+' | tail -1)
  failed=${failed:-1}
  n=${run:-$failed}
  rc=1
fi
# Privacy end to end on real views: decode every frame the server stored and check each
# private region is black and each visible one is not.
n=$((n + 1))
if ! cargo run --release -q --example verify_stored -- "$ingest_data"; then
  echo "android: stored frames failed the privacy check"
  failed=$((failed + 1))
  rc=1
fi
# Android 16 KB pages: every Android target links with -z max-page-size=16384 (no Android
# target is built here, so the config the Android builds read is checked).
n=$((n + 1))
if ! ./scripts/check-android-page-size.sh; then
  failed=$((failed + 1))
  rc=1
fi
echo "android: $((n - failed)) passed, $failed failed"
exit $rc
