/**
 * `RLock`: Python's `multiprocessing.RLock`, over shared memory or served (see `sync/lock.ts`).
 *
 * @module
 */
import { LockBase, registerLock } from "./lock.ts";

/**
 * A re-entrant lock: Python's `multiprocessing.RLock`, with `acquire`, `release`, `locked` and
 * `hold` (see `LockBase`). It is owned by the async task that acquired it (see the module doc of
 * `sync/served/owner.ts` for what a task is); the owner may acquire it again, and must release it
 * as often; a release by any other task or process throws.
 *
 * @example
 * ```ts
 * import { RLock } from "multiproc";
 * const r = new RLock();
 * await r.acquire();
 * await r.acquire(); // re-entrant
 * await r.release();
 * await r.release();
 * ```
 */
export class RLock extends LockBase {
  static {
    registerLock(RLock, "RLock", import.meta.url);
  }
  /** Which lock this is. @internal */
  override get _kind(): "RLock" {
    return "RLock";
  }
}
