#!/usr/bin/env bash
# A session driven by the React Native package's own JS through the real Android module:
# Node runs the compiled package (react-native/lib) with a `react-native` that forwards each
# native call over a pipe to a Robolectric test (native graphics, PixelCopy), which invokes the
# real RejourneyModule (old bridge, from the autolinked RejourneyPackage) and view managers on
# react-android's classes from Maven Central, with the Android adapter capturing real widgets,
# the real core (host .so through JNA) and the local ingest server; examples/verify_stored.rs
# then decodes every stored frame (private regions black, the rest visible).
# Reuses the Android suite's cached dependencies (scripts/android-deps.sh), react-android's jar
# (scripts/react-android-deps.sh) and the built core. Prints its wall time ("rn-android: Ns")
# and "rn-android: N passed, M failed" last.
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
finish() { echo "rn-android: ${SECONDS}s"; echo "rn-android: $((n - failed)) passed, $failed failed"; if [[ $failed -eq 0 ]]; then exit 0; else exit 1; fi; }

kotlinc=$(./scripts/kotlin-toolchain.sh)
stdlib=$(dirname "$(dirname "$kotlinc")")/lib/kotlin-stdlib.jar
deps=$(./scripts/android-deps.sh)
android_all=$(ls "$deps"/compile/android-all-*.jar)
ra_dir=$(./scripts/react-android-deps.sh)
react_android=$(printf '%s:' "$ra_dir"/*.jar); react_android=${react_android%:}  # react-android and what its views load
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
# The libraries' R classes, as an app build generates them from the AARs' R.txt (the
# libraries' own hold placeholders): one numbering for the whole app, 0x7f<type><entry>, the
# same id for the same name in every library; styleable indexes kept. Their views use R.id
# values as tag keys.
python3 - "$out/gen" "$ra_dir/R.txt=com.facebook.react" "$ra_dir/androidx-core.R.txt=androidx.core" \
  "$ra_dir/androidx-customview.R.txt=androidx.customview" <<'PY'
import os, sys
gen, libs = sys.argv[1], [a.split("=") for a in sys.argv[2:]]
entries = {}  # package -> {type: {name: styleable index or None}}
names = {}    # type -> every name any library has
for path, package in libs:
    own = entries.setdefault(package, {})
    for line in open(path):
        parts = line.split()
        if len(parts) >= 4 and parts[0] == "int":
            kind, name = parts[1], parts[2]
            own.setdefault(kind, {})[name] = parts[3] if kind == "styleable" else None
            names.setdefault(kind, set()).add(name)
ids = {(k, n): f"0x7f{t:02x}{e:04x}" for t, k in enumerate(sorted(names), start=1) for e, n in enumerate(sorted(names[k]))}
for package, kinds in entries.items():
    out = os.path.join(gen, *package.split("."), "R.java")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        f.write(f"package {package};\npublic final class R {{\n")
        for kind, own in sorted(kinds.items()):
            f.write(f"  public static final class {kind} {{\n")
            for name, index in sorted(own.items()):
                f.write(f"    public static int {name} = {index if index is not None else ids[(kind, name)]};\n")
            f.write("  }\n")
        f.write("}\n")
PY
javac -nowarn -d "$out/sdk" $(find "$out/gen" -name '*.java')
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
