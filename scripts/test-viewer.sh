#!/usr/bin/env bash
# The replay viewer in a real browser: headless Chromium (Debian's `chromium`, installed by
# setup.sh --tests) driven by playwright-core (npm, pinned in viewer/package-lock.json,
# installed here once). Records the demo session into target/viewer-test/demo, adds what the
# demo does not record (a log, background time, an ANR, a crash) through a live local ingest
# server, writes the replay file with `rejourney-ingest replay`, then checks in the browser the
# replay file, the shared bundle vectors (tests/vectors/bundles) and 1500 mutations of them
# (examples/bundle_mutations.rs, with the core's outcomes) through the page's parser, and the
# server's pages. Saves target/viewer-test/replay.png. Prints "N passed, M failed" last.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$root/target/viewer-test
passed=0
failed=0

finish() {
  echo "viewer: $passed passed, $failed failed"
  [[ $failed -eq 0 ]]
  exit
}

# A step that must work for the suite to go on; its output goes to a log shown on failure.
step() {
  local name=$1; shift
  if "$@" >"$out/$name.log" 2>&1; then return 0; fi
  echo "viewer: $name failed:"; tail -n 40 "$out/$name.log"
  failed=$((failed + 1))
  finish
}

# A check counted as one test.
check() {
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); echo "ok   $name"; else failed=$((failed + 1)); echo "FAIL $name"; fi
}

rm -rf "$out" && mkdir -p "$out"
step setup ./scripts/setup.sh --tests
step node bash -c 'command -v node >/dev/null && node -e "process.exit(+process.versions.node.split(\".\")[0] >= 20 ? 0 : 1)" || { echo "node >= 20 is required"; exit 1; }'
# playwright-core as locked, unless that exact version is already there.
step npm bash -c 'cd viewer && node -e "
  const want = require(\"./package-lock.json\").packages[\"node_modules/playwright-core\"].version;
  process.exit(require(\"./node_modules/playwright-core/package.json\").version === want ? 0 : 1)" 2>/dev/null ||
  npm ci --no-audit --no-fund --loglevel=error'
# One selection, resolving features as the demo's `cargo run --example` does: building the
# ingest binary alone would resolve them differently and rebuild the core both ways.
step build cargo build --release -p rejourney-harness -p rejourney-ingest --bin rejourney-ingest \
  --example record_session --example bundle_mutations

step demo target/release/examples/record_session --speed 30 --out "$out/demo"
replay_line=$(grep '^Replay: ' "$out/demo.log" | head -n 1)
check "the demo prints its replay file" test -s "$(awk '{print $2}' <<<"$replay_line")"
data=$out/demo/ingest-data
session=$(basename "$(ls -d "$data"/session_* | head -n 1)")

# A live server over the demo's data, on a free port, stopped on exit.
target/release/rejourney-ingest --bind 127.0.0.1:0 --data "$data" >"$out/server.log" 2>&1 &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null' EXIT
url=""
for _ in $(seq 100); do
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$out/server.log" | head -n 1)
  [[ -n $url ]] && break
  sleep 0.1
done
[[ -n $url ]] || { echo "viewer: the ingest server did not start"; cat "$out/server.log"; failed=$((failed + 1)); finish; }

step mutations target/release/examples/bundle_mutations "$out/mutations.json" 1500
step enrich bash -c "cd viewer && node test/run.mjs enrich --server $url --session $session --data $data"
step replay target/release/rejourney-ingest replay --data "$data" --session "$session" \
  --telemetry "$out/demo/summary.json" --out "$out/replay.html"
check "rejourney-ingest replay writes one HTML file" test -s "$out/replay.html"

(cd viewer && node test/run.mjs browser --replay "$out/replay.html" --server "$url" --session "$session" \
  --data "$data" --demo "$out/demo" --vectors "$root/tests/vectors/bundles" --mutations "$out/mutations.json" \
  --screenshot "$out/replay.png" --counts "$out/browser-counts.txt") 2>&1 | tee "$out/browser.log"
if [[ -s $out/browser-counts.txt ]]; then
  read -r p f <"$out/browser-counts.txt"
  passed=$((passed + p)); failed=$((failed + f))
else
  echo "viewer: the browser tests did not finish"
  failed=$((failed + 1))
fi
finish
