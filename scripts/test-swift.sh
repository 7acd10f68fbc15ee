#!/usr/bin/env bash
# Swift SDK tests on Linux: builds (once) a Debian chroot with Swift 6.0 (scripts/swift-toolchain.sh,
# cached in ~/.cache/rejourney), generates the bindings from the host-built library, copies the
# Swift package, the header + module map, the .so and the corpus (as raw RGBA) into the chroot,
# starts the local ingest server on the host with its data directory inside the chroot, and runs
# `swift test` there, then decodes what the server stored to prove the masks held, and checks the
# privacy manifest (scripts/check-privacy-manifest.py). A second local server that never answers
# (RJ_STALL_URL) lets tests drain against a hung backend. proc is mounted for the run and
# unmounted on every exit path.
# REJOURNEY_SWIFT_TESTS=Filter runs only the matching tests (`swift test --filter`).
# Needs root (chroot, mount). Prints "swift: N passed, M failed" last.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

if [[ $(id -u) -ne 0 ]]; then
  echo "swift: needs root for chroot and mount (run as root, as CI does)"
  echo "swift: 0 passed, 1 failed"
  exit 1
fi
chroot_dir=$(./scripts/swift-toolchain.sh)
# One run at a time per chroot: its /work and build cache are shared by every checkout on the
# machine (two clones testing at once would delete each other's package and resource bundle).
exec 8>"$chroot_dir.run-lock"
flock 8

./scripts/gen-bindings.sh swift
cargo build --release -p rejourney-ingest >&2

work=$chroot_dir/work
rm -rf "$work" && mkdir -p "$work/lib" "$work/corpus" "$work/ingest-data" "$work/package"
# Keep the chroot's build cache between runs: a warm `swift build` takes seconds.
cache_build=$chroot_dir/var/cache/rejourney-swift-build
mkdir -p "$cache_build"
cp -r bindings/swift/Package.swift bindings/swift/Sources bindings/swift/Tests "$work/package/"
ln -s /var/cache/rejourney-swift-build "$work/package/.build"
cp target/release/librejourney_core.so "$work/lib/"
cargo run --release -q --example export_corpus -- "$work/corpus" >&2
cp -r tests/conformance "$work/conformance"
# The React Native module's Swift implementation (react-native/ios) is built and tested as a
# target over RejourneySDK, as CocoaPods builds it in an app (the Objective-C++ entry and the
# UIKit bridge need Xcode and are not built here).
mkdir -p "$work/package/Sources/RejourneyReactNative" "$work/package/Tests/RejourneyReactNativeTests"
cp react-native/ios/RejourneyModuleImpl.swift "$work/package/Sources/RejourneyReactNative/"
cp react-native/ios/Tests/*.swift "$work/package/Tests/RejourneyReactNativeTests/"
python3 - "$work/package/Package.swift" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
anchor = '.testTarget(name: "RejourneySDKTests", dependencies: ["RejourneySDK"]),'
assert anchor in s, "Package.swift changed: update scripts/test-swift.sh"
s = s.replace(anchor, anchor + '\n        .target(name: "RejourneyReactNative", dependencies: ["RejourneySDK"]),'
              + '\n        .testTarget(name: "RejourneyReactNativeTests", dependencies: ["RejourneyReactNative", "RejourneySDK"]),')
open(p, "w").write(s)
PY

server_log=$work/ingest.log
target/release/rejourney-ingest --bind 127.0.0.1:0 --data "$work/ingest-data" >"$server_log" 2>&1 &
server=$!
# A backend that accepts connections and never answers (a hung server): a client draining
# against it takes its whole drain deadline. Real TCP on 127.0.0.1, like the ingest server.
stall_port=$work/stall.port
python3 - "$stall_port" <<'PY' &
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(64)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
held = []
while True:
    held.append(s.accept()[0])
PY
stall=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  kill "$stall" 2>/dev/null || true
  if mountpoint -q "$chroot_dir/proc"; then umount -l "$chroot_dir/proc" || true; fi
  if mountpoint -q "$chroot_dir/dev/shm"; then umount -l "$chroot_dir/dev/shm" || true; fi
}
trap cleanup EXIT
url=""
for _ in $(seq 100); do
  url=$(head -n1 "$server_log" | grep -oE 'http://127\.0\.0\.1:[0-9]+' || true)
  [[ -n $url ]] && break
  sleep 0.1
done
[[ -n $url ]] || { echo "swift: ingest server did not start"; cat "$server_log"; echo "swift: 0 passed, 1 failed"; exit 1; }
for _ in $(seq 100); do [[ -s $stall_port ]] && break; sleep 0.1; done
[[ -s $stall_port ]] || { echo "swift: stall server did not start"; echo "swift: 0 passed, 1 failed"; exit 1; }
stall_url=http://127.0.0.1:$(cat "$stall_port")

mountpoint -q "$chroot_dir/proc" || mount -t proc proc "$chroot_dir/proc"
# The privacy manifest check below reads the resource bundle this build makes, not a stale one.
rm -rf "$cache_build"/*/*/Rejourney_RejourneySDK.resources
log=$repo/target/swift-test.log
mkdir -p "$repo/target"
rc=0
chroot "$chroot_dir" /usr/bin/env -i HOME=/root PATH=/usr/bin:/bin LANG=C.UTF-8 \
  RJ_INGEST_URL="$url" RJ_STALL_URL="$stall_url" RJ_INGEST_DATA=/work/ingest-data RJ_CORPUS=/work/corpus RJ_CONFORMANCE=/work/conformance \
  LD_LIBRARY_PATH=/work/lib RJ_FILTER="${REJOURNEY_SWIFT_TESTS:-}" \
  /bin/sh -c 'cd /work/package && (swiftc -parse Sources/RejourneySDK/*.swift && echo "uikit-adapter-parses") 2>&1;
    swift build --build-tests -Xlinker -L/work/lib -Xlinker -rpath=/work/lib >/work/build.log 2>&1; rc=$?;
    tail -n 40 /work/build.log;
    if [ $rc -ne 0 ]; then echo "swift-build-failed (exit $rc)"; exit 1; fi;
    swift test --skip-build ${RJ_FILTER:+--filter "$RJ_FILTER"} 2>&1' \
  | tee "$log" || rc=$?

