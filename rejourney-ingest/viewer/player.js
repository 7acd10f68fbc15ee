// The player: draws the frame recorded at or before the playhead on the canvas, with the
// overlays turned on; plays at 0.5–4× (optionally skipping background, unchanged stretches and
// gaps longer than 3 s); keyboard shortcuts; in the ingest server's live page, polls the
// session's data while it has not ended. `window.rejourneyViewer` is the page's handle for
// tests and the console.
(function (RJ) {
  'use strict';

  const SPEEDS = [0.5, 1, 1.5, 2, 3, 4];
  /** Idle stretches longer than this are jumped over while playing with "skip idle" on. */
  const SKIP_MS = 3000;
  /** Decoded frames kept (an ImageBitmap is the full frame, uncompressed). */
  const CACHE = 24;
  const POLL_MS = 3000;

  const $ = (id) => document.getElementById(id);

  function readData() {
    const node = $('rj-data');
    return JSON.parse(node ? node.textContent : '{}');
  }

  /** Decodes JPEGs to bitmaps on demand, keeping the most recent few. */
  class FrameCache {
    constructor(frames) {
      this.frames = frames;
      this.done = new Map();
      this.pending = new Map();
    }
    get(i) {
      const b = this.done.get(i);
      if (b) {
        this.done.delete(i);
        this.done.set(i, b);
      }
      return b || null;
    }
    load(i) {
      if (this.done.has(i)) return Promise.resolve(this.get(i));
      if (this.pending.has(i)) return this.pending.get(i);
      const f = this.frames[i];
      const p = createImageBitmap(new Blob([f.jpeg], { type: 'image/jpeg' }))
        .then((b) => {
          this.pending.delete(i);
          this.done.set(i, b);
          while (this.done.size > CACHE) {
            const [old, bmp] = this.done.entries().next().value;
            this.done.delete(old);
            bmp.close();
          }
          return b;
        })
        .catch((e) => {
          this.pending.delete(i);
          throw new Error(`frame ${i} at ${f.t} ms does not decode: ${e.message || e}`);
        });
      this.pending.set(i, p);
      return p;
    }
  }

  class Player {
    constructor(data) {
      this.canvas = $('rj-canvas');
      this.ctx = this.canvas.getContext('2d');
      this.scratch = document.createElement('canvas');
      this.t = 0;
      this.speed = 1;
      this.playing = false;
      this.overlays = { touches: true, wireframe: false, masks: false };
      this.skipIdle = true;
      this.selected = null;
      this.pointer = null;
      this.lastDraw = null;
      this.audits = new Map();
      this.load(data);
      this.bindControls();
      this.loop = this.loop.bind(this);
    }

    /** (Re)builds everything from page data; keeps the playhead. */
    load(data) {
      this.data = data;
      this.model = RJ.model.build(data);
      this.cache = new FrameCache(this.model.frames);
      this.audits.clear();
      this.t = Math.min(this.t, this.model.duration);
      const m = this.model;
      $('rj-session').textContent = m.session.id || '';
      $('rj-device').textContent = m.deviceInfo
        ? [m.deviceInfo.platform, m.deviceInfo.model, m.deviceInfo.osVersion].filter(Boolean).join(' · ') : '';
      $('rj-start').textContent = m.startMs ? new Date(m.startMs).toLocaleString() : '';
      const problems = [
        ...m.refused.map((r) => `bundle ${r.name} refused: ${r.error.kind}${r.error.message ? ` (${r.error.message})` : ''}`),
        ...(data.problems || []),
      ];
      $('rj-problems').hidden = problems.length === 0;
      $('rj-problems').textContent = problems.join('\n');
      $('rj-empty').hidden = m.frames.length > 0;
      this.timeline = RJ.timeline.render($('rj-timeline'), m, (t) => this.seek(t), (mk) => this.select(mk));
      this.events = RJ.panels.events($('rj-panel-events'), m, (t) => this.seek(t), (mk) => this.select(mk));
      RJ.panels.telemetry($('rj-panel-telemetry'), m);
      RJ.panels.inspector($('rj-panel-inspector'), this.selected);
      this.drawn = this.draw();
    }

    bindControls() {
      $('rj-play').addEventListener('click', () => this.toggle());
      const speed = $('rj-speed');
      // Controls give the focus back once used, so the shortcuts keep working.
      speed.addEventListener('change', () => {
        this.setSpeed(Number(speed.value));
        speed.blur();
      });
      $('rj-skip').addEventListener('change', (e) => {
        this.skipIdle = e.target.checked;
        e.target.blur();
      });
      for (const name of Object.keys(this.overlays)) {
        $(`rj-ov-${name}`).addEventListener('change', (e) => {
          this.setOverlay(name, e.target.checked);
          e.target.blur();
        });
      }
      this.tabs = RJ.panels.tabs($('rj-side'));
      this.canvas.addEventListener('pointermove', (e) => {
        const r = this.canvas.getBoundingClientRect();
        this.pointer = [(e.clientX - r.left) * (this.canvas.width / r.width),
          (e.clientY - r.top) * (this.canvas.height / r.height)];
        if (this.overlays.wireframe) this.draw();
      });
      document.addEventListener('keydown', (e) => this.key(e));
    }

    key(e) {
      const tag = e.target && e.target.tagName;
      if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA' || e.ctrlKey || e.metaKey || e.altKey) return;
      // Space on a focused button (a marker just clicked) would also press it.
      if (tag === 'BUTTON' && e.key === ' ') e.target.blur();
      const frames = this.model.frames;
      const i = RJ.model.lastAtOrBefore(frames, this.t);
      const marks = this.model.markers;
      const actions = {
        ' ': () => this.toggle(),
        k: () => this.toggle(),
        ArrowLeft: () => (e.shiftKey ? frames[Math.max(0, i - 1)] && this.seek(frames[Math.max(0, i - 1)].t)
          : this.seek(this.t - 5000)),
        ArrowRight: () => (e.shiftKey ? frames[i + 1] && this.seek(frames[i + 1].t) : this.seek(this.t + 5000)),
        ',': () => frames[Math.max(0, i - 1)] && this.seek(frames[Math.max(0, i - 1)].t),
        '.': () => frames[i + 1] && this.seek(frames[i + 1].t),
        ArrowUp: () => this.setSpeed(SPEEDS[Math.min(SPEEDS.length - 1, SPEEDS.indexOf(this.speed) + 1)]),
        ArrowDown: () => this.setSpeed(SPEEDS[Math.max(0, SPEEDS.indexOf(this.speed) - 1)]),
        Home: () => this.seek(0),
        End: () => this.seek(this.model.duration),
        n: () => {
          const m = marks.find((x) => x.t > this.t + 1);
          if (m) { this.seek(m.t); this.select(m); }
        },
        p: () => {
          const m = [...marks].reverse().find((x) => x.t < this.t - 1);
          if (m) { this.seek(m.t); this.select(m); }
        },
        h: () => this.setOverlay('wireframe', !this.overlays.wireframe),
        m: () => this.setOverlay('masks', !this.overlays.masks),
        t: () => this.setOverlay('touches', !this.overlays.touches),
        '?': () => { $('rj-help').hidden = !$('rj-help').hidden; },
      };
      const act = actions[e.key.length === 1 ? e.key.toLowerCase() : e.key] || actions[e.key];
      if (!act) return;
      e.preventDefault();
      act();
    }

    toggle() {
      if (this.playing) this.pause();
      else this.play();
    }

    play() {
      if (this.playing) return;
      if (this.t >= this.model.duration) this.t = 0;
      this.playing = true;
      this.last = performance.now();
      $('rj-play').textContent = '❚❚';
      $('rj-play').setAttribute('aria-label', 'pause');
      requestAnimationFrame(this.loop);
    }

    pause() {
      this.playing = false;
      $('rj-play').textContent = '▶';
      $('rj-play').setAttribute('aria-label', 'play');
    }

    setSpeed(s) {
      if (!SPEEDS.includes(s)) return;
      this.speed = s;
      $('rj-speed').value = String(s);
      this.status();
    }

    setOverlay(name, on) {
      if (!(name in this.overlays)) return Promise.resolve();
      this.overlays[name] = !!on;
      $(`rj-ov-${name}`).checked = !!on;
      if (on && name !== 'touches') this.tabs.show('hierarchy');
      return this.draw();
    }

    select(m) {
      this.selected = m;
      this.timeline.select(m);
      RJ.panels.inspector($('rj-panel-inspector'), m);
      if (m) this.tabs.show('inspector');
    }

    /** Moves the playhead; resolves once the frame there is on the canvas. */
    seek(t) {
      this.t = Math.min(Math.max(0, Number(t) || 0), this.model.duration);
      return this.draw();
    }

    loop(now) {
      if (!this.playing) return;
      let t = this.t + (now - this.last) * this.speed;
      this.last = now;
      if (this.skipIdle) {
        const s = this.model.spans.find((x) => x.t0 <= t && t < x.t1 && x.t1 - x.t0 > SKIP_MS);
        if (s) t = s.t1;
      }
      if (t >= this.model.duration) {
        t = this.model.duration;
        this.pause();
      }
      this.t = t;
      this.draw(true);
      if (this.playing) requestAnimationFrame(this.loop);
    }

    status() {
      const i = RJ.model.lastAtOrBefore(this.model.frames, this.t);
      const { clock } = RJ.timeline;
      $('rj-time').textContent = `${clock(this.t)} / ${clock(this.model.duration)} · frame `
        + `${i + 1}/${this.model.frames.length} · ${this.speed}×`;
    }

    /** The privacy audit of frame `i` against snapshot `snap`, computed once. */
    auditOf(i, bmp, snap, k) {
      const key = `${i}:${snap.t}`;
      if (!this.audits.has(key)) {
        this.scratch.width = bmp.width;
        this.scratch.height = bmp.height;
        const c = this.scratch.getContext('2d', { willReadFrequently: true });
        c.drawImage(bmp, 0, 0);
        this.audits.set(key, RJ.overlays.audit(c.getImageData(0, 0, bmp.width, bmp.height), snap, k));
      }
      return this.audits.get(key);
    }

    /** Draws the playhead's frame and overlays; resolves when drawn (after a decode if needed). */
    draw(follow) {
      const m = this.model;
      this.timeline.update(this.t);
      this.events.update(this.t, follow);
      this.status();
      const i = RJ.model.lastAtOrBefore(m.frames, this.t);
      const t = this.t;
      if (i < 0) {
        this.paint(null, -1, t);
        return Promise.resolve(this.lastDraw);
      }
      const bmp = this.cache.get(i);
      if (bmp) {
        this.paint(bmp, i, t);
        if (m.frames[i + 1]) this.cache.load(i + 1).catch(() => {});
        return Promise.resolve(this.lastDraw);
      }
      return this.cache.load(i).then(
        (b) => {
          if (this.t === t) this.paint(b, i, t);
          return this.lastDraw;
        },
        (err) => {
          $('rj-problems').hidden = false;
          $('rj-problems').textContent = String(err.message || err);
          return this.lastDraw;
        },
      );
    }

    /** Paints one frame (or the empty screen) and the overlays that are on. */
    paint(bmp, i, t) {
      const c = this.canvas;
      const ctx = this.ctx;
      const m = this.model;
      if (bmp && (c.width !== bmp.width || c.height !== bmp.height)) {
        c.width = bmp.width;
        c.height = bmp.height;
      }
      ctx.fillStyle = '#111';
      ctx.fillRect(0, 0, c.width, c.height);
      if (bmp) ctx.drawImage(bmp, 0, 0);
      const snap = RJ.model.snapshotAt(m, t);
      const ptWidth = (snap && snap.width) || (m.deviceInfo && Number(m.deviceInfo.screenWidth)) || c.width;
      const k = c.width / ptWidth;
      const drawn = { frameIndex: i, t, frameT: i >= 0 ? m.frames[i].t : null, k, touches: 0,
        wireframeNodes: 0, masksDrawn: 0, audit: null, snapshotT: snap ? snap.t : null };
      if (snap && bmp && this.overlays.masks) drawn.audit = this.auditOf(i, bmp, snap, k);
      if (snap && this.overlays.wireframe) drawn.wireframeNodes = RJ.overlays.drawWireframe(ctx, snap, k);
      if (snap && this.overlays.masks) drawn.masksDrawn = RJ.overlays.drawMasks(ctx, snap, k, drawn.audit);
      if (this.overlays.touches) drawn.touches = RJ.overlays.drawTouches(ctx, m, t, k);
      const node = snap && this.pointer && this.overlays.wireframe
        ? RJ.overlays.nodeAt(snap, this.pointer[0] / k, this.pointer[1] / k) : null;
      RJ.panels.hierarchy($('rj-panel-hierarchy'), { snap, frameT: drawn.frameT, node, audit: drawn.audit });
      this.lastDraw = drawn;
    }

    state() {
      return {
        t: this.t, playing: this.playing, speed: this.speed, duration: this.model.duration,
        frameCount: this.model.frames.length,
        frameIndex: RJ.model.lastAtOrBefore(this.model.frames, this.t),
        overlays: { ...this.overlays }, skipIdle: this.skipIdle,
      };
    }

    /** Live page: fetches the session's data again until it has ended. */
    poll() {
      if (!this.data.live || !this.data.dataUrl || this.model.session.ended) return;
      setTimeout(() => {
        fetch(this.data.dataUrl, { cache: 'no-store' })
          .then((r) => (r.ok ? r.json() : null))
          .then((d) => {
            if (d && d.signature !== this.data.signature) this.load(d);
          })
          .catch(() => {})
          .finally(() => this.poll());
      }, POLL_MS);
    }
  }

  function start() {
    const player = new Player(readData());
    $('rj-live').hidden = !player.data.live;
    player.poll();
    window.rejourneyViewer = {
      player,
      get model() { return player.model; },
      get lastDraw() { return player.lastDraw; },
      ready: player.drawn,
      state: () => player.state(),
      seek: (t) => player.seek(t),
      play: () => player.play(),
      pause: () => player.pause(),
      setSpeed: (s) => player.setSpeed(s),
      setOverlay: (name, on) => player.setOverlay(name, on),
      parseBundle: RJ.bundle.parseBundle,
      get limits() { return player.data.limits; },
    };
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})(window.RJ = window.RJ || {});
