#!/usr/bin/env bash
# The React Native package in apps, as a user gets it (run by scripts/test-react-native.sh):
# - an app from the official template (@react-native-community/template, through the community
#   CLI's `init`) and an Expo app (create-expo-app, blank-typescript), created once and cached
#   under ~/.cache/rejourney/rn-apps (they need Node >= 22.11: scripts/rn-node22.sh);
# - the package packed by scripts/package-react-native.sh --dev installed into both with npm;
# - template app: `react-native config` (module, podspec, Fabric component descriptor), the app's
#   codegen (and the package's native entries checked against what it generated:
#   rn-apps/check_native_entries.py), `tsc`, Metro bundles for android and ios holding the
#   Fabric view config, and jest rendering the app with the shipped mock (rn-apps/Rejourney-test.tsx);
# - Expo app: `expo prebuild` with the config plugin (its output has what the README's bare-app
#   steps give: the autolinked module with its component descriptor, the pod, INTERNET), the
#   plugin refusing a build that blocks INTERNET, and a Metro bundle for android.
# The app sources written over the templates' are in scripts/rn-apps/. Apps are locked while
# used (one cache, several worktrees). Prints "rn-apps: N passed, M failed" last.
#
#   ./scripts/test-react-native-apps.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out=${1:-$root/target/react-native/apps}
rm -rf "$out" && mkdir -p "$out"
passed=0
failed=0
note() { if [[ $1 -eq 0 ]]; then passed=$((passed + 1)); echo "rn-apps: ok: $2"; else failed=$((failed + 1)); echo "rn-apps: FAILED: $2"; fi; }
started=$(date +%s)

PATH="$(./scripts/rn-node22.sh):$PATH"
export PATH CI=1 EXPO_NO_TELEMETRY=1
echo "rn-apps: node $(node --version)"

TEMPLATE=0.87.2     # @react-native-community/template (React Native 0.87)
CLI=20.2.0          # @react-native-community/cli, the template's own
EXPO_TEMPLATE=57.0.28  # expo-template-blank-typescript (Expo SDK 57)
CREATE_EXPO=5.0.0

apps=$HOME/.cache/rejourney/rn-apps
mkdir -p "$apps"
exec 9>"$apps/.lock"
flock 9

template=$apps/template-$TEMPLATE-node22
expo=$apps/expo-$EXPO_TEMPLATE-node22
# Created once; a half-made app (no .rj-ready) is made again.
if [[ ! -f $template/.rj-ready ]]; then
  rm -rf "$template"
  echo "rn-apps: creating the template app (cold cache)"
  (cd "$apps" && npx --yes "@react-native-community/cli@$CLI" init RjApp --template "@react-native-community/template@$TEMPLATE" \
    --skip-git-init --install-pods false --pm npm --directory "$template") >"$out/template-init.log" 2>&1 \
    && touch "$template/.rj-ready" || { tail -20 "$out/template-init.log"; }
fi
if [[ ! -f $expo/.rj-ready ]]; then
  rm -rf "$expo" "$apps/expo-tmp" && mkdir -p "$apps/expo-tmp"
  echo "rn-apps: creating the Expo app (cold cache)"
  (cd "$apps/expo-tmp" && npx --yes "create-expo-app@$CREATE_EXPO" RjExpo --template "expo-template-blank-typescript@$EXPO_TEMPLATE" --yes) \
    >"$out/expo-init.log" 2>&1 && mv "$apps/expo-tmp/RjExpo" "$expo" && touch "$expo/.rj-ready" || { tail -20 "$out/expo-init.log"; }
  rm -rf "$apps/expo-tmp"
fi

# --- the package, packed as a user's npm would get it (--dev: no native libraries here)
p_rc=0
./scripts/package-react-native.sh --dev --pack-destination "$out" >"$out/pack.log" 2>&1 || { p_rc=$?; tail -20 "$out/pack.log"; }
tgz=$(ls "$out"/rejourney-react-native-*.tgz 2>/dev/null | head -1)
[[ -n $tgz ]] || p_rc=1
note $p_rc "the package packs"

# Installs the tarball into app $1 under a stable name, and checks what landed is this one.
install_pkg() {
  local app=$1
  cp "$tgz" "$app/rejourney-react-native.tgz"
  rm -rf "$app/node_modules/@rejourney"
  (cd "$app" && npm install --no-audit --no-fund --loglevel=error ./rejourney-react-native.tgz) >"$out/$(basename "$app")-install.log" 2>&1 \
    && cmp -s "$app/node_modules/@rejourney/react-native/src/index.ts" react-native/src/index.ts
}

