/**
 * `RLock`: Python's `multiprocessing.RLock`, over shared memory or served (see `sync/lock.ts`).
 *
 * @module
 */
import { registerType } from "../channel/codec.ts";
import { type AcquireOptions, type LockBackend, pickBackend, type SyncState } from "./_backend.ts";
import { servedLock } from "./served.ts";
import { shmRLock } from "./shm.ts";

const _REBUILD = Symbol("rebuild");

let _backendOf: (l: RLock) => LockBackend;

/**
 * The backend of a re-entrant lock, for `Condition`. @internal
 * @param l The lock.
 * @returns Its backend.
 */
export function rlockBackendOf(l: RLock): LockBackend {
  return _backendOf(l);
}

/**
 * A re-entrant lock: Python's `multiprocessing.RLock`. It is owned by the async task that acquired
 * it (see the module doc of `sync/served/owner.ts` for what a task is); the owner may acquire it
 * again, and must release it as often; a release by any other task or process throws.
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
export class RLock {
  #b: LockBackend;

  static {
    _backendOf = (l) => l.#b;
    registerType<RLock>({
      tag: "multiproc.RLock",
      cls: RLock,
      reduce: (l): SyncState => l.#b.state(),
      rebuild: (s) => new RLock(_REBUILD, s as SyncState),
    });
  }

  /** Creates an unlocked re-entrant lock. */
  constructor();
  /** @internal */
  constructor(tag: symbol, state: SyncState);
  constructor(tag?: symbol, state?: SyncState) {
    this.#b = pickBackend(tag === _REBUILD ? state : undefined, shmRLock, (ref) => servedLock("RLock", ref));
  }

  /**
   * Acquires for the calling task (at once when it already owns it).
   * @param options `block: false` answers at once; `timeout` in ms (negative = 0).
   * @returns true when acquired, false when not.
   * @throws {TypeError} If an option has the wrong type (rejects).
   * @example
   * ```ts
   * await r.acquire({ timeout: 100 });
   * ```
   */
  acquire(options?: AcquireOptions): Promise<boolean> {
    return this.#b.acquire(options);
  }

  /**
   * Releases once.
   * @throws {StateError} If it is unlocked or the calling task does not own it (rejects).
   * @example
   * ```ts
   * await r.release();
   * ```
   */
  release(): Promise<void> {
    return this.#b.release();
  }

  /**
   * Whether any task holds it.
   * @returns true while held.
   * @example
   * ```ts
   * console.log(await r.locked());
   * ```
   */
  locked(): Promise<boolean> {
    return this.#b.locked();
  }

  /**
   * Acquires and resolves to a handle whose disposal releases.
   * @param options As for {@linkcode RLock.acquire}.
   * @returns The handle.
   * @throws {TimeoutError} If it could not be acquired (rejects).
   * @example
   * ```ts
   * await using _ = await r.hold();
   * ```
   */
  hold(options?: AcquireOptions): Promise<AsyncDisposable> {
    return this.#b.hold(options);
  }
}
