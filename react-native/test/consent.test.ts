/**
 * Tracking consent and touch privacy in the JS layer: validated here, passed through as the
 * core's names (the core decides what each means; the native suites replay the vectors).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { RejourneyClient, RejourneyConfigError, resolveNative, resolveOptions } from "../src/index";
import { RecordingModule } from "./helpers";

test("touchPrivacy and initialConsent go to the native side as set, and only then", () => {
  const { native } = resolveOptions({ apiKey: "k", touchPrivacy: "hide_all", initialConsent: "pending" });
  assert.equal(native.touchPrivacy, "hide_all");
  assert.equal(native.initialConsent, "pending");
  const plain = resolveOptions({ apiKey: "k" }).native;
  assert.ok(!("touchPrivacy" in plain) && !("initialConsent" in plain), "unset: the core's defaults");
  for (const bad of [{ touchPrivacy: "mask" }, { initialConsent: "yes" }, { initialConsent: true }]) {
    assert.throws(() => resolveOptions({ apiKey: "k", ...(bad as object) }), RejourneyConfigError);
  }
});

test("setConsent forwards the consent and refuses anything else at the call site", async () => {
  const mod = new RecordingModule();
  const client = new RejourneyClient({ resolve: () => resolveNative({ TurboModuleRegistry: { get: () => mod } }) });
  await client.setConsent("pending");
  await client.setConsent("granted");
  await client.setConsent("denied");
  await assert.rejects(client.setConsent("maybe" as never), RejourneyConfigError);
  assert.deepEqual(mod.calls.map((c) => [c.call, ...c.args]), [
    ["setConsent", "pending"], ["setConsent", "granted"], ["setConsent", "denied"],
  ]);
});