# --- the template app
if [[ -f $template/.rj-ready && $p_rc -eq 0 ]]; then
  i_rc=0
  install_pkg "$template" || { i_rc=1; cat "$out/$(basename "$template")-install.log"; }
  cp scripts/rn-apps/App.tsx "$template/App.tsx"
  cp scripts/rn-apps/Rejourney-test.tsx "$template/__tests__/Rejourney-test.tsx"
  note $i_rc "template app: npm installs the package"

  c_rc=0
  (cd "$template" && npx react-native config) >"$out/config.json" 2>"$out/config.log" || c_rc=$?
  [[ $c_rc -eq 0 ]] && { python3 - "$out/config.json" <<'PY' || c_rc=$?
import json, os, sys
d = json.load(open(sys.argv[1]))["dependencies"].get("@rejourney/react-native")
problems = []
if not d:
    problems.append("not autolinked")
else:
    ios, android = d["platforms"].get("ios") or {}, d["platforms"].get("android") or {}
    if not (ios.get("podspecPath") or "").endswith("rejourney-react-native.podspec") or not os.path.exists(ios.get("podspecPath", "")):
        problems.append(f"ios podspec: {ios.get('podspecPath')}")
    if android.get("packageInstance") != "new RejourneyPackage()" or not os.path.isdir(android.get("sourceDir", "")):
        problems.append(f"android module: {android}")
    if android.get("libraryName") != "RNRejourneySpec" or android.get("componentDescriptors") != ["RejourneyMaskViewComponentDescriptor"]:
        problems.append(f"android codegen: library {android.get('libraryName')}, component descriptors {android.get('componentDescriptors')}")
    if not android.get("cmakeListsPath"):
        problems.append("android: no cmakeListsPath for the Fabric component")
for p in problems:
    print("react-native config:", p)
sys.exit(1 if problems else 0)
PY
  } || cat "$out/config.log"
  note $c_rc "template app: react-native config autolinks the module, its pod and its Fabric component descriptor"

  g_rc=0
  (cd "$template" && node node_modules/react-native/scripts/generate-codegen-artifacts.js -p . -t all -o "$out/codegen") >"$out/codegen.log" 2>&1 \
    && python3 scripts/rn-apps/check_native_entries.py "$out/codegen" react-native || { g_rc=1; tail -20 "$out/codegen.log"; }
  note $g_rc "template app: codegen generates the package's specs, and the native entries implement them"

  t_rc=0
  (cd "$template" && npx tsc --noEmit) >"$out/tsc.log" 2>&1 || { t_rc=1; head -30 "$out/tsc.log"; }
  note $t_rc "template app: tsc"

  for platform in android ios; do
    b_rc=0
    (cd "$template" && npx react-native bundle --platform "$platform" --dev false --entry-file index.js \
      --bundle-output "$out/$platform.bundle.js" --assets-dest "$out/assets-$platform") >"$out/metro-$platform.log" 2>&1 || { b_rc=1; tail -20 "$out/metro-$platform.log"; }
    # the codegen'd static view config (babel's codegen plugin) and the app's own call
    if [[ $b_rc -eq 0 ]] && ! { grep -q "rjMasked" "$out/$platform.bundle.js" && grep -q "'RejourneyMaskView'\|\"RejourneyMaskView\"" "$out/$platform.bundle.js" \
      && grep -q "pk_test_rn_app" "$out/$platform.bundle.js"; }; then
      b_rc=1; echo "metro $platform: the bundle lacks the RejourneyMaskView view config or the app's code"
    fi
    note $b_rc "template app: Metro bundles for $platform with the Fabric view config"
  done

  j_rc=0
  (cd "$template" && npx jest --ci --json --outputFile="$out/app-jest.json") >"$out/app-jest.log" 2>&1 || j_rc=$?
  if [[ -f $out/app-jest.json ]]; then
    python3 - "$out/app-jest.json" <<'PY' || j_rc=1
import json, sys
r = json.load(open(sys.argv[1]))
ours = [t for s in r["testResults"] if s["name"].endswith("Rejourney-test.tsx") for t in s["assertionResults"]]
ok = r["numFailedTests"] == 0 and r["numRuntimeErrorTestSuites"] == 0 and ours and all(t["status"] == "passed" for t in ours)
sys.exit(0 if ok else 1)
PY
  else
    j_rc=1
  fi
  [[ $j_rc -eq 0 ]] || grep -E '✕|●' "$out/app-jest.log" | head -20
  note $j_rc "template app: jest renders the app with the shipped mock, without a warning"
else
  note 1 "template app: not created ($out/template-init.log)"
fi

