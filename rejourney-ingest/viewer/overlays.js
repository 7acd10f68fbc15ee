// What the player draws over a frame: touches (taps as dots where they landed, rage and dead
// taps ringed, swipes and pinches), the wireframe of the nearest hierarchy snapshot with masked
// nodes highlighted, and the privacy audit: every mask rectangle outlined, and each one checked
// black in the frame's pixels.
//
// Hierarchy frames and touch positions are in points; the frame is in pixels. `k` is pixels per
// point: the frame's width over the snapshot root's (or the device's screen) width.
(function (RJ) {
  'use strict';

  /** Touches stay visible this long after they happen (ms of session time). */
  const TOUCH_MS = 1000;
  /** A mask is black when every channel of every pixel 2 px inside its edge is at most this
   * (the core's privacy tests use the same tolerance: JPEG rings at the edge). */
  const BLACK_MAX = 40;
  const EDGE_PX = 2;

  const KIND_COLORS = {
    container: '#7a8699', text: '#2f6fe4', text_input: '#1f9d55', secure_input: '#d6336c',
    image: '#0c9aa6', video: '#8c54d0', camera: '#8c54d0', map: '#c27c0e', web_view: '#c27c0e',
  };

  function ring(ctx, x, y, r, color, width, dash) {
    ctx.beginPath();
    ctx.setLineDash(dash || []);
    ctx.lineWidth = width;
    ctx.strokeStyle = color;
    ctx.arc(x, y, r, 0, Math.PI * 2);
    ctx.stroke();
    ctx.setLineDash([]);
  }

  function tag(ctx, x, y, label, color, k) {
    ctx.font = `bold ${Math.round(11 * k)}px system-ui, sans-serif`;
    const w = ctx.measureText(label).width + 8 * k;
    ctx.fillStyle = color;
    ctx.fillRect(x, y, w, 16 * k);
    ctx.fillStyle = '#fff';
    ctx.fillText(label, x + 4 * k, y + 12 * k);
  }

  /** Draws the touches of the last second; returns how many. */
  function drawTouches(ctx, model, t, k) {
    let n = 0;
    for (const m of model.markers) {
      if ((m.x === undefined && !m.bounds) || m.t > t || m.t < t - TOUCH_MS) continue;
      if (m.kind !== 'tap' && m.kind !== 'gesture') continue;
      const fade = 1 - (t - m.t) / TOUCH_MS;
      if (m.bounds) {
        // Touch privacy: the SDK kept only the masked view's bounds, never a point inside.
        const b = m.bounds;
        ctx.globalAlpha = Math.max(0.15, fade);
        ctx.save();
        ctx.strokeStyle = m.kind === 'tap' ? '#1c5fd0' : '#7048e8';
        ctx.lineWidth = 3 * k;
        ctx.setLineDash([8 * k, 5 * k]);
        ctx.strokeRect(b.x * k, b.y * k, b.w * k, b.h * k);
        ctx.restore();
        tag(ctx, b.x * k, Math.max(0, b.y * k - 18 * k), m.kind === 'tap' ? 'tap (masked view)' : 'gesture (masked view)',
          m.kind === 'tap' ? '#1c5fd0' : '#7048e8', k);
        n++;
        continue;
      }
      const x = m.x * k;
      const y = m.y * k;
      ctx.globalAlpha = Math.max(0.15, fade);
      if (m.flag === 'rage') {
        ring(ctx, x, y, 26 * k, '#e03131', 4 * k);
        ring(ctx, x, y, 34 * k, '#e03131', 2 * k);
        tag(ctx, x + 28 * k, y - 30 * k, 'rage tap', '#e03131', k);
      } else if (m.flag === 'dead') {
        ring(ctx, x, y, 22 * k, '#f08c00', 3 * k, [6 * k, 4 * k]);
        tag(ctx, x + 24 * k, y + 10 * k, 'dead tap', '#f08c00', k);
      } else if (m.kind === 'tap') {
        ctx.fillStyle = 'rgba(34, 110, 230, 0.55)';
        ctx.beginPath();
        ctx.arc(x, y, 14 * k, 0, Math.PI * 2);
        ctx.fill();
        ring(ctx, x, y, 14 * k, '#1c5fd0', 2 * k);
      } else {
        const g = m.raw && String(m.raw.gestureType || '');
        ring(ctx, x, y, 18 * k, '#7048e8', 3 * k);
        if (g === 'pinch') ring(ctx, x, y, 34 * k, '#7048e8', 2 * k, [4 * k, 4 * k]);
        tag(ctx, x + 20 * k, y - 8 * k, g.replace('_', ' ') || 'gesture', '#7048e8', k);
      }
      n++;
    }
    ctx.globalAlpha = 1;
    return n;
  }

  function rect(n, k) {
    return [n.x * k, n.y * k, n.w * k, n.h * k];
  }

  /** Draws every node of the snapshot as an outline, masked ones filled; returns the count. */
  function drawWireframe(ctx, snap, k) {
    ctx.save();
    for (const n of snap.nodes) {
      const [x, y, w, h] = rect(n, k);
      if (n.masked) {
        ctx.fillStyle = 'rgba(224, 49, 49, 0.28)';
        ctx.fillRect(x, y, w, h);
      }
      ctx.lineWidth = n.masked ? 2 * k : Math.max(1, k * 0.75);
      ctx.strokeStyle = n.masked ? '#e03131' : KIND_COLORS[n.type] || '#495057';
      ctx.strokeRect(x + 0.5, y + 0.5, w - 1, h - 1);
      if (w > 60 * k && h > 14 * k) {
        ctx.font = `${Math.round(9 * k)}px ui-monospace, monospace`;
        ctx.fillStyle = ctx.strokeStyle;
        ctx.fillText(n.masked ? `${n.type} (masked)` : n.type, x + 3 * k, y + 10 * k);
      }
    }
    ctx.restore();
    return snap.nodes.length;
  }

  /** Outlines and hatches every mask rectangle; returns how many. */
  function drawMasks(ctx, snap, k, audit) {
    ctx.save();
    snap.masked.forEach((n, i) => {
      const [x, y, w, h] = rect(n, k);
      const leak = audit && audit.results[i] && !audit.results[i].black;
      const color = leak ? '#ff00aa' : '#f59f00';
      ctx.save();
      ctx.beginPath();
      ctx.rect(x, y, w, h);
      ctx.clip();
      ctx.strokeStyle = color;
      ctx.globalAlpha = 0.55;
      ctx.lineWidth = 2 * k;
      for (let d = -h; d < w; d += 10 * k) {
        ctx.beginPath();
        ctx.moveTo(x + d, y + h);
        ctx.lineTo(x + d + h, y);
        ctx.stroke();
      }
      ctx.restore();
      ctx.lineWidth = 3 * k;
      ctx.strokeStyle = color;
      ctx.strokeRect(x, y, w, h);
      tag(ctx, x, Math.max(0, y - 16 * k), leak ? `NOT BLACK · ${n.type}` : `mask · ${n.type}`, color, k);
    });
    ctx.restore();
    return snap.masked.length;
  }

  /**
   * Checks each mask rectangle black in the frame's pixels (`image`: ImageData of the frame
   * alone), 2 px inside its outward-rounded edge. Returns `{masks, black, results}`.
   */
  function audit(image, snap, k) {
    const results = snap.masked.map((n) => {
      const x0 = Math.max(0, Math.floor(n.x * k) + EDGE_PX);
      const y0 = Math.max(0, Math.floor(n.y * k) + EDGE_PX);
      const x1 = Math.min(image.width, Math.ceil((n.x + n.w) * k) - EDGE_PX);
      const y1 = Math.min(image.height, Math.ceil((n.y + n.h) * k) - EDGE_PX);
      let max = 0;
      let pixels = 0;
      for (let y = y0; y < y1; y++) {
        let p = (y * image.width + x0) * 4;
        for (let x = x0; x < x1; x++, p += 4) {
          const d = image.data;
          max = Math.max(max, d[p], d[p + 1], d[p + 2]);
          pixels++;
        }
      }
      return { type: n.type, cls: n.cls, max, pixels, black: max <= BLACK_MAX };
    });
    return { masks: results.length, black: results.filter((r) => r.black).length, results };
  }

  /** The smallest node under a point (in points), for the hierarchy inspector. */
  function nodeAt(snap, x, y) {
    let best = null;
    for (const n of snap.nodes) {
      if (x < n.x || y < n.y || x > n.x + n.w || y > n.y + n.h) continue;
      if (!best || n.w * n.h <= best.w * best.h) best = n;
    }
    return best;
  }

  RJ.overlays = { drawTouches, drawWireframe, drawMasks, audit, nodeAt, BLACK_MAX };
})(window.RJ = window.RJ || {});
