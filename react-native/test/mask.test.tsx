import { test, beforeEach, afterEach } from "node:test";
import * as assert from "node:assert/strict";
import * as React from "react";
import * as TestRenderer from "react-test-renderer";
const { act } = TestRenderer;
import { Mask, Unmask, setReactNative, MASK_TAG, UNMASK_TAG } from "../src/index";
import type { MaskProps } from "../src/index";
import { resetWarnings } from "../src/native";

// Function components standing in for React Native's host components.
function View(props: Record<string, unknown>) { return React.createElement("rn-view", props); }
function NativeMaskView(props: Record<string, unknown>) { return React.createElement("rn-mask-view", props); }

let warnings: string[] = [];
beforeEach(() => {
  resetWarnings();
  warnings = [];
  console.warn = (m: string) => { warnings.push(m); };
  (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
});
afterEach(() => setReactNative(undefined));

function render(el: React.ReactElement) {
  let r!: TestRenderer.ReactTestRenderer;
  act(() => { r = TestRenderer.create(el); });
  return r;
}

test("<Mask> renders the native mask view when the build has it", () => {
  const asked: string[] = [];
  setReactNative({
    View,
    UIManager: { hasViewManagerConfig: (n: string) => n === "RejourneyMaskView" },
    requireNativeComponent: (n: string) => { asked.push(n); return NativeMaskView; },
  });
  const r = render(React.createElement(Mask, { style: { flex: 1 } }, React.createElement(View, { testID: "card" })));
  const native = r.root.findByType(NativeMaskView);
  assert.equal(native.props.rjMasked, true);
  assert.deepEqual(native.props.style, { flex: 1 });
  assert.equal(native.props.collapsable, false, "never flattened away by Fabric");
  assert.equal(native.findByType(View).props.testID, "card", "children inside");
  const u = render(React.createElement(Unmask, null));
  assert.equal(u.root.findByType(NativeMaskView).props.rjMasked, false);
  assert.deepEqual(asked, ["RejourneyMaskView"], "looked up once");
  assert.equal(warnings.length, 0);
});

test("without the native view, <Mask> still marks the view (testID) and warns once", () => {
  setReactNative({ View, UIManager: { hasViewManagerConfig: () => false } });
  const r = render(React.createElement(React.Fragment, null,
    React.createElement(Mask, null, React.createElement(View, { testID: "inner" })),
    React.createElement(Mask, null),
    React.createElement(Unmask, null)));
  const views = r.root.findAllByType(View).filter((v: TestRenderer.ReactTestInstance) => v.props.testID !== "inner");
  assert.deepEqual(views.map((v: TestRenderer.ReactTestInstance) => v.props.testID), [MASK_TAG, MASK_TAG, UNMASK_TAG]);
  assert.ok(views.every((v: TestRenderer.ReactTestInstance) => v.props.collapsable === false));
  assert.equal(warnings.filter((w) => /RejourneyMaskView/.test(w)).length, 2, "once for <Mask>, once for <Unmask>");
});

test("MaskProps are a View's props: styles, accessibility and layout callbacks type-check, unknown props do not", () => {
  setReactNative({ View, UIManager: { hasViewManagerConfig: () => false } });
  const ok: MaskProps = { style: { flex: 1, opacity: 0.5 }, accessibilityLabel: "card", onLayout: () => {}, pointerEvents: "box-none" };
  // @ts-expect-error not a View prop (before: MaskProps took any key)
  const bad: MaskProps = { notAViewProp: 1 };
  const r = render(React.createElement(Mask, ok));
  assert.equal(r.root.findByType(View).props.accessibilityLabel, "card");
  assert.ok(bad);
});
