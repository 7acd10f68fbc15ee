/**
 * A jest mock of @rejourney/react-native for the app's own tests, where no native module
 * exists (without it every test run would say "the native module is not linked"):
 *
 *   jest.mock("@rejourney/react-native", () => require("@rejourney/react-native/jest/mock"));
 *
 * Every export of the package is here. The client's methods are `jest.fn`s that resolve as a
 * session that is not recording would (start to null, captureError/flushBuffer to false), so
 * tests can assert calls; `<Mask>` / `<Unmask>` render a plain `View` with the same `testID`
 * the package's fallback gives them.
 */
"use strict";

const React = require("react");
const { View } = require("react-native");

const fn = (impl) => (typeof jest !== "undefined" && jest.fn ? jest.fn(impl) : impl);
const MASK_TAG = "rj-mask";
const UNMASK_TAG = "rj-unmask";

class RejourneyConfigError extends Error {
  constructor(message) {
    super(message);
    this.name = "RejourneyConfigError";
  }
}

class RejourneyClient {
  constructor() {
    this.start = fn(async () => null);
    this.stop = fn(async () => {});
    this.currentSessionId = fn(() => null);
    this.availability = fn(() => "not-linked");
    this.identify = fn(async () => {});
    this.logEvent = fn(() => {});
    this.screen = fn(() => {});
    this.trackNavigation = fn(() => () => {});
    this.trackExpoRouterPathname = fn(() => {});
    this.captureError = fn(async () => false);
    this.reportError = fn(async () => false);
    this.flushBuffer = fn(async () => false);
    this.optOut = fn(async () => {});
    this.setConsent = fn(async () => {});
    this.telemetry = fn(async () => ({}));
    this.getSessionUrl = fn(async () => null);
    this.tracingHeaders = fn(async () => ({}));
    // A subscription that hears nothing (no session starts under the mock); remove() is a jest.fn.
    this.addSessionListener = fn(() => ({ remove: fn(() => {}) }));
    // A debug frame observer that gets no frames (nothing is captured under the mock).
    this.addFrameObserver = fn(() => ({ remove: fn(() => {}) }));
  }
}

function marked(tag) {
  const Component = ({ children, ...rest }) => React.createElement(View, { ...rest, testID: tag, collapsable: false }, children);
  Component.displayName = tag === MASK_TAG ? "Mask" : "Unmask";
  return Component;
}

module.exports = {
  Rejourney: new RejourneyClient(),
  RejourneyClient,
  RejourneyConfigError,
  Mask: marked(MASK_TAG),
  Unmask: marked(UNMASK_TAG),
  MASK_TAG,
  UNMASK_TAG,
  DEFAULT_API_URL: "https://api.rejourney.co",
  RN_TEXT_CLASSES: ["RCTParagraphComponentView", "RCTTextView", "RCTParagraphTextView"],
  RN_IMAGE_CLASSES: ["RCTImageComponentView", "RCTImageView"],
  MAX_PROPERTY_CHARS: 1024,
  MAX_PROPERTIES: 50,
  resolveOptions: fn(() => ({ native: {}, js: {} })),
  sanitizeProperties: fn((p) => (p && typeof p === "object" ? { ...p } : {})),
  setReactNative: fn(() => {}),
  SESSION_EVENT: "RejourneySession",
  parseSessionEvent: fn(() => null),
  FRAME_EVENT: "RejourneyFrame",
  parseObservedFrame: fn(() => null),
  MAX_TRACE_ORIGINS: 64,
  TRACE_ANSWER_TTL_MS: 30000,
  resolveNative: fn(() => ({ kind: "not-linked", module: null, message: "Rejourney: mocked" })),
};
