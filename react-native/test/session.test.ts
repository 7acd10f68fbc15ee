/**
 * A session driven from JS the way an app drives it: start with options, React Navigation
 * screen changes, custom events, a fetch with a secret in its URL, console lines, a caught, an
 * uncaught non-fatal and a fatal JS error, and a manual buffer flush. The native module here records every call with its (fake) time; when
 * `RJ_RN_TRACE` is set the calls are written there and the JVM suite replays them through the
 * Kotlin module implementation into the real core and the local ingest server, whose stored
 * frames `verify_stored` then checks.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { RejourneyClient, resolveNative } from "../src/index";
import { fakeErrorUtils, RecordingModule } from "./helpers";

test("a JS-driven session produces the native calls of a real app", async () => {
  let t = 0;
  const mod = new RecordingModule(() => t);
  const eu = fakeErrorUtils();
  const globals: Record<string, unknown> = {
    fetch: async () => { t += 180; return { status: 200, headers: { get: () => "2048" } }; },
  };
  const printed: unknown[] = [];
  const fakeConsole: Record<string, unknown> = { log: (...a: unknown[]) => printed.push(a), warn: (...a: unknown[]) => printed.push(a) };
  const client = new RejourneyClient({
    resolve: () => resolveNative({ TurboModuleRegistry: { get: () => mod } }),
    errorUtils: eu.utils,
    now: () => t,
    globals: globals as never,
    console: fakeConsole,
  });
  const sessionId = await client.start({
    apiKey: "pk_test",
    apiUrl: process.env.RJ_INGEST_URL ?? "http://127.0.0.1:8787",
    captureConsoleLogs: true,
    maskedTestIds: ["promo-code"],
    anrThresholdMs: 0,
    // The JVM replay asks the local ingest server for its project settings.
    remoteConfig: true,
  });
  assert.equal(sessionId, "session_1_abc");
  let route = "login-000";
  let onState: () => void = () => {};
  client.trackNavigation({ getCurrentRoute: () => ({ name: route }), addListener: (_e, cb) => { onState = cb; return () => {}; } });
  const go = (screen: string, ms: number) => { t += ms; route = screen; onState(); };
  t += 2500;
  client.logEvent("login_submitted", { method: "password", remember: true });
  go("chat-000", 1500);
  (fakeConsole.log as (m: string) => void)("chat opened");
  go("chat-120", 1000);
  go("shop-000", 1500);
  await (globals.fetch as (u: string, i: object) => Promise<unknown>)("https://shop.example/api/cart?token=s3cret", { method: "POST", body: "{}" });
  client.logEvent("add_to_cart", { sku: "A-42", price: 19.99 });
  go("shop-300", 1200);
  assert.equal(await client.captureError(new Error("image decode failed")), false, "recorded: no buffer to upload");
  go("settings-000", 1800);
  eu.throwUncaught(new RangeError("page out of range"), false);
  t += 300;
  assert.equal(await client.flushBuffer("support"), false);
  t += 1500;
  eu.throwUncaught(new TypeError("cannot read 'id' of undefined"), true);
  t += 500;
  await client.stop();

  const names = mod.names();
  assert.equal(names[0], "start");
  assert.equal(names[names.length - 1], "stop");
  assert.deepEqual(mod.calls.filter((c) => c.call === "screenChanged").map((c) => c.args[0]),
    ["login-000", "chat-000", "chat-120", "shop-000", "shop-300", "settings-000"]);
  const net = mod.calls.find((c) => c.call === "networkRequest");
  assert.deepEqual(net?.args[0], { method: "POST", url: "https://shop.example/api/cart?token=s3cret", statusCode: 200, durationMs: 180, requestBytes: 2, responseBytes: 2048 });
  assert.deepEqual(mod.calls.filter((c) => c.call === "reportError").map((c) => [c.args[0], c.args[3]]), [["TypeError", true]], "only the fatal error is a crash");
  assert.deepEqual(mod.calls.filter((c) => c.call === "captureError").map((c) => c.args.slice(0, 2)),
    [["Error", "image decode failed"], ["RangeError", "page out of range"]], "the caught and the non-fatal uncaught error");
  assert.deepEqual(mod.calls.filter((c) => c.call === "flushBuffer").map((c) => c.args), [["support"]]);
  assert.ok(mod.calls.some((c) => c.call === "logMessage" && c.args[1] === "chat opened"));
  const times = mod.calls.map((c) => c.t);
  assert.deepEqual(times, [...times].sort((a, b) => a - b), "calls in time order");
  if (process.env.RJ_RN_TRACE) fs.writeFileSync(process.env.RJ_RN_TRACE, JSON.stringify(mod.calls, null, 1));
});

test("session links come from the native side: the replay URL and the tracing headers (issue 26)", async () => {
  const mod = new RecordingModule();
  const client = new RejourneyClient({ resolve: () => resolveNative({ TurboModuleRegistry: { get: () => mod } }) });
  assert.equal(await client.getSessionUrl(), null);
  mod.url = "https://rejourney.co/dashboard/sessions/session_1_abc";
  mod.headersJson = '{"x-rejourney-session-id":"session_1_abc","bad":3}';
  assert.equal(await client.getSessionUrl(), "https://rejourney.co/dashboard/sessions/session_1_abc");
  assert.deepEqual(await client.tracingHeaders("https://api.example.com/x"), { "x-rejourney-session-id": "session_1_abc" });
  mod.headersJson = "not json";
  assert.deepEqual(await client.tracingHeaders("https://api.example.com/x"), {}, "never throws into the app");
  assert.deepEqual(mod.names(), ["sessionUrl", "sessionUrl", "tracingHeadersJson", "tracingHeadersJson"]);
  const off = new RejourneyClient({ resolve: () => resolveNative(null) });
  assert.equal(await off.getSessionUrl(), null);
  assert.deepEqual(await off.tracingHeaders("https://api.example.com/"), {});
});
