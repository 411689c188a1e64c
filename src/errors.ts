/**
 * Every error class the library throws or rejects with. Each sets `name` to its class name so that
 * errors stay recognisable after they cross a process boundary.
 *
 * @module
 */

/** Base for the library's own errors: sets `name` from the concrete class. */
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
