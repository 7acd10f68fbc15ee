import { test, beforeEach } from "node:test";
import * as assert from "node:assert/strict";
import { RejourneyClient, resolveNative } from "../src/index";
import { resetWarnings } from "../src/native";
import { RecordingModule } from "./helpers";

function captureWarnings(): string[] {
  const warnings: string[] = [];
  console.warn = (m: string) => { warnings.push(m); };
  return warnings;
}

beforeEach(() => resetWarnings());

test("the New Architecture's TurboModule is preferred, the old bridge's module is the fallback", () => {
  const turbo = new RecordingModule();
  const bridge = new RecordingModule();
  assert.equal(resolveNative({ TurboModuleRegistry: { get: () => turbo }, NativeModules: { Rejourney: bridge } }).module, turbo);
  const old = resolveNative({ TurboModuleRegistry: { get: () => null }, NativeModules: { Rejourney: bridge } });
  assert.equal(old.kind, "bridge");
  assert.equal(old.module, bridge);
  const throwing = resolveNative({ TurboModuleRegistry: { get: () => { throw new Error("not registered"); } }, NativeModules: { Rejourney: bridge } });
  assert.equal(throwing.kind, "bridge", "a registry that throws is not fatal");
});

test("Expo Go: every call is a no-op that says so once, never a crash", async () => {
  const warnings = captureWarnings();
  const expo = { NativeModules: { ExponentConstants: { appOwnership: "expo" } }, TurboModuleRegistry: { get: () => null } };
  const client = new RejourneyClient({ resolve: () => resolveNative(expo) });
  assert.equal(client.availability(), "expo-go");
  assert.equal(await client.start({ apiKey: "pk" }), null);
  client.screen("Home");
  client.logEvent("tap", { a: 1 });
  await client.identify("u1");
  assert.deepEqual(await client.telemetry(), {});
  await client.stop();
  assert.equal(warnings.length, 1, warnings.join("\n"));
  assert.match(warnings[0], /Expo Go/);
  assert.match(warnings[0], /development build/);
});

test("an unlinked build and plain Node say why, once", async () => {
  const warnings = captureWarnings();
  const unlinked = new RejourneyClient({ resolve: () => resolveNative({ NativeModules: {} }) });
  assert.equal(await unlinked.start({ apiKey: "pk" }), null);
  unlinked.screen("A");
  assert.equal(unlinked.availability(), "not-linked");
  assert.match(warnings.join("\n"), /not linked.*pod install/);
  const node = new RejourneyClient({ resolve: () => resolveNative(null) });
  assert.equal(node.availability(), "no-react-native");
  assert.equal(warnings.length, 2);
});

test("bad options still throw when there is no native module (the mistake is the app's)", async () => {
  const client = new RejourneyClient({ resolve: () => resolveNative({ NativeModules: {} }) });
  await assert.rejects(client.start({ apiKey: "" }), /apiKey is required/);
});

test("Expo Go is told apart by expo-constants' ExponentConstants module (Expo modules' global registry)", () => {
  const g = globalThis as { expo?: unknown };
  g.expo = { modules: { ExponentConstants: { executionEnvironment: "storeClient" } } };
  try {
    const r = resolveNative({ NativeModules: {}, TurboModuleRegistry: { get: () => null } });
    assert.equal(r.kind, "expo-go");
    assert.match(r.module === null ? r.message : "", /Expo Go.*development build/);
    g.expo = { modules: { ExponentConstants: { executionEnvironment: "bare" } } };
    assert.equal(resolveNative({ NativeModules: {} }).kind, "not-linked", "a development build without the module is not Expo Go");
  } finally {
    delete g.expo;
  }
});
