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
 */
class _NamedError extends Error {
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    Object.defineProperty(this, "name", { value: new.target.name, writable: true, configurable: true, enumerable: false });
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

/** The other end of a {@linkcode Connection} was closed and nothing is left to read. */
export class EOFError extends _NamedError {}

/** The buffer given to `recvBytesInto` is too small; `data` carries the whole message. */
export class BufferTooShort extends _NamedError {
  /** The complete message that did not fit. */
  readonly data: Uint8Array;
  /**
   * @param message What went wrong.
   * @param data The complete message that did not fit.
   */
  constructor(message: string, data: Uint8Array) {
    super(message);
    this.data = data;
  }
}

/** A non-blocking or timed `get` found the queue empty. */
export class Empty extends _NamedError {}

/** A non-blocking or timed `put` found the queue full. */
export class Full extends _NamedError {}

/** A {@linkcode Barrier} was aborted, reset or timed out while parties were waiting. */
export class BrokenBarrierError extends _NamedError {}

/** A timed operation ran out of time. */
export class TimeoutError extends _NamedError {}

/** The pool worker running a task died before it reported a result. */
export class WorkerLostError extends _NamedError {
  /** The worker's exit code (`-N` for signal N), when known. */
  exitCode?: number | null;
}

/** A worker of a {@linkcode ProcessPoolExecutor} died; the pool can no longer be used. */
export class BrokenProcessPool extends _NamedError {}

/** A peer failed to prove it holds the authentication key. */
export class AuthenticationError extends _NamedError {}

/** An error raised in another process whose class is not known here; keeps the remote class name. */
export class RemoteError extends _NamedError {
  /** The class name of the error in the process that raised it. */
  remoteName?: string;
}

/** The future or task was cancelled before it ran. */
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
