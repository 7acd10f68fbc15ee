import { test } from "node:test";
import * as assert from "node:assert/strict";
import { RejourneyClient, resolveNative, sanitizeProperties, MAX_PROPERTIES } from "../src/index";
import { instrumentNetwork } from "../src/network";
import { captureConsole, MAX_LOG_CHARS } from "../src/logs";
import { installErrorHandler } from "../src/errors";
import { fakeErrorUtils, RecordingModule } from "./helpers";

function client(mod: RecordingModule, extra: Record<string, unknown> = {}) {
  return new RejourneyClient({ resolve: () => resolveNative({ TurboModuleRegistry: { get: () => mod } }), ...extra });
}

test("event properties are flat, finite and bounded; nothing throws", () => {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  const p = sanitizeProperties({ s: "x", n: 2.5, inf: Infinity, b: false, nil: null, undef: undefined, big: 10n, fn: () => 1, nested: { k: [1, 2] }, cyclic });
  assert.deepEqual(p, { s: "x", n: 2.5, inf: null, b: false, nil: null, undef: null, big: "10", nested: '{"k":[1,2]}', cyclic: '{"a":1,"self":"[circular]"}' });
  const many = Object.fromEntries(Array.from({ length: MAX_PROPERTIES + 5 }, (_, i) => [`k${i}`, i]));
  const bounded = sanitizeProperties(many);
  assert.equal(Object.keys(bounded).length, MAX_PROPERTIES + 1);
  assert.equal(bounded._rejourney_dropped, 5);
  assert.equal((sanitizeProperties({ long: "x".repeat(5000) }).long as string).length, 1024);
  assert.deepEqual(sanitizeProperties("not an object"), {});
});

test("React Navigation and expo-router report screens, without repeats", async () => {
  const mod = new RecordingModule();
  const c = client(mod);
  await c.start({ apiKey: "pk", captureNetwork: false, captureErrors: false });
  let route = "Home";
  let listener: () => void = () => {};
  const unsubscribe = c.trackNavigation({ getCurrentRoute: () => ({ name: route }), addListener: (_e, cb) => { listener = cb; return () => { listener = () => {}; }; } });
  listener();
  route = "Cart";
  listener();
  unsubscribe();
  route = "Ignored";
  listener();
  c.trackExpoRouterPathname("/product/42");
  c.trackExpoRouterPathname("/product/42");
  c.trackExpoRouterPathname(null);
  assert.deepEqual(mod.calls.filter((x) => x.call === "screenChanged").map((x) => x.args[0]), ["Home", "Cart", "/product/42"]);
});

test("JS errors: fatal ones are crashes, non-fatal ones captured errors, with their stack; the app's previous handler still runs", async () => {
  const mod = new RecordingModule();
  const eu = fakeErrorUtils();
  const c = client(mod, { errorUtils: eu.utils });
  await c.start({ apiKey: "pk", captureNetwork: false });
  const err = new TypeError("x is undefined");
  eu.throwUncaught(err, true);
  await new Promise((r) => setImmediate(r));
  eu.throwUncaught("a string", false);
  const soft = new RangeError("index 7");
  eu.throwUncaught(soft, false);
  const reports = mod.calls.filter((x) => x.call === "reportError");
  assert.equal(reports.length, 1, "only the fatal one takes the crash path");
  assert.deepEqual(reports[0].args.slice(0, 2), ["TypeError", "x is undefined"]);
  assert.match(reports[0].args[2] as string, /instrument\.test/, "the stack");
  assert.equal(reports[0].args[3], true);
  const captured = mod.calls.filter((x) => x.call === "captureError");
  assert.deepEqual(captured.map((x) => x.args.slice(0, 2)), [["NonError", "a string"], ["RangeError", "index 7"]]);
  assert.equal(captured[0].args[2], "");
  assert.match(captured[1].args[2] as string, /instrument\.test/, "the stack");
  assert.deepEqual(eu.seen.map(([e, f]) => [e, f]), [[err, true], ["a string", false], [soft, false]], "previous handler called with the same arguments");
  await c.stop();
  eu.throwUncaught(new Error("after stop"), false);
  assert.equal(mod.calls.filter((x) => x.call === "reportError" || x.call === "captureError").length, 3, "uninstalled on stop");
  assert.equal(eu.seen.length, 4, "the previous handler is back");
});

test("a fatal JS error is on disk before the app's fatal handler runs; a native side that never answers does not hold it", async () => {
  const mod = new RecordingModule();
  let written: (ok: boolean) => void = () => {};
  mod.reportError = (name: string) => { mod.calls.push({ t: 0, call: "reportError", args: [name] }); return new Promise<boolean>((r) => { written = r; }); };
  const eu = fakeErrorUtils();
  const c = client(mod, { errorUtils: eu.utils });
  await c.start({ apiKey: "pk", captureNetwork: false });
  eu.throwUncaught(new Error("boom"), true);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(mod.names().slice(-1), ["reportError"]);
  assert.equal(eu.seen.length, 0, "the app's handler (which ends a release app) waits for the crash write");
  written(true);
  await new Promise((r) => setImmediate(r));
  assert.equal(eu.seen.length, 1, "then it runs, once");
  await c.stop();

  const silent = fakeErrorUtils();
  installErrorHandler(silent.utils, () => new Promise(() => {}), 5);
  silent.throwUncaught(new Error("native never answers"), true);
  assert.equal(silent.seen.length, 0);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(silent.seen.length, 1, "bounded wait: the app's handler still runs");
  const rejecting = fakeErrorUtils();
  installErrorHandler(rejecting.utils, () => Promise.reject(new Error("write failed")));
  rejecting.throwUncaught(new Error("x"), true);
  await new Promise((r) => setImmediate(r));
  assert.equal(rejecting.seen.length, 1, "a failed write still chains");
});

