#!/usr/bin/env bash
# Prints the directory holding the Android test dependencies, fetching them from Maven Central
# into ~/.cache/rejourney once: jars/ (Robolectric 4.17, JUnit 4 and what they need, native
# graphics included) and sdk/ (the instrumented android-all jar of the SDK the suite runs, which
# Robolectric loads offline from there) and compile/ (the same SDK uninstrumented: what the
# adapter is compiled against).
set -euo pipefail
cd "$(dirname "$0")/.."
robolectric=4.17
# The SDK the suite runs (Android 14, API 34; 35+ needs Java 21) and its android-all build for
# this Robolectric (org.robolectric.plugins.DefaultSdkProvider: "14", "10818077", i7).
android_all=org.robolectric:android-all-instrumented:14-robolectric-10818077-i7
# The same SDK uninstrumented, to compile against (subclasses of instrumented framework classes
# would have to implement Robolectric's own interfaces).
android_all_compile=org.robolectric:android-all:14-robolectric-10818077
cache=${REJOURNEY_CACHE:-$HOME/.cache/rejourney}
dir=$cache/android-robolectric-$robolectric
if [[ ! -f $dir/.complete ]]; then
  echo "android: fetching Robolectric $robolectric and $android_all into $dir" >&2
  rm -rf "$dir" && mkdir -p "$dir"
  repo=$cache/m2
  mvn -q -B -Dmaven.repo.local="$repo" -f scripts/android-deps/pom.xml \
    dependency:copy-dependencies -DoutputDirectory="$dir/jars" >&2
  mvn -q -B -Dmaven.repo.local="$repo" -f scripts/android-deps/pom.xml \
    dependency:copy -Dartifact="$android_all" -DoutputDirectory="$dir/sdk" >&2
  mvn -q -B -Dmaven.repo.local="$repo" -f scripts/android-deps/pom.xml \
    dependency:copy -Dartifact="$android_all_compile" -DoutputDirectory="$dir/compile" >&2
  # androidx.test's monitor and idling resource come as AARs (from Maven Central): their
  # classes.jar is what the JVM loads.
  for aar in "$dir"/jars/*.aar; do
    [[ -f $aar ]] || continue
    unzip -p "$aar" classes.jar > "${aar%.aar}.jar"
    rm "$aar"
  done
  touch "$dir/.complete"
fi
echo "$dir"
