#!/usr/bin/env bash
# Prints the path of react-android's classes.jar, fetching the AAR from Maven Central into
# ~/.cache/rejourney once (0.86.0: the newest react-android the registry serves here; its
# androidx dependencies come from Google's Maven, which is not reachable, so only classes.jar
# is used).
set -euo pipefail
version=0.86.0
cache=${REJOURNEY_CACHE:-$HOME/.cache/rejourney}
dir=$cache/react-android-$version
if [[ ! -f $dir/classes.jar ]]; then
  echo "react-android: fetching $version into $dir" >&2
  mvn -q -B dependency:get -Dmaven.repo.local="$cache/m2" \
    -Dartifact=com.facebook.react:react-android:$version:aar:release -Dtransitive=false >&2
  mkdir -p "$dir"
  unzip -o -q "$cache/m2/com/facebook/react/react-android/$version/react-android-$version-release.aar" classes.jar -d "$dir"
fi
echo "$dir/classes.jar"
