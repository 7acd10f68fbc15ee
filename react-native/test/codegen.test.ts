/**
 * The TurboModule spec is valid for the New Architecture: `@react-native/codegen` parses it and
 * generates the Android (Java + JNI), C++ and iOS (ObjC++) interfaces. Every generated Java
 * method is implemented by the new-architecture Kotlin module and the old-bridge one, and
 * exported by the Objective-C++ entry: the three native surfaces cannot drift from the spec.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const root = path.resolve(__dirname, "../..");

test("codegen generates every native interface from the spec", () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const combine = require("@react-native/codegen/lib/cli/combine/combine-js-to-schema.js") as { combineSchemasInFileList(files: string[], platform: string | null): unknown };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const RNCodegen = require("@react-native/codegen/lib/generators/RNCodegen.js") as { generate(lib: object, opts: object): boolean };
  const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { codegenConfig: { name: string; android: { javaPackageName: string } } };
  const schema = combine.combineSchemasInFileList([path.join(root, "src/NativeRejourney.ts")], null) as { modules: Record<string, { spec: { methods: Array<{ name: string }> } }> };
  const methods = schema.modules.NativeRejourney.spec.methods.map((m) => m.name).sort();
  assert.deepEqual(methods, ["addListener", "captureError", "flushBuffer", "frameObserved", "identify", "logEvent", "logMessage", "networkRequest", "optOut", "removeListeners", "reportError", "screenChanged", "sessionUrl", "setConsent", "setFrameObserver", "start", "stop", "telemetryJson", "tracingHeadersJson"]);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "rj-codegen-"));
  const ok = RNCodegen.generate(
    { libraryName: pkg.codegenConfig.name, schema, outputDirectory: out, packageName: pkg.codegenConfig.android.javaPackageName, assumeNonnull: false },
    { generators: ["modulesAndroid", "modulesCxx", "modulesIOS"], test: false },
  );
  assert.equal(ok, true);
  const java = fs.readFileSync(path.join(out, "java/io/rejourney/reactnative/NativeRejourneySpec.java"), "utf8");
  for (const f of ["RNRejourneySpecJSI.h", "RNRejourneySpec/RNRejourneySpec.h", "jni/RNRejourneySpec-generated.cpp"]) {
    assert.ok(fs.existsSync(path.join(out, f)), f);
  }
  const abstract = [...java.matchAll(/public abstract void (\w+)\(/g)].map((m) => m[1]).sort();
  assert.deepEqual(abstract, methods);
  const kotlin = (dir: string) => fs.readFileSync(path.join(root, `android/src/${dir}/java/io/rejourney/reactnative/RejourneyModule.kt`), "utf8");
  const implemented = (src: string) => [...src.matchAll(/fun (\w+)\(/g)].map((m) => m[1]);
  for (const m of methods) {
    assert.ok(implemented(kotlin("newarch")).includes(m), `new architecture module implements ${m}`);
    assert.ok(implemented(kotlin("oldarch")).includes(m), `old bridge module implements ${m}`);
  }
  const objc = fs.readFileSync(path.join(root, "ios/RejourneyModule.mm"), "utf8");
  // addListener / removeListeners: RCTEventEmitter exports them; the module overrides them.
  for (const m of methods) assert.match(objc, new RegExp(`RCT_EXPORT_METHOD\\(${m}[:)]|^- \\(void\\)${m}:`, "m"), `iOS exports ${m}`);
  assert.match(objc, /@interface Rejourney : RCTEventEmitter <NativeRejourneySpec>/);
  fs.rmSync(out, { recursive: true, force: true });
});
