/**
 * Session links on React Native's own modules (issue 26): the session listener over React
 * Native's real NativeEventEmitter / RCTDeviceEventEmitter (the native module counts the
 * subscriptions as the Kotlin and Objective-C++ modules do), and the tracing header on
 * requests made with React Native's own XMLHttpRequest and fetch, read back from what a real
 * HTTP server on 127.0.0.1 received. The native module here answers `tracingHeadersJson` as the
 * core does for `traceHosts: ["127.0.0.1"]` (the core's own rules are tested in
 * tests/session_links.rs and through the Kotlin module on the JVM).
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { RejourneyClient, resolveNative, SessionEvent, SESSION_EVENT } from "../src/index";
import { serveNetworking } from "./nativeNetworking";

const Networking = require("react-native/Libraries/Network/NativeNetworkingIOS").default;
const RCTDeviceEventEmitter = require("react-native/Libraries/EventEmitter/RCTDeviceEventEmitter").default;
require("react-native/Libraries/Core/setUpXHR");

const HEADER = "x-rejourney-session-id";

/** The native module as JS sees it: the core's answers for `traceHosts: ["127.0.0.1"]`. */
class CoreLikeModule {
  session: string | null = null;
  consent = "granted";
  listening = 0;
  asked: string[] = [];
  private n = 0;
  async start() { this.session = `session_${++this.n}`; return this.session; }
  async stop() { this.session = null; }
  async optOut() { this.session = null; }
  async setConsent(c: string) { this.consent = c; }
  async tracingHeadersJson(url: string) {
    this.asked.push(url);
    const traced = /^https?:\/\/127\.0\.0\.1(:\d+)?(\/|$)/.test(url);
    return traced && this.session && this.consent === "granted" ? JSON.stringify({ [HEADER]: this.session }) : "{}";
  }
  async sessionUrl() { return null; }
  addListener() { this.listening++; }
  removeListeners(count: number) { this.listening -= count; }
  networkRequest() {}
  logEvent() {}
  screenChanged() {}
  logMessage() {}
  async identify() {}
  async reportError() { return true; }
  async captureError() { return false; }
  async flushBuffer() { return false; }
  async telemetryJson() { return "{}"; }
}

let server: http.Server;
let listed = "";
let other = "";
const received: Array<{ url: string; host: string; headers: http.IncomingHttpHeaders }> = [];
const uncaught: unknown[] = [];
const onUncaught = (e: unknown) => { uncaught.push(e); };

