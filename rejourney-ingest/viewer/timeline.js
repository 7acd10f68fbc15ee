// The timeline under the player: a scrubber showing where frames are, the stretches without
// frames (background, unchanged, gap: see model.js), and the playhead; below it one lane per
// kind of marker. Every stored event and fault report is one marker button (`.rj-marker`,
// with its kind, type and time in data attributes), so what is on the timeline can be counted
// against what the server stored.
(function (RJ) {
  'use strict';

  const SPAN_TITLES = {
    background: 'app in background',
    unchanged: 'no frame: nothing changed the screen, so it is likely what the last frame shows (the SDK skips identical frames; inferred)',
    gap: 'no frame after the screen changed (capture paused during a touch or scroll, or frames dropped; inferred)',
  };

  function el(tag, cls, attrs) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    return e;
  }

  /** `+1:02.3` (session time) from ms. */
  function clock(ms) {
    const s = Math.max(0, ms) / 1000;
    const m = Math.floor(s / 60);
    const rest = (s - m * 60).toFixed(1).padStart(4, '0');
    return `${m}:${rest}`;
  }

  /**
   * Builds the timeline into `root`. `onSeek(t)` is called while scrubbing or on a marker;
   * `onSelect(marker)` when a marker is chosen. Returns `{update(t), select(marker)}`.
   */
  function render(root, model, onSeek, onSelect) {
    root.textContent = '';
    const pct = (t) => `${(100 * Math.min(Math.max(t, 0), model.duration)) / model.duration}%`;

    const scrub = el('div', 'rj-scrub', {
      role: 'slider', tabindex: '0', 'aria-label': 'session time',
      'aria-valuemin': '0', 'aria-valuemax': String(Math.round(model.duration)),
    });
    for (const s of model.spans) {
      const d = el('div', `rj-span rj-span-${s.kind}`, {
        'data-kind': s.kind, 'data-t0': String(Math.round(s.t0)), 'data-t1': String(Math.round(s.t1)),
        title: `${clock(s.t0)}–${clock(s.t1)}: ${SPAN_TITLES[s.kind]}`,
      });
      d.style.left = pct(s.t0);
      d.style.width = `${(100 * (s.t1 - s.t0)) / model.duration}%`;
      scrub.append(d);
    }
    const ticks = el('div', 'rj-ticks');
    for (const f of model.frames) {
      const tk = el('div', 'rj-tick', { 'data-t': String(f.t) });
      tk.style.left = pct(f.t);
      ticks.append(tk);
    }
    scrub.append(ticks);
    const played = el('div', 'rj-played');
    const head = el('div', 'rj-head');
    scrub.append(played, head);

    const seekAt = (ev) => {
      const r = scrub.getBoundingClientRect();
      onSeek(((ev.clientX - r.left) / r.width) * model.duration);
    };
    scrub.addEventListener('pointerdown', (ev) => {
      scrub.setPointerCapture(ev.pointerId);
      seekAt(ev);
      const move = (e) => seekAt(e);
      const up = () => {
        scrub.removeEventListener('pointermove', move);
        scrub.removeEventListener('pointerup', up);
      };
      scrub.addEventListener('pointermove', move);
      scrub.addEventListener('pointerup', up);
    });

    const axis = el('div', 'rj-axis');
    const step = [1, 2, 5, 10, 15, 30, 60, 120, 300].find((s) => model.duration / 1000 / s <= 12) || 600;
    for (let s = 0; s * 1000 <= model.duration; s += step) {
      const a = el('span', 'rj-axis-label');
      a.textContent = clock(s * 1000).replace(/\.0$/, '');
      a.style.left = pct(s * 1000);
      axis.append(a);
    }

    const lanes = el('div', 'rj-lanes');
    const buttons = [];
    for (const [kind, name] of model.lanes) {
      const mine = model.markers.filter((m) => m.kind === kind);
      const lane = el('div', 'rj-lane', { 'data-kind': kind });
      const label = el('div', 'rj-lane-name');
      label.textContent = `${name} (${mine.length})`;
      const track = el('div', 'rj-lane-track');
      for (const m of mine) {
        const b = el('button', `rj-marker rj-k-${kind}${m.flag ? ` rj-f-${m.flag}` : ''}`, {
          type: 'button', 'data-kind': kind, 'data-type': m.type, 'data-source': m.source,
          'data-t': String(Math.round(m.t)), 'data-ts': m.ts === null ? '' : String(m.ts),
          title: `${clock(m.t)} ${m.label}`, 'aria-label': `${clock(m.t)} ${m.label}`,
        });
        if (m.flag) b.setAttribute('data-flag', m.flag);
        b.style.left = pct(m.t);
        b.addEventListener('click', () => {
          onSeek(m.t);
          onSelect(m);
        });
        buttons[m.id] = b;
        track.append(b);
      }
      lane.append(label, track);
      lanes.append(lane);
    }

    const legend = el('div', 'rj-legend');
    for (const [kind, title] of [['tick', 'stored frame'], ['background', SPAN_TITLES.background],
      ['unchanged', 'unchanged (inferred)'], ['gap', 'gap (inferred)']]) {
      const item = el('span', 'rj-legend-item');
      item.append(el('i', `rj-sw rj-sw-${kind}`));
      item.append(document.createTextNode(title));
      legend.append(item);
    }

    root.append(scrub, axis, lanes, legend);
    let selected = null;
    return {
      update(t) {
        played.style.width = pct(t);
        head.style.left = pct(t);
        scrub.setAttribute('aria-valuenow', String(Math.round(t)));
      },
      select(m) {
        if (selected) selected.classList.remove('rj-selected');
        selected = m ? buttons[m.id] : null;
        if (selected) selected.classList.add('rj-selected');
      },
    };
  }

  RJ.timeline = { render, clock };
})(window.RJ = window.RJ || {});
