#!/usr/bin/env bash
# Builds the native libraries a release of @rejourney/react-native carries, then packs it with
# scripts/package-react-native.sh (which refuses a release without them). One step per machine,
# as .github/workflows/release-react-native.yml runs it (react-native/RELEASING.md):
#
#   ./scripts/release-react-native.sh android   # Linux or macOS, Android NDK r26+ and cargo-ndk:
#                                               #   bindings/kotlin/src/main/jniLibs/<abi>/librejourney_core.so
#   ./scripts/release-react-native.sh ios       # macOS with Xcode: bindings/swift/RejourneyCore.xcframework
#   ./scripts/release-react-native.sh pack      # anywhere: the tarball (npm pack), both of the above present
#   ./scripts/release-react-native.sh all       # all three on one Mac with the NDK
#
# Android ABIs: arm64-v8a, armeabi-v7a, x86_64 and x86 (emulators on Intel hosts), API 24 (the
# module's minSdkVersion), the shipped profile `release-lib` (Cargo.toml). This machine has
# neither the NDK nor Xcode, so this script is not run by the test suite; the pack step's refusal
# is (scripts/test-react-native.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
step=${1:-}

android() {
  [[ -n ${ANDROID_NDK_HOME:-} ]] || { echo "release: set ANDROID_NDK_HOME (Android NDK r26 or newer)" >&2; exit 1; }
  command -v cargo-ndk >/dev/null || { echo "release: cargo install cargo-ndk" >&2; exit 1; }
  rustup target add aarch64-linux-android armv7-linux-androideabi x86_64-linux-android i686-linux-android
  rm -rf bindings/kotlin/src/main/jniLibs
  # libjpeg-turbo builds from source for each ABI (cmake; nasm for x86 and x86_64).
  cargo ndk -t arm64-v8a -t armeabi-v7a -t x86_64 -t x86 -P 24 -o bindings/kotlin/src/main/jniLibs \
    build --profile release-lib -p rejourney-core --lib
  # cargo-ndk copies from target/<triple>/release-lib; name what was built.
  find bindings/kotlin/src/main/jniLibs -name '*.so' -print >&2
}

ios() {
  [[ $(uname) == Darwin ]] || { echo "release: the xcframework needs macOS with Xcode" >&2; exit 1; }
  rustup target add aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios
  ./scripts/build-xcframework.sh
}

pack() {
  # No --dev: refuses (exit 2) if a library is missing or built for the wrong machine.
  ./scripts/package-react-native.sh
}

case $step in
  android) android ;;
  ios) ios ;;
  pack) pack ;;
  all) android; ios; pack ;;
  *) sed -n '2,14p' "$0" >&2; exit 2 ;;
esac
