#!/usr/bin/env bash
# Installs what a fresh machine lacks to build (and, with --tests, to test) Rejourney.
# Idempotent: packages already present are not touched; apt's lists are refreshed only when
# something must be installed. Runs as root (CI) or through sudo.
set -euo pipefail

build_pkgs=(cmake nasm)          # libjpeg-turbo is built vendored: cmake + nasm (x86 SIMD)
test_pkgs=()
if [[ "${1:-}" == "--tests" ]]; then
  test_pkgs=(libjna-java junit4 debootstrap chromium)   # chromium: the replay viewer's browser tests
fi

missing=()
for p in "${build_pkgs[@]}" "${test_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v cargo >/dev/null || { echo "setup: cargo (Rust toolchain) is required: https://rustup.rs" >&2; exit 1; }
