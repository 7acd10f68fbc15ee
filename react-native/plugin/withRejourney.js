/**
 * Expo config plugin for @rejourney/react-native: applies, on every `expo prebuild`, what a bare
 * app has from the package and its README (autolinking installs the pod and the Gradle module
 * with their native libraries; nothing is added to the Podfile):
 * - Android: the `INTERNET` permission the SDK uploads with. An app that blocks it
 *   (`android.blockedPermissions`) could never send a session, so prebuild fails saying so
 *   rather than build an app that records into a spool nobody drains.
 * - The floors the SDK builds for: iOS deployment target 13.0 (`ios.deploymentTarget` in
 *   ios/Podfile.properties.json) and Android `minSdkVersion` 24 (`android.minSdkVersion` in
 *   android/gradle.properties), raised when an app (e.g. expo-build-properties) sets them lower,
 *   never lowered.
 * `expo/config-plugins` comes with the app's `expo` package; this file is loaded only by Expo's
 * tooling, never by the app at run time.
 */
"use strict";

const { AndroidConfig, createRunOncePlugin, withAndroidManifest, withGradleProperties, withPodfileProperties } = require("expo/config-plugins");

const pkg = require("../package.json");

const INTERNET = "android.permission.INTERNET";
const IOS_MIN = "13.0";
const ANDROID_MIN_SDK = 24;

/** Compares dotted versions ("12.4" < "13.0"); a value that is not one counts as lower. */
function versionBelow(value, floor) {
  const a = String(value).split(".").map(Number);
  const b = floor.split(".").map(Number);
  if (a.some((n) => !Number.isFinite(n))) return true;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] || 0;
    const y = b[i] || 0;
    if (x !== y) return x < y;
  }
  return false;
}

function withRejourneyAndroid(config) {
  const blocked = (config.android && config.android.blockedPermissions) || [];
  if (blocked.includes(INTERNET)) {
    throw new Error(`@rejourney/react-native: android.blockedPermissions blocks ${INTERNET}, which the SDK uploads sessions with`);
  }
  config = withAndroidManifest(config, (c) => {
    AndroidConfig.Permissions.ensurePermissions(c.modResults, [INTERNET]);
    return c;
  });
  return withGradleProperties(config, (c) => {
    const item = c.modResults.find((p) => p.type === "property" && p.key === "android.minSdkVersion");
    if (item && !(Number(item.value) >= ANDROID_MIN_SDK)) item.value = String(ANDROID_MIN_SDK);
    return c;
  });
}

function withRejourneyIos(config) {
  return withPodfileProperties(config, (c) => {
    const current = c.modResults["ios.deploymentTarget"];
    if (current !== undefined && versionBelow(current, IOS_MIN)) c.modResults["ios.deploymentTarget"] = IOS_MIN;
    return c;
  });
}

function withRejourney(config) {
  return withRejourneyIos(withRejourneyAndroid(config));
}

module.exports = createRunOncePlugin(withRejourney, pkg.name, pkg.version);
module.exports.versionBelow = versionBelow;
