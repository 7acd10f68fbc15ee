// Adds to the demo's session, through the ingest server's own protocol (device auth, events
// presign → PUT → complete, fault reports), what the demo does not record, so every overlay
// and lane has something to show: a log line, a stretch in the background, an ANR (an `anr`
// event and its fault report sharing an incident id: one marker) and a crash.
import zlib from 'node:zlib';

const KEY = 'rj_viewer_test_key';

async function post(base, path, body, headers = {}) {
  const r = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-rejourney-key': KEY, ...headers },
    body: JSON.stringify(body),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${path}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : {};
}

/** The events and faults added, with their session-relative times (ms). */
export function additions(startMs) {
  const at = (s) => startMs + Math.round(s * 1000);
  const anrId = 'viewer-test-anr-1';
  return {
    events: [
      { type: 'log', timestamp: at(2.0), level: 'info', message: 'chat history loaded from cache' },
      { type: 'anr', timestamp: at(44.5), durationMs: 5200, threadState: 'blocked', incidentId: anrId },
      { type: 'app_background', timestamp: at(57.0) },
      { type: 'app_foreground', timestamp: at(59.0) },
    ],
    faults: [
      { incidentId: anrId, timestampMs: at(44.5), category: 'anr', identifier: 'MainThreadFrozen',
        detail: 'main thread blocked for 5200 ms', frames: ['main', 'DashboardView.render'],
        context: { durationMs: 5200, threadState: 'blocked' } },
      { incidentId: 'viewer-test-crash-1', timestampMs: at(59.5), category: 'exception',
        identifier: 'IllegalStateException', detail: 'video surface released twice',
        frames: ['VideoPlayer.release', 'VideoScreen.onStop'], context: {} },
    ],
  };
}

export async function enrich(base, sessionId, startMs, deviceInfo) {
  const { events, faults } = additions(startMs);
  const auth = await post(base, '/api/ingest/auth/device', { deviceId: 'viewer-test-device', metadata: {} });
  const token = { 'x-upload-token': auth.uploadToken, 'x-session-id': sessionId };
  const body = zlib.gzipSync(JSON.stringify({ events, deviceInfo }));
  const presign = await post(base, '/api/ingest/presign', {
    sessionId, contentType: 'events', batchNumber: 99, sizeBytes: body.length,
    startTime: events[0].timestamp, endTime: events[events.length - 1].timestamp, eventCount: events.length,
  }, { ...token, 'idempotency-key': `viewer-test-${sessionId}` });
  const put = await fetch(presign.presignedUrl, {
    method: 'PUT', headers: { 'content-type': 'application/gzip' }, body,
  });
  if (put.status !== 204) throw new Error(`events PUT: ${put.status} ${await put.text()}`);
  await post(base, '/api/ingest/batch/complete', { batchId: presign.batchId, sessionId },
    { ...token, 'idempotency-key': `viewer-test-${sessionId}` });
  for (const f of faults) await post(base, '/api/ingest/fault', { sessionId, ...f });
  return { events, faults };
}
