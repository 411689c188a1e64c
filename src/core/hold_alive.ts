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

/** A timer that can stop holding the loop and hold it again (Node's and Bun's timers can). */
interface _Refable {
  ref(): unknown;
  unref(): unknown;
}

function _refable(t: unknown): t is _Refable {
  return typeof t === "object" && t !== null && typeof (t as _Refable).unref === "function" &&
    typeof (t as _Refable).ref === "function";
}

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
  if (_count++ !== 0) return;
  // A pipe's reader holds and releases once per message: where the runtime allows, the one
  // timer is kept and only ref'ed and unref'ed, which costs less than making it anew each time.
  if (_timer === undefined) _timer = setInterval(() => {}, 1 << 30);
  else if (_refable(_timer)) _timer.ref();
}

/** Undoes one {@linkcode holdAlive}. */
export function releaseAlive(): void {
  if (_count > 0 && --_count === 0) {
    if (_refable(_timer)) _timer.unref();
    else {
      clearInterval(_timer);
      _timer = undefined;
    }
  }
}
