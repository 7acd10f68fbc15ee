// The shared frame-bundle vectors (tests/vectors/bundles) through the replay page's parser,
// in the browser, with the limits the page itself carries. `tests/bundle_vectors.rs` runs the
// same files through the core's parser against the same expectations.
import fs from 'node:fs';
import path from 'node:path';

import { isDeepStrictEqual } from 'node:util';

import { test, same, check } from './lib.mjs';

/** Runs bundles through the page's parser: `[{gz (base64), limits}]` → outcomes in the form
 * of expected.json. */
function parseInPage(page, cases) {
  return page.evaluate((cases) => cases.map(({ gz, limits }) => {
    const r = window.rejourneyViewer.parseBundle(window.RJ.bundle.fromBase64(gz), limits);
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
  }), cases);
}

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
      const [got] = await parseInPage(page, [{ gz: b64, limits: expected.limits }]);
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

/** Mutated bundles with the core's outcomes (examples/bundle_mutations.rs): the page's parser
 * must reach the same outcome for every one. */
export async function mutations(page, file) {
  const cases = JSON.parse(fs.readFileSync(file, 'utf8'));
  await test(`${cases.length} mutated bundles: the page reaches the core's outcome for each`, async () => {
    check(cases.length >= 1000, `only ${cases.length} cases`);
    const got = await parseInPage(page, cases);
    const differ = cases.filter((c, i) => !isDeepStrictEqual(got[i], c.outcome))
      .map((c) => `${c.name}: core ${JSON.stringify(c.outcome).slice(0, 160)}, page ${
        JSON.stringify(got[cases.indexOf(c)]).slice(0, 160)}`);
    check(differ.length === 0, `${differ.length} differ:\n  ${differ.slice(0, 5).join('\n  ')}`);
  });
}
