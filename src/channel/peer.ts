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
import {
  decodeError,
  decodeFrame,
  encodeError,
  encodeFrame,
  type ErrorRecord,
  isUnknownTypeError,
  loadMissingTypes,
} from "./codec.ts";
import type { Link } from "./link.ts";
import { frameSides } from "./port_buffers.ts";
import { EOFError } from "../errors.ts";

/** Runs an incoming request or notification; may return a Promise. */
export type Dispatch = (peer: Peer, target: string, method: string, args: unknown[]) => unknown;

/** A request id as the sender makes them: a safe non-negative integer. */
function _isId(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

/** The error record sent when neither a result nor its error could be encoded. */
const _UNSENDABLE_REPLY: ErrorRecord = {
  name: "Error",
  message: "The reply could not be encoded for sending",
  stack: undefined,
  props: {},
};

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
  #closeDeferred = false;
  #broken = false;
  #toThread: boolean;

  /**
   * @param link An authenticated link.
   * @param dispatch Handles what the other side asks of us.
   * @param pid The other side's pid.
   * @param toThread The other side is a thread of this process: binary data travels beside the
   *   frames (moved or shared), see `port_buffers.ts`.
   */
  constructor(link: Link, dispatch: Dispatch, pid: number, toThread = false) {
    this.#toThread = toThread;
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
    const bytes = encodeFrame([0, id, target, method, args], this.#toThread);
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, hold });
      if (hold) this.#link.hold();
      this.#link.sendFramed(bytes);
    });
  }

  /** Sends a one-way message; throws TypeError if `args` cannot be sent. */
  notify(target: string, method: string, args: unknown[]): void {
    this.#link.sendFramed(encodeFrame([3, target, method, args], this.#toThread));
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
    if (this.#broken) return;
    if (this.#stalled) {
      // Copied: the stream may reuse the bytes under this view before the types have loaded.
      const copy = frame.slice();
      const side = frameSides.get(frame);
      if (side !== undefined) frameSides.set(copy, side);
      this.#stalled.push(copy);
      return;
    }
    let msg: unknown;
    try {
      msg = decodeFrame(frame);
    } catch (e) {
      const loading = isUnknownTypeError(e) ? loadMissingTypes() : undefined;
      if (loading) this.#stall(frame, loading);
      else this.#protocolError();
      return;
    }
    try {
      if (!this.#handle(msg)) this.#protocolError();
    } catch {
      // Only a bug of ours can get here (the handlers catch what dispatch throws): drop the link
      // rather than let the exception escape into the stream's data callback.
      this.#protocolError();
    }
  }

  /**
   * Acts on one decoded message; false when it is not a well-formed message. The shape is checked
   * before anything is used: a peer holding the key may still be buggy or hostile, and one bad
   * message must cost only its own link.
   */
  #handle(msg: unknown): boolean {
    if (!Array.isArray(msg)) return false;
    switch (msg[0]) {
      case 0: {
        const [, id, target, method, args] = msg;
        if (
          msg.length !== 5 || !_isId(id) || typeof target !== "string" || typeof method !== "string" ||
          !Array.isArray(args)
        ) return false;
        this.#serve(id, target, method, args);
        return true;
      }
      case 1:
      case 2: {
        const id = msg[1];
        if (msg.length !== 3 || !_isId(id)) return false;
        const p = this.#pending.get(id);
        if (!p) return true; // a late answer to a call we gave up on
        let error: Error | undefined;
        if (msg[0] === 2) {
          try {
            error = decodeError(msg[2]);
          } catch {
            return false; // the call is still pending: closing the link rejects it with EOFError
          }
        }
        this.#pending.delete(id);
        if (p.hold) this.#link.release();
        if (error) p.reject(error);
        else p.resolve(msg[2]);
        return true;
      }
      case 3: {
        const [, target, method, args] = msg;
        if (msg.length !== 4 || typeof target !== "string" || typeof method !== "string" || !Array.isArray(args)) {
          return false;
        }
        try {
          const r = this.#dispatch(this, target, method, args);
          if (r instanceof Promise) r.catch(() => {});
        } catch { /* a notification has no one to report to */ }
        return true;
      }
      default:
        return false;
    }
  }

  /** Holds `frame` and the frames behind it until the library's other types have loaded. */
  #stall(frame: Uint8Array, loading: Promise<void>): void {
    const stalled: Uint8Array[] = (this.#stalled = [frame.slice()]);
    this.#link.hold();
    const replay = () => {
      this.#link.release();
      this.#stalled = undefined;
      // #receive never throws, so nothing can escape into this promise chain.
      for (const f of stalled) this.#receive(f);
      // A close that came while frames waited runs only now, after them: a pipe reader must get
      // the last messages before EOF.
      if (this.#closeDeferred) this.#closed();
    };
    loading.then(replay, replay);
  }

  /** A malformed message: drop this link (its pending calls reject with EOFError), keep serving the others. */
  #protocolError(): void {
    this.#broken = true;
    // Frames that will never be handled still own blob files: reading them removes them.
    for (const f of this.#stalled ?? []) {
      try {
        decodeFrame(f);
      } catch { /* what it could not read stays for the tree's exit sweep */ }
    }
    this.#stalled = undefined;
    this.#link.close();
  }

  #serve(id: number, target: string, method: string, args: unknown[]): void {
    let result: unknown;
    try {
      result = this.#dispatch(this, target, method, args);
    } catch (e) {
      this.#reply(id, false, e);
      return;
    }
    if (result instanceof Promise) {
      result.then((v) => this.#reply(id, true, v), (e) => this.#reply(id, false, e));
    } else this.#reply(id, true, result);
  }

  /** Sends a result or an error; never throws (it runs in promise callbacks and the data callback). */
  #reply(id: number, ok: boolean, value: unknown): void {
    if (this.#link.closed) return;
    let bytes: Uint8Array;
    try {
      bytes = ok
        ? encodeFrame([1, id, value], this.#toThread)
        : encodeFrame([2, id, encodeError(value)], this.#toThread);
    } catch (e) {
      // The result could not be sent (a function inside, say): the caller gets that as the error.
      try {
        bytes = encodeFrame([2, id, encodeError(e)]);
      } catch {
        bytes = encodeFrame([2, id, _UNSENDABLE_REPLY]);
      }
    }
    this.#link.sendFramed(bytes);
  }

  #closed(): void {
    if (this.#stalled) {
      this.#closeDeferred = true;
      return;
    }
    this.#closeDeferred = false;
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
