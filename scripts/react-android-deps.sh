#!/usr/bin/env bash
# Prints the directory holding react-android's classes from Maven Central, fetched into
# ~/.cache/rejourney once: classes.jar and R.txt (the resource names an app build numbers)
# from the react-android AAR, and fbcore.jar (Fresco's fbcore AAR: FLog, which react-android's
# view code logs through). 0.86.0: the newest react-android the registry serves here; its
# androidx dependencies come from Google's Maven, which is not reachable, so only these are used.
set -euo pipefail
version=0.86.0
fresco=3.6.0
cache=${REJOURNEY_CACHE:-$HOME/.cache/rejourney}
dir=$cache/react-android-$version
m2=$cache/m2
if [[ ! -f $dir/classes.jar || ! -f $dir/R.txt || ! -f $dir/fbcore.jar ]]; then
  echo "react-android: fetching $version and fbcore $fresco into $dir" >&2
  mvn -q -B dependency:get -Dmaven.repo.local="$m2" -Dartifact=com.facebook.react:react-android:$version:aar:release -Dtransitive=false >&2
  mvn -q -B dependency:get -Dmaven.repo.local="$m2" -Dartifact=com.facebook.fresco:fbcore:$fresco:aar -Dtransitive=false >&2
  mkdir -p "$dir"
  unzip -o -q "$m2/com/facebook/react/react-android/$version/react-android-$version-release.aar" classes.jar R.txt -d "$dir"
  unzip -p "$m2/com/facebook/fresco/fbcore/$fresco/fbcore-$fresco.aar" classes.jar >"$dir/fbcore.jar"
fi
echo "$dir"
