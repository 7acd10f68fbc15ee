#!/usr/bin/env bash
# React Native package tests:
# - the JS layer (node's test runner, react-test-renderer): options, module resolution and the
#   Expo Go fallback, <Mask>/<Unmask>, navigation, the error handler, network and console
#   capture, and the TurboModule spec through @react-native/codegen (every generated method
#   implemented by the Kotlin and Objective-C++ modules);
# - `npm pack`: the package an app installs holds the podspec, ios, android, lib and types,
#   and no tests;
# - the Kotlin module implementation on the JVM: the native calls a JS-driven session made
#   (test/session.test.ts) replayed through it into the real core and the local ingest server,
#   whose stored frames examples/verify_stored.rs then checks for masks.
# (The Swift implementation is built and tested in the Swift chroot by scripts/test-swift.sh.)
# Prints "react-native: N passed, M failed" last.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out=$root/target/react-native
rm -rf "$out" && mkdir -p "$out"
passed=0
failed=0
note() { if [[ $1 -eq 0 ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "react-native: FAILED: $2"; fi; }

# --- JS
(cd react-native && { if [[ -f package-lock.json ]]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi; } 2>&1 | grep -v "Unknown user config" || true)
rm -rf react-native/lib-test
tap=$out/js.tap
js_rc=0
(cd react-native && npx tsc -p tsconfig.test.json && RJ_RN_TRACE=$out/trace.json node --test --test-reporter=tap lib-test/test/) >"$tap" 2>&1 || js_rc=$?
grep -E '^not ok|^# (pass|fail)' "$tap" || true
p=$(grep -E '^# pass ' "$tap" | awk '{print $3}')
f=$(grep -E '^# fail ' "$tap" | awk '{print $3}')
passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
if [[ $js_rc -ne 0 && ${f:-0} -eq 0 ]]; then cat "$tap"; note 1 "JS tests did not run"; fi

# --- jest: React Native's own XMLHttpRequest, fetch and EventTarget under network capture
# (test-jest/), against a real HTTP server on 127.0.0.1
jest_rc=0
(cd react-native && npx jest --ci --json --outputFile="$out/jest.json") >"$out/jest.log" 2>&1 || jest_rc=$?
if [[ -f $out/jest.json ]]; then
  read -r jp jf < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["numPassedTests"], r["numFailedTests"] + r["numRuntimeErrorTestSuites"])' "$out/jest.json")
  passed=$((passed + jp)); failed=$((failed + jf))
  [[ $jf -ne 0 ]] && grep -E '✕|●' "$out/jest.log" | head -40
  echo "jest: $jp passed, $jf failed"
else
  cat "$out/jest.log"; note 1 "jest did not run"
fi

# --- npm pack: what an app installs
pack_rc=0
./scripts/package-react-native.sh --dry-run --json >"$out/pack.json" 2>"$out/pack.log" || pack_rc=$?
if [[ $pack_rc -eq 0 ]]; then
  python3 - "$out/pack.json" <<'PY' || pack_rc=$?
import json, sys
files = {f["path"] for f in json.load(open(sys.argv[1]))[0]["files"]}
need = ["package.json", "rejourney-react-native.podspec", "react-native.config.js", "lib/index.js", "lib/index.d.ts",
        "lib/NativeRejourney.d.ts", "src/NativeRejourney.ts", "ios/RejourneyModule.mm", "ios/RejourneyModuleImpl.swift",
        "ios/RejourneyModuleBridge.swift", "ios/vendor/RejourneySDK/Rejourney.swift", "ios/vendor/RejourneySDK.podspec", "ios/vendor/RejourneyCore.podspec", "android/build.gradle",
        "android/src/main/java/io/rejourney/reactnative/RejourneyModuleImpl.kt",
        "android/src/newarch/java/io/rejourney/reactnative/RejourneyModule.kt",
        "android/src/oldarch/java/io/rejourney/reactnative/RejourneyModule.kt",
        "android/src/main/sdk/kotlin/io/rejourney/RejourneyOptions.kt",
        "android/src/main/sdk/generated/uniffi/rejourney_core/rejourney_core.kt"]
missing = [f for f in need if f not in files]
tests = [f for f in files if "/test/" in f or f.startswith("test/") or "/Tests/" in f or f.startswith("lib-test") or ".test." in f]
if missing or tests:
    print("npm pack: missing", missing, "test files", tests)
    sys.exit(1)
print(f"npm pack: {len(files)} files, podspec, ios, android, lib and types present, no tests")
PY
else
  cat "$out/pack.log"
fi
note $pack_rc "npm pack content"

# --- the Kotlin module implementation on the JVM, driven by the JS session's calls
kotlinc=$(./scripts/kotlin-toolchain.sh)
stdlib=$(dirname "$(dirname "$kotlinc")")/lib/kotlin-stdlib.jar
jna=/usr/share/java/jna.jar
junit=/usr/share/java/junit4.jar
hamcrest=/usr/share/java/hamcrest-core.jar
cargo build --release -p rejourney-core -p rejourney-ingest >&2
classes=$out/classes
sources=$(find bindings/kotlin/generated bindings/kotlin/src/main/kotlin/io/rejourney/sdk bindings/kotlin/src/main/kotlin/io/rejourney/RejourneyOptions.kt \
  bindings/kotlin/src/test/kotlin/io/rejourney/TestSupport.kt react-native/android/src/main/java/io/rejourney/reactnative/RejourneyModuleImpl.kt \
  react-native/android/src/test/kotlin -name '*.kt' ! -name CallsTest.kt)
kt_rc=0
if [[ -f $out/trace.json ]]; then
  "$kotlinc" -nowarn -jvm-target 17 -cp "$jna:$junit:$hamcrest" -d "$classes" $sources >"$out/kotlinc.log" 2>&1 || { kt_rc=$?; cat "$out/kotlinc.log"; }
  if [[ $kt_rc -eq 0 ]]; then
    RUST_BACKTRACE=0 java -Djna.library.path="$root/target/release" -Drejourney.root="$root" -Djava.awt.headless=true \
      -Drejourney.ingestData="$out/ingest-data" -Drejourney.rnTrace="$out/trace.json" \
      -cp "$classes:$stdlib:$jna:$junit:$hamcrest" org.junit.runner.JUnitCore io.rejourney.reactnative.RejourneyModuleImplTest \
      >"$out/junit.log" 2>&1 || kt_rc=$?
    tail -n 25 "$out/junit.log"
  fi
else
  echo "react-native: no trace from the JS session"
  kt_rc=1
fi
note $kt_rc "Kotlin module implementation (JVM)"
# --- the module's React Native glue (settle/quietly) against the real react-android classes
# from Maven Central (0.86.0: the newest react-android the registry serves here; its androidx
# dependencies come from Google's Maven, which is not reachable, so only classes.jar is used)
ra_version=0.86.0
ra_dir=$HOME/.cache/rejourney/react-android-$ra_version
ra_rc=0
if [[ ! -f $ra_dir/classes.jar ]]; then
  mvn -q -B dependency:get -Dmaven.repo.local="$HOME/.cache/rejourney/m2" \
    -Dartifact=com.facebook.react:react-android:$ra_version:aar:release -Dtransitive=false >"$out/react-android.log" 2>&1 \
    && mkdir -p "$ra_dir" && unzip -o -q "$HOME/.cache/rejourney/m2/com/facebook/react/react-android/$ra_version/react-android-$ra_version-release.aar" classes.jar -d "$ra_dir" \
    || { ra_rc=1; cat "$out/react-android.log"; }
fi
if [[ $ra_rc -eq 0 ]]; then
  "$kotlinc" -nowarn -jvm-target 17 -cp "$ra_dir/classes.jar:$junit" -d "$out/glue" \
    react-native/android/src/main/java/io/rejourney/reactnative/Calls.kt react-native/android/src/test/kotlin/io/rejourney/reactnative/CallsTest.kt >"$out/glue.log" 2>&1 \
    && java -cp "$out/glue:$ra_dir/classes.jar:$stdlib:$junit:$hamcrest" org.junit.runner.JUnitCore io.rejourney.reactnative.CallsTest >>"$out/glue.log" 2>&1 \
    || { ra_rc=1; cat "$out/glue.log"; }
fi
note $ra_rc "the module's calls against react-android (Throwable caught)"
v_rc=0
[[ $kt_rc -eq 0 ]] && { cargo run --release -q --example verify_stored -- "$out/ingest-data" || v_rc=$?; } || v_rc=1
note $v_rc "frames of the JS-driven session, masked in the server"

echo "react-native: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
