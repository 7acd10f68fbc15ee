// The ingest server's pages: the sessions list at `/`, the live player at `/sessions/<id>`
// (same player, fetching its data again while the session has not ended), 404s.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

import { test, check, same, stored } from './lib.mjs';

/** Bytes stored for a session: its files, and the fault reports naming it. */
function storedBytes(dataDir, sessionId) {
  let total = 0;
  const walk = (p) => {
    for (const f of fs.readdirSync(p)) {
      const q = path.join(p, f);
      if (fs.statSync(q).isDirectory()) walk(q);
      else if (f.endsWith('.gz') || f === 'session-end.json') total += fs.statSync(q).size;
    }
  };
  walk(path.join(dataDir, sessionId));
  const faults = path.join(dataDir, 'faults');
  for (const f of fs.existsSync(faults) ? fs.readdirSync(faults) : []) {
    const q = path.join(faults, f);
    if (JSON.parse(fs.readFileSync(q, 'utf8')).sessionId === sessionId) total += fs.statSync(q).size;
  }
  return total;
}

/** Uploads one events batch for `sessionId` through the protocol. */
async function uploadEvents(base, sessionId, events, n) {
  const headers = { 'content-type': 'application/json', 'x-rejourney-key': 'rj_viewer_test_key' };
  const post = async (p, body, extra = {}) => {
    const r = await fetch(base + p, { method: 'POST', headers: { ...headers, ...extra }, body: JSON.stringify(body) });
    if (!r.ok) throw new Error(`${p}: ${r.status} ${await r.text()}`);
    return r.json();
  };
  const { uploadToken } = await post('/api/ingest/auth/device', { deviceId: 'viewer-live-test' });
  const auth = { 'x-upload-token': uploadToken, 'idempotency-key': `live-${sessionId}-${n}` };
  const body = zlib.gzipSync(JSON.stringify({ events, deviceInfo: { platform: 'android', model: 'Pixel 8' } }));
  const p = await post('/api/ingest/presign', { sessionId, contentType: 'events', batchNumber: n,
    sizeBytes: body.length }, auth);
  const put = await fetch(p.presignedUrl, { method: 'PUT', body });
  if (put.status !== 204) throw new Error(`PUT ${put.status}`);
  await post('/api/ingest/batch/complete', { batchId: p.batchId, sessionId }, auth);
}

export async function server(page, ctx) {
  const { base, dataDir, sessionId, summary } = ctx;
  const s = stored(dataDir, sessionId);

  await test('/ lists the session with its start, duration, frames, events, faults and bytes', async () => {
    const r = await fetch(`${base}/`);
    same(r.status, 200, 'status');
    await page.goto(`${base}/`);
    const row = page.locator(`tr[data-session="${sessionId}"]`);
    same(await row.count(), 1, 'rows for the session');
    const cell = (k) => row.locator(`td[data-k="${k}"]`).innerText();
    same(await cell('frames'), String(summary.frames_verified), 'frames');
    same(await cell('events'), String(s.events.length), 'events');
    same(await cell('faults'), String(s.faults.length), 'faults');
    same(Number(await row.locator('td[data-k="bytes"]').getAttribute('data-bytes')),
      storedBytes(dataDir, sessionId), 'bytes');
    const cells = await row.locator('td').allInnerTexts();
    const ms = s.end.endedAt - s.startMs;
    const duration = ms < 60000 ? `${(ms / 1000).toFixed(1)} s`
      : `${Math.floor(ms / 60000)} m ${String(Math.floor((ms % 60000) / 1000)).padStart(2, '0')} s`;
    same(cells[2], duration, 'duration');
    same(await row.locator('time').getAttribute('data-ms'), String(s.startMs), 'start');
    check(await row.locator(`a[href="/sessions/${sessionId}"]`).count() === 1, 'no link to the player');
  });

  await test('/sessions/<id> is the same player, live', async () => {
    await page.goto(`${base}/sessions/${sessionId}`);
    await page.waitForFunction(() => window.rejourneyViewer);
    await page.evaluate(() => window.rejourneyViewer.ready);
    const st = await page.evaluate(() => window.rejourneyViewer.state());
    same(st.frameCount, summary.frames_verified, 'frames');
    same(await page.locator('.rj-marker').count(), s.events.length + s.faults.length - 1, 'markers (the ANR report merges)');
    same(await page.locator('#rj-live').isVisible(), true, 'live badge');
  });

  await test('the live player picks up a session\'s new data while it has not ended', async () => {
    const id = `session_${Date.now()}_00000000000v1e3e`;
    const ev = (t, type, extra) => ({ type, timestamp: Date.now() + t, ...extra });
    await uploadEvents(base, id, [ev(0, 'navigation', { screen: 'Home' })], 0);
    await page.goto(`${base}/sessions/${id}`);
    await page.waitForFunction(() => window.rejourneyViewer);
    same(await page.locator('.rj-marker').count(), 1, 'markers at first');
    await uploadEvents(base, id, [ev(500, 'custom', { name: 'later' }), ev(600, 'log', { message: 'x' })], 1);
    await page.waitForFunction(() => document.querySelectorAll('.rj-marker').length === 3, null, { timeout: 10000 });
    fs.rmSync(path.join(dataDir, id), { recursive: true, force: true });
  });

  await test('unknown sessions and paths are 404s, and the protocol is untouched', async () => {
    for (const p of ['/sessions/session_1_nope', '/sessions/..%2F..%2Fetc', '/sessions/../faults', '/nope']) {
      same((await fetch(base + p)).status, 404, p);
    }
    same((await fetch(`${base}/api/sdk/config`, { headers: { 'x-public-key': 'k' } })).status, 200, 'sdk config');
  });
}