test("captureError and flushBuffer forward to the native module and never reject on its refusal", async () => {
  const mod = new RecordingModule();
  const c = client(mod);
  await c.start({ apiKey: "pk", captureNetwork: false, captureErrors: false, onErrorSampleRate: 1, sessionSampleRate: 0 });
  mod.buffered = true;
  assert.equal(await c.captureError(new Error("checkout failed")), true, "the buffer was uploaded");
  assert.equal(await c.flushBuffer(), false, "nothing left to upload");
  assert.equal(await c.reportError("older name"), false);
  assert.deepEqual(mod.calls.filter((x) => x.call !== "start").map((x) => [x.call, x.args[0]]),
    [["captureError", "Error"], ["flushBuffer", "manual"], ["captureError", "NonError"]]);
  await assert.rejects(c.flushBuffer(""), /flushBuffer reason must be a non-empty string/);
  const refusing = new RecordingModule();
  refusing.captureError = async () => { throw new Error("not started"); };
  refusing.flushBuffer = async () => { throw new Error("not started"); };
  const r = client(refusing);
  assert.equal(await r.captureError(new Error("x")), false);
  assert.equal(await r.flushBuffer("support"), false);
  const none = new RejourneyClient({ resolve: () => resolveNative(null) });
  assert.equal(await none.captureError(new Error("x")), false, "no native module: a no-op");
  assert.equal(await none.flushBuffer("support"), false);
});

test("fetch and XHR timings are network events; failures too; the SDK's own API is skipped", async () => {
  let t = 1000;
  const now = () => t;
  const seen: unknown[] = [];
  const g: Record<string, unknown> = {
    fetch: async (input: unknown) => {
      t += 120;
      if (String(input).includes("down")) throw new Error("Network request failed");
      return { status: 201, headers: { get: (h: string) => (h === "content-length" ? "512" : null) } };
    },
  };
  class Xhr {
    status = 0;
    responseText = "";
    private listeners: Record<string, () => void> = {};
    open(_m: string, _u: string) {}
    send(_b?: unknown) { t += 40; this.status = 404; this.responseText = "nope"; this.listeners.load?.(); }
    addEventListener(type: string, cb: () => void) { this.listeners[type] = cb; }
  }
  g.XMLHttpRequest = Xhr;
  const restore = instrumentNetwork((e) => seen.push(e), (u) => u.startsWith("https://api.rejourney.co"), now, g as never);
  const fetch = g.fetch as (u: string, i?: unknown) => Promise<{ status: number }>;
  assert.equal((await fetch("https://shop.example/api/cart?token=s3cret", { method: "post", body: "{\"a\":1}" })).status, 201);
  await assert.rejects(fetch("https://down.example/x"), /Network request failed/);
  await fetch("https://api.rejourney.co/api/ingest/segment/presign");
  const xhr = new Xhr();
  xhr.open("GET", "https://cdn.example/img.png");
  xhr.send();
  assert.deepEqual(seen, [
    { method: "POST", url: "https://shop.example/api/cart?token=s3cret", statusCode: 201, durationMs: 120, requestBytes: 7, responseBytes: 512 },
    { method: "GET", url: "https://down.example/x", durationMs: 120, requestBytes: undefined, error: "Network request failed" },
    { method: "GET", url: "https://cdn.example/img.png", durationMs: 40, statusCode: 404, requestBytes: undefined, responseBytes: 4, error: undefined },
  ]);
  restore();
  assert.equal(Xhr.prototype.send.name, "send", "restored");
});

test("console capture is opt-in, bounded and never recursive", async () => {
  const printed: unknown[][] = [];
  const fakeConsole: Record<string, unknown> = { log: (...a: unknown[]) => printed.push(a), warn: (...a: unknown[]) => printed.push(a), error: (...a: unknown[]) => printed.push(a) };
  const mod = new RecordingModule();
  const off = client(mod, { console: fakeConsole });
  await off.start({ apiKey: "pk", captureNetwork: false, captureErrors: false });
  (fakeConsole.log as (m: string) => void)("not captured");
  assert.equal(mod.calls.filter((x) => x.call === "logMessage").length, 0);
  await off.stop();
  const on = client(mod, { console: fakeConsole });
  await on.start({ apiKey: "pk", captureNetwork: false, captureErrors: false, captureConsoleLogs: true });
  (fakeConsole.log as (...m: unknown[]) => void)("cart", { items: 2 });
  (fakeConsole.error as (m: unknown) => void)(new RangeError("bad index"));
  (fakeConsole.warn as (m: string) => void)("y".repeat(5000));
  const logs = mod.calls.filter((x) => x.call === "logMessage").map((x) => x.args);
  assert.deepEqual(logs.slice(0, 2), [["info", 'cart {"items":2}'], ["error", "RangeError: bad index"]]);
  assert.equal((logs[2][1] as string).length, MAX_LOG_CHARS + 1);
  assert.equal(printed.length, 4, "the console still prints everything");
  await on.stop();
  const captureOnly = captureConsole(() => { (fakeConsole.log as (m: string) => void)("inside the report"); }, fakeConsole);
  (fakeConsole.log as (m: string) => void)("outer");
  captureOnly();
});
