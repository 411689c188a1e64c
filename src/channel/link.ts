/**
 * A framed link over a byte stream: whole frames in, whole frames out, with write coalescing.
 * Frames sent in the same tick leave in one write; big payloads are written without copying.
 *
 * @module
 */
import type { ByteStream } from "../runtime/adapter.ts";
import { frame, frameHeader, FrameReader } from "./frame.ts";
import { EOFError } from "../errors.ts";
import { discardFrameBlobs } from "./blob.ts";
import { frameSides, type SideList } from "./port_buffers.ts";

const _COALESCE_LIMIT = 64 * 1024;
const _EMPTY = new Uint8Array(0);

/** A framed, bidirectional link. */
export class Link {
  #stream: ByteStream;
  #reader: FrameReader;
  #onFrame: ((f: Uint8Array) => void) | undefined;
  #backlog: Uint8Array[] = [];
  #onClose: Array<() => void> = [];
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #scheduled = false;
  /** Settles the callers of {@linkcode flushed} that wait for the frames coalesced in this tick. */
  #batch: { promise: Promise<void>; resolve(v: Promise<void> | undefined): void; reject(e: unknown): void } | undefined;
  #closed = false;
  #refs = 0;
  #unrefQueued = false;
  #feeding = false;
  #again = false;
  #queued: Uint8Array[] = [];
  /** The buffers that came beside a queued chunk (links between threads). */
  #queuedSides: WeakMap<Uint8Array, SideList> = new WeakMap();

