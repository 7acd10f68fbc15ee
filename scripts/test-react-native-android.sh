#!/usr/bin/env bash
# A session driven by the React Native package's own JS through the real Android module:
# Node runs the compiled package (react-native/lib) with a `react-native` that forwards each
# native call over a pipe to a Robolectric test (native graphics, PixelCopy), which invokes the
# real RejourneyModule (old bridge, from the autolinked RejourneyPackage) and view managers on
# react-android's classes from Maven Central, with the Android adapter capturing real widgets,
# the real core (host .so through JNA) and the local ingest server; examples/verify_stored.rs
# then decodes every stored frame (private regions black, the rest visible).
# Reuses the Android suite's cached dependencies (scripts/android-deps.sh), react-android's jar
# (scripts/react-android-deps.sh) and the built core. Prints "rn-android: N passed, M failed" last.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out=$root/target/react-native-android
# RJ_RN_ANDROID_REUSE=1 (a focused rerun while working on the test): keep the SDK and module
# classes already compiled, recompile only the test.
if [[ -n ${RJ_RN_ANDROID_REUSE:-} && -f $out/sdk/.complete ]]; then
  rm -rf "$out/classes" "$out/ingest-data"
else
  rm -rf "$out"
fi
mkdir -p "$out/classes" "$out/sdk"
failed=0
n=0
finish() { echo "rn-android: $((n - failed)) passed, $failed failed"; if [[ $failed -eq 0 ]]; then exit 0; else exit 1; fi; }

kotlinc=$(./scripts/kotlin-toolchain.sh)
stdlib=$(dirname "$(dirname "$kotlinc")")/lib/kotlin-stdlib.jar
deps=$(./scripts/android-deps.sh)
android_all=$(ls "$deps"/compile/android-all-*.jar)
ra_dir=$(./scripts/react-android-deps.sh)
react_android=$ra_dir/classes.jar:$ra_dir/fbcore.jar:$ra_dir/androidx-core.jar:$ra_dir/androidx-core-ktx.jar
jna=/usr/share/java/jna.jar
jars=$(find "$deps/jars" -name '*.jar' | sort | tr '\n' ':')
# The bindings from the library the test loads (stale ones fail every call that carries a
# record), and the ingest server.
if [[ -z ${RJ_RN_ANDROID_REUSE:-} || ! -d bindings/kotlin/generated ]]; then
  ./scripts/gen-bindings.sh kotlin
  cargo build --release -p rejourney-ingest >&2
fi
# The package as npm installs it: lib/ from tsc (its prepack step).
(cd react-native && { [[ -d node_modules ]] || npm ci --no-audit --no-fund --loglevel=error; } && npx tsc -p tsconfig.json) >&2

# Gradle's BuildConfig for the old architecture (RejourneyPackage reads it).
mkdir -p "$out/gen/io/rejourney/reactnative"
cat >"$out/gen/io/rejourney/reactnative/BuildConfig.java" <<'JAVA'
package io.rejourney.reactnative;
public final class BuildConfig { public static final boolean IS_NEW_ARCHITECTURE_ENABLED = false; }
JAVA
# react-android's R class, as an app build generates it from the AAR's R.txt (ids numbered
# 0x7f<type><entry>; the library's own R.txt holds placeholders): its views use R.id values as
# tag keys.
python3 - "$ra_dir/R.txt" "$out/gen/com/facebook/react/R.java" <<'PY'
import os, sys
types = {}
for line in open(sys.argv[1]):
    parts = line.split()
    if len(parts) >= 3 and parts[0] == "int":
        types.setdefault(parts[1], []).append(parts[2])
os.makedirs(os.path.dirname(sys.argv[2]), exist_ok=True)
with open(sys.argv[2], "w") as f:
    f.write("package com.facebook.react;\npublic final class R {\n")
    for t, (kind, names) in enumerate(sorted(types.items()), start=1):
        f.write(f"  public static final class {kind} {{\n")
        for e, name in enumerate(names):
            f.write(f"    public static int {name} = 0x7f{t:02x}{e:04x};\n")
        f.write("  }\n")
    f.write("}\n")
PY
javac -nowarn -d "$out/sdk" "$out/gen/io/rejourney/reactnative/BuildConfig.java" "$out/gen/com/facebook/react/R.java"
rn=react-native/android/src
compile() {  # $1 output dir, then the sources
  local dir=$1; shift
  if ! "$kotlinc" -nowarn -jvm-target 17 -no-reflect -Xfriend-paths="$out/sdk" -cp "$android_all:$jna:$jars:$react_android:$out/sdk:$out/classes" -d "$dir" "$@" >"$out/kotlinc.log" 2>&1; then
    grep -v '^warning' "$out/kotlinc.log" | head -40
    echo "rn-android: FAILED: compiling $dir"
    n=1; failed=1; finish
  fi
}
# The SDK with its Android adapter (no Compose, as in scripts/test-android.sh), the Android
# suite's helpers, and the React Native module (old architecture) with its view managers.
if [[ ! -f $out/sdk/.complete ]]; then
  compile "$out/sdk" $(find bindings/kotlin/generated bindings/kotlin/src/main/kotlin bindings/kotlin/src/robolectric/kotlin \
    bindings/kotlin/src/test/kotlin/io/rejourney/TestSupport.kt "$rn/main/java" "$rn/oldarch/java" -name '*.kt')
  touch "$out/sdk/.complete"
fi
compile "$out/classes" $(find "$rn/robolectric/kotlin" -name '*.kt')

ingest_data=$out/ingest-data
mkdir -p "$ingest_data"
log=$out/junit.log
rc=0
n=$((n + 1))
RUST_BACKTRACE=0 java -Djna.library.path="$root/target/release" -Drejourney.root="$root" -Djava.awt.headless=true \
  -Drejourney.ingestData="$ingest_data" -Drejourney.node="$(command -v node)" \
  -Drobolectric.offline=true -Drobolectric.dependency.dir="$deps/sdk" -Drobolectric.logging.enabled=false \
  -cp "$out/classes:$out/sdk:$stdlib:$jna:$jars:$react_android:$android_all" \
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
