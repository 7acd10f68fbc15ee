#!/usr/bin/env bash
# Runs every test suite the repository has. Installs what a fresh machine lacks first.
# Benchmarks are not run here: `cargo bench` (see benches/RESULTS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --tests

log_dir=target/test-logs
mkdir -p "$log_dir"
passed=0
failed=0
failed_suites=()

# Runs one suite, tees its output, and adds its counts. Each suite prints either cargo's
# "test result: ok. N passed; M failed" lines or a plain "N passed, M failed" line.
run_suite() {
  local name=$1; shift
  local log="$log_dir/$name.log"
  echo "=== suite: $name"
  local rc=0
  "$@" 2>&1 | tee "$log" || rc=$?
  local p f
  p=$(grep -oE '(test result: [a-zA-Z]+\. )?[0-9]+ passed' "$log" | grep -oE '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
  f=$(grep -oE '[0-9]+ failed' "$log" | awk '{s+=$1} END {print s+0}')
  passed=$((passed + p)); failed=$((failed + f))
  if [[ $rc -ne 0 ]]; then
    failed_suites+=("$name")
    if [[ $f -eq 0 ]]; then failed=$((failed + 1)); fi   # a suite that crashed counts as a failure
  fi
  return 0
}

run_suite rust cargo test --workspace --release --all-targets --no-fail-fast
for platform in kotlin android swift react-native viewer; do
  if [[ -x scripts/test-$platform.sh ]]; then
    run_suite "$platform" ./scripts/test-$platform.sh
  fi
done
run_suite demo bash -c 'cargo run --release --example record_session -- --speed 30 --out target/demo-check && echo "1 passed, 0 failed"'

echo
[[ ${#failed_suites[@]} -eq 0 ]] || echo "failed suites: ${failed_suites[*]}"
echo "tests: $passed passed, $failed failed"
[[ ${#failed_suites[@]} -eq 0 && $failed -eq 0 ]]
