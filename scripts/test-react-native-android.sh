#!/usr/bin/env bash
# A session driven by the React Native package's own JS through the real Android module:
# Node runs the compiled package (react-native/lib) with a `react-native` that forwards each
# native call over a pipe to a Robolectric test (native graphics, PixelCopy), which invokes the
# real RejourneyModule (old bridge, from the autolinked RejourneyPackage) and view managers on
# react-android's classes from Maven Central, with the Android adapter capturing real widgets,
# the real core (host .so through JNA) and the local ingest server; examples/verify_stored.rs
# then decodes every stored frame (private regions black, the rest visible).
# Reuses the Android suite's cached dependencies (scripts/android-deps.sh), react-android's jar
# (scripts/react-android-jar.sh) and the built core. Prints "rn-android: N passed, M failed" last.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out=$root/target/react-native-android
rm -rf "$out" && mkdir -p "$out/classes"
failed=0
n=0
finish() { echo "rn-android: $((n - failed)) passed, $failed failed"; if [[ $failed -eq 0 ]]; then exit 0; else exit 1; fi; }

kotlinc=$(./scripts/kotlin-toolchain.sh)
stdlib=$(dirname "$(dirname "$kotlinc")")/lib/kotlin-stdlib.jar
deps=$(./scripts/android-deps.sh)
android_all=$(ls "$deps"/compile/android-all-*.jar)
react_android=$(./scripts/react-android-jar.sh)
jna=/usr/share/java/jna.jar
jars=$(find "$deps/jars" -name '*.jar' | sort | tr '\n' ':')
[[ -d bindings/kotlin/generated ]] || ./scripts/gen-bindings.sh kotlin >&2
cargo build --release -p rejourney-core -p rejourney-ingest >&2
# The package as npm installs it: lib/ from tsc (its prepack step).
(cd react-native && { [[ -d node_modules ]] || npm ci --no-audit --no-fund --loglevel=error; } && npx tsc -p tsconfig.json) >&2

# Gradle's BuildConfig for the old architecture (RejourneyPackage reads it).
mkdir -p "$out/gen/io/rejourney/reactnative"
cat >"$out/gen/io/rejourney/reactnative/BuildConfig.java" <<'JAVA'
package io.rejourney.reactnative;
public final class BuildConfig { public static final boolean IS_NEW_ARCHITECTURE_ENABLED = false; }
JAVA
javac -nowarn -d "$out/classes" "$out/gen/io/rejourney/reactnative/BuildConfig.java"
rn=react-native/android/src
sources=$(find bindings/kotlin/generated bindings/kotlin/src/main/kotlin bindings/kotlin/src/robolectric/kotlin \
  bindings/kotlin/src/test/kotlin/io/rejourney/TestSupport.kt "$rn/main/java" "$rn/oldarch/java" "$rn/robolectric/kotlin" -name '*.kt')
cp_compile="$android_all:$jna:$jars:$react_android:$out/classes"
if ! "$kotlinc" -nowarn -jvm-target 17 -no-reflect -cp "$cp_compile" -d "$out/classes" $sources >"$out/kotlinc.log" 2>&1; then
  grep -v '^warning' "$out/kotlinc.log" | head -40
  echo "rn-android: FAILED: compiling the module and the test"
  n=1; failed=1; finish
fi

ingest_data=$out/ingest-data
mkdir -p "$ingest_data"
log=$out/junit.log
rc=0
n=$((n + 1))
RUST_BACKTRACE=0 java -Djna.library.path="$root/target/release" -Drejourney.root="$root" -Djava.awt.headless=true \
  -Drejourney.ingestData="$ingest_data" -Drejourney.node="$(command -v node)" \
  -Drobolectric.offline=true -Drobolectric.dependency.dir="$deps/sdk" -Drobolectric.logging.enabled=false \
  -cp "$out/classes:$stdlib:$jna:$jars:$react_android:$android_all" \
  io.rejourney.android.SuiteMain io.rejourney.reactnative.JsSessionTest >"$log" 2>&1 || rc=$?
tail -n 30 "$log"
if [[ $rc -ne 0 ]] || ! grep -qE '^OK \(1 test\)' "$log"; then
  echo "rn-android: FAILED: the JS-driven session (see $log)"
  failed=$((failed + 1))
fi
# The stored frames: private regions black, the label visible, the green view green.
n=$((n + 1))
if ! cargo run --release -q --example verify_stored -- "$ingest_data"; then
  echo "rn-android: FAILED: the stored frames of the JS-driven session"
  failed=$((failed + 1))
fi
finish
