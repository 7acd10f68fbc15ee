#!/usr/bin/env bash
# Kotlin SDK tests on the JVM: generates the bindings from the host-built library, compiles
# them with the plain-Kotlin wrapper and the JUnit tests, and runs them against the host .so
# and the local ingest server. The Kotlin compiler comes from npm (kotlin-compiler ships
# kotlinc) and is cached in ~/.cache/rejourney; JNA and JUnit come from Debian.
# Prints "kotlin: N passed, M failed" last.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

kotlinc=$(./scripts/kotlin-toolchain.sh)
cache=$(dirname "$(dirname "$kotlinc")")
stdlib=$cache/lib/kotlin-stdlib.jar
jna=/usr/share/java/jna.jar
junit=/usr/share/java/junit4.jar
hamcrest=/usr/share/java/hamcrest-core.jar
for jar in "$jna" "$junit" "$hamcrest"; do
  [[ -f $jar ]] || { echo "kotlin: missing $jar (run scripts/setup.sh --tests)"; echo "kotlin: 0 passed, 1 failed"; exit 1; }
done

./scripts/gen-bindings.sh kotlin
cargo build --release -p rejourney-ingest >&2

out=target/kotlin-test
rm -rf "$out" && mkdir -p "$out"
sources=$(find bindings/kotlin/generated bindings/kotlin/src/main/kotlin/io/rejourney/sdk bindings/kotlin/src/main/kotlin/io/rejourney/RejourneyOptions.kt bindings/kotlin/src/test/kotlin -name '*.kt')
echo "kotlin: compiling $(echo "$sources" | wc -l) files"
"$kotlinc" -nowarn -jvm-target 17 -cp "$jna:$junit:$hamcrest" -d "$out" $sources

classes=$(cd "$out" && find . -name '*Test.class' | sed 's|^\./||; s|\.class$||; s|/|.|g')
log=$out/junit.log
rc=0
ingest_data=$out/ingest-data
RUST_BACKTRACE=0 java -Djna.library.path="$root/target/release" -Drejourney.root="$root" -Djava.awt.headless=true \
  -Drejourney.ingestData="$root/$ingest_data" \
  -cp "$out:$stdlib:$jna:$junit:$hamcrest" org.junit.runner.JUnitCore $classes 2>&1 | tee "$log" || rc=$?
if grep -qE '^OK \(([0-9]+) tests?\)' "$log"; then
  n=$(grep -oE '^OK \(([0-9]+)' "$log" | grep -oE '[0-9]+')
  failed=0
else
  run=$(grep -oE 'Tests run: [0-9]+' "$log" | grep -oE '[0-9]+' | tail -1)
  failed=$(grep -oE 'Failures: [0-9]+' "$log" | grep -oE '[0-9]+' | tail -1)
  failed=${failed:-1}
  n=${run:-$failed}
  rc=1
fi
# Privacy end to end through the Kotlin SDK: decode every frame the server stored from the
# Kotlin sessions and check each private region is black.
n=$((n + 1))
if ! cargo run --release -q --example verify_stored -- "$ingest_data"; then
  echo "kotlin: stored frames failed the privacy check"
  failed=$((failed + 1))
  rc=1
fi
echo "kotlin: $((n - failed)) passed, $failed failed"
exit $rc
