/**
 * Length-prefixed framing: every message is a 4-byte big-endian length followed by that many bytes.
 * Messages are never merged or split; a frame over the size limit is a protocol error.
 *
 * @module
 */

/** Largest frame accepted after authentication (1 GiB). */
export const MAX_FRAME: number = 1024 * 1024 * 1024;

/** A peer sent a frame the reader refuses (too large, or more than the handshake allows). */
export class FrameError extends Error {
  override name = "FrameError";
}

/** The 4-byte header for a payload of `length` bytes. */
export function frameHeader(length: number): Uint8Array {
  const h = new Uint8Array(4);
  new DataView(h.buffer).setUint32(0, length);
  return h;
}

/** Header and payload in one buffer (cheap for small payloads). */
export function frame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length);
  out.set(payload, 4);
  return out;
}

/** Cuts a byte stream back into frames. */
export class FrameReader {
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #need = -1;
  #max: number;

  /** @param maxFrame Largest payload accepted; a bigger header throws {@linkcode FrameError}. */
  constructor(maxFrame: number = MAX_FRAME) {
    this.#max = maxFrame;
  }

  /** Changes the size limit (after a handshake, say). */
  set maxFrame(n: number) {
    this.#max = n;
  }

  /** Feeds bytes; returns the complete frames they finish, in order. */
  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    // Fast path: nothing buffered, no header pending, and the chunk holds whole frames. (With a
    // header pending, the chunk's first bytes are that frame's payload, not a header.)
    let offset = 0;
    if (this.#buffered === 0 && this.#need < 0) {
      const dv = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      while (chunk.length - offset >= 4) {
        const len = dv.getUint32(offset);
        if (len > this.#max || chunk.length - offset - 4 < len) break;
        out.push(chunk.subarray(offset + 4, offset + 4 + len));
        offset += 4 + len;
      }
      if (offset === chunk.length) return out;
      chunk = chunk.subarray(offset);
    }
    if (chunk.length > 0) {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
    }
    for (;;) {
      if (this.#need < 0) {
        if (this.#buffered < 4) return out;
        const head = this.#take(4);
        this.#need = new DataView(head.buffer, head.byteOffset, 4).getUint32(0);
      }
      if (this.#need > this.#max) {
        // Frames before it go out first: the caller may raise the limit (a handshake that just
        // finished) and push an empty chunk to go on; otherwise the next push throws.
        if (out.length > 0) return out;
        throw new FrameError(`Frame of ${this.#need} bytes exceeds the limit of ${this.#max} bytes`);
      }
      if (this.#buffered < this.#need) return out;
      out.push(this.#take(this.#need));
      this.#need = -1;
    }
  }

  #take(n: number): Uint8Array {
    // An empty frame may end where the buffered bytes end: there is no chunk to cut it from.
    if (n === 0) return new Uint8Array(0);
    const first = this.#chunks[0];
    if (first.length >= n) {
      const piece = first.subarray(0, n);
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
      this.#buffered -= n;
      return piece;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const c = this.#chunks[0];
      const k = Math.min(c.length, n - filled);
      out.set(c.subarray(0, k), filled);
      filled += k;
      if (k === c.length) this.#chunks.shift();
      else this.#chunks[0] = c.subarray(k);
    }
    this.#buffered -= n;
    return out;
  }
}
