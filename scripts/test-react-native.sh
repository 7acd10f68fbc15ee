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
#   whose stored frames examples/verify_stored.rs then checks for masks;
# - the same kind of session live on Android (scripts/test-react-native-android.sh): the
#   package's JS in Node drives the real module and <Mask> view managers under Robolectric into
#   the ingest server, verify_stored checks its frames (its counts join the total);
# - apps as a user makes them (template and Expo, scripts/test-react-native-apps.sh);
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
  echo "jest: $jp ok, $jf not ok (counted in the total below)"
else
  cat "$out/jest.log"; note 1 "jest did not run"
fi

# --- npm pack: what an app installs
pack_rc=0
./scripts/package-react-native.sh --dev --dry-run --json >"$out/pack.json" 2>"$out/pack.log" || pack_rc=$?
if [[ $pack_rc -eq 0 ]]; then
  python3 - "$out/pack.json" <<'PY' || pack_rc=$?
import json, sys
files = {f["path"] for f in json.load(open(sys.argv[1]))[0]["files"]}
need = ["package.json", "rejourney-react-native.podspec", "react-native.config.js", "lib/index.js", "lib/index.d.ts",
        "lib/NativeRejourney.d.ts", "src/NativeRejourney.ts", "ios/RejourneyModule.mm", "ios/RejourneyModuleImpl.swift",
        "ios/RejourneyModuleBridge.swift", "ios/vendor/RejourneySDK/Rejourney.swift", "ios/vendor/RejourneyBindings/rejourney_core.swift",
        "android/build.gradle", "android/src/main/AndroidManifest.xml", "app.plugin.js", "plugin/withRejourney.js", "jest/mock.js",
        "README.md", "LICENSE",
        "android/src/main/java/io/rejourney/reactnative/RejourneyModuleImpl.kt",
        "android/src/newarch/java/io/rejourney/reactnative/RejourneyModule.kt",
        "android/src/oldarch/java/io/rejourney/reactnative/RejourneyModule.kt",
        "android/src/main/sdk/kotlin/io/rejourney/RejourneyOptions.kt",
        "android/src/main/sdk/generated/uniffi/rejourney_core/rejourney_core.kt"]
missing = [f for f in need if f not in files]
tests = [f for f in files if "/test/" in f or f.startswith(("test/", "test-jest/", "test-app/", "scripts/", "lib-test")) or "/Tests/" in f or ".test." in f]
podspec = open("react-native/rejourney-react-native.podspec").read()
if "s.dependency \"RejourneySDK\"" in podspec or "ios/vendor/RejourneySDK/*.swift" not in podspec:
    print("podspec: must compile the vendored Swift SDK itself, with no RejourneySDK pod dependency")
    sys.exit(1)
if missing or tests:
    print("npm pack: missing", missing, "test files", tests)
    sys.exit(1)
print(f"npm pack: {len(files)} files, podspec, ios, android, lib and types present, no tests")
PY
else
  cat "$out/pack.log"
fi
note $pack_rc "npm pack content"

# --- a release refuses to pack without the native libraries (this machine cannot build them:
# no NDK, no Xcode), and packs when they are there: stand-ins with the real layout and ELF
# headers, one per ABI, and an xcframework Info.plist with its two libraries.
fake=$out/fake-native
python3 - "$fake" <<'PY'
import os, plistlib, sys
root = sys.argv[1]
abis = {"arm64-v8a": (183, 2), "armeabi-v7a": (40, 1), "x86_64": (62, 2), "x86": (3, 1)}
for abi, (machine, cls) in abis.items():
    os.makedirs(f"{root}/jniLibs/{abi}", exist_ok=True)
    head = b"\x7fELF" + bytes([cls, 1, 1]) + bytes(9) + (3).to_bytes(2, "little") + machine.to_bytes(2, "little")
    open(f"{root}/jniLibs/{abi}/librejourney_core.so", "wb").write(head + bytes(44))
    # the same library under the wrong ABI's name: armeabi-v7a built as x86
    os.makedirs(f"{root}/wrong/{abi}", exist_ok=True)
    src = "x86" if abi == "armeabi-v7a" else abi
    m, c = abis[src]
    open(f"{root}/wrong/{abi}/librejourney_core.so", "wb").write(b"\x7fELF" + bytes([c, 1, 1]) + bytes(9) + (3).to_bytes(2, "little") + m.to_bytes(2, "little") + bytes(44))
xcf = f"{root}/RejourneyCore.xcframework"
libs = [{"LibraryIdentifier": "ios-arm64", "LibraryPath": "librejourney_core.a", "SupportedPlatform": "ios"},
        {"LibraryIdentifier": "ios-arm64_x86_64-simulator", "LibraryPath": "librejourney_core.a", "SupportedPlatform": "ios", "SupportedPlatformVariant": "simulator"}]
