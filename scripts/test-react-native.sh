#!/usr/bin/env bash
# Builds and tests the React Native TypeScript layer with node's test runner.
# Prints "react-native: N passed, M failed" last.
set -euo pipefail
cd "$(dirname "$0")/../react-native"
if [[ -f package-lock.json ]]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
npx tsc -p tsconfig.test.json
out=$(mktemp)
rc=0
node --test --test-reporter=tap lib-test/test/ | tee "$out" || rc=$?
pass=$(grep -E '^# pass ' "$out" | awk '{print $3}')
fail=$(grep -E '^# fail ' "$out" | awk '{print $3}')
rm -f "$out"
echo "react-native: ${pass:-0} passed, ${fail:-1} failed"
exit $rc
