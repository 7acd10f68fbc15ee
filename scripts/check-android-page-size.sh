#!/usr/bin/env bash
# Google Play requires 16 KB page support for apps targeting Android 15+: every Android target
# of the core must be linked with `-z max-page-size=16384` (.cargo/config.toml). No Android
# target or NDK is installed on the test machine, so this checks the config that the Android
# builds read; with an ELF given (`check-android-page-size.sh librejourney_core.so`), it also
# checks that every LOAD segment of that build is aligned to 16 KiB (llvm-readelf or readelf).
set -euo pipefail
cd "$(dirname "$0")/.."
config=.cargo/config.toml
fail=0
for target in aarch64-linux-android armv7-linux-androideabi x86_64-linux-android i686-linux-android; do
  # The rustflags line of this target's table (up to the next table).
  flags=$(awk -v t="[target.$target]" '$0 == t {on = 1; next} /^\[/ {on = 0} on && /rustflags/' "$config")
  if [[ $flags != *"max-page-size=16384"* ]]; then
    echo "page-size: $target is not linked with -z max-page-size=16384 in $config"
    fail=1
  fi
done
for so in "$@"; do
  readelf=$(command -v llvm-readelf || command -v readelf)
  bad=$("$readelf" -lW "$so" | awk '$1 == "LOAD" && $NF != "0x4000" && $NF != "0x10000" {print}')
  if [[ -n $bad ]]; then
    echo "page-size: $so has LOAD segments not aligned to 16 KiB:"; echo "$bad"
    fail=1
  fi
done
[[ $fail == 0 ]] && echo "page-size: every Android target links with 16 KiB pages${1:+ and $# ELF(s) aligned}"
exit $fail
