// Frame bundles, read exactly as the core's strict parser reads them
// (`rejourney-core/src/bundle.rs`, `parse_bundle`): gunzip the first gzip member (as flate2's
// GzDecoder does: trailing bytes ignored, header CRC, trailer CRC-32 and length checked), at
// most `maxDecompressed` bytes, then per frame `[u64 BE offset ms][u32 BE length][JPEG]` with
// the same checks in the same order. The shared vectors in `tests/vectors/bundles/` hold both
// parsers to the same outcomes (`tests/bundle_vectors.rs`, `viewer/test/vectors.mjs`).
//
// The inflater is written here rather than taken from the browser (DecompressionStream) so that
// it behaves like miniz_oxide, the core's inflater, on every input: a distance reaching before
// the first output byte reads zeros (its 32 KiB window starts zeroed), a Huffman table must be
// complete unless it uses at most one code, and trailing data after the member is not looked at.
(function (RJ) {
  'use strict';

  /** A gzip or deflate stream the core would refuse (BundleError::Gzip). */
  class GzipError extends Error {}
  /**
   * The input ended inside the deflate stream. The core's inflater hands over what it decoded
   * before noticing, so past the limit this is only "too large".
   */
  class EndOfInput extends GzipError {}
  /** More than `maxDecompressed` bytes came out (BundleError::TooLarge). */
  class TooLarge extends Error {}

  const CRC_TABLE = (() => {
    const t = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      t[n] = c >>> 0;
    }
    return t;
  })();

  /** CRC-32 (IEEE) of `bytes[start..end]`. */
  function crc32(bytes, start = 0, end = bytes.length) {
    let c = 0xffffffff;
    for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  }

  const LEN_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83,
    99, 115, 131, 163, 195, 227, 258];
  const LEN_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5,
    5, 0];
  const DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769,
    1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
  const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11,
    11, 12, 12, 13, 13];
  const CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
  const FAST_BITS = 9;
  /** The core's inflater (miniz_oxide) decodes into a 32 KiB window, a window at a time, from
   * a 32 KiB input buffer (flate2's reader). */
  const WINDOW = 32768;

  /** Little-endian bit reader over `src` from byte `pos`. */
  class Bits {
    constructor(src, pos) {
      this.src = src;
      this.pos = pos;
      this.buf = 0;
      this.cnt = 0;
      this.end = src.length;
    }
    /**
     * Once the output is past the limit, the core's inflater stops at the end of the 32 KiB of
     * input it holds (its reader's buffer): later input is never looked at.
     */
    stopAtBufferEnd() {
      this.pos -= this.cnt >> 3;
      this.cnt &= 7;
      this.buf &= (1 << this.cnt) - 1;
      this.end = Math.min(this.end, (Math.floor((this.pos - 1) / WINDOW) + 1) * WINDOW);
    }
    /** Loads at least `n` (≤ 24) bits; false at the end of the input. */
    fill(n) {
      while (this.cnt < n) {
        if (this.pos >= this.end) return false;
        this.buf |= this.src[this.pos++] << this.cnt;
        this.cnt += 8;
      }
      return true;
    }
    bits(n) {
      if (n === 0) return 0;
      if (!this.fill(n)) throw new EndOfInput('unexpected end of file');
      const v = this.buf & ((1 << n) - 1);
      this.buf >>>= n;
      this.cnt -= n;
      return v;
    }
    /**
     * Drops the bits left in the current byte (before a stored block, and after the last
     * block); whole bytes loaded ahead by a look-up go back to the input.
     */
    align() {
      this.pos -= this.cnt >> 3;
      this.buf = 0;
      this.cnt = 0;
    }
  }

  /**
   * A canonical Huffman table from code lengths. Refused, as miniz_oxide refuses it, when the
   * lengths do not make a complete code and more than one symbol is used (or, for the
   * code-length code, whenever incomplete).
   */
  function huffman(lengths, mustBeComplete) {
    const count = new Uint16Array(16);
    for (const l of lengths) count[l]++;
    count[0] = 0;
    let total = 0;
    let used = 0;
    for (let len = 1; len < 16; len++) {
      used += count[len];
      total = (total + count[len]) << 1;
    }
    if (total !== 65536 && (used > 1 || mustBeComplete)) throw new GzipError('invalid Huffman table');
    // The first canonical code of each length.
    const first = new Uint32Array(16);
    let code = 0;
    for (let len = 1; len < 16; len++) {
      code = (code + count[len - 1]) << 1;
      first[len] = code;
    }
    const offs = new Uint16Array(16);
    for (let len = 1; len < 15; len++) offs[len + 1] = offs[len] + count[len];
    const symbol = new Uint16Array(lengths.length);
    const fast = new Uint32Array(1 << FAST_BITS);
    for (let s = 0; s < lengths.length; s++) {
      const len = lengths[s];
      if (len === 0) continue;
      symbol[offs[len]++] = s;
      const c = first[len]++;
      if (len <= FAST_BITS) {
        let rev = 0;
        for (let i = 0; i < len; i++) rev |= ((c >>> i) & 1) << (len - 1 - i);
        for (let r = rev; r < 1 << FAST_BITS; r += 1 << len) fast[r] = (s << 4) | len;
      }
    }
    return { count, symbol, fast };
  }

  /** Decodes one symbol: a table look-up when 9 bits are at hand, else bit by bit. */
  function decode(br, h) {
    if (br.fill(FAST_BITS)) {
      const e = h.fast[br.buf & ((1 << FAST_BITS) - 1)];
      if (e !== 0) {
        const len = e & 15;
        br.buf >>>= len;
        br.cnt -= len;
        return e >>> 4;
      }
    }
    let code = 0;
    let first = 0;
    let index = 0;
    for (let len = 1; len < 16; len++) {
      code |= br.bits(1);
      const count = h.count[len];
      if (code - count < first) return h.symbol[index + (code - first)];
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    throw new GzipError('invalid Huffman code');
  }

  const FIXED = (() => {
    const lit = new Uint8Array(288);
    lit.fill(8, 0, 144);
    lit.fill(9, 144, 256);
    lit.fill(7, 256, 280);
    lit.fill(8, 280, 288);
    return { lit: huffman(lit, false), dist: huffman(new Uint8Array(32).fill(5), false) };
  })();

  /**
   * Output bounded like the core's read: it takes `max + 1` bytes, but its inflater has by then
   * decoded the rest of the 32 KiB window holding the last byte taken, so an error inside that
   * window is still a gzip error; past it the bundle is only too large.
   */
  class Out {
    constructor(max) {
      this.max = max;
      this.stop = (Math.floor(max / WINDOW) + 1) * WINDOW;
      this.buf = new Uint8Array(Math.min(this.stop, 1 << 16));
      this.len = 0;
      this.crossed = () => {};
    }
    grow() {
      const b = new Uint8Array(Math.min(this.stop, this.buf.length * 2));
      b.set(this.buf);
      this.buf = b;
    }
    /**
     * Appends a byte. The core's inflater checks for room only when it has a byte to write:
     * a full window still lets it decode the next symbol, finish a block and read the next
     * block's header, so errors there are still gzip errors.
     */
    push(byte) {
      if (this.len === this.stop) throw new TooLarge();
      if (this.len === this.buf.length) this.grow();
      this.buf[this.len++] = byte;
      if (this.len === this.max + 1) this.crossed();
    }
  }

  /** Reads the code lengths of a dynamic block's two tables. */
  function dynamicTables(br) {
    const nlit = br.bits(5) + 257;
    const ndist = br.bits(5) + 1;
    const ncode = br.bits(4) + 4;
    if (nlit > 286 || ndist > 30) throw new GzipError('bad table sizes');
    const cl = new Uint8Array(19);
    for (let i = 0; i < ncode; i++) cl[CODE_LENGTH_ORDER[i]] = br.bits(3);
    const clh = huffman(cl, true);
    const lengths = new Uint8Array(nlit + ndist);
    let n = 0;
    while (n < nlit + ndist) {
      const sym = decode(br, clh);
      if (sym < 16) {
        lengths[n++] = sym;
        continue;
      }
      if (sym === 16 && n === 0) throw new GzipError('repeat with no previous length');
      const [value, times] = sym === 16 ? [lengths[n - 1], 3 + br.bits(2)]
        : sym === 17 ? [0, 3 + br.bits(3)] : [0, 11 + br.bits(7)];
      if (n + times > nlit + ndist) throw new GzipError('code lengths overrun');
      lengths.fill(value, n, n + times);
      n += times;
    }
    return {
      lit: huffman(lengths.subarray(0, nlit), false),
      dist: huffman(lengths.subarray(nlit), false),
    };
  }

  /** Inflates the raw deflate stream at `pos`; returns the byte after its last block. */
  function inflate(src, pos, out) {
    const br = new Bits(src, pos);
    out.crossed = () => br.stopAtBufferEnd();
    for (;;) {
      const final = br.bits(1);
      const type = br.bits(2);
      if (type === 0) {
        br.align();
        if (br.pos + 4 > br.end) throw new EndOfInput('unexpected end of file');
        const len = src[br.pos] | (src[br.pos + 1] << 8);
        const nlen = src[br.pos + 2] | (src[br.pos + 3] << 8);
        br.pos += 4;
        if (len !== (~nlen & 0xffff)) throw new GzipError('stored block length mismatch');
        for (let i = 0; i < len; i++) {
          if (br.pos >= br.end) throw new EndOfInput('unexpected end of file');
          out.push(src[br.pos++]);
        }
      } else if (type === 3) {
        throw new GzipError('invalid block type');
      } else {
        const { lit, dist } = type === 1 ? FIXED : dynamicTables(br);
        for (;;) {
          const sym = decode(br, lit);
          if (sym < 256) {
            out.push(sym);
            continue;
          }
          if (sym === 256) break;
          if (sym > 285) throw new GzipError('invalid literal/length code');
          const len = LEN_BASE[sym - 257] + br.bits(LEN_EXTRA[sym - 257]);
          const dsym = decode(br, dist);
          if (dsym > 29) throw new GzipError('invalid distance code');
          const d = DIST_BASE[dsym] + br.bits(DIST_EXTRA[dsym]);
          // Before the first output byte the window holds zeros, as miniz_oxide's does.
          for (let i = 0; i < len; i++) {
            const from = out.len - d;
            out.push(from >= 0 ? out.buf[from] : 0);
          }
        }
      }
      if (final) {
        br.align();
        return br.pos;
      }
    }
  }

  /** Skips the gzip header (magic, method 8, no reserved flags; optional fields; header CRC). */
  function gzipHeader(src) {
    const need = (n) => {
      if (n > src.length) throw new GzipError('unexpected end of file');
    };
    need(10);
    if (src[0] !== 0x1f || src[1] !== 0x8b || src[2] !== 8 || (src[3] & 0xe0) !== 0) {
      throw new GzipError('invalid gzip header');
    }
    const flags = src[3];
    let p = 10;
    if (flags & 4) {
      need(p + 2);
      p += 2 + (src[p] | (src[p + 1] << 8));
      need(p);
    }
    for (const bit of [8, 16]) {
      if (flags & bit) {
        while (true) {
          need(p + 1);
          if (src[p++] === 0) break;
        }
      }
    }
    if (flags & 2) {
      need(p + 2);
      const stored = src[p] | (src[p + 1] << 8);
      if ((crc32(src, 0, p) & 0xffff) !== stored) {
        throw new GzipError('corrupt gzip stream does not have a matching checksum');
      }
      p += 2;
    }
    return p;
  }

  /** Gunzips the first member of `src`, at most `max` bytes out. */
  function gunzip(src, max) {
    const out = new Out(max);
    let end;
    try {
      end = inflate(src, gzipHeader(src), out);
    } catch (e) {
      if (e instanceof EndOfInput && out.len > max) throw new TooLarge();
      throw e;
    }
    // Past the limit the core stops reading before the trailer.
    if (out.len > max) throw new TooLarge();
    if (end + 8 > src.length) throw new GzipError('unexpected end of file');
    const dv = new DataView(src.buffer, src.byteOffset + end, 8);
    const crc = dv.getUint32(0, true);
    const size = dv.getUint32(4, true);
    const data = out.buf.subarray(0, out.len);
    if (crc !== crc32(data) || size !== (out.len >>> 0)) {
      throw new GzipError('corrupt gzip stream does not have a matching checksum');
    }
    return data;
  }

  const fail = (kind, fields = {}) => ({ ok: false, error: { kind, ...fields } });

  /**
   * Parses the uncompressed concatenation like `parse_raw`. Offsets are u64: kept exact as
   * BigInt (`offset`) for the order check and as a Number (`offsetMs`) for playback.
   */
  function parseRaw(raw, limits) {
    if (raw.length === 0) return fail('Empty');
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const frames = [];
    let pos = 0;
    let prev = 0n;
    while (pos < raw.length) {
      const index = frames.length;
      if (index >= limits.maxFrames) return fail('TooManyFrames', { max: limits.maxFrames });
      if (pos + 12 > raw.length) return fail('Truncated', { offset: pos, what: 'frame header' });
      const offset = dv.getBigUint64(pos, false);
      const len = dv.getUint32(pos + 8, false);
      if (len > limits.maxFrameLen) {
        return fail('FrameTooLarge', { index, len, max: limits.maxFrameLen });
      }
      if (offset < prev) {
        return fail('TimestampOrder', { index, ts: offset.toString(), prev: prev.toString() });
      }
      prev = offset;
      pos += 12;
      if (pos + len > raw.length) return fail('Truncated', { offset: pos, what: 'JPEG data' });
      const jpeg = raw.subarray(pos, pos + len);
      if (len < 2 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) return fail('NotJpeg', { index });
      frames.push({ offset, offsetMs: Number(offset), jpeg });
      pos += len;
    }
    return { ok: true, frames };
  }

  /**
   * Gunzips and parses a bundle like `parse_bundle`: `{ok: true, frames}` or
   * `{ok: false, error: {kind, ...}}` with the kind and fields of the core's `BundleError`.
   */
  function parseBundle(gz, limits) {
    let raw;
    try {
      raw = gunzip(gz, limits.maxDecompressed);
    } catch (e) {
      if (e instanceof TooLarge) return fail('TooLarge', { max: limits.maxDecompressed });
      if (e instanceof GzipError) return fail('Gzip', { message: e.message });
      throw e;
    }
    if (raw.length > limits.maxDecompressed) return fail('TooLarge', { max: limits.maxDecompressed });
    return parseRaw(raw, limits);
  }

  /** Base64 (as the Rust side embeds bundles) to bytes. */
  function fromBase64(s) {
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  RJ.bundle = { parseBundle, parseRaw, gunzip, crc32, fromBase64 };
})(window.RJ = window.RJ || {});
