// The replay file in headless Chromium, checked against what the server stored (read by
// lib.mjs without the page) and what the core read (the demo's summary.json and frames/).
import fs from 'node:fs';

import {
  test, check, same, stored, flatten, demoFrames, crc32, canvasHash, keepCanvas, changedSinceKept,
  pixelAt,
} from './lib.mjs';

const viewer = (page, fn, arg) => page.evaluate(fn, arg);
const state = (page) => viewer(page, () => window.rejourneyViewer.state());
const lastDraw = (page) => viewer(page, () => {
  const d = window.rejourneyViewer.lastDraw;
  return { ...d, audit: d.audit && { masks: d.audit.masks, black: d.audit.black } };
});
const overlays = (page, on) => viewer(page, async (on) => {
  for (const [k, v] of Object.entries(on)) await window.rejourneyViewer.setOverlay(k, v);
}, on);
const seek = (page, t) => viewer(page, (t) => window.rejourneyViewer.seek(t), t);

/** Markers as the DOM shows them: `[type, epoch ms]`, sorted. */
async function domMarkers(page) {
  return (await page.$$eval('.rj-marker', (els) => els.map((e) => [e.dataset.type, Number(e.dataset.ts)])))
    .sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]));
}

export async function replay(page, ctx) {
  const { file, dataDir, sessionId, summary, demoDir } = ctx;
  const s = stored(dataDir, sessionId);
  const requests = [];
  const errors = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(`file://${file}`);
  await page.waitForFunction(() => window.rejourneyViewer);
  await viewer(page, () => window.rejourneyViewer.ready);

  await test('the replay file loads with no request beyond itself and no error', async () => {
    same(requests.filter((u) => u !== `file://${file}`), [], 'requests');
    same(errors, [], 'errors');
  });

  const frames = demoFrames(demoDir);
  await test('frame count equals what the core read from the stored bundles', async () => {
    const st = await state(page);
    same(st.frameCount, summary.frames_verified, 'frames (summary.json)');
    same(st.frameCount, frames.length, 'frames (demo frames/)');
    check(st.frameCount >= 5, `only ${st.frameCount} frames`);
  });

  await test('frames are the stored JPEGs, at their recorded offsets', async () => {
    const got = await viewer(page, () => window.rejourneyViewer.model.frames.map((f) => ({
      t: f.t, len: f.jpeg.length, crc: window.RJ.bundle.crc32(f.jpeg),
    })));
    same(got, frames.map((f) => ({ t: f.t, len: f.bytes.length, crc: crc32(f.bytes) })), 'frames');
  });

  await test('playing moves the playhead and changes the canvas', async () => {
    await seek(page, 0);
    const before = await canvasHash(page);
    await viewer(page, () => { window.rejourneyViewer.setSpeed(4); window.rejourneyViewer.play(); });
    await page.waitForFunction(() => window.rejourneyViewer.state().frameIndex >= 2, null, { timeout: 15000 });
    const st = await state(page);
    check(st.playing && st.t > 0, `playing ${st.playing} at ${st.t}`);
    await viewer(page, () => window.rejourneyViewer.pause());
    await viewer(page, () => window.rejourneyViewer.seek(window.rejourneyViewer.state().t));
    check((await canvasHash(page)) !== before, 'the canvas did not change while playing');
  });

  await test('keyboard: space, arrows, frame steps, speed, home/end, overlay toggles', async () => {
    await viewer(page, () => window.rejourneyViewer.setSpeed(1));
    await seek(page, 10000);
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    const t = async () => Math.round((await state(page)).t);
    await page.keyboard.press('ArrowRight');
    same(await t(), 15000, 'ArrowRight +5 s');
    await page.keyboard.press('ArrowLeft');
    same(await t(), 10000, 'ArrowLeft −5 s');
    const times = frames.map((f) => f.t);
    const next = times.find((x) => x > 10000);
    await page.keyboard.press('.');
    same(await t(), next, '. next frame');
    await page.keyboard.press('Shift+ArrowLeft');
    same(await t(), times[times.indexOf(next) - 1], 'shift+ArrowLeft previous frame');
    await page.keyboard.press('ArrowUp');
    same((await state(page)).speed, 1.5, 'ArrowUp speed');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    same((await state(page)).speed, 0.5, 'ArrowDown speed');
    await page.keyboard.press('Space');
    same((await state(page)).playing, true, 'space plays');
    await page.keyboard.press('Space');
    same((await state(page)).playing, false, 'space pauses');
    await page.keyboard.press('h');
    await page.keyboard.press('m');
    same((await state(page)).overlays, { touches: true, wireframe: true, masks: true }, 'h and m');
    await page.keyboard.press('h');
    await page.keyboard.press('m');
    await page.keyboard.press('End');
    same(await t(), Math.round((await state(page)).duration), 'End');
    await page.keyboard.press('Home');
    same(await t(), 0, 'Home');
    await page.locator('.rj-marker[data-kind="screen"]').nth(1).click();
    const marker = await t();
    await page.keyboard.press('Space');
    same((await state(page)).playing, true, 'space after clicking a marker plays');
    await viewer(page, () => window.rejourneyViewer.pause());
    check(await t() >= marker, 'the marker click seeks');
  });

  await test('timeline markers equal the stored events and fault reports', async () => {
    const anrIds = new Set(s.events.filter((e) => e.type === 'anr' && e.incidentId).map((e) => e.incidentId));
    const want = [
      ...s.events.map((e) => [e.type, e.timestamp]),
      // A fault report of an incident an `anr` event carries is the same marker.
      ...s.faults.filter((f) => !anrIds.has(f.incidentId)).map((f) => [f.category, f.timestampMs]),
    ].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]));
    check(s.events.length >= 30 && s.faults.length >= 2, `${s.events.length} events, ${s.faults.length} faults`);
    same(await domMarkers(page), want, 'markers');
  });

  await test('rage and dead taps are highlighted', async () => {
    const rage = s.events.filter((e) => e.gestureType === 'rage_tap').length;
    const dead = s.events.filter((e) => e.gestureType === 'dead_tap').length;
    check(rage >= 1 && dead >= 1, `rage ${rage}, dead ${dead} stored`);
    same(await page.locator('.rj-marker[data-flag="rage"]').count(), rage, 'rage markers');
    same(await page.locator('.rj-marker[data-flag="dead"]').count(), dead, 'dead markers');
    const colors = await page.$$eval('.rj-marker[data-kind="tap"]', (els) => els.map((e) => [
      e.dataset.flag || '', getComputedStyle(e).backgroundColor]));
    const of = (flag) => new Set(colors.filter(([f]) => f === flag).map(([, c]) => c));
    same([...of('rage')], ['rgb(224, 49, 49)'], 'rage colour');
    same([...of('dead')], ['rgb(240, 140, 0)'], 'dead colour');
    check(![...of('')].some((c) => of('rage').has(c) || of('dead').has(c)), 'plain taps look like rage/dead taps');
  });

  await test('network markers show method, status, duration and the redacted URL', async () => {
    const net = s.events.filter((e) => e.type === 'network_request');
    check(net.length >= 1, 'no network event stored');
    const titles = await page.$$eval('.rj-marker[data-kind="network"]', (els) => els.map((e) => e.title));
    same(titles.length, net.length, 'network markers');
    for (const e of net) {
      check(titles.some((x) => x.includes(`${e.method} ${e.statusCode} ${Math.round(e.duration)} ms ${e.url}`)),
        `no marker for ${e.method} ${e.url}`);
    }
    check(!titles.join(' ').includes('8f14e45fceea167a5a36dedd4bea2543'), 'a secret query value is shown');
  });

  await test('ANRs and crashes are on the timeline, the ANR report merged with its event', async () => {
    const faults = await page.$$eval('.rj-marker[data-kind="fault"]', (els) => els.map((e) => [e.dataset.flag, e.title]));
    same(faults.map(([f]) => f).sort(), ['anr', 'crash'], 'fault markers');
    check(faults.some(([f, t]) => f === 'anr' && t.includes('MainThreadFrozen') && t.includes('5200 ms')), 'ANR label');
    check(faults.some(([f, t]) => f === 'crash' && t.includes('IllegalStateException')), 'crash label');
  });

  await test('the scrubber shows frames, background, unchanged stretches and gaps', async () => {
    same(await page.locator('.rj-tick').count(), frames.length, 'frame ticks');
    const spans = await page.$$eval('.rj-span', (els) => els.map((e) => [e.dataset.kind, Number(e.dataset.t0), Number(e.dataset.t1)]));
    const bg = s.events.filter((e) => e.type.startsWith('app_')).map((e) => e.timestamp - s.startMs);
    same(spans.filter(([k]) => k === 'background').map(([, a, b]) => [a, b]), [bg], 'background span');
    check(spans.some(([k]) => k === 'unchanged'), 'no unchanged stretch');
    check(spans.some(([k]) => k === 'gap'), 'no gap');
    for (const [k, a, b] of spans) {
      check(!frames.some((f) => f.t > a && f.t < b) || k === 'background', `a frame inside the ${k} span ${a}–${b}`);
    }
  });

  await test('taps are drawn as dots where they landed', async () => {
    const tap = s.events.find((e) => e.type === 'touch' && e.x !== undefined && !s.events.some((o) => o.gestureType && o.gestureType !== 'tap' && o.timestamp === e.timestamp));
    await overlays(page, { touches: false, wireframe: false, masks: false });
    await seek(page, tap.timestamp - s.startMs + 100);
    const { k } = await lastDraw(page);
    const plain = await pixelAt(page, tap.x * k, tap.y * k);
    await overlays(page, { touches: true });
    const d = await lastDraw(page);
    check(d.touches >= 1, `touches drawn: ${d.touches}`);
    const dot = await pixelAt(page, tap.x * k, tap.y * k);
    check(dot[2] > dot[0] + 40 && dot.join() !== plain.join(), `no blue dot at the tap: ${plain} → ${dot}`);
  });

  await test('a tap inside a masked view is drawn as that view\'s outline, never as a point', async () => {
    // Touch privacy is on by default: the demo's taps on masked views keep only their bounds.
    const masked = s.events.find((e) => e.touchPrivacy === 'masked' && e.targetBounds);
    check(masked, 'no stored tap inside a masked view');
    check(masked.x === undefined && masked.y === undefined && !(masked.touches || []).length,
      `a masked tap carries a position: ${JSON.stringify(masked)}`);
    await overlays(page, { touches: false, wireframe: false, masks: false });
    await seek(page, masked.timestamp - s.startMs + 100);
    const { k } = await lastDraw(page);
    const b = masked.targetBounds;
    const corner = [b.x * k + 1, b.y * k + 1];
    const plain = await pixelAt(page, ...corner);
    await overlays(page, { touches: true });
    const d = await lastDraw(page);
    check(d.touches >= 1, `touches drawn: ${d.touches}`);
    const drawn = await pixelAt(page, ...corner);
    check(drawn.join() !== plain.join(), `no outline at the masked view's corner: ${plain} → ${drawn}`);
  });

  const snaps = s.hierarchy.map((h) => ({ h, ...flatten(h), t: h.timestamp - s.startMs }));
  const frameTimes = new Set(frames.map((f) => f.t));
  const snap = snaps.filter((x) => frameTimes.has(x.t)).sort((a, b) => b.masked.length - a.masked.length)[0];

  await test('the hierarchy wireframe draws every node of the nearest snapshot', async () => {
    check(snap && snap.masked.length > 0, 'no snapshot with masks taken at a frame');
    await overlays(page, { touches: false, wireframe: false, masks: false });
    await seek(page, snap.t + 100);
    await keepCanvas(page);
    await overlays(page, { wireframe: true });
    const d = await lastDraw(page);
    same([d.snapshotT, d.frameT, d.wireframeNodes], [snap.t, snap.t, snap.nodes.length], '[snapshot, frame, nodes]');
    const changed = await changedSinceKept(page);
    check(changed > 2000, `only ${changed} pixels changed`);
  });

  await test('the privacy audit outlines every mask rectangle and finds each black', async () => {
    await overlays(page, { wireframe: false, masks: false });
    await keepCanvas(page);
    await overlays(page, { masks: true });
    const d = await lastDraw(page);
    same([d.masksDrawn, d.audit.masks, d.audit.black], Array(3).fill(snap.masked.length), '[drawn, audited, black]');
    check((await changedSinceKept(page)) > 500, 'the mask overlay changed nothing');
    for (const n of snap.masked) {
      const edge = await pixelAt(page, n.frame.x * d.k, (n.frame.y + n.frame.height / 2) * d.k);
      check(edge[0] > 200 && edge[1] > 110 && edge[1] < 200 && edge[2] < 90, `no mask outline at ${n.type}: ${edge}`);
    }
  });

  await test('the telemetry panel shows stored, reported and client figures', async () => {
    await page.click('[data-tab="telemetry"]');
    const text = await page.locator('#rj-panel-telemetry').innerText();
    const row = (name) => {
      const m = text.match(new RegExp(`^${name}\\t(.+)$`, 'm'));
      return m ? m[1].trim() : null;
    };
    same(row('frames'), String(frames.length), 'frames row');
    same(row('uploadSuccessCount'), String(s.end.sdkTelemetry.uploadSuccessCount), 'uploadSuccessCount');
    same(row('captured'), String(summary.frames_captured), 'captured');
    same(row('skipped unchanged'), String(summary.frames_skipped_unchanged), 'skipped unchanged');
    same(row('dropped'), String(summary.frames_dropped), 'dropped');
  });

  await test('a screenshot of the player is saved', async () => {
    await seek(page, snap.t + 300);
    await overlays(page, { touches: true, masks: true });
    await page.screenshot({ path: ctx.screenshot, fullPage: true });
    check(fs.statSync(ctx.screenshot).size > 20000, 'screenshot too small');
  });
}
