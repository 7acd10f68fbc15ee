#!/usr/bin/env bash
# Builds the shipped shared library with the size profile (`release-lib`: fat LTO, opt-level
# "s", one codegen unit, stripped, unwinding kept) and prints its size.
# Usage: scripts/build-lib.sh [cargo target triple]   (default: the host)
# Output: target/[<triple>/]release-lib/librejourney_core.{so,dylib,a}
set -euo pipefail
cd "$(dirname "$0")/.."
args=(build --profile release-lib -p rejourney-core --lib)
dir=target/release-lib
if [[ -n ${1:-} ]]; then
  args+=(--target "$1")
  dir=target/$1/release-lib
fi
cargo "${args[@]}" >&2
for f in "$dir"/librejourney_core.so "$dir"/librejourney_core.dylib; do
  [[ -f $f ]] && echo "$f: $(stat -c %s "$f" 2>/dev/null || stat -f %z "$f") bytes"
done
exit 0