  /**
   * @param stream The connected stream.
   * @param maxFrame Largest frame accepted until {@linkcode setMaxFrame} says otherwise.
   */
  constructor(stream: ByteStream, maxFrame: number) {
    this.#stream = stream;
    this.#reader = new FrameReader(maxFrame);
    stream.onData((chunk, side) => this.#feed(chunk, side));
    stream.onClose(() => this.#finish());
    stream.unref();
  }

  #feed(chunk: Uint8Array, side?: SideList): void {
    if (this.#closed) return;
    if (this.#feeding) {
      // A frame handler raised the limit (setMaxFrame) or the stream re-entered: go on after the
      // frames in hand, so frames keep their order.
      if (chunk.length > 0) this.#queued.push(chunk);
      if (side !== undefined) this.#queuedSides.set(chunk, side);
      this.#again = true;
      return;
    }
    this.#feeding = true;
    // Nothing may escape into the stream's data callback: garbage from the peer (FrameError) or a
    // throwing handler closes this link, and only this link.
    try {
      for (;;) {
        this.#again = false;
        for (const f of this.#reader.push(chunk)) {
          if (this.#closed) return;
          // A chunk that brings buffers is one whole frame (a thread's port keeps writes whole).
          if (side !== undefined) frameSides.set(f, side);
          if (this.#onFrame) this.#onFrame(f);
          else this.#backlog.push(f);
        }
        if ((!this.#again && this.#queued.length === 0) || this.#closed) return;
        chunk = this.#queued.shift() ?? _EMPTY;
        side = this.#queuedSides.get(chunk);
      }
    } catch {
      this.close();
    } finally {
      this.#feeding = false;
      if (this.#queued.length !== 0) this.#queued.length = 0;
    }
  }

  /** Whether the link has closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sets the frame handler (replacing the previous one); `undefined` makes the link keep frames
   * until the next handler is set, which first receives `unread` frames and then the kept ones.
   */
  onFrame(cb: ((f: Uint8Array) => void) | undefined, unread: Uint8Array[] = []): void {
    this.#onFrame = cb;
    if (unread.length) this.#backlog.unshift(...unread);
    if (!cb) return;
    while (this.#backlog.length && this.#onFrame === cb && !this.#closed) cb(this.#backlog.shift()!);
  }

  /** Registers a close handler; runs at once if already closed. */
  onClose(cb: () => void): void {
    if (this.#closed) cb();
    else this.#onClose.push(cb);
  }

  /** Changes the frame size limit. */
  setMaxFrame(n: number): void {
    this.#reader.maxFrame = n;
    // A frame that waited for a higher limit (pipelined right behind a handshake) goes on now.
    this.#feed(new Uint8Array(0));
  }

  /** Sends one frame. Small frames of the same tick are coalesced into one write. */
  send(payload: Uint8Array): void {
    if (this.#closed) return;
    if (payload.length >= _COALESCE_LIMIT) {
      this.flush();
      this.#stream.write(frameHeader(payload.length));
      this.#stream.write(payload);
      return;
    }
    this.sendFramed(frame(payload));
  }

  /** Sends bytes that already start with their frame header (see `encodeFrame`). */
  sendFramed(framed: Uint8Array): void {
    if (this.#closed) {
      discardFrameBlobs(framed);
      return;
    }
    const side = frameSides.get(framed);
    if (side !== undefined) {
      // Its buffers travel with this write: it goes alone, after what is coalesced.
      this.flush();
      this.#stream.write(framed, side);
      return;
    }
    if (framed.length >= _COALESCE_LIMIT) {
      this.flush();
      this.#stream.write(framed);
      return;
    }
    this.#pending.push(framed);
    this.#pendingBytes += framed.length;
    if (this.#pendingBytes >= _COALESCE_LIMIT) this.flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  /** Writes out anything coalesced so far. */
  flush(): void {
    this.#scheduled = false;
    const n = this.#pending.length;
    if (n === 0 || this.#closed) return;
    if (n === 1) this.#stream.write(this.#pending[0]);
    else {
      const out = new Uint8Array(this.#pendingBytes);
      let o = 0;
      for (const p of this.#pending) {
        out.set(p, o);
        o += p.length;
      }
      this.#stream.write(out);
    }
    this.#pending = [];
    this.#pendingBytes = 0;
    const batch = this.#batch;
    if (batch) {
      this.#batch = undefined;
      batch.resolve(this.#kernel());
    }
  }

  /**
   * Undefined when every frame sent so far is in the kernel, so it reaches the other side even if
   * this process dies next; else a promise that resolves once it is and rejects with EOFError if the
   * link closes first. Frames coalesced in this tick still leave together at its end (callers that
   * did not wait keep their batching); the promise then also waits for that write.
   */
  flushed(): Promise<void> | undefined {
    if (this.#closed) return Promise.reject(_lost());
    if (this.#pending.length === 0) return this.#kernel();
    if (!this.#batch) {
      let resolve!: (v: Promise<void> | undefined) => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.#batch = { promise, resolve, reject };
    }
    return this.#batch.promise;
  }

  #kernel(): Promise<void> | undefined {
    const f = this.#stream.flushed();
    return f?.catch(() => {
      throw _lost();
    });
  }

  /** Keep the process alive while something waits on this link (counted). */
  hold(): void {
    if (this.#refs++ === 0 && !this.#closed && !this.#unrefQueued) this.#stream.ref();
  }

  /**
   * Undo one {@linkcode hold}. The stream is unref'ed a microtask later, so a request that follows
   * the reply at once (a loop of calls) does not toggle the handle twice per call.
   */
  release(): void {
    if (--this.#refs === 0 && !this.#unrefQueued) {
      this.#unrefQueued = true;
      queueMicrotask(() => {
        this.#unrefQueued = false;
        if (this.#refs === 0 && !this.#closed) this.#stream.unref();
      });
    }
  }

  /** Closes the link (after flushing). */
  close(): void {
    if (this.#closed) return;
    this.flush();
    this.#stream.close();
    this.#finish();
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const f of this.#pending) discardFrameBlobs(f);
    this.#pending = [];
    const batch = this.#batch;
    this.#batch = undefined;
    batch?.reject(_lost());
    for (const cb of this.#onClose.splice(0)) {
      try {
        cb();
      } catch { /* a close handler must not break the others */ }
    }
  }
}

function _lost(): EOFError {
  return new EOFError("The connection closed before the message was sent");
}
