#!/usr/bin/env bash
# Builds (once) a Debian trixie chroot with Swift 6.0 (package swiftlang), Foundation, XCTest and
# Swift Testing, cached outside the repository. Idempotent: a marker file records a finished
# build; a half-built chroot (interrupted run) is removed and rebuilt. Prints the chroot path.
# Needs root (debootstrap, chroot); about one minute and 3.3 GB.
set -euo pipefail
root=${REJOURNEY_CACHE:-$HOME/.cache/rejourney}/swift-chroot
marker=$root/.rejourney-ready
if [[ ! -f $marker ]]; then
  command -v debootstrap >/dev/null || { echo "swift: debootstrap missing (run scripts/setup.sh --tests)" >&2; exit 1; }
  # A previous run may have died with proc still mounted inside: never rm through a mount.
  if mountpoint -q "$root/proc" 2>/dev/null; then umount -l "$root/proc"; fi
  rm -rf "$root"
  mkdir -p "$(dirname "$root")"
  echo "swift: building the toolchain chroot in $root (once)" >&2
  debootstrap --variant=minbase --include=swiftlang,libc6-dev,libstdc++-14-dev trixie "$root" \
    http://deb.debian.org/debian >&2
  touch "$marker"
fi
echo "$root"
