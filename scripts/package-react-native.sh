#!/usr/bin/env bash
# Packs @rejourney/react-native with everything an app needs, so installing it is the only step:
# - Android: the Kotlin SDK (sources + UniFFI bindings) under android/src/main/sdk and the core's
#   native library per ABI under android/src/main/jniLibs/<abi>/librejourney_core.so;
# - iOS: the Swift SDK and the UniFFI Swift bindings under ios/vendor, compiled by the package's
#   own podspec as part of its module (react-native/ios/vendor/README.md says how), and
#   RejourneyCore.xcframework (the Rust core as static libraries) vendored by that podspec.
# then runs `npm pack` in react-native/.
#
#   ./scripts/package-react-native.sh [--dev] [npm pack arguments, e.g. --dry-run --json]
#
# A release refuses to pack (exit 2) unless every native library is there and is what it claims
# (an ELF of the ABI's machine; an xcframework with an iOS device and a simulator slice): a
# package without them installs, bundles and then cannot start the SDK. They are built by
# scripts/release-react-native.sh (the NDK and macOS; react-native/RELEASING.md). `--dev` packs
# without them, saying so, for testing the JavaScript side and the build files.
# RJ_JNILIBS / RJ_XCFRAMEWORK override where the libraries are taken from. Staged files are build
# output, never committed.
set -euo pipefail
cd "$(dirname "$0")/.."
rn=react-native
dev=0
args=()
for a in "$@"; do
  if [[ $a == --dev ]]; then dev=1; else args+=("$a"); fi
done
jnilibs=${RJ_JNILIBS:-bindings/kotlin/src/main/jniLibs}
xcframework=${RJ_XCFRAMEWORK:-bindings/swift/RejourneyCore.xcframework}

# What a release must carry, checked before anything is staged.
missing=$(python3 - "$jnilibs" "$xcframework" <<'PY'
import os, plistlib, sys
jnilibs, xcf = sys.argv[1:3]
# e_machine of each Android ABI's ELF (and its class: 1 = 32-bit, 2 = 64-bit).
abis = {"arm64-v8a": (183, 2), "armeabi-v7a": (40, 1), "x86_64": (62, 2), "x86": (3, 1)}
problems = []
for abi, (machine, cls) in abis.items():
    so = os.path.join(jnilibs, abi, "librejourney_core.so")
    try:
        with open(so, "rb") as f:
            head = f.read(20)
    except OSError:
        problems.append(f"{so}: missing")
        continue
    if len(head) < 20 or head[:4] != b"\x7fELF":
        problems.append(f"{so}: not an ELF library")
        continue
    got = int.from_bytes(head[18:20], "little")
    if got != machine or head[4] != cls:
        problems.append(f"{so}: built for machine {got} (class {head[4]}), {abi} needs {machine} (class {cls})")
try:
    with open(os.path.join(xcf, "Info.plist"), "rb") as f:
        libs = plistlib.load(f).get("AvailableLibraries", [])
    kinds = {(l.get("SupportedPlatform"), l.get("SupportedPlatformVariant")) for l in libs}
    for kind, name in [(("ios", None), "an iOS device"), (("ios", "simulator"), "an iOS simulator")]:
        if kind not in kinds:
            problems.append(f"{xcf}: no {name} library")
    for l in libs:
        lib = os.path.join(xcf, l.get("LibraryIdentifier", "?"), l.get("LibraryPath", "?"))
        if not os.path.exists(lib):
            problems.append(f"{lib}: missing")
except (OSError, plistlib.InvalidFileException, AttributeError) as e:
    problems.append(f"{xcf}: missing or unreadable Info.plist ({type(e).__name__})")
print("\n".join(problems))
PY
)
if [[ -n $missing ]]; then
  if [[ $dev -eq 0 ]]; then
    echo "package: refusing to pack a release without the native libraries:" >&2
    sed 's/^/  /' <<<"$missing" >&2
    echo "package: build them with scripts/release-react-native.sh (react-native/RELEASING.md), or pass --dev" >&2
    exit 2
  fi
  echo "package: DEV package (--dev): an app installing it cannot start the SDK; missing:" >&2
  sed 's/^/  /' <<<"$missing" >&2
fi

./scripts/gen-bindings.sh kotlin >&2
./scripts/gen-bindings.sh swift >&2

rm -rf "$rn/android/src/main/sdk" "$rn/android/src/main/jniLibs" "$rn/ios/vendor"
mkdir -p "$rn/android/src/main/sdk/kotlin/io/rejourney" "$rn/android/src/main/sdk/generated" "$rn/ios/vendor"
cp -r bindings/kotlin/src/main/kotlin/io/rejourney/. "$rn/android/src/main/sdk/kotlin/io/rejourney/"
cp -r bindings/kotlin/generated/. "$rn/android/src/main/sdk/generated/"
for abi in arm64-v8a armeabi-v7a x86_64 x86; do
  if [[ -f $jnilibs/$abi/librejourney_core.so ]]; then
    mkdir -p "$rn/android/src/main/jniLibs/$abi"
    cp "$jnilibs/$abi/librejourney_core.so" "$rn/android/src/main/jniLibs/$abi/"
  fi
done
# The Swift SDK and its bindings become sources of the package's one pod (one module).
python3 "$rn/scripts/stage-swift-sources.py" bindings/swift/Sources "$rn/ios/vendor"
[[ -d $xcframework ]] && cp -r "$xcframework" "$rn/ios/vendor/RejourneyCore.xcframework"

cd "$rn"
npm pack ${args[@]+"${args[@]}"}
