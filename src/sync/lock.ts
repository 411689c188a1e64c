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
import { REBUILD } from "../core/rebuild.ts";
import { type AcquireOptions, type LockBackend, pickBackend, type SyncState } from "./_backend.ts";
import { servedLock } from "./served.ts";
import { shmLock, shmRLock } from "./shm.ts";

export type { AcquireOptions };

let _backendOf: (l: LockBase) => LockBackend;

/**
 * The backend of a Lock or RLock, for `Condition`. @internal
 * @param l The lock.
 * @returns Its backend.
 */
export function lockBackendOf(l: LockBase): LockBackend {
  return _backendOf(l);
}

/**
 * What `Lock` and `RLock` share: the backend, picked once (`sync/_backend.ts`), and `acquire`,
 * `release`, `locked` and `hold`, forwarded to it. They differ only in which backend (`_kind`).
 * @internal Exported to users as {@linkcode Lock} and `RLock`.
 */
export abstract class LockBase {
  #b: LockBackend;

  static {
    _backendOf = (l) => l.#b;
  }

  /** Creates an unlocked lock. */
  constructor();
  /** @internal */
  constructor(tag: typeof REBUILD, state: SyncState);
  constructor(tag?: typeof REBUILD, state?: SyncState) {
    const kind = this._kind;
    const shm = kind === "Lock" ? shmLock : shmRLock;
    this.#b = pickBackend(tag === REBUILD ? state : undefined, shm, (ref) => servedLock(kind, ref));
  }

  /** Which lock this is (`RLock` overrides it). @internal */
  get _kind(): "Lock" | "RLock" {
    return "Lock";
  }

  /**
   * Acquires the lock, waiting (by default) until it is free; an RLock is acquired at once when the
   * calling task already owns it.
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
   * Releases once: a Lock may be released by any process or task, an RLock only by the task that
   * owns it.
   * @throws {StateError} If it is not locked, or (RLock) the calling task does not own it (rejects).
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
   * Whether any task holds the lock.
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
   * @param options As for {@linkcode LockBase.acquire}.
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

/**
 * Lets a lock class travel by reference: it carries its backend's state, and the receiving process
 * rebuilds the lock on it (see `core/rebuild.ts`). @internal
 * @param cls `Lock` or `RLock`.
 * @param kind Its name, for the tag.
 * @param module The URL of the module that defines `cls` (a receiving process imports it).
 */
export function registerLock(
  cls: new (tag: typeof REBUILD, state: SyncState) => LockBase,
  kind: "Lock" | "RLock",
  module: string,
): void {
  registerType<LockBase>({
    tag: `multiproc.${kind}`,
    cls,
    module,
    reduce: (l): SyncState => _backendOf(l).state(),
    rebuild: (s) => new cls(REBUILD, s as SyncState),
  });
}

/**
 * A non-recursive lock shared by processes and async tasks: Python's `multiprocessing.Lock`, with
 * `acquire`, `release`, `locked` and `hold` (see `LockBase`). Any process may release it. If a
 * process dies while holding it, it stays held (as in Python); a timed-out `hold()` names the
 * holder's pid and whether it has exited.
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
export class Lock extends LockBase {
  static {
    registerLock(Lock, "Lock", import.meta.url);
  }
}
