// The shared frame-bundle vectors (tests/vectors/bundles) through the replay page's parser,
// in the browser, with the limits the page itself carries. `tests/bundle_vectors.rs` runs the
// same files through the core's parser against the same expectations.
import fs from 'node:fs';
import path from 'node:path';

import { test, same, check } from './lib.mjs';

export async function vectors(page, dir) {
  const expected = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8'));
  await test('the page parses bundles with the core\'s default limits', async () => {
    same(await page.evaluate(() => window.rejourneyViewer.limits), expected.limits, 'limits');
  });
  const files = fs.readdirSync(dir).filter((f) => f !== 'expected.json');
  await test('every vector file has an expectation', async () => {
    same(files.sort(), expected.vectors.map((v) => v.file).sort(), 'vector files');
  });
  for (const v of expected.vectors) {
    await test(`bundle vector ${v.file}`, async () => {
      const b64 = fs.readFileSync(path.join(dir, v.file)).toString('base64');
      const got = await page.evaluate((b64) => {
        const { parseBundle, limits } = window.rejourneyViewer;
        const r = parseBundle(window.RJ.bundle.fromBase64(b64), limits);
        if (!r.ok) {
          const { message, ...error } = r.error;
          return { error };
        }
        return {
          ok: true,
          frameCount: r.frames.length,
          frames: r.frames.map((f) => ({
            offsetMs: f.offset.toString(), len: f.jpeg.length,
            crc32: window.RJ.bundle.crc32(f.jpeg).toString(16).padStart(8, '0'),
          })),
        };
      }, b64);
      if (v.error) {
        same(got.error, v.error, 'error');
        return;
      }
      check(got.ok, `expected frames, got ${JSON.stringify(got.error)}`);
      same(got.frameCount, v.frameCount, 'frame count');
      if (v.frames) same(got.frames, v.frames, 'frames');
    });
  }
}