for l in libs:
    os.makedirs(f"{xcf}/{l['LibraryIdentifier']}", exist_ok=True)
    open(f"{xcf}/{l['LibraryIdentifier']}/librejourney_core.a", "wb").write(b"!<arch>\n")
plistlib.dump({"AvailableLibraries": libs, "CFBundlePackageType": "XFWK", "XCFrameworkFormatVersion": "1.0"}, open(f"{xcf}/Info.plist", "wb"))
PY
refuse() {  # $1 jniLibs, $2 xcframework, $3 what the refusal must name
  local rc=0
  RJ_JNILIBS=$1 RJ_XCFRAMEWORK=$2 ./scripts/package-react-native.sh --dry-run --json >"$out/refuse.json" 2>"$out/refuse.log" || rc=$?
  if [[ $rc -eq 2 ]] && grep -q "refusing to pack a release" "$out/refuse.log" && grep -q -- "$3" "$out/refuse.log"; then return 0; fi
  echo "pack: expected a refusal naming $3 (exit 2), got exit $rc:"; cat "$out/refuse.log"; return 1
}
r_rc=0
refuse "$fake/none" "$fake/none.xcframework" "x86/librejourney_core.so: missing" || r_rc=1
refuse "$fake/jniLibs" "$fake/none.xcframework" "none.xcframework: missing" || r_rc=1
refuse "$fake/wrong" "$fake/RejourneyCore.xcframework" "armeabi-v7a/librejourney_core.so: built for machine 3" || r_rc=1
note $r_rc "a release without (the right) native libraries is refused"
d_rc=0
RJ_JNILIBS=$fake/none RJ_XCFRAMEWORK=$fake/none ./scripts/package-react-native.sh --dev --dry-run --json >"$out/dev.json" 2>"$out/dev.log" || d_rc=$?
[[ $d_rc -eq 0 ]] && grep -q "DEV package" "$out/dev.log" || { d_rc=1; echo "pack: --dev did not pack saying so"; cat "$out/dev.log"; }
note $d_rc "--dev packs without the native libraries, saying so"
f_rc=0
RJ_JNILIBS=$fake/jniLibs RJ_XCFRAMEWORK=$fake/RejourneyCore.xcframework ./scripts/package-react-native.sh --dry-run --json >"$out/release.json" 2>"$out/release.log" || f_rc=$?
if [[ $f_rc -eq 0 ]]; then
  python3 - "$out/release.json" <<'PY' || f_rc=$?
import json, sys
files = {f["path"] for f in json.load(open(sys.argv[1]))[0]["files"]}
need = [f"android/src/main/jniLibs/{a}/librejourney_core.so" for a in ("arm64-v8a", "armeabi-v7a", "x86_64", "x86")]
need += ["ios/vendor/RejourneyCore.xcframework/Info.plist", "ios/vendor/RejourneyCore.xcframework/ios-arm64/librejourney_core.a"]
missing = [f for f in need if f not in files]
if missing:
    print("release pack: missing", missing); sys.exit(1)
PY
else
  cat "$out/release.log"
fi
note $f_rc "a release with the native libraries packs them where the podspec and Gradle look"

