import { test } from "node:test";
import * as assert from "node:assert/strict";
import { RejourneyConfigError, resolveOptions, RN_TEXT_CLASSES, RN_IMAGE_CLASSES } from "../src/index";

test("only what the app set is sent: the core fills in its defaults", () => {
  const { native, js } = resolveOptions({ apiKey: " pk ", apiUrl: "http://127.0.0.1:8787/" });
  assert.deepEqual(native, { apiKey: "pk", apiUrl: "http://127.0.0.1:8787", maskedClasses: [], maskedTestIds: [], urlDenyList: [] });
  assert.deepEqual(js, { captureErrors: true, captureNetwork: true, captureConsoleLogs: false });
  assert.equal(resolveOptions({ apiKey: "k" }).native.apiUrl, "https://api.rejourney.co");
});

test("sampling, the on-error buffer, remote config and input masking go to the native side as set", () => {
  const { native } = resolveOptions({
    apiKey: "k", sessionSampleRate: 0.1, onErrorSampleRate: 1, bufferWindowMs: 15000, bufferMaxBytes: 2097152,
    bufferCaptureIntervalMs: 2000, remoteConfig: false, remoteConfigHoldMs: 500, maskTextInputs: false,
  });
  assert.deepEqual(native, {
    apiKey: "k", apiUrl: "https://api.rejourney.co", sessionSampleRate: 0.1, onErrorSampleRate: 1, bufferWindowMs: 15000,
    bufferMaxBytes: 2097152, bufferCaptureIntervalMs: 2000, remoteConfig: false, remoteConfigHoldMs: 500, maskTextInputs: false,
    maskedClasses: [], maskedTestIds: [], urlDenyList: [],
  });
  assert.equal(resolveOptions({ apiKey: "k", sampleRate: 0.5, sessionSampleRate: 0.5 }).native.sessionSampleRate, 0.5, "both names, one value");
});

test("React Native's own text and image views are masked with the options that mask them", () => {
  assert.deepEqual(resolveOptions({ apiKey: "k" }).native.maskedClasses, []);
  const text = resolveOptions({ apiKey: "k", maskAllText: true, maskedClasses: ["CardView"] }).native;
  assert.deepEqual(text.maskedClasses, ["CardView", ...RN_TEXT_CLASSES]);
  assert.ok(text.maskedClasses.includes("RCTParagraphComponentView"), "Fabric text");
  const images = resolveOptions({ apiKey: "k", maskAllImages: true }).native;
  assert.deepEqual(images.maskedClasses, RN_IMAGE_CLASSES);
  assert.ok(images.maskedClasses.includes("RCTImageComponentView"), "Fabric images");
});

test("mistakes are clear errors at the call site", () => {
  const cases: Array<[unknown, RegExp]> = [
    [null, /options must be an object/],
    [{ apiKey: "" }, /apiKey is required/],
    [{ apiKey: "k", apiUrl: "not a url" }, /apiUrl is not a URL/],
    [{ apiKey: "k", apiUrl: "ftp://x" }, /http\(s\)/],
    [{ apiKey: "k", jpegQuality: 1.5 }, /jpegQuality must be a number in \[0, 1\], got 1.5/],
    [{ apiKey: "k", jpegQuality: NaN }, /jpegQuality/],
    [{ apiKey: "k", captureIntervalMs: 0 }, /captureIntervalMs must be an integer/],
    [{ apiKey: "k", captureIntervalMs: 10.5 }, /captureIntervalMs must be an integer/],
    [{ apiKey: "k", sampleRate: -0.1 }, /sampleRate/],
    [{ apiKey: "k", sessionSampleRate: 2 }, /sessionSampleRate must be a number in \[0, 1\], got 2/],
    [{ apiKey: "k", sampleRate: 0.5, sessionSampleRate: 0.25 }, /sampleRate is the older name of sessionSampleRate: set one/],
    [{ apiKey: "k", onErrorSampleRate: 1.5 }, /onErrorSampleRate must be a number in \[0, 1\], got 1.5/],
    [{ apiKey: "k", bufferWindowMs: 0 }, /bufferWindowMs must be an integer/],
    [{ apiKey: "k", bufferMaxBytes: 1.5 }, /bufferMaxBytes must be an integer/],
    [{ apiKey: "k", bufferCaptureIntervalMs: 60001 }, /bufferCaptureIntervalMs must be an integer in \[1, 60000\]/],
    [{ apiKey: "k", remoteConfig: "no" }, /remoteConfig must be true or false/],
    [{ apiKey: "k", remoteConfigHoldMs: 6000 }, /remoteConfigHoldMs must be an integer in \[0, 5000\]/],
    [{ apiKey: "k", maskTextInputs: 0 }, /maskTextInputs must be true or false/],
    [{ apiKey: "k", maskedClasses: [""] }, /maskedClasses must be a list of non-empty strings/],
    [{ apiKey: "k", maskAllText: "yes" }, /maskAllText must be true or false/],
    [{ apiKey: "k", captureIntervall: 500 }, /unknown option\(s\): captureIntervall/],
  ];
  for (const [bad, message] of cases) {
    assert.throws(() => resolveOptions(bad as never), (e: unknown) => e instanceof RejourneyConfigError && message.test((e as Error).message), JSON.stringify(bad));
  }
});

test("device policy and session-link options go to the native side as set (issue 26)", () => {
  const { native } = resolveOptions({
    apiKey: "k", uploadOnlyOnUnmetered: true, lowBatteryThreshold: 0.25,
    dashboardUrl: " https://replays.example.com ", traceHosts: ["api.example.com", "*.example.org"],
  });
  assert.equal(native.uploadOnlyOnUnmetered, true);
  assert.equal(native.lowBatteryThreshold, 0.25);
  assert.equal(native.dashboardUrl, "https://replays.example.com");
  assert.deepEqual(native.traceHosts, ["api.example.com", "*.example.org"]);
  assert.equal("traceHosts" in resolveOptions({ apiKey: "k" }).native, false, "unset: the core's default");
  for (const bad of [{ lowBatteryThreshold: 1.5 }, { uploadOnlyOnUnmetered: "yes" }, { traceHosts: [""] }, { dashboardUrl: 3 }]) {
    assert.throws(() => resolveOptions({ apiKey: "k", ...(bad as object) }), RejourneyConfigError, JSON.stringify(bad));
  }
});

test("pendingCallLimit goes to the native side as set (iOS keeps that many calls while start opens; Android ignores it)", () => {
  assert.equal(resolveOptions({ apiKey: "k", pendingCallLimit: 250 }).native.pendingCallLimit, 250);
  assert.equal(resolveOptions({ apiKey: "k", pendingCallLimit: 0 }).native.pendingCallLimit, 0);
  assert.equal("pendingCallLimit" in resolveOptions({ apiKey: "k" }).native, false);
  for (const bad of [-1, 1.5, 100_001, Number.NaN]) {
    assert.throws(() => resolveOptions({ apiKey: "k", pendingCallLimit: bad }), RejourneyConfigError);
  }
});
