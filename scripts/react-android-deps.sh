#!/usr/bin/env bash
# Prints the directory holding react-android's classes from Maven Central, fetched into
# ~/.cache/rejourney once: classes.jar and R.txt (the resource names an app build numbers)
# from the react-android AAR (and androidx-*.R.txt from the androidx ones), fbcore.jar (Fresco's fbcore AAR: FLog, which react-android's
# view code logs through), androidx-core.jar / androidx-core-ktx.jar (androidx.core's AARs:
# ReactViewGroup draws its children through androidx.core's ViewGroup extensions; without them
# every draw of a window holding a React view throws NoClassDefFoundError and the screen is
# never drawn) and androidx-customview.jar (the accessibility delegate ViewManager.createView
# installs on every view) and androidx-annotation.jar (the @Nullable of the Java codegen
# generates for an app's view managers). 0.86.0: the newest react-android the registry serves here. Only
# these are fetched (not react-android's whole dependency tree): they are what the module, the
# view managers' createView and React views' drawing load on a host JVM.
set -euo pipefail
version=0.86.0
fresco=3.6.0
androidx_core=1.13.1
customview=1.1.0
annotation=1.8.0
cache=${REJOURNEY_CACHE:-$HOME/.cache/rejourney}
dir=$cache/react-android-$version
m2=$cache/m2
jars=(classes.jar R.txt fbcore.jar androidx-core.jar androidx-core.R.txt androidx-core-ktx.jar androidx-customview.jar androidx-customview.R.txt androidx-annotation.jar)
complete=1
for f in "${jars[@]}"; do [[ -f $dir/$f ]] || complete=0; done
if [[ $complete -eq 0 ]]; then
  echo "react-android: fetching $version, fbcore $fresco, androidx.core $androidx_core, customview $customview and annotation $annotation into $dir" >&2
  get() { mvn -q -B dependency:get -Dmaven.repo.local="$m2" -Dartifact="$1" -Dtransitive=false >&2; }
  get com.facebook.react:react-android:$version:aar:release
  get com.facebook.fresco:fbcore:$fresco:aar
  get androidx.core:core:$androidx_core:aar
  get androidx.core:core-ktx:$androidx_core:aar
  get androidx.customview:customview:$customview:aar
  get androidx.annotation:annotation-jvm:$annotation
  mkdir -p "$dir"
  unzip -o -q "$m2/com/facebook/react/react-android/$version/react-android-$version-release.aar" classes.jar R.txt -d "$dir"
  unzip -p "$m2/com/facebook/fresco/fbcore/$fresco/fbcore-$fresco.aar" classes.jar >"$dir/fbcore.jar"
  unzip -p "$m2/androidx/core/core/$androidx_core/core-$androidx_core.aar" classes.jar >"$dir/androidx-core.jar"
  unzip -p "$m2/androidx/core/core/$androidx_core/core-$androidx_core.aar" R.txt >"$dir/androidx-core.R.txt"
  unzip -p "$m2/androidx/core/core-ktx/$androidx_core/core-ktx-$androidx_core.aar" classes.jar >"$dir/androidx-core-ktx.jar"
  unzip -p "$m2/androidx/customview/customview/$customview/customview-$customview.aar" classes.jar >"$dir/androidx-customview.jar"
  unzip -p "$m2/androidx/customview/customview/$customview/customview-$customview.aar" R.txt >"$dir/androidx-customview.R.txt"
  cp "$m2/androidx/annotation/annotation-jvm/$annotation/annotation-jvm-$annotation.jar" "$dir/androidx-annotation.jar"
fi
echo "$dir"
