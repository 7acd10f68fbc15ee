/**
 * A `react-native` for Node that holds no behaviour of its own: every native module call is
 * one JSON line to the JVM (stdout, prefixed `@rj `), where the Robolectric test invokes the
 * real Kotlin module (react-android's classes, the real core); every promise settles with the
 * JVM's answer (a JSON line on stdin). The module's methods and the view managers' names come
 * from the JVM (RJ_MODULES, RJ_VIEW_MANAGERS), read there from the real classes by reflection,
 * as the bridge's method descriptors are: nothing here decides what the module offers.
 *
 * Only what the package touches is here: NativeModules, TurboModuleRegistry (null: the old
 * bridge, whose @ReactMethod module the test drives), UIManager.hasViewManagerConfig,
 * requireNativeComponent (a host component by name, as Paper's is), View and Text.
 */
"use strict";
const Module = require("node:module");
const readline = require("node:readline");

const pending = new Map();
let nextId = 1;

function send(message) {
  process.stdout.write("@rj " + JSON.stringify(message) + "\n");
}

/** Sends `message` and resolves (or rejects) with the JVM's answer to it. */
function ask(message) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    send({ id, ...message });
  });
}

const answers = readline.createInterface({ input: process.stdin });
answers.on("line", (line) => {
  let m;
  try {
    m = JSON.parse(line);
  } catch {
    return;
  }
  const p = pending.get(m.id);
  if (!p) return;
  pending.delete(m.id);
  if (m.reject) {
    const e = new Error(m.reject.message);
    e.code = m.reject.code;
    p.reject(e);
  } else {
    p.resolve(m.resolve);
  }
});

/** Lets the process exit once nothing is awaited (the answer stream would keep it alive). */
function close() {
  answers.close();
  process.stdin.destroy();
}

function nativeModule(name, methods) {
  const m = {};
  for (const { name: method, kind } of methods) {
    m[method] = kind === "promise"
      ? (...args) => ask({ module: name, method, args })
      : (...args) => { send({ module: name, method, args }); };
  }
  return m;
}

const modules = JSON.parse(process.env.RJ_MODULES || "{}");
const viewManagers = new Set(JSON.parse(process.env.RJ_VIEW_MANAGERS || "[]"));
const NativeModules = {};
for (const [name, methods] of Object.entries(modules)) NativeModules[name] = nativeModule(name, methods);

const shim = {
  NativeModules,
  TurboModuleRegistry: { get: () => null, getEnforcing: (n) => { throw new Error(`TurboModule ${n} not found`); } },
  UIManager: {
    hasViewManagerConfig: (n) => viewManagers.has(n),
    getViewManagerConfig: (n) => (viewManagers.has(n) ? {} : null),
  },
  requireNativeComponent: (n) => n,
  View: "RCTView",
  Text: "RCTText",
  Platform: { OS: "android", select: (o) => o.android ?? o.default },
};
const deep = {
  "react-native/Libraries/Utilities/codegenNativeComponent": (n) => shim.requireNativeComponent(n),
};

// `require("react-native")` (and the deep imports the package uses) from anywhere resolves here.
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === "react-native" || Object.prototype.hasOwnProperty.call(deep, request)) return `rj-shim:${request}`;
  return resolve.call(this, request, ...rest);
};
for (const [request, exports] of Object.entries({ "react-native": shim, ...deep })) {
  const m = new Module(`rj-shim:${request}`);
  m.loaded = true;
  m.exports = exports;
  Module._cache[`rj-shim:${request}`] = m;
}

module.exports = { ask, send, close };
