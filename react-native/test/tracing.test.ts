/**
 * The tracing answer cache (src/tracing.ts) alone: what a host decision is keyed by, an answer
 * asked for before a session or consent change is dropped, a stale answer is asked again, and
 * the cache is bounded (the oldest origin goes, counted). The header on real requests is
 * tested on React Native's own XHR and fetch in test-jest/sessionLinks.test.ts.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { MAX_TRACE_ORIGINS, originKey, TRACE_ANSWER_TTL_MS, TraceHeaders } from "../src/tracing";

const tick = () => new Promise<void>((r) => setImmediate(r));

test("an origin key holds all a host decision depends on, and nothing else", () => {
  assert.equal(originKey("https://API.example.com:8443/v1?x=1"), "https://api.example.com");
  assert.equal(originKey("https://api.example.com/"), "https://api.example.com");
  // user info stays: `a.com@b.com` is b.com to every parser, never keyed as a.com
  assert.equal(originKey("https://api.example.com@evil.io/x"), "https://api.example.com@evil.io");
  assert.equal(originKey("https://api.example.com\\@evil.io/"), "https://api.example.com");
  assert.equal(originKey("http://[::1]:8080/x"), "http://[::1]");
  for (const bad of ["", "/relative", " https://api.example.com/", "api.example.com", "https:api.example.com"]) {
    assert.equal(originKey(bad), null, bad);
  }
});

test("answers are per session; one asked before a change is dropped; no session gives nothing", async () => {
  let session = "s1";
  const asked: string[] = [];
  const t = new TraceHeaders(async (url) => { asked.push(url); return { "x-rejourney-session-id": session }; });
  assert.deepEqual(t.headersFor("https://api.example.com/a"), {}, "no session yet");
  assert.deepEqual(asked, [], "nothing asked without a session");
  t.setSession("s1");
  await t.prime(["https://api.example.com/"]);
  assert.deepEqual(t.headersFor("https://api.example.com/a"), { "x-rejourney-session-id": "s1" });
  assert.deepEqual(t.headersFor("https://other.example.com/a"), {}, "a first request to an unknown origin waits on nothing");
  session = "s2";
  t.setSession("s2");
  await tick();
  assert.deepEqual(t.headersFor("https://other.example.com/a"), {}, "s1's answer for it was dropped");
  t.invalidate();
  assert.deepEqual(t.headersFor("https://api.example.com/a"), {}, "a consent change forgets every answer");
  await tick();
  assert.deepEqual(t.headersFor("https://api.example.com/a"), { "x-rejourney-session-id": "s2" });
  t.setSession(null);
  assert.deepEqual(t.headersFor("https://api.example.com/a"), {});
});

test("a stale answer is used once more and asked again; the cache keeps at most MAX_TRACE_ORIGINS", async () => {
  let now = 0;
  let answer: Record<string, string> = { h: "1" };
  let asks = 0;
  const t = new TraceHeaders(async () => { asks++; return answer; }, () => now);
  t.setSession("s");
  await t.prime(["https://a.example/"]);
  assert.equal(asks, 1);
  now += TRACE_ANSWER_TTL_MS + 1;
  answer = {};
  assert.deepEqual(t.headersFor("https://a.example/"), { h: "1" }, "stale: used while asked again");
  await tick();
  assert.equal(asks, 2);
  assert.deepEqual(t.headersFor("https://a.example/"), {}, "the core's new answer");
  for (let i = 0; i < MAX_TRACE_ORIGINS + 5; i++) await t.prime([`https://h${i}.example/`]);
  assert.equal(t.evicted, 6, "the first origin and the 5 oldest hosts were dropped");
  await t.prime(["https://a.example/"]);
  assert.equal(asks, 2 + MAX_TRACE_ORIGINS + 5 + 1, "an evicted origin is asked again");
});