# --- the Expo app
if [[ -f $expo/.rj-ready && $p_rc -eq 0 ]]; then
  i_rc=0
  install_pkg "$expo" || { i_rc=1; cat "$out/$(basename "$expo")-install.log"; }
  cp scripts/rn-apps/App.tsx "$expo/App.tsx"
  note $i_rc "Expo app: npm installs the package"

  # app.json with the plugin ($1: also block INTERNET)
  app_json() {
    python3 - "$expo/app.json" "$1" <<'PY'
import json, sys
path, block = sys.argv[1], sys.argv[2] == "block"
a = json.load(open(path)); e = a["expo"]
e["plugins"] = ["@rejourney/react-native"]
e.setdefault("ios", {})["bundleIdentifier"] = "io.rejourney.rnapps.expo"
e.setdefault("android", {})["package"] = "io.rejourney.rnapps.expo"
if block:
    e["android"]["blockedPermissions"] = ["android.permission.INTERNET"]
else:
    e["android"].pop("blockedPermissions", None)
json.dump(a, open(path, "w"), indent=2)
PY
  }
  e_rc=0
  app_json allow
  (cd "$expo" && npx expo prebuild --no-install --clean) >"$out/prebuild.log" 2>&1 || { e_rc=1; tail -20 "$out/prebuild.log"; }
  if [[ $e_rc -eq 0 ]]; then
    (cd "$expo" && npx expo config --type introspect --json) >"$out/expo-config.json" 2>/dev/null || e_rc=1
    (cd "$expo" && npx expo-modules-autolinking react-native-config --json --platform android) >"$out/expo-autolink-android.json" 2>/dev/null || e_rc=1
    (cd "$expo" && npx expo-modules-autolinking react-native-config --json --platform ios) >"$out/expo-autolink-ios.json" 2>/dev/null || e_rc=1
    python3 - "$expo" "$out" <<'PY' || e_rc=1
import json, os, sys
app, out = sys.argv[1:3]
problems = []
history = json.load(open(f"{out}/expo-config.json")).get("_internal", {}).get("pluginHistory", {})
if "@rejourney/react-native" not in history:
    problems.append("the plugin did not run")
manifest = open(f"{app}/android/app/src/main/AndroidManifest.xml").read()
if 'android:name="android.permission.INTERNET"' not in manifest:
    problems.append("no INTERNET permission")
a = json.load(open(f"{out}/expo-autolink-android.json"))["dependencies"].get("@rejourney/react-native", {}).get("platforms", {}).get("android") or {}
if a.get("packageInstance") != "new RejourneyPackage()" or a.get("componentDescriptors") != ["RejourneyMaskViewComponentDescriptor"]:
    problems.append(f"android autolinking: {a}")
i = json.load(open(f"{out}/expo-autolink-ios.json"))["dependencies"].get("@rejourney/react-native", {}).get("platforms", {}).get("ios") or {}
if not (i.get("podspecPath") or "").endswith("rejourney-react-native.podspec"):
    problems.append(f"ios autolinking: {i}")
podfile = open(f"{app}/ios/Podfile").read()
if "use_native_modules!" not in podfile and "use_expo_modules!" not in podfile:
    problems.append("the Podfile autolinks nothing")
if "rejourney" in podfile.lower():
    problems.append("the Podfile names the package: a bare app needs no Podfile line")
for p in problems:
    print("expo prebuild:", p)
sys.exit(1 if problems else 0)
PY
  fi
  note $e_rc "Expo app: prebuild with the plugin gives the autolinked module, its pod and component descriptor, and INTERNET"

  x_rc=0
  app_json block
  if (cd "$expo" && npx expo prebuild --no-install --clean --platform android) >"$out/prebuild-blocked.log" 2>&1; then
    x_rc=1; echo "expo prebuild: passed with INTERNET blocked"
  elif ! grep -q "blocks android.permission.INTERNET" "$out/prebuild-blocked.log"; then
    x_rc=1; tail -20 "$out/prebuild-blocked.log"
  fi
  app_json allow
  note $x_rc "Expo app: the plugin refuses a build that blocks INTERNET, saying why"

  m_rc=0
  (cd "$expo" && npx expo export:embed --platform android --dev false --entry-file index.ts \
    --bundle-output "$out/expo-android.bundle.js" --assets-dest "$out/expo-assets") >"$out/expo-metro.log" 2>&1 || { m_rc=1; tail -20 "$out/expo-metro.log"; }
  [[ $m_rc -eq 0 ]] && ! grep -q "rjMasked" "$out/expo-android.bundle.js" && { m_rc=1; echo "expo metro: no RejourneyMaskView view config"; }
  note $m_rc "Expo app: Metro bundles for android"
else
  note 1 "Expo app: not created ($out/expo-init.log)"
fi

echo "rn-apps: $(($(date +%s) - started))s"
echo "rn-apps: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
