// The session as the player sees it, built once from the page's data (what the server stored:
// `rejourney-ingest/src/replay.rs` writes it): frames from the parsed bundles, one timeline
// marker per stored event and fault report, hierarchy snapshots flattened for drawing, and
// the stretches of the timeline without frames, classified.
//
// Times are milliseconds since the session start (the bundles' offsets are counted from it).
// A stretch without frames is *inferred*: the server does not store why the SDK sent no frame,
// so it is "background" between app_background and app_foreground events, "unchanged" while
// nothing that changes the screen happened (the SDK skips frames identical to the last one),
// and a "gap" from such a change to the next frame (capture paused during a touch or scroll,
// or frames dropped).
(function (RJ) {
  'use strict';

  /** Timeline lanes, top to bottom. */
  const LANES = [
    ['screen', 'Screens'],
    ['tap', 'Taps'],
    ['gesture', 'Swipes & pinches'],
    ['network', 'Network'],
    ['custom', 'Custom events'],
    ['log', 'Logs'],
    ['fault', 'ANRs & crashes'],
    ['app', 'App & keyboard'],
  ];

  const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const lower = (v) => (typeof v === 'string' ? v.toLowerCase() : '');
  const text = (v) => (v === undefined || v === null ? '' : String(v));

  /** One stored event's lane, label and highlight. */
  function classify(e) {
    const type = lower(e.type);
    const g = lower(e.gestureType);
    if (type === 'navigation' || type === 'screen_view') {
      return { kind: 'screen', label: text(e.screen || e.screenName) || 'screen' };
    }
    if (g === 'rage_tap' || type === 'rage_tap') return { kind: 'tap', label: 'rage tap', flag: 'rage' };
    if (g === 'dead_tap' || type === 'dead_tap') return { kind: 'tap', label: 'dead tap', flag: 'dead' };
    if (type === 'touch' || type === 'tap' || type === 'click' || g === 'tap') {
      return { kind: 'tap', label: e.label ? `tap ${e.label}` : 'tap' };
    }
    if (type === 'gesture' || type === 'scroll') {
      return { kind: 'gesture', label: (g || type).replace('_', ' ') + (e.label ? ` ${e.label}` : '') };
    }
    if (type === 'network_request' || type === 'api_call') {
      const status = num(e.statusCode) ?? (e.success === false ? 'failed' : '—');
      const ms = num(e.duration);
      const bad = e.success === false || (num(e.statusCode) ?? 0) >= 400;
      return {
        kind: 'network',
        label: `${text(e.method) || '?'} ${status} ${ms === null ? '' : Math.round(ms) + ' ms '}${text(e.url)}`,
        flag: bad ? 'error' : undefined,
      };
    }
    if (type === 'custom') return { kind: 'custom', label: text(e.name) || 'custom' };
    if (type === 'log') return { kind: 'log', label: `[${text(e.level) || 'log'}] ${text(e.message)}` };
    if (type === 'anr') {
      return { kind: 'fault', label: `ANR ${num(e.durationMs) ?? '?'} ms`, flag: 'anr' };
    }
    if (type === 'error' || type === 'crash') {
      return { kind: 'fault', label: `${type} ${text(e.message || e.name)}`, flag: 'crash' };
    }
    return { kind: 'app', label: type.replace(/_/g, ' ') || 'event' };
  }

  /** A fault report's marker fields. */
  function faultLabel(f) {
    const anr = lower(f.category) === 'anr';
    const what = [text(f.identifier), text(f.detail)].filter(Boolean).join(': ');
    return { flag: anr ? 'anr' : 'crash', label: `${anr ? 'ANR' : 'crash'} ${what}`.trim() };
  }

  /** Where a touch landed: its point, or, for a touch the SDK withheld inside a masked view
   * (`touchPrivacy: "masked"`), that view's bounds only; a hidden one has neither. */
  function position(e) {
    const x = num(e.x) ?? num(e.touches && e.touches[0] && e.touches[0].x);
    const y = num(e.y) ?? num(e.touches && e.touches[0] && e.touches[0].y);
    if (x !== null && y !== null) return { x, y };
    const b = e.targetBounds;
    if (!b || typeof b !== 'object') return {};
    const r = { x: num(b.x), y: num(b.y), w: num(b.width), h: num(b.height) };
    return Object.values(r).some((v) => v === null) || r.w < 0 || r.h < 0 ? {} : { bounds: r };
  }

  /** Markers: one per stored event; a fault report is merged into the `anr` event carrying its
   * incident id (the backend counts that incident once), else it is a marker of its own. */
  function markers(data, startMs) {
    const out = [];
    const byIncident = new Map();
    (data.events || []).forEach((e, i) => {
      if (!e || typeof e !== 'object') return;
      const ts = num(e.timestamp);
      const m = {
        ...classify(e), ...position(e), source: 'event', index: i, type: text(e.type), ts,
        t: ts === null ? null : ts - startMs, raw: e,
      };
      out.push(m);
      const inc = text(e.incidentId).trim();
      if (m.kind === 'fault' && inc) byIncident.set(inc, m);
    });
    (data.faults || []).forEach((f, i) => {
      const inc = text(f.incidentId).trim();
      const merged = inc && byIncident.get(inc);
      if (merged) {
        merged.fault = f;
        merged.label += ` · ${faultLabel(f).label}`;
        return;
      }
      const ts = num(f.timestampMs);
      out.push({
        kind: 'fault', ...faultLabel(f), source: 'fault', index: i, type: text(f.category), ts,
        t: ts === null ? null : ts - startMs, raw: f,
      });
    });
    return out;
  }

  /** Frames of every bundle, by offset; refused bundles listed with the parser's error. */
  function frames(data) {
    const list = [];
    const refused = [];
    for (const b of data.bundles || []) {
      const r = RJ.bundle.parseBundle(RJ.bundle.fromBase64(b.gz), data.limits);
      if (!r.ok) {
        refused.push({ name: b.name, error: r.error });
        continue;
      }
      for (const f of r.frames) list.push({ t: f.offsetMs, jpeg: f.jpeg, bundle: b.name });
    }
    list.sort((a, b) => a.t - b.t);
    list.forEach((f, i) => (f.index = i));
    return { list, refused };
  }

  /** Flattens a snapshot's tree (iteratively: a deep tree cannot overflow the stack). */
  function snapshot(s, startMs) {
    const nodes = [];
    const stack = s && s.root ? [[s.root, 0]] : [];
    while (stack.length) {
      const [n, depth] = stack.pop();
      if (!n || typeof n !== 'object') continue;
      const f = n.frame || {};
      nodes.push({
        x: num(f.x) ?? 0, y: num(f.y) ?? 0, w: num(f.width) ?? 0, h: num(f.height) ?? 0,
        type: text(n.type), cls: text(n.class), masked: n.masked === true, depth,
        testId: n.testId, textLength: n.textLength,
      });
      const kids = Array.isArray(n.children) ? n.children : [];
      for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i], depth + 1]);
    }
    const ts = num(s && s.timestamp);
    return {
      t: ts === null ? 0 : ts - startMs, ts, partial: !!(s && s.partial), nodes,
      masked: nodes.filter((n) => n.masked),
      width: nodes.length ? nodes[0].w : 0,
    };
  }

  /** Background stretches from app_background to the next app_foreground. */
  function background(marks, duration) {
    const spans = [];
    let from = null;
    for (const m of marks) {
      const type = lower(m.type);
      if (type === 'app_background' && from === null) from = m.t;
      if (type === 'app_foreground' && from !== null) {
        spans.push({ kind: 'background', t0: from, t1: m.t });
        from = null;
      }
    }
    if (from !== null) spans.push({ kind: 'background', t0: from, t1: duration });
    return spans;
  }

  /** `[a, b)` less the background spans. */
  function minus(a, b, bg) {
    let pieces = [[a, b]];
    for (const s of bg) {
      pieces = pieces.flatMap(([x, y]) => (s.t1 <= x || s.t0 >= y ? [[x, y]]
        : [[x, Math.min(y, s.t0)], [Math.max(x, s.t1), y]].filter(([p, q]) => q > p)));
    }
    return pieces;
  }

  /**
   * Stretches without frames: background, then, of the rest, "unchanged" until something that
   * changes the screen happens (a screen change, swipe, pinch, keyboard, or a new hierarchy
   * snapshot; a tap alone need not) and a "gap" from there to the next frame.
   */
  function spans(frameTimes, marks, snaps, duration, interval) {
    const bg = background(marks, duration);
    const changes = marks
      .filter((m) => m.kind === 'screen' || (m.kind === 'gesture' && !m.flag) || /^keyboard/.test(lower(m.type)))
      .map((m) => m.t)
      .concat(snaps.map((s) => s.t))
      .sort((a, b) => a - b);
    const out = [...bg];
    const edges = [0, ...frameTimes, duration];
    for (let i = 0; i + 1 < edges.length; i++) {
      const a = i === 0 ? 0 : edges[i] + interval;
      const b = edges[i + 1];
      if (b - edges[i] <= 2 * interval || b <= a) continue;
      for (const [p, q] of minus(a, b, bg)) {
        // Before the first frame nothing was on screen yet: all of it is a gap.
        const change = i === 0 ? p : changes.find((t) => t > p - interval && t < q);
        if (change === undefined) {
          out.push({ kind: 'unchanged', t0: p, t1: q });
          continue;
        }
        if (change > p) out.push({ kind: 'unchanged', t0: p, t1: change });
        out.push({ kind: 'gap', t0: Math.max(p, change), t1: q });
      }
    }
    return out.sort((x, y) => x.t0 - y.t0);
  }

  /** Builds the player's model from the page data. */
  function build(data) {
    const interval = num(data.captureIntervalMs) ?? 1000;
    const f = frames(data);
    const firstTs = [...(data.events || []), ...(data.hierarchy || [])]
      .map((e) => num(e && e.timestamp)).filter((t) => t !== null);
    const startMs = num(data.session && data.session.startMs) ?? (firstTs.length ? Math.min(...firstTs) : 0);
    const marks = markers(data, startMs);
    const snaps = (data.hierarchy || []).map((s) => snapshot(s, startMs)).sort((a, b) => a.t - b.t);
    const end = data.session && data.session.end;
    const endedAt = num(end && end.endedAt);
    const lastFrame = f.list.length ? f.list[f.list.length - 1].t + interval : 0;
    const times = [lastFrame, ...marks.map((m) => m.t), ...snaps.map((s) => s.t)]
      .filter((t) => t !== null);
    if (endedAt !== null) times.push(endedAt - startMs);
    const duration = Math.max(1000, ...times);
    // Markers without a time (a fault report with none) sit at the end.
    for (const m of marks) if (m.t === null) m.t = duration;
    marks.sort((a, b) => a.t - b.t);
    marks.forEach((m, i) => (m.id = i));
    return {
      data, startMs, duration, interval,
      frames: f.list, refused: f.refused,
      markers: marks, snapshots: snaps,
      spans: spans(f.list.map((x) => x.t), marks, snaps, duration, interval),
      lanes: LANES,
      session: data.session || {}, deviceInfo: data.deviceInfo || null,
    };
  }

  /** Index of the last element with `t <= at` in a list sorted by `t` (-1 if none). */
  function lastAtOrBefore(list, at) {
    let lo = 0;
    let hi = list.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].t <= at) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** The hierarchy snapshot nearest before `t` (else the first one after it). */
  function snapshotAt(model, t) {
    const i = lastAtOrBefore(model.snapshots, t);
    return model.snapshots[i >= 0 ? i : 0] || null;
  }

  RJ.model = { build, classify, lastAtOrBefore, snapshotAt, LANES };
})(window.RJ = window.RJ || {});
