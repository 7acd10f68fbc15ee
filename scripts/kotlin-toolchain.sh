#!/usr/bin/env bash
# Prints the path of kotlinc, fetching kotlin-compiler from npm into ~/.cache/rejourney once.
set -euo pipefail
kotlin_version=2.4.20
cache=${REJOURNEY_CACHE:-$HOME/.cache/rejourney}/kotlin-$kotlin_version
kotlinc=$cache/package/bin/kotlinc
if [[ ! -x $kotlinc ]]; then
  echo "kotlin: fetching kotlin-compiler@$kotlin_version into $cache" >&2
  rm -rf "$cache" && mkdir -p "$cache"
  (cd "$cache" && npm pack "kotlin-compiler@$kotlin_version" --silent >/dev/null && tar xzf kotlin-compiler-*.tgz && rm kotlin-compiler-*.tgz)
fi
echo "$kotlinc"
