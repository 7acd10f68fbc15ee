/**
 * The debug frame observer (issue 26) on React Native's real NativeEventEmitter /
 * RCTDeviceEventEmitter: the native module here records what JS asks of it (attach, detach,
 * acknowledgements) as the Kotlin and Objective-C++ modules take it; the frames themselves are
 * tested against the real core through the Kotlin module on the JVM
 * (RejourneyModuleImplTest.observedFramesReachJsOnlyWhileItObserves).
 */
import { FRAME_EVENT, ObservedFrame, RejourneyClient, resolveNative } from "../src/index";

const RCTDeviceEventEmitter = require("react-native/Libraries/EventEmitter/RCTDeviceEventEmitter").default;

class FrameModule {
  calls: boolean[] = [];
  acks = 0;
  listening = 0;
  attach = true;
  async setFrameObserver(enabled: boolean) { this.calls.push(enabled); return enabled && this.attach; }
  frameObserved() { this.acks++; }
  addListener() { this.listening++; }
  removeListeners(count: number) { this.listening -= count; }
  async start() { return "session_1"; }
  async stop() {}
}

const frame = {
  sessionId: "session_1", timestampMs: 1000, width: 4, height: 2, pixelsPerPoint: 2, jpegBase64: "/9j/", droppedFrames: 0,
  masks: [{ x: 0, y: 0, width: 1, height: 1 }],
};
const settle = () => new Promise<void>((r) => setTimeout(r, 10));

function client(mod: FrameModule, dev = true) {
  return new RejourneyClient({ resolve: () => resolveNative({ TurboModuleRegistry: { get: () => mod } }), dev: () => dev });
}

test("a throwing frame observer is contained, every event is acknowledged, remove() detaches", async () => {
  const mod = new FrameModule();
  const rj = client(mod);
  const warn = jest.spyOn(console, "warn").mockImplementation(() => {});
  const got: ObservedFrame[] = [];
  const bad = rj.addFrameObserver(() => { throw new Error("the app's observer failed"); });
  const good = rj.addFrameObserver((f) => got.push(f));
  await settle();
  expect(mod.calls).toEqual([true]);
  expect(mod.listening).toBe(1);
  expect(() => RCTDeviceEventEmitter.emit(FRAME_EVENT, frame)).not.toThrow();
  // A payload that is not a frame (a mask it cannot read) reaches no observer, but is acknowledged.
  RCTDeviceEventEmitter.emit(FRAME_EVENT, { ...frame, masks: [{ x: "a" }] });
  expect(got).toEqual([frame]);
  expect(mod.acks).toBe(2);
  bad.remove();
  bad.remove();
  expect(mod.listening).toBe(1);
  good.remove();
  await settle();
  expect(mod.calls).toEqual([true, false]);
  expect(mod.listening).toBe(0);
  RCTDeviceEventEmitter.emit(FRAME_EVENT, frame);
  expect(got).toHaveLength(1);
  expect(warn.mock.calls.filter((c) => String(c[0]).includes("frame observer threw"))).toHaveLength(1);
  warn.mockRestore();
});

test("in a release build addFrameObserver asks nothing of the native side and says so once", async () => {
  const mod = new FrameModule();
  const rj = client(mod, false);
  const warn = jest.spyOn(console, "warn").mockImplementation(() => {});
  const s = rj.addFrameObserver(() => {});
  rj.addFrameObserver(() => {});
  await settle();
  s.remove();
  expect(mod.calls).toEqual([]);
  expect(mod.listening).toBe(0);
  expect(warn.mock.calls.filter((c) => String(c[0]).includes("debug builds"))).toHaveLength(1);
  warn.mockRestore();
});
