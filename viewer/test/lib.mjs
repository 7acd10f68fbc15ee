// Test bookkeeping and readers of what the server stored, independent of the page: the
// expected values the browser tests compare against come from the data directory (read here
// with Node's own gunzip), the demo's summary.json and decoded frames (the core's strict
// parser), never from the page itself.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { isDeepStrictEqual, inspect } from 'node:util';

const results = [];

/** Runs one named test; a thrown error or a false `check` fails it. */
export async function test(name, fn) {
  const started = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name}: ${e && e.message ? e.message : e}`);
  }
}

export function check(cond, message) {
  if (!cond) throw new Error(message);
}

export function same(got, want, what) {
  if (!isDeepStrictEqual(got, want)) {
    throw new Error(`${what}: expected ${inspect(want, { depth: 4 })}, got ${inspect(got, { depth: 4 })}`);
  }
}

export function summary() {
  const passed = results.filter((r) => r.ok).length;
  return { passed, failed: results.length - passed };
}

const readGzJson = (file) => JSON.parse(zlib.gunzipSync(fs.readFileSync(file)).toString('utf8'));
const gzFiles = (dir) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.gz')).sort()
  .map((f) => path.join(dir, f)) : []);

/** What the data directory holds for a session, read without the page. */
export function stored(dataDir, sessionId) {
  const dir = path.join(dataDir, sessionId);
  const events = gzFiles(path.join(dir, 'events')).flatMap((f) => readGzJson(f).events);
  const hierarchy = gzFiles(path.join(dir, 'hierarchy')).map(readGzJson)
    .sort((a, b) => a.timestamp - b.timestamp);
  const faultsDir = path.join(dataDir, 'faults');
  const faults = fs.existsSync(faultsDir) ? fs.readdirSync(faultsDir).filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(fs.readFileSync(path.join(faultsDir, f), 'utf8')))
    .filter((f) => f.sessionId === sessionId) : [];
  const endFile = path.join(dir, 'session-end.json');
  const end = fs.existsSync(endFile) ? JSON.parse(fs.readFileSync(endFile, 'utf8')) : null;
  const bundles = gzFiles(path.join(dir, 'screenshots'));
  return { events, hierarchy, faults, end, bundles, startMs: Number(sessionId.split('_')[1]) };
}

/** Every node of a snapshot, and the masked ones (iterative walk). */
export function flatten(snapshot) {
  const nodes = [];
  const stack = snapshot.root ? [snapshot.root] : [];
  while (stack.length) {
    const n = stack.pop();
    nodes.push(n);
    for (const c of n.children || []) stack.push(c);
  }
  return { nodes, masked: nodes.filter((n) => n.masked) };
}

/** The frames the demo decoded from the server's bundles with the core's parser:
 * `frames/<offset ms, 6 digits>-<screen>.jpg`. */
export function demoFrames(demoDir) {
  const dir = path.join(demoDir, 'frames');
  return fs.readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort().map((f) => ({
    t: Number(f.slice(0, 6)), bytes: fs.readFileSync(path.join(dir, f)),
  }));
}

/** CRC-32 of bytes (Node's zlib has no crc32 before v22: table-driven). */
export function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** A hash of the canvas pixels, to tell whether two draws differ. */
export async function canvasHash(page) {
  return page.evaluate(() => {
    const c = document.getElementById('rj-canvas');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let h = 2166136261;
    for (let i = 0; i < d.length; i += 7) h = Math.imul(h ^ d[i], 16777619);
    return `${c.width}x${c.height}:${h >>> 0}`;
  });
}

/** Keeps the canvas pixels in the page, to count later how many changed. */
export async function keepCanvas(page) {
  await page.evaluate(() => {
    const c = document.getElementById('rj-canvas');
    window.__kept = c.getContext('2d').getImageData(0, 0, c.width, c.height).data.slice();
  });
}

/** Pixels that differ from the kept ones. */
export async function changedSinceKept(page) {
  return page.evaluate(() => {
    const c = document.getElementById('rj-canvas');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const k = window.__kept;
    let n = 0;
    for (let i = 0; i < Math.min(d.length, k.length); i += 4) {
      if (d[i] !== k[i] || d[i + 1] !== k[i + 1] || d[i + 2] !== k[i + 2]) n++;
    }
    return n;
  });
}

/** The canvas pixel at (x, y) as [r, g, b]. */
export async function pixelAt(page, x, y) {
  return page.evaluate(([x, y]) => {
    const c = document.getElementById('rj-canvas');
    return Array.from(c.getContext('2d').getImageData(Math.round(x), Math.round(y), 1, 1).data.slice(0, 3));
  }, [x, y]);
}
