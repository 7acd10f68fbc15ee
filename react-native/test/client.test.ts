import { test } from "node:test";
import * as assert from "node:assert/strict";

import { NativeBridge, RejourneyClient, RejourneyConfigError, rejourneyMask, resolveOptions, serializeProperties, MAX_PROPERTIES_BYTES } from "../src/index";
import type { ResolvedOptions } from "../src/options";

/** A recording stand-in for the native module (the real one needs a device). */
class RecordingBridge implements NativeBridge {
  calls: Array<[string, unknown[]]> = [];
  async start(o: ResolvedOptions) { this.calls.push(["start", [o]]); return "session_1_abc"; }
  async stop() { this.calls.push(["stop", []]); }
  async identify(u: string | null) { this.calls.push(["identify", [u]]); }
  async logEvent(n: string, p: string) { this.calls.push(["logEvent", [n, p]]); }
  async screenChanged(n: string) { this.calls.push(["screenChanged", [n]]); }
  async optOut() { this.calls.push(["optOut", []]); }
  async telemetryJson() { return '{"capture":{"frames_captured":3}}'; }
}

test("options get protocol defaults and are validated", () => {
  const r = resolveOptions({ apiKey: " pk ", apiUrl: "http://127.0.0.1:8787/" });
  assert.equal(r.apiKey, "pk");
  assert.equal(r.apiUrl, "http://127.0.0.1:8787");
  assert.equal(r.captureIntervalMs, 1000);
  assert.equal(r.jpegQuality, 0.5);
  assert.equal(r.captureScale, 1.25);
  for (const bad of [
    { apiKey: "" },
    { apiKey: "k", apiUrl: "not a url" },
    { apiKey: "k", apiUrl: "ftp://x" },
    { apiKey: "k", jpegQuality: 1.5 },
    { apiKey: "k", jpegQuality: NaN },
    { apiKey: "k", captureIntervalMs: 0 },
    { apiKey: "k", sampleRate: -0.1 },
    { apiKey: "k", maskedClasses: [""] },
  ]) {
    assert.throws(() => resolveOptions(bad as never), RejourneyConfigError, JSON.stringify(bad));
  }
});

test("start, identify, events and stop reach the native module", async () => {
  const b = new RecordingBridge();
  const c = new RejourneyClient(b);
  assert.equal(await c.start({ apiKey: "pk" }), "session_1_abc");
  assert.equal(c.currentSessionId(), "session_1_abc");
  await c.identify("user-7");
  await c.logEvent("purchase", { amount: 9.99, sku: "A1" });
  await c.stop();
  await c.stop();
  assert.deepEqual(b.calls.map((x) => x[0]), ["start", "identify", "logEvent", "stop"]);
  assert.equal(b.calls[2][1][1], '{"amount":9.99,"sku":"A1"}');
  await assert.rejects(c.logEvent(""), RejourneyConfigError);
  await assert.rejects(c.identify("  "), RejourneyConfigError);
});

test("properties never throw: cycles, functions, NaN, bigint, oversize", () => {
  const cyc: Record<string, unknown> = { a: 1 };
  cyc.self = cyc;
  assert.equal(serializeProperties(cyc), '{"a":1,"self":"[circular]"}');
  assert.equal(serializeProperties({ f: () => 1, n: NaN, i: Infinity, b: BigInt(5) }), '{"n":null,"i":null,"b":"5"}');
  assert.equal(serializeProperties(undefined), "{}");
  const big = serializeProperties({ s: "x".repeat(MAX_PROPERTIES_BYTES * 2) });
  assert.ok(big.length < 100 && big.includes("truncated"));
});

test("navigation tracking reports focused screens once each", async () => {
  const b = new RecordingBridge();
  const c = new RejourneyClient(b);
  let route = "Home";
  let listener: (() => void) | null = null;
  const unsubscribe = c.trackNavigation({
    getCurrentRoute: () => ({ name: route }),
    addListener: (_e, cb) => { listener = cb; return () => { listener = null; }; },
  });
  route = "Cart"; listener!();
  listener!();
  route = "Checkout"; listener!();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(b.calls.filter((x) => x[0] === "screenChanged").map((x) => x[1][0]), ["Home", "Cart", "Checkout"]);
  unsubscribe();
  assert.equal(listener, null);
});

test("a missing native module is a clear error, and mask props carry the tag", async () => {
  const c = new RejourneyClient(null);
  await assert.rejects(c.start({ apiKey: "pk" }), /native module is not linked/);
  assert.deepEqual(rejourneyMask(), { nativeID: "rj-mask" });
});
