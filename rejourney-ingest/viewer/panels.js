// The side panels: the event list (every marker, the current one highlighted), the inspector
// (the chosen marker as stored), the telemetry (what the server stored, what the SDK reported
// in its session end, and — when the page was written by the demo — the recording client's
// own capture counters), and the hierarchy (the snapshot in use, the node under the pointer,
// the privacy audit of the frame on screen).
(function (RJ) {
  'use strict';

  const { clock } = RJ.timeline;

  function el(tag, cls, textContent) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (textContent !== undefined) e.textContent = textContent;
    return e;
  }

  function kb(n) {
    if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
    if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
    return `${n} B`;
  }

  /** A titled two-column table of `[name, value]` rows (`null` values skipped). */
  function table(title, rows, note) {
    const sec = el('section', 'rj-tel');
    sec.append(el('h3', null, title));
    if (note) sec.append(el('p', 'rj-note', note));
    const t = el('table');
    for (const [k, v] of rows) {
      if (v === null || v === undefined) continue;
      const tr = el('tr');
      tr.append(el('th', null, k), el('td', null, typeof v === 'object' ? JSON.stringify(v) : String(v)));
      t.append(tr);
    }
    sec.append(t);
    return sec;
  }

  /** Rows of an object's own keys. */
  const entries = (o) => (o && typeof o === 'object' ? Object.entries(o) : []);

  function telemetry(root, model) {
    root.textContent = '';
    const d = model.data;
    const st = d.storage || {};
    const jpegBytes = model.frames.reduce((s, f) => s + f.jpeg.length, 0);
    const spanMs = (kind) => model.spans.filter((s) => s.kind === kind)
      .reduce((s, x) => s + (x.t1 - x.t0), 0);
    const files = (k) => (st[k] ? `${st[k].files} files, ${kb(st[k].bytes)}` : null);
    root.append(table('Stored by the server', [
      ['frames', model.frames.length],
      ['bundles', `${(d.bundles || []).length}${model.refused.length ? ` (${model.refused.length} refused)` : ''}`],
      ['JPEG bytes', `${kb(jpegBytes)} (${kb(jpegBytes / Math.max(1, model.frames.length))} a frame)`],
      ['screenshots', files('screenshots')],
      ['hierarchy', `${model.snapshots.length} snapshots${st.hierarchy ? `, ${kb(st.hierarchy.bytes)}` : ''}`],
      ['events', `${(d.events || []).length}${st.events ? ` in ${st.events.files} batches, ${kb(st.events.bytes)}` : ''}`],
      ['fault reports', (d.faults || []).length],
      ['session end', model.session.ended ? 'stored' : 'not yet'],
    ]));
    root.append(table('Frame timing (inferred from the stored frames)', [
      ['recorded span', clock(model.duration)],
      ['background', clock(spanMs('background'))],
      ['unchanged', clock(spanMs('unchanged'))],
      ['gaps', clock(spanMs('gap'))],
      ['capture interval', `${model.interval} ms`],
    ], 'The server does not store why a frame is missing; see the scrubber legend.'));
    const end = model.session.end || {};
    if (end.sdkTelemetry) {
      root.append(table('Reported by the SDK (session end: sdkTelemetry)', entries(end.sdkTelemetry),
        'memoryEvictionCount: frames and events dropped in memory because a buffer was full.'));
    }
    if (end.metrics) root.append(table('Reported by the SDK (session end: metrics)', entries(end.metrics)));
    const c = d.clientTelemetry;
    if (c) {
      root.append(table('Recording client (capture telemetry, not sent to the server)', [
        ['frames offered', c.frames_offered], ['captured', c.frames_captured],
        ['skipped unchanged', c.frames_skipped_unchanged], ['skipped by policy', c.frames_skipped_policy],
        ...entries(c.skipped_policy).filter(([, v]) => v > 0).map(([k, v]) => [`  policy: ${k}`, v]),
        ['dropped', c.frames_dropped],
        ...entries(c.dropped).filter(([, v]) => v > 0).map(([k, v]) => [`  dropped: ${k}`, v]),
        ['bytes in (raw)', c.bytes_in === undefined ? null : kb(c.bytes_in)],
        ['bytes out (bundles)', c.bytes_out === undefined ? null : kb(c.bytes_out)],
        ['bundles', c.bundles], ['masked regions', c.masked_regions],
      ]));
    } else {
      root.append(el('p', 'rj-note', 'Captured, skipped and dropped frames by reason stay in the SDK '
        + '(Client::telemetry); the demo writes them into its replay file.'));
    }
  }

  /** The event list; returns `{update(t), select(marker)}`. */
  function events(root, model, onSeek, onSelect) {
    root.textContent = '';
    const list = el('ol', 'rj-events');
    const items = model.markers.map((m) => {
      const li = el('li', `rj-ev rj-k-${m.kind}${m.flag ? ` rj-f-${m.flag}` : ''}`);
      li.tabIndex = 0;
      li.append(el('span', 'rj-ev-t', clock(m.t)), el('span', 'rj-ev-k', m.kind), el('span', 'rj-ev-l', m.label));
      li.addEventListener('click', () => {
        onSeek(m.t);
        onSelect(m);
      });
      list.append(li);
      return li;
    });
    root.append(list);
    let current = -1;
    return {
      update(t, follow) {
        const i = RJ.model.lastAtOrBefore(model.markers, t);
        if (i === current) return;
        if (items[current]) items[current].classList.remove('rj-now');
        current = i;
        if (items[i]) {
          items[i].classList.add('rj-now');
          if (follow) items[i].scrollIntoView({ block: 'nearest' });
        }
      },
    };
  }

  function inspector(root, m) {
    root.textContent = '';
    if (!m) {
      root.append(el('p', 'rj-note', 'Choose a marker or an event to see it as stored.'));
      return;
    }
    root.append(el('h3', null, `${clock(m.t)} · ${m.kind} · ${m.label}`));
    root.append(el('pre', 'rj-json', JSON.stringify(m.raw, null, 2)));
    if (m.fault) {
      root.append(el('h3', null, 'Fault report (same incident)'));
      root.append(el('pre', 'rj-json', JSON.stringify(m.fault, null, 2)));
    }
  }

  /** The hierarchy panel: snapshot in use, node under the pointer, audit result. */
  function hierarchy(root, info) {
    root.textContent = '';
    const { snap, frameT, node, audit } = info;
    if (!snap) {
      root.append(el('p', 'rj-note', 'No hierarchy snapshot stored for this session.'));
      return;
    }
    root.append(table('Snapshot in use', [
      ['taken at', clock(snap.t)], ['frame on screen at', frameT === null ? '—' : clock(frameT)],
      ['nodes', snap.nodes.length], ['masked nodes', snap.masked.length],
      ['partial', snap.partial ? 'yes (node cap)' : 'no'],
    ]));
    if (audit) {
      const bad = audit.results.filter((r) => !r.black);
      root.append(table('Privacy audit of this frame', [
        ['mask rectangles', audit.masks], ['black inside (≤ 40 per channel)', audit.black],
        ...bad.map((r) => [`NOT BLACK: ${r.type}`, `max channel ${r.max}`]),
      ], 'Checked 2 px inside each rectangle. A snapshot older than the frame may describe an earlier screen.'));
    }
    if (node) {
      root.append(table('Node under the pointer', [
        ['type', node.type], ['class', node.cls], ['masked', node.masked ? 'yes' : 'no'],
        ['frame (pt)', `${node.x}, ${node.y}, ${node.w} × ${node.h}`],
        ['test id', node.testId], ['text length', node.textLength],
      ]));
    } else {
      root.append(el('p', 'rj-note', 'Turn the wireframe on and point at the frame to inspect a node.'));
    }
  }

  /** Tabs over the side panels; `show(name)` switches. */
  function tabs(root) {
    const buttons = [...root.querySelectorAll('[data-tab]')];
    const show = (name) => {
      for (const b of buttons) b.setAttribute('aria-selected', String(b.dataset.tab === name));
      for (const p of root.querySelectorAll('[data-panel]')) p.hidden = p.dataset.panel !== name;
    };
    for (const b of buttons) b.addEventListener('click', () => show(b.dataset.tab));
    show(buttons[0] && buttons[0].dataset.tab);
    return { show };
  }

  RJ.panels = { telemetry, events, inspector, hierarchy, tabs };
})(window.RJ = window.RJ || {});
