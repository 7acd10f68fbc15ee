#!/usr/bin/env bash
# Stages what the npm package ships besides its own code: the Kotlin SDK (sources + UniFFI
# bindings) under react-native/android/src/main/sdk and the Swift SDK (sources + bindings)
# under react-native/ios/vendor, then runs `npm pack` in react-native/ (pass --dry-run to list
# only). Per-ABI Android libraries (react-native/android/src/main/jniLibs, from cargo-ndk) and
# RejourneyCore.xcframework (from scripts/build-xcframework.sh on macOS) are copied when they
# exist; this machine cannot build them, and the script says so. Staged files are build output,
# never committed.
set -euo pipefail
cd "$(dirname "$0")/.."
rn=react-native

./scripts/gen-bindings.sh kotlin >&2
./scripts/gen-bindings.sh swift >&2

rm -rf "$rn/android/src/main/sdk" "$rn/ios/vendor"
mkdir -p "$rn/android/src/main/sdk/kotlin/io/rejourney" "$rn/android/src/main/sdk/generated" "$rn/ios/vendor"
cp -r bindings/kotlin/src/main/kotlin/io/rejourney/. "$rn/android/src/main/sdk/kotlin/io/rejourney/"
cp -r bindings/kotlin/generated/. "$rn/android/src/main/sdk/generated/"
cp -r bindings/swift/Sources/RejourneySDK "$rn/ios/vendor/RejourneySDK"
cp -r bindings/swift/Sources/RejourneyBindings "$rn/ios/vendor/RejourneyBindings"
cp bindings/swift/podspecs/*.podspec "$rn/ios/vendor/"

if [[ -d bindings/kotlin/src/main/jniLibs ]]; then
  cp -r bindings/kotlin/src/main/jniLibs "$rn/android/src/main/jniLibs"
else
  echo "package: no Android native libraries (build them with cargo-ndk: bindings/kotlin/README.md)" >&2
fi
if [[ -d bindings/swift/RejourneyCore.xcframework ]]; then
  cp -r bindings/swift/RejourneyCore.xcframework "$rn/ios/vendor/"
else
  echo "package: no RejourneyCore.xcframework (build it on macOS: scripts/build-xcframework.sh)" >&2
fi

cd "$rn"
npm pack "$@"
