/**
 * `Lock`: Python's `multiprocessing.Lock`, between processes (pass it to a child as an argument,
 * or inside one) and between async tasks of one process. The other primitives are in
 * `sync/rlock.ts`, `sync/semaphore.ts`, `sync/event.ts`, `sync/condition.ts` and `sync/barrier.ts`.
 *
 * Each primitive works over shared memory where it can (`sync/shm.ts`: every operation is a CAS on
 * a shared word and waiting sleeps on a futex without blocking the event loop). Where shared
 * memory is unavailable (Deno without `--allow-ffi`, Node without `koffi`, not Linux, or
 * `MULTIPROC_SHM=0`) the same classes are served over the channel by the process that created
 * them, with the same semantics (`sync/served.ts`). Which of the two is picked once, when the
 * object is made or arrives in a process (`sync/_backend.ts`).
 *
 * @module
 */
import { registerType } from "../channel/codec.ts";
import { type AcquireOptions, type LockBackend, pickBackend, type SyncState } from "./_backend.ts";
import { servedLock } from "./served.ts";
import { shmLock } from "./shm.ts";

export type { AcquireOptions };

const _REBUILD = Symbol("rebuild");

let _backendOf: (l: Lock) => LockBackend;

/**
 * The backend of a lock, for `Condition`. @internal
 * @param l The lock.
 * @returns Its backend.
 */
export function lockBackendOf(l: Lock): LockBackend {
  return _backendOf(l);
}

/**
 * A non-recursive lock shared by processes and async tasks: Python's `multiprocessing.Lock`.
 * Any process may release it. If a process dies while holding it, it stays held (as in Python);
 * a timed-out `hold()` names the holder's pid and whether it has exited.
 *
 * @example
 * ```ts
 * import { Lock } from "multiproc";
 * const lock = new Lock();
 * {
 *   await using _ = await lock.hold();
 *   // critical section
 * }
 * console.log(await lock.acquire({ timeout: 100 })); // true
 * await lock.release();
 * ```
 */
export class Lock {
  #b: LockBackend;

  static {
    _backendOf = (l) => l.#b;
    registerType<Lock>({
      tag: "multiproc.Lock",
      cls: Lock,
      reduce: (l): SyncState => l.#b.state(),
      rebuild: (s) => new Lock(_REBUILD, s as SyncState),
    });
  }

  /** Creates an unlocked lock. */
  constructor();
  /** @internal */
  constructor(tag: symbol, state: SyncState);
  constructor(tag?: symbol, state?: SyncState) {
    this.#b = pickBackend(tag === _REBUILD ? state : undefined, shmLock, (ref) => servedLock("Lock", ref));
  }

  /**
   * Acquires the lock, waiting (by default) until it is free.
   * @param options `block: false` answers at once (and ignores `timeout`); `timeout` in ms (negative = 0).
   * @returns true when acquired; false when not acquired (non-blocking, or timed out).
   * @throws {TypeError} If an option has the wrong type (rejects).
   * @example
   * ```ts
   * if (await lock.acquire({ timeout: 50 })) await lock.release();
   * ```
   */
  acquire(options?: AcquireOptions): Promise<boolean> {
    return this.#b.acquire(options);
  }

  /**
   * Releases the lock (any process or task may).
   * @throws {StateError} If it is not locked (rejects).
   * @example
   * ```ts
   * await lock.acquire();
   * await lock.release();
   * ```
   */
  release(): Promise<void> {
    return this.#b.release();
  }

  /**
   * Whether anyone holds the lock.
   * @returns true while held.
   * @example
   * ```ts
   * console.log(await lock.locked());
   * ```
   */
  locked(): Promise<boolean> {
    return this.#b.locked();
  }

  /**
   * Acquires and resolves to a handle whose disposal releases: `await using _ = await lock.hold()`.
   * @param options As for {@linkcode Lock.acquire}.
   * @returns The handle.
   * @throws {TimeoutError} If it could not be acquired; the message names the holder's pid (rejects).
   * @example
   * ```ts
   * await using _ = await lock.hold({ timeout: 1000 });
   * ```
   */
  hold(options?: AcquireOptions): Promise<AsyncDisposable> {
    return this.#b.hold(options);
  }
}
