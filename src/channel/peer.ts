/**
 * Request/response and one-way messages multiplexed over one authenticated {@linkcode Link}.
 * Either side may call the other. Messages are codec-encoded arrays:
 *
 * - `[0, id, target, method, args]` request · `[1, id, value]` result · `[2, id, error]` failure
 * - `[3, target, method, args]` notification (no reply)
 *
 * `target` names an object served by the receiving process; `dispatch` resolves it.
 *
 * @module
 */
import { decode, decodeError, encodeError, encodeFrame, isUnknownTypeError, loadMissingTypes } from "./codec.ts";
import type { Link } from "./link.ts";
import { EOFError } from "../errors.ts";

/** Runs an incoming request or notification; may return a Promise. */
export type Dispatch = (peer: Peer, target: string, method: string, args: unknown[]) => unknown;

interface _Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  hold: boolean;
}

/** One side of a multiplexed RPC link to another process. */
export class Peer {
  /** The remote process's pid (0 until known). */
  pid: number;
  #link: Link;
  #dispatch: Dispatch;
  #nextId = 1;
  #pending = new Map<number, _Pending>();
  #onClose: Array<() => void> = [];
  #stalled: Uint8Array[] | undefined;

  /**
   * @param link An authenticated link.
   * @param dispatch Handles what the other side asks of us.
   * @param pid The other side's pid.
   */
  constructor(link: Link, dispatch: Dispatch, pid: number) {
    this.#link = link;
    this.#dispatch = dispatch;
    this.pid = pid;
    link.onClose(() => this.#closed());
    link.onFrame((f) => this.#receive(f));
  }

  /** Whether the link is gone. */
  get closed(): boolean {
    return this.#link.closed;
  }

  /**
   * Calls `method` on `target` in the other process.
   * @param hold Keep this process alive while the call is pending (default true).
   */
  request(target: string, method: string, args: unknown[], hold = true): Promise<unknown> {
    if (this.#link.closed) return Promise.reject(new EOFError(`Lost the connection to process ${this.pid}`));
    const id = this.#nextId++;
    const bytes = encodeFrame([0, id, target, method, args]);
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, hold });
      if (hold) this.#link.hold();
      this.#link.sendFramed(bytes);
    });
  }

  /** Sends a one-way message; throws TypeError if `args` cannot be sent. */
  notify(target: string, method: string, args: unknown[]): void {
    this.#link.sendFramed(encodeFrame([3, target, method, args]));
  }

  /** Sends raw already-encoded bytes as one frame (see {@linkcode encodeNotify}). */
  sendEncoded(bytes: Uint8Array): void {
    this.#link.send(bytes);
  }

  /**
   * Undefined when everything sent so far is in the kernel (it reaches the other process even if
   * this one dies next); else a promise that resolves once it is, or rejects with EOFError when the
   * link closes first. See `Link.flushed`.
   */
  flushed(): Promise<void> | undefined {
    return this.#link.flushed();
  }

  /** Writes out the frames queued so far now instead of at the end of the tick. */
  flush(): void {
    this.#link.flush();
  }

  /** Runs `cb` when the link closes (at once if closed). */
  onClose(cb: () => void): void {
    if (this.#link.closed) cb();
    else this.#onClose.push(cb);
  }

  /** Keeps the process alive until {@linkcode release}. */
  hold(): void {
    this.#link.hold();
  }

  /** Undoes one {@linkcode hold}. */
  release(): void {
    this.#link.release();
  }

  /** Closes the link; pending calls reject with EOFError. */
  close(): void {
    this.#link.close();
  }

  #receive(frame: Uint8Array): void {
    if (this.#stalled) {
      this.#stalled.push(frame);
      return;
    }
    let msg: unknown[];
    try {
      msg = decode(frame) as unknown[];
      if (!Array.isArray(msg)) throw new TypeError("message is not an array");
    } catch (e) {
      const loading = isUnknownTypeError(e) ? loadMissingTypes() : undefined;
      if (loading) {
        // Load the library's other types, then go on with this frame and the ones behind it.
        const stalled: Uint8Array[] = (this.#stalled = [frame.slice()]);
        this.#link.hold();
        loading.finally(() => {
          this.#link.release();
          this.#stalled = undefined;
          for (const f of stalled) this.#receive(f);
        });
        return;
      }
      // A peer that sends garbage is broken or hostile: drop it, keep serving everyone else.
      this.#link.close();
      return;
    }
    switch (msg[0]) {
      case 0:
        this.#serve(msg[1] as number, String(msg[2]), String(msg[3]), msg[4] as unknown[]);
        return;
      case 1:
      case 2: {
        const p = this.#pending.get(msg[1] as number);
        if (!p) return;
        this.#pending.delete(msg[1] as number);
        if (p.hold) this.#link.release();
        if (msg[0] === 1) p.resolve(msg[2]);
        else p.reject(decodeError(msg[2]));
        return;
      }
      case 3:
        try {
          const r = this.#dispatch(this, String(msg[1]), String(msg[2]), Array.isArray(msg[3]) ? msg[3] : []);
          if (r instanceof Promise) r.catch(() => {});
        } catch { /* a notification has no one to report to */ }
        return;
      default:
        this.#link.close();
    }
  }

  #serve(id: number, target: string, method: string, args: unknown[]): void {
    let result: unknown;
    try {
      result = this.#dispatch(this, target, method, Array.isArray(args) ? args : []);
    } catch (e) {
      this.#reply(id, false, e);
      return;
    }
    if (result instanceof Promise) {
      result.then((v) => this.#reply(id, true, v), (e) => this.#reply(id, false, e));
    } else this.#reply(id, true, result);
  }

  #reply(id: number, ok: boolean, value: unknown): void {
    if (this.#link.closed) return;
    let bytes: Uint8Array;
    try {
      bytes = ok ? encodeFrame([1, id, value]) : encodeFrame([2, id, encodeError(value)]);
    } catch (e) {
      bytes = encodeFrame([2, id, encodeError(e)]);
    }
    this.#link.sendFramed(bytes);
  }

  #closed(): void {
    const err = () => new EOFError(`Lost the connection to process ${this.pid}`);
    for (const p of this.#pending.values()) p.reject(err());
    this.#pending.clear();
    for (const cb of this.#onClose.splice(0)) {
      try {
        cb();
      } catch { /* keep going */ }
    }
  }
}
