/**
 * Keeps this process alive while something of its own waits on work only other processes can
 * finish: a `recv` on a pipe whose writer is in another process, a `get` on a queue this process
 * created, a served lock's waiter, the outstanding tasks of a pool and a pool's `join()`, a
 * `Manager.start()`. Nothing else would: a pending promise does not keep a JS event loop running,
 * while Python's blocking `recv()` does keep its process. One counted timer serves every holder.
 *
 * @module
 */

let _count = 0;
let _timer: ReturnType<typeof setInterval> | undefined;

/**
 * Starts holding the process alive; call {@linkcode releaseAlive} once for each call.
 * @example
 * ```ts
 * import { holdAlive, releaseAlive } from "./hold_alive.ts";
 * holdAlive();
 * setTimeout(releaseAlive, 10);
 * ```
 */
export function holdAlive(): void {
  if (_count++ === 0) _timer = setInterval(() => {}, 1 << 30);
}

/** Undoes one {@linkcode holdAlive}. */
export function releaseAlive(): void {
  if (_count > 0 && --_count === 0) {
    clearInterval(_timer);
    _timer = undefined;
  }
}
