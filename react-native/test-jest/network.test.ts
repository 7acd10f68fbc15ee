/**
 * Network capture over React Native's OWN XMLHttpRequest and fetch (set up by React Native's
 * setUpXHR, as an app gets them), against a real HTTP server on 127.0.0.1. Before the fix every
 * fetch threw from our `load` listener (RN's fetch uses responseType blob, arraybuffer under
 * jest, where `responseText` throws) and RN's EventTarget rethrew it from a timer: a fatal
 * error in an app. Each request must be one event, whatever layer it went through.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { instrumentNetwork, NetworkEvent } from "../src/network";
import { serveNetworking } from "./nativeNetworking";

const Networking = require("react-native/Libraries/Network/NativeNetworkingIOS").default;
const RCTDeviceEventEmitter = require("react-native/Libraries/EventEmitter/RCTDeviceEventEmitter").default;
require("react-native/Libraries/Core/setUpXHR");

let server: http.Server;
let base = "";
let closedPort = 0;
const uncaught: unknown[] = [];
const onUncaught = (e: unknown) => { uncaught.push(e); };

beforeAll(async () => {
  serveNetworking(Networking, (event, args) => RCTDeviceEventEmitter.emit(event, args));
  server = http.createServer((req, res) => {
    if (req.url === "/slow") return; // answered never: the client aborts
    if (req.url === "/json") { res.setHeader("content-type", "application/json"); res.end('{"items":[1,2,3]}'); return; }
    res.statusCode = req.url === "/missing" ? 404 : 200;
    res.end(req.method === "POST" ? "created" : "hello world");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const closed = http.createServer();
  await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
  closedPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  process.on("uncaughtException", onUncaught);
});

afterAll(async () => {
  process.off("uncaughtException", onUncaught);
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

/** What React Native's EventTarget rethrows from a timer surfaces after a macrotask. */
const settle = () => new Promise<void>((r) => setTimeout(r, 20));

function capture() {
  const seen: NetworkEvent[] = [];
  const restore = instrumentNetwork((e) => seen.push(e), (u) => u.includes("/own-api/"));
  return { seen, restore };
}

function xhr(method: string, url: string, responseType: XMLHttpRequestResponseType, body?: string): Promise<XMLHttpRequest> {
  return new Promise((resolve) => {
    const x = new XMLHttpRequest();
    x.open(method, url);
    x.responseType = responseType;
    x.addEventListener("loadend", () => resolve(x));
    x.send(body);
  });
}

test("the XHR is React Native's own", () => {
  expect(String(XMLHttpRequest.prototype.open)).not.toContain("[native code]");
  expect(Object.getPrototypeOf(new XMLHttpRequest()).constructor.name).toBe("XMLHttpRequest");
  expect(Networking.sendRequest).toBeDefined();
});

test("fetch: text, JSON and binary bodies; one event per request, nothing thrown into the app", async () => {
  const { seen, restore } = capture();
  try {
    const res = await fetch(`${base}/text`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("hello world");
    const json = await fetch(`${base}/json`, { method: "post", body: "{}" });
    expect(await json.json()).toEqual({ items: [1, 2, 3] });
    const missing = await fetch(`${base}/missing`);
    expect(missing.status).toBe(404);
    await settle();
  } finally {
    restore();
  }
  expect(uncaught).toEqual([]);
  expect(seen.map((e) => [e.method, e.url.replace(base, ""), e.statusCode, e.error])).toEqual([
    ["GET", "/text", 200, undefined],
    ["POST", "/json", 200, undefined],
    ["GET", "/missing", 404, undefined],
  ]);
  expect(seen[0].responseBytes).toBe(11);
  expect(seen[1].requestBytes).toBe(2);
  // RN's fetch asked the native side for a blob or base64 body: `responseText` would throw.
  const asked = Networking.sendRequest.mock.calls.map((c: [{ responseType: string }]) => c[0].responseType);
  expect(asked.length).toBe(3);
  expect(asked.filter((t: string) => t === "text")).toEqual([]);
});

test("fetch: a failed and an aborted request are one event each, and the app still gets its rejection", async () => {
  const { seen, restore } = capture();
  try {
    await expect(fetch(`http://127.0.0.1:${closedPort}/down`)).rejects.toThrow(/Network request failed/);
    const controller = new AbortController();
    const pending = fetch(`${base}/slow`, { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    await expect(pending).rejects.toThrow(/abort/i);
    await settle();
  } finally {
    restore();
  }
  expect(uncaught).toEqual([]);
  expect(seen.map((e) => [e.url.replace(base, "").replace(`http://127.0.0.1:${closedPort}`, ""), e.statusCode, Boolean(e.error)])).toEqual([
    ["/down", undefined, true],
    ["/slow", undefined, true],
  ]);
});

test.each(["", "text", "arraybuffer", "blob", "json"] as const)("XHR with responseType %p: one event with its status, no uncaught error", async (type) => {
  const { seen, restore } = capture();
  let x: XMLHttpRequest;
  try {
    x = await xhr("GET", `${base}/${type === "json" ? "json" : "text"}`, type);
    await settle();
  } finally {
    restore();
  }
  expect(uncaught).toEqual([]);
  expect(x.status).toBe(200);
  expect(seen).toHaveLength(1);
  expect(seen[0]).toMatchObject({ method: "GET", statusCode: 200 });
  // node's server sends content-length, which is the size whatever the responseType.
  expect(seen[0].responseBytes).toBe(type === "json" ? 17 : 11);
});

test("XHR: failed and aborted requests; the SDK's own API is skipped", async () => {
  const { seen, restore } = capture();
  try {
    const failed = await xhr("GET", `http://127.0.0.1:${closedPort}/down`, "");
    expect(failed.status).toBe(0);
    const aborted = new Promise<void>((resolve) => {
      const x = new XMLHttpRequest();
      x.open("GET", `${base}/slow`);
      x.addEventListener("loadend", () => resolve());
      x.send();
      setTimeout(() => x.abort(), 20);
    });
    await aborted;
    await xhr("GET", `${base}/text`, "");
    await xhr("GET", `${base}/missing`, "");
    await xhr("POST", `${base}/own-api/segment`, "", "x");
    await settle();
  } finally {
    restore();
  }
  expect(uncaught).toEqual([]);
  expect(seen.map((e) => [e.url.replace(base, "").replace(`http://127.0.0.1:${closedPort}`, ""), e.statusCode, e.error])).toEqual([
    ["/down", undefined, "network error"],
    ["/slow", undefined, "aborted"],
    ["/text", 200, undefined],
    ["/missing", 404, undefined],
  ]);
});

test("a throwing report or clock never reaches the app", async () => {
  const restore = instrumentNetwork(() => { throw new Error("report failed"); }, () => false, () => { throw new Error("clock failed"); });
  try {
    const res = await fetch(`${base}/text`);
    expect(await res.text()).toBe("hello world");
    const x = await xhr("GET", `${base}/text`, "arraybuffer");
    expect(x.status).toBe(200);
    await settle();
  } finally {
    restore();
  }
  expect(uncaught).toEqual([]);
});