# --- the pod's Swift: the SDK and its bindings staged as one module with the module's own
# Swift (as CocoaPods compiles the pod), type-checked with the Swift chroot's swiftc when it is
# installed (scripts/test-swift.sh builds it); UIKit parts are #if canImport(UIKit).
chroot_dir=$HOME/.cache/rejourney/swift-chroot
if [[ -x $chroot_dir/usr/bin/swiftc && $(id -u) -eq 0 ]]; then
  tc=$chroot_dir/rn-typecheck
  rm -rf "$tc" && mkdir -p "$tc/ffi" "$tc/src"
  cp bindings/swift/Sources/rejourney_coreFFI/* "$tc/ffi/"
  cp react-native/ios/vendor/RejourneyBindings/*.swift react-native/ios/vendor/RejourneySDK/*.swift react-native/ios/*.swift "$tc/src/"
  s_rc=0
  flock /tmp/swift-chroot.lock sh -c '
    c=$1; m=""; mountpoint -q "$c/proc" || { mount -t proc proc "$c/proc" && m=1; }
    chroot "$c" /usr/bin/env -i HOME=/root PATH=/usr/bin:/bin LANG=C.UTF-8 /bin/sh -c \
      "swiftc -typecheck -module-name rejourney_react_native -I /rn-typecheck/ffi /rn-typecheck/src/*.swift"
    rc=$?; [ -n "$m" ] && umount -l "$c/proc"; exit $rc' _ "$chroot_dir" >"$out/swift-typecheck.log" 2>&1 || s_rc=$?
  [[ $s_rc -eq 0 ]] || head -30 "$out/swift-typecheck.log"
  note $s_rc "the pod's Swift (module + SDK + bindings) type-checks as one module"
else
  echo "react-native: no Swift chroot here (scripts/test-swift.sh builds it): the pod's one-module Swift is not type-checked"
fi

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
# from Maven Central (scripts/react-android-deps.sh: react-android 0.86.0's classes.jar)
ra_rc=0
ra_dir=$(./scripts/react-android-deps.sh 2>"$out/react-android.log") || { ra_rc=1; ra_dir=/nonexistent; cat "$out/react-android.log"; }
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

# --- the JS-driven session live: the package's JS in Node drives the real Android module and
# view managers under Robolectric (native graphics) into the ingest server, whose stored frames
# verify_stored checks (scripts/test-react-native-android.sh). Its counts join the total here;
# its own summary line stays in its log, so scripts/test.sh does not count it twice.
rna_rc=0
./scripts/test-react-native-android.sh >"$out/android.log" 2>&1 || rna_rc=$?
summary='^rn-android: ([0-9]+) passed, ([0-9]+) failed$'
read -r np nf < <(sed -nE "s/$summary/\\1 \\2/p" "$out/android.log" | tail -1) || true
if [[ -n ${np:-} ]]; then
  passed=$((passed + np)); failed=$((failed + nf))
  [[ $rna_rc -ne 0 && $nf -eq 0 ]] && note 1 "the JS-driven Android session exited $rna_rc"
  [[ $rna_rc -ne 0 ]] && grep -vE "$summary" "$out/android.log" | tail -40
  echo "rn-android: $np ok, $nf not ok in $(sed -nE 's/^rn-android: ([0-9]+s)$/\1/p' "$out/android.log" | tail -1) (counted in the total below; log: $out/android.log)"
else
  grep -vE "$summary" "$out/android.log" | tail -40; note 1 "the JS-driven Android session did not run"
fi

# --- the package in a template app and an Expo app (scripts/test-react-native-apps.sh)
apps_rc=0
./scripts/test-react-native-apps.sh "$out/apps" >"$out/apps.log" 2>&1 || apps_rc=$?
grep -E '^rn-apps: (FAILED|[0-9]+s$)' "$out/apps.log" || true
read -r ap af < <(sed -n 's/^rn-apps: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$out/apps.log" | tail -1) || true
if [[ -n ${ap:-} ]]; then
  passed=$((passed + ap)); failed=$((failed + af))
  [[ $af -ne 0 ]] && tail -40 "$out/apps.log"
else
  tail -40 "$out/apps.log"; note 1 "the app tests did not run"
fi

# --- <Mask>'s Android view managers against the real react-android and android-all classes:
# the Paper one (oldarch) and the Fabric one (newarch) through the delegate codegen generated in
# the template app above, compiled as generated (androidx.annotation from
# scripts/react-android-deps.sh).
mv_rc=0
gen_vm=$out/apps/codegen/android/app/build/generated/source/codegen/java/com/facebook/react/viewmanagers
android_all=$(ls "$HOME"/.cache/rejourney/android-robolectric-*/compile/android-all-*.jar 2>/dev/null | head -1)
if [[ -d $gen_vm && -n $android_all && -f $ra_dir/classes.jar ]]; then
  mkdir -p "$out/viewmanagers/java"
  cp "$gen_vm"/RejourneyMaskViewManager*.java "$out/viewmanagers/java/"
  sdk=$(find bindings/kotlin/generated bindings/kotlin/src/main/kotlin -name '*.kt')
  rnj=react-native/android/src
  cp_vm="$android_all:$ra_dir/classes.jar:$ra_dir/androidx-annotation.jar:$jna"
  for arch in oldarch newarch; do
    extra=()
    [[ $arch == newarch ]] && extra=("$rnj/newarch/java/io/rejourney/reactnative/MaskViewDelegate.java" "$out/viewmanagers/java/"*.java)
    "$kotlinc" -nowarn -jvm-target 17 -cp "$cp_vm" -d "$out/viewmanagers/$arch" $sdk "$rnj/main/java/io/rejourney/reactnative/MaskViews.kt" \
      "$rnj/$arch/java/io/rejourney/reactnative/RejourneyMaskViewManager.kt" ${extra[@]+"${extra[@]}"} >"$out/viewmanagers/$arch.log" 2>&1 || { mv_rc=1; grep -v '^warning' "$out/viewmanagers/$arch.log" | head -20; }
    if [[ $arch == newarch && $mv_rc -eq 0 ]]; then
      javac -nowarn -d "$out/viewmanagers/$arch" -cp "$out/viewmanagers/$arch:$cp_vm" "${extra[@]}" >>"$out/viewmanagers/$arch.log" 2>&1 || { mv_rc=1; tail -20 "$out/viewmanagers/$arch.log"; }
    fi
  done
else
  mv_rc=1; echo "react-native: no codegen'd view manager interface, android-all or react-android to compile <Mask>'s view managers against"
fi
note $mv_rc "<Mask>'s Android view managers (Paper; Fabric through the codegen delegate) compile against react-android"

echo "react-native: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
