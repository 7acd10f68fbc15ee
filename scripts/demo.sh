#!/usr/bin/env bash
# The main job: installs what the build needs (once), then records a realistic 60-second
# session from the screen corpus through the real pipeline. Arguments go to the example
# (e.g. --speed 1 for real time).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
exec cargo run --release --example record_session -- "$@"