beforeAll(async () => {
  serveNetworking(Networking, (event, args) => RCTDeviceEventEmitter.emit(event, args));
  server = http.createServer((req, res) => {
    received.push({ url: req.url ?? "", host: req.headers.host ?? "", headers: req.headers });
    res.end("ok");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  listed = `http://127.0.0.1:${port}`;
  // The same server under a host that is not listed.
  other = `http://localhost:${port}`;
  process.on("uncaughtException", onUncaught);
});

afterAll(async () => {
  process.off("uncaughtException", onUncaught);
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

beforeEach(() => { received.length = 0; uncaught.length = 0; });

function client(mod: CoreLikeModule) {
  return new RejourneyClient({ resolve: () => resolveNative({ TurboModuleRegistry: { get: () => mod } }) });
}

function xhr(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const x = new XMLHttpRequest();
    x.open("GET", url);
    for (const [k, v] of Object.entries(headers)) x.setRequestHeader(k, v);
    x.addEventListener("loadend", () => resolve(x.status));
    x.send();
  });
}

const got = (path: string) => received.filter((r) => r.url === path).map((r) => r.headers[HEADER]);
const settle = () => new Promise<void>((r) => setTimeout(r, 20));

test("the tracing header goes to a listed host only, on XHR and fetch, from the first request after start", async () => {
  const mod = new CoreLikeModule();
  const rj = client(mod);
  await rj.start({ apiKey: "pk_test", apiUrl: "http://127.0.0.1:9", traceHosts: ["127.0.0.1"] });
  try {
    expect(await xhr(`${listed}/xhr`)).toBe(200);
    expect((await fetch(`${listed}/fetch`, { headers: { accept: "text/plain" } })).status).toBe(200);
    await xhr(`${other}/other-xhr`);
    await fetch(`${other}/other-fetch`);
    await xhr(`${listed}/app-set`, { "X-Rejourney-Session-Id": "the-apps-own" });
  } finally {
    await rj.stop();
  }
  expect(got("/xhr")).toEqual(["session_1"]);
  expect(got("/fetch")).toEqual(["session_1"]);
  expect(received.find((r) => r.url === "/fetch")?.headers.accept).toBe("text/plain");
  expect(got("/other-xhr")).toEqual([undefined]);
  expect(got("/other-fetch")).toEqual([undefined]);
  expect(got("/app-set")).toEqual(["the-apps-own"]);
  // The core was asked about URLs only: the app's requests never waited on it.
  expect(mod.asked.some((u) => u.startsWith("http://localhost"))).toBe(true);
  expect(uncaught).toEqual([]);
});

test("no header without a session, while consent is pending, after an opt-out, nor without traceHosts", async () => {
  const mod = new CoreLikeModule();
  const rj = client(mod);
  await xhr(`${listed}/before-start`);
  await rj.start({ apiKey: "pk_test", apiUrl: "http://127.0.0.1:9", traceHosts: ["127.0.0.1"] });
  await rj.setConsent("pending");
  await xhr(`${listed}/pending`);
  await rj.setConsent("granted");
  await xhr(`${listed}/granted`);
  await rj.optOut();
  await xhr(`${listed}/opted-out`);
  await rj.start({ apiKey: "pk_test", apiUrl: "http://127.0.0.1:9" });
  await xhr(`${listed}/not-listed`);
  await rj.stop();
  await xhr(`${listed}/stopped`);
  expect(got("/before-start")).toEqual([undefined]);
  expect(got("/pending")).toEqual([undefined]);
  expect(got("/granted")).toEqual(["session_1"]);
  expect(got("/opted-out")).toEqual([undefined]);
  expect(got("/not-listed")).toEqual([undefined]);
  expect(got("/stopped")).toEqual([undefined]);
});

test("a rotation reported by the native side moves the header to the new session", async () => {
  const mod = new CoreLikeModule();
  const rj = client(mod);
  await rj.start({ apiKey: "pk_test", apiUrl: "http://127.0.0.1:9", traceHosts: ["127.0.0.1"] });
  expect(mod.listening).toBe(1);
  await xhr(`${listed}/first`);
  // The core rotated (a background timeout): it ends the session and starts the next.
  RCTDeviceEventEmitter.emit(SESSION_EVENT, { type: "ended", sessionId: "session_1", replayUrl: null, reason: "background_timeout" });
  mod.session = "session_9";
  await xhr(`${listed}/between`);
  RCTDeviceEventEmitter.emit(SESSION_EVENT, { type: "started", sessionId: "session_9", replayUrl: null, reason: null });
  await settle();
  await xhr(`${listed}/second`);
  await rj.stop();
  expect(got("/first")).toEqual(["session_1"]);
  expect(got("/between")).toEqual([undefined]);
  expect(got("/second")).toEqual(["session_9"]);
});

test("session listeners hear starts and ends; one that throws is contained; none left: nothing is subscribed", async () => {
  const mod = new CoreLikeModule();
  const rj = client(mod);
  const heard: SessionEvent[] = [];
  const warn = jest.spyOn(console, "warn").mockImplementation(() => {});
  const bad = rj.addSessionListener(() => { throw new Error("the app's listener failed"); });
  const good = rj.addSessionListener((e) => heard.push(e));
  expect(mod.listening).toBe(1);
  const started = { type: "started", sessionId: "session_1", replayUrl: "https://rejourney.co/dashboard/sessions/session_1", reason: null };
  expect(() => RCTDeviceEventEmitter.emit(SESSION_EVENT, started)).not.toThrow();
  await rj.stop();
  await rj.start({ apiKey: "pk_test", apiUrl: "http://127.0.0.1:9" });
  expect(() => RCTDeviceEventEmitter.emit(SESSION_EVENT, { ...started, type: "ended", reason: "opt_out" })).not.toThrow();
  RCTDeviceEventEmitter.emit(SESSION_EVENT, { type: "bogus", sessionId: 3 });
  bad.remove();
  bad.remove();
  expect(mod.listening).toBe(1);
  good.remove();
  expect(mod.listening).toBe(0);
  RCTDeviceEventEmitter.emit(SESSION_EVENT, started);
  await settle();
  await rj.stop();
  expect(heard).toEqual([
    started,
    { type: "ended", sessionId: "session_1", replayUrl: "https://rejourney.co/dashboard/sessions/session_1", reason: "opt_out" },
  ]);
  expect(uncaught).toEqual([]);
  expect(warn.mock.calls.filter((c) => String(c[0]).includes("session listener threw"))).toHaveLength(1);
  warn.mockRestore();
});
