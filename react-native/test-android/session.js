/**
 * A checkout screen as an app writes it, run by Node on the package's compiled JS (`lib/`,
 * what npm installs) with `react-native` replaced by ./react-native-shim.js, which forwards
 * every native call to the Robolectric test that spawned this process
 * (react-native/android/src/robolectric/.../JsSessionTest.kt). That test runs the real Kotlin
 * module and view managers; this file only does what an app does and says what it saw.
 *
 * The session: <Mask> around a card number and a green view beside it are rendered by React
 * (react-test-renderer: the host tree React would hand the native renderer) and mounted through
 * the real view managers before `start` (the mask registry is the process's, not the
 * session's); then start, a screen, identify, a custom event, a real fetch to a server on
 * 127.0.0.2 (with a secret in its URL), a wait for two captured frames, the telemetry, stop.
 */
"use strict";
const harness = require("./react-native-shim");
const http = require("node:http");
const React = require("react");
const TestRenderer = require("react-test-renderer");
const { View, Text } = require("react-native");
const { Rejourney, Mask } = require("../lib/index.js");

const h = React.createElement;
globalThis.IS_REACT_ACT_ENVIRONMENT = true;

function Checkout() {
  return h(View, { style: { flexDirection: "row", height: 60 } },
    h(Mask, { style: { backgroundColor: "#FFFFFF", width: 160, height: 60 } }, h(Text, null, "4242 4242 4242 4242")),
    h(View, { style: { backgroundColor: "#00AA00", width: 160, height: 60 } }));
}

async function main() {
  const shop = http.createServer((req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ items: 3 }));
  });
  // Not 127.0.0.1: the core drops every request to its API's host (the ingest server is on
  // 127.0.0.1), whatever the port, so the shop is a host of its own (all of 127/8 is loopback).
  await new Promise((r) => shop.listen(0, "127.0.0.2", r));
  const shopUrl = `http://127.0.0.2:${shop.address().port}`;

  let renderer;
  await React.act(async () => { renderer = TestRenderer.create(h(Checkout)); });
  await harness.ask({ op: "mount", tree: renderer.toJSON() });

  const availability = Rejourney.availability();
  const sessionId = await Rejourney.start({ apiKey: "pk_test", apiUrl: process.env.RJ_INGEST_URL });
  Rejourney.screen("Checkout");
  await Rejourney.identify("user-42");
  Rejourney.logEvent("checkout_opened", { items: 3, express: true });
  const cart = await fetch(`${shopUrl}/api/cart?token=s3cret`);
  await cart.json();
  await harness.ask({ op: "untilCaptured", frames: 2 });
  const telemetry = await Rejourney.telemetry();
  await Rejourney.stop();
  shop.close();
  harness.send({ op: "done", availability, sessionId, shopUrl, telemetry });
}

main().catch((e) => {
  harness.send({ op: "failed", message: String(e && e.stack ? e.stack : e) });
  process.exitCode = 1;
}).finally(harness.close);
