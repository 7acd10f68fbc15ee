/**
 * The shipped jest mock (jest/mock.js) as an app's test uses it: it covers every export of the
 * package, renders <Mask>/<Unmask> as React Native's View, warns nothing, and its client's
 * methods resolve like a session that is not recording.
 */
import * as React from "react";
import { Text } from "react-native";
import * as TestRenderer from "react-test-renderer";

const mock = require("../jest/mock");

test("the mock has every export of the package", () => {
  const real = jest.requireActual("../src/index");
  const missing = Object.keys(real).filter((k) => !(k in mock));
  expect(missing).toEqual([]);
  const client = new real.RejourneyClient();
  const methods = Object.getOwnPropertyNames(Object.getPrototypeOf(client)).filter((m) => m !== "constructor" && !m.startsWith("native") && m !== "stopInstrumentation");
  expect(methods.filter((m) => typeof mock.Rejourney[m] !== "function")).toEqual([]);
});

test("renders Mask and Unmask as Views, and the client resolves without a native module", async () => {
  const warn = jest.spyOn(console, "warn");
  let r!: TestRenderer.ReactTestRenderer;
  TestRenderer.act(() => {
    r = TestRenderer.create(
      <mock.Mask style={{ flex: 1 }}>
        <Text>card 4242</Text>
        <mock.Unmask><Text>total</Text></mock.Unmask>
      </mock.Mask>,
    );
  });
  expect(r.root.findAllByProps({ testID: "rj-mask" }).length).toBeGreaterThan(0);
  expect(r.root.findAllByProps({ testID: "rj-unmask" }).length).toBeGreaterThan(0);
  expect(await mock.Rejourney.start({ apiKey: "pk" })).toBeNull();
  expect(mock.Rejourney.start).toHaveBeenCalledWith({ apiKey: "pk" });
  expect(await mock.Rejourney.captureError(new Error("x"))).toBe(false);
  mock.Rejourney.logEvent("tap", { a: 1 });
  expect(warn).not.toHaveBeenCalled();
});
