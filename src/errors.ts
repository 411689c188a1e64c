/**
 * Every error class the library throws or rejects with. Each is named after its class, and every
 * process that loads the library can rebuild each of them by name: an error keeps its class and
 * `name` across any process boundary.
 *
 * @module
 */
import { registerErrorClass } from "./channel/_codec_errors.ts";

/**
 * Base for the library's own errors: named after the concrete class (a user's subclass too).
 * The constructor sets `name` as an own property (Bun builds the stack's first line from it);
 * the prototype's getter names an error rebuilt in another process, which is created without
 * running its constructor (like pickle).
 *
 * @internal Each exported error is documented as an `Error` subclass; this base is not exported.
 */
class _NamedError extends Error {
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    Object.defineProperty(this, "name", {
      value: new.target.name,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
}

Object.defineProperty(_NamedError.prototype, "name", {
  get(this: Error): string {
    const ctor = Object.getPrototypeOf(this)?.constructor;
    return typeof ctor === "function" && typeof ctor.name === "string" && ctor.name !== "" ? ctor.name : "Error";
  },
  set(this: Error, value: unknown) {
    Object.defineProperty(this, "name", { value, writable: true, configurable: true, enumerable: false });
  },
  enumerable: false,
  configurable: true,
});

/**
 * The operation is not allowed in the object's current state (start twice, use after close, ...).
 *
 * @example
 * ```ts
 * import { StateError } from "multiproc";
 * const e = new StateError("Process is closed");
 * console.log(e.name); // "StateError"
 * ```
 */
export class StateError extends _NamedError {}

/**
 * The other end of a {@linkcode Connection} was closed and nothing is left to read.
 *
 * @example
 * ```ts
 * import { EOFError, Pipe } from "multiproc";
 * import assert from "node:assert/strict";
 * const [a, b] = Pipe();
 * await b.send("last words");
 * b.close();
 * assert.equal(await a.recv(), "last words"); // what was sent before close() is still read
 * await assert.rejects(a.recv(), EOFError);
 * a.close();
 * ```
 */
export class EOFError extends _NamedError {}

/**
 * The buffer given to `recvBytesInto` is too small; `data` carries the whole message.
 *
 * @example
 * ```ts
 * import { BufferTooShort, Pipe } from "multiproc";
 * import assert from "node:assert/strict";
 * const [a, b] = Pipe();
 * await b.sendBytes(new Uint8Array([1, 2, 3, 4]));
 * const err = await a.recvBytesInto(new Uint8Array(2)).catch((e) => e);
 * assert.ok(err instanceof BufferTooShort);
 * assert.deepEqual([...err.data], [1, 2, 3, 4]); // the message is not lost
 * a.close();
 * b.close();
 * ```
 */
export class BufferTooShort extends _NamedError {
  /** The complete message that did not fit. */
  readonly data: Uint8Array;
  /**
   * Creates the error; the library throws it from `recvBytesInto`.
   * @param message What went wrong.
   * @param data The complete message that did not fit.
   */
  constructor(message: string, data: Uint8Array) {
    super(message);
    this.data = data;
  }
}

/**
 * A non-blocking or timed `get` found the queue empty.
 *
 * @example
 * ```ts
 * import { Empty, Queue } from "multiproc";
 * import assert from "node:assert/strict";
 * const q = new Queue<number>();
 * await assert.rejects(q.getNowait(), Empty);
 * await assert.rejects(q.get({ timeout: 20 }), Empty);
 * q.close();
 * ```
 */
export class Empty extends _NamedError {}

/**
 * A non-blocking or timed `put` found the queue full.
 *
 * @example
 * ```ts
 * import { Full, Queue } from "multiproc";
 * import assert from "node:assert/strict";
 * const q = new Queue<number>(1); // maxsize 1
 * await q.put(1);
 * await assert.rejects(q.putNowait(2), Full);
 * await assert.rejects(q.put(2, { timeout: 20 }), Full);
 * q.close();
 * ```
 */
export class Full extends _NamedError {}

/**
 * A {@linkcode Barrier} was aborted, reset or timed out while parties were waiting.
 *
 * @example
 * ```ts
 * import { Barrier, BrokenBarrierError } from "multiproc";
 * import assert from "node:assert/strict";
 * const barrier = new Barrier(2);
 * await assert.rejects(barrier.wait(20), BrokenBarrierError); // the second party never came
 * assert.equal(await barrier.broken(), true);
 * await barrier.reset(); // usable again
 * ```
 */
export class BrokenBarrierError extends _NamedError {}

/**
 * A timed operation ran out of time.
 *
 * @example
 * ```ts
 * import { Lock, TimeoutError } from "multiproc";
 * import assert from "node:assert/strict";
 * const lock = new Lock();
 * await lock.acquire();
 * await assert.rejects(lock.hold({ timeout: 20 }), TimeoutError); // held by us: not reentrant
 * await lock.release();
 * ```
 */
export class TimeoutError extends _NamedError {}

/**
 * The pool worker running a task died before it reported a result.
 *
 * @example
 * ```ts
 * import { exit, isMainProcess, Pool, WorkerLostError } from "multiproc";
 * import assert from "node:assert/strict";
 * export function quit(code: number) { exit(code); }
 * export function square(x: number) { return x * x; }
 * if (isMainProcess(import.meta)) {
 *   await using pool = new Pool(1);
 *   const err = await pool.apply(quit, [7]).catch((e) => e);
 *   assert.ok(err instanceof WorkerLostError);
 *   assert.equal(err.exitCode, 7);
 *   assert.equal(await pool.apply(square, [3]), 9); // the worker was replaced
 * }
 * ```
 */
export class WorkerLostError extends _NamedError {
  /** The worker's exit code (`-N` for signal N), when known. */
  exitCode?: number | null;
}

/**
 * A worker of a {@linkcode ProcessPoolExecutor} died, or its initializer threw; the pool can no
 * longer be used.
 *
 * @example
 * ```ts
 * import { BrokenProcessPool, isMainProcess, ProcessPoolExecutor } from "multiproc";
 * import assert from "node:assert/strict";
 * export function connect() { throw new Error("no database"); }
 * export function square(x: number) { return x * x; }
 * if (isMainProcess(import.meta)) {
 *   await using ex = new ProcessPoolExecutor({ maxWorkers: 1, initializer: connect });
 *   await assert.rejects(ex.submit(square, 2).result(), BrokenProcessPool);
 *   assert.throws(() => ex.submit(square, 3), BrokenProcessPool);
 * }
 * ```
 */
export class BrokenProcessPool extends _NamedError {}

/**
 * A peer failed to prove it holds the authentication key. Connections that fail the handshake
 * are closed by the library; you meet this class when it travels as a value.
 *
 * @example
 * ```ts
 * import { AuthenticationError } from "multiproc";
 * import assert from "node:assert/strict";
 * const e = new AuthenticationError("The peer did not answer the challenge");
 * assert.ok(e instanceof Error);
 * assert.equal(e.name, "AuthenticationError");
 * ```
 */
export class AuthenticationError extends _NamedError {}

/**
 * An error that stands for one raised in another process, with that error's class name in
 * `remoteName`. The library does not throw it itself: an error whose class is unknown to the
 * receiving process arrives as an `Error` whose `name` is the remote class's name.
 *
 * @example
 * ```ts
 * import { RemoteError } from "multiproc";
 * import assert from "node:assert/strict";
 * const e = new RemoteError("Query failed in the worker");
 * e.remoteName = "DatabaseError";
 * assert.equal(e.name, "RemoteError");
 * ```
 */
export class RemoteError extends _NamedError {
  /** The class name of the error in the process that raised it. */
  remoteName?: string;
}

/**
 * The future or task was cancelled before it ran.
 *
 * @example
 * ```ts
 * import { CancelledError, isMainProcess, ProcessPoolExecutor } from "multiproc";
 * import assert from "node:assert/strict";
 * export function nap(ms: number) { return new Promise((r) => setTimeout(r, ms)); }
 * if (isMainProcess(import.meta)) {
 *   await using ex = new ProcessPoolExecutor({ maxWorkers: 1 });
 *   const running = ex.submit(nap, 100);
 *   const queued = ex.submit(nap, 100); // waits for the only worker
 *   assert.equal(queued.cancel(), true);
 *   await assert.rejects(queued.result(), CancelledError);
 *   await running.result();
 * }
 * ```
 */
export class CancelledError extends _NamedError {}

for (
  const cls of [
    StateError,
    EOFError,
    BufferTooShort,
    Empty,
    Full,
    BrokenBarrierError,
    TimeoutError,
    WorkerLostError,
    BrokenProcessPool,
    AuthenticationError,
    RemoteError,
    CancelledError,
  ]
) registerErrorClass(cls);