# A failed build must fail the suite: never run the stale binary of the cached .build.
if grep -q '^swift-build-failed' "$log"; then
  echo "swift: the package does not build"
  echo "swift: 0 passed, 1 failed"
  exit 1
fi
# XCTest prints "Executed N tests, with M failures" per suite and once for all: take the last.
summary=$(grep -oE 'Executed [0-9]+ tests?, with [0-9]+ failures?' "$log" | tail -1 || true)
if [[ -z $summary ]]; then
  echo "swift: 0 passed, 1 failed (no test summary: build failed?)"
  exit 1
fi
n=$(echo "$summary" | grep -oE '[0-9]+' | head -1)
f=$(echo "$summary" | grep -oE '[0-9]+' | sed -n 2p)
# The UIKit adapter cannot be compiled on Linux; it must at least parse.
n=$((n + 1))
grep -q '^uikit-adapter-parses$' "$log" || { echo "swift: the UIKit adapter does not parse"; f=$((f + 1)); }
# Privacy end to end through the Swift SDK: decode every frame the server stored from the Swift
# session and check each private region is black (Swift on Linux cannot decode JPEG itself).
n=$((n + 1))
if [[ -n ${REJOURNEY_SWIFT_TESTS:-} ]]; then
  echo "swift: focused run: the stored frames are verified by the full suite"
elif ! cargo run --release -q --example verify_stored -- "$work/ingest-data"; then
  echo "swift: stored frames failed the privacy check"
  f=$((f + 1))
fi
# The privacy manifest: a valid plist, every required-reason API the sources call declared,
# shipped by `swift build` (in the resource bundle it just made), the podspecs and `npm pack`.
n=$((n + 1))
if ! python3 scripts/check-privacy-manifest.py --built "$cache_build" --npm; then
  echo "swift: the privacy manifest check failed"
  f=$((f + 1))
fi
echo "swift: $((n - f)) passed, $f failed"
[[ $f -eq 0 && $rc -eq 0 ]]
