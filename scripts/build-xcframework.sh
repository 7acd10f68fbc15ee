#!/usr/bin/env bash
# Builds bindings/swift/RejourneyCore.xcframework for the Swift package (macOS with Xcode only).
# Static libraries for iOS devices (aarch64-apple-ios) and simulators (aarch64-apple-ios-sim +
# x86_64-apple-ios, merged with lipo), each with the UniFFI header and an Apple module map,
# then `xcodebuild -create-xcframework`; also regenerates the Swift bindings into the package.
#
#   rustup target add aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios
#   ./scripts/build-xcframework.sh
#   # then in Xcode: File › Add Package Dependencies › Add Local… › bindings/swift
#
# libjpeg-turbo builds from source for each target (cmake + nasm are not needed for arm64;
# `brew install cmake` is).
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $(uname) == Darwin ]] || { echo "build-xcframework: needs macOS with Xcode" >&2; exit 1; }
export IPHONEOS_DEPLOYMENT_TARGET=${IPHONEOS_DEPLOYMENT_TARGET:-13.0}

targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios)
# The shipped profile (fat LTO, size-optimised; see Cargo.toml and benches/RESULTS.md).
for t in "${targets[@]}"; do
  cargo build --profile release-lib -p rejourney-core --lib --target "$t"
done

# Bindings from a host build (library mode reads the metadata, any target will do).
./scripts/gen-bindings.sh swift

out=target/xcframework
rm -rf "$out" bindings/swift/RejourneyCore.xcframework
mkdir -p "$out/headers" "$out/sim"
cp bindings/swift/generated/rejourney_coreFFI.h "$out/headers/"
cat > "$out/headers/module.modulemap" <<'MAP'
module rejourney_coreFFI {
    header "rejourney_coreFFI.h"
    export *
}
MAP
lipo -create \
  target/aarch64-apple-ios-sim/release-lib/librejourney_core.a \
  target/x86_64-apple-ios/release-lib/librejourney_core.a \
  -output "$out/sim/librejourney_core.a"
xcodebuild -create-xcframework \
  -library target/aarch64-apple-ios/release-lib/librejourney_core.a -headers "$out/headers" \
  -library "$out/sim/librejourney_core.a" -headers "$out/headers" \
  -output bindings/swift/RejourneyCore.xcframework
echo "built bindings/swift/RejourneyCore.xcframework"
