// Browser tests of the replay viewer, run by scripts/test-viewer.sh:
//   node test/run.mjs enrich  --server URL --session ID --data DIR
//   node test/run.mjs browser --replay FILE --server URL --session ID --data DIR --demo DIR
//                             --vectors DIR --mutations FILE --screenshot FILE --counts FILE
// `enrich` adds what the demo does not record (a log, background, an ANR, a crash) through the
// live server. `browser` drives headless Chromium (Debian's, through playwright-core) over the
// replay file, the bundle vectors and the server's pages; `--counts FILE` receives "N M"
// (passed, failed) for the script's closing line.
import fs from 'node:fs';
import path from 'node:path';

import { chromium } from 'playwright-core';

import { summary, test } from './lib.mjs';
import { enrich } from './enrich.mjs';
import { replay } from './replay.mjs';
import { server } from './server.mjs';
import { mutations, vectors } from './vectors.mjs';

function args() {
  const [mode, ...rest] = process.argv.slice(2);
  const opts = { mode };
  for (let i = 0; i < rest.length; i += 2) opts[rest[i].replace(/^--/, '')] = rest[i + 1];
  return opts;
}

async function main() {
  const o = args();
  const sessionId = o.session;
  if (o.mode === 'enrich') {
    const end = JSON.parse(fs.readFileSync(path.join(o.data, sessionId, 'session-end.json'), 'utf8'));
    const startMs = Number(sessionId.split('_')[1]);
    check(end.sessionId === sessionId, 'session end of another session');
    const added = await enrich(o.server, sessionId, startMs, { platform: 'ios', model: 'iPhone15,2', osVersion: '17.5' });
    console.log(`enriched ${sessionId}: ${added.events.length} events, ${added.faults.length} faults`);
    return 0;
  }
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    // CI runs as root, where Chromium's sandbox cannot start.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
  try {
    const ctx = {
      file: path.resolve(o.replay), dataDir: o.data, sessionId, demoDir: o.demo, base: o.server,
      summary: JSON.parse(fs.readFileSync(path.join(o.demo, 'summary.json'), 'utf8')),
      screenshot: o.screenshot,
    };
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.setDefaultTimeout(20000);
    await replay(page, ctx);
    await vectors(page, o.vectors);
    await mutations(page, o.mutations);
    await page.close();
    const live = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    live.setDefaultTimeout(20000);
    await server(live, ctx);
  } catch (e) {
    await test('the browser suite ran to its end', () => { throw e; });
  } finally {
    await browser.close();
  }
  const { passed, failed } = summary();
  // The suite's closing line is the shell script's; this one must not be counted twice.
  console.log(`browser: ${passed} ok, ${failed} not ok`);
  if (o.counts) fs.writeFileSync(o.counts, `${passed} ${failed}\n`);
  return failed === 0 ? 0 : 1;
}

function check(cond, message) {
  if (!cond) throw new Error(message);
}

main().then((code) => process.exit(code), (e) => {
  console.error(e);
  process.exit(1);
});
