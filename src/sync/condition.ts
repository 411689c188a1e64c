/**
 * `Condition`, over shared memory or served (see `sync/lock.ts`): it takes the path of its lock,
 * whose backend makes the Condition's (`LockBackend.condition()`).
 *
 * @module
 */
import { registerType } from "../channel/codec.ts";
import type { AcquireOptions, ConditionBackend, SyncState } from "./_backend.ts";
import { REBUILD } from "../core/rebuild.ts";
import { Lock, lockBackendOf } from "./lock.ts";
import { RLock } from "./rlock.ts";
import { servedCondition } from "./served.ts";

/** What a Condition reference carries: its lock, and its backend's state. */
interface _ConditionRef {
  l: Lock | RLock;
  st: SyncState;
}

/**
 * A condition variable: Python's `multiprocessing.Condition`. `wait()` releases the lock, waits for
 * a `notify`, and re-acquires it; `notify(n)` wakes exactly `n` waiters (fewer if fewer wait).
 * Waiting and notifying need the lock (else `StateError`).
 *
 * @example
 * ```ts
 * import { Condition } from "multiproc";
 * const cond = new Condition();
 * let ready = false;
 * setTimeout(async () => { await using _ = await cond.hold(); ready = true; await cond.notifyAll(); }, 10);
 * await using _ = await cond.hold();
 * await cond.waitFor(() => ready, 1000);
 * ```
 */
export class Condition {
  #lock: Lock | RLock;
  #b: ConditionBackend;

  static {
    registerType<Condition>({
      tag: "multiproc.Condition",
      cls: Condition,
      reduce: (c) => ({ l: c.#lock, st: c.#b.state() }),
      rebuild: (s) => new Condition(REBUILD, s as _ConditionRef),
    });
  }

  /**
   * Creates a condition variable over `lock`.
   * @param lock The lock to use (default: a new RLock).
   * @throws {TypeError} If `lock` is not a Lock or RLock of this library.
   */
  constructor(lock?: Lock | RLock);
  /** @internal */
  constructor(tag: typeof REBUILD, state: _ConditionRef);
  constructor(lockOrTag?: Lock | RLock | typeof REBUILD, state?: _ConditionRef) {
    const lock = lockOrTag === REBUILD ? state!.l : lockOrTag;
    if (lock !== undefined && !(lock instanceof Lock) && !(lock instanceof RLock)) {
      throw new TypeError("Condition(lock) needs a Lock or RLock from multiproc");
    }
    this.#lock = lock ?? new RLock();
    const at = lockOrTag === REBUILD ? state!.st : undefined;
    this.#b = at && "r" in at ? servedCondition(at.r) : lockBackendOf(this.#lock).condition(at);
  }

  /**
   * Acquires the underlying lock.
   * @param options As for `Lock.acquire`.
   * @returns true when acquired.
   * @example
   * ```ts
   * await cond.acquire();
   * ```
   */
  acquire(options?: AcquireOptions): Promise<boolean> {
    return this.#b.acquire(options);
  }
  /**
   * Releases the underlying lock.
   * @throws {StateError} As the lock's `release()` (rejects).
   * @example
   * ```ts
   * await cond.release();
   * ```
   */
  release(): Promise<void> {
    return this.#b.release();
  }
  /**
   * Acquires the lock and resolves to a handle whose disposal releases it.
   * @param options As for `Lock.acquire`.
   * @returns The handle.
   * @throws {TimeoutError} If it could not be acquired (rejects).
   * @example
   * ```ts
   * await using _ = await cond.hold();
   * ```
   */
  hold(options?: AcquireOptions): Promise<AsyncDisposable> {
    return this.#b.hold(options);
  }

  /**
   * Releases the lock, waits for a notification, then re-acquires the lock.
   * @param timeout Longest wait in ms (default: no limit; negative = 0).
   * @returns true when notified, false when the time ran out.
   * @throws {StateError} If the calling task does not hold the lock (rejects).
   * @example
   * ```ts
   * await using _ = await cond.hold();
   * await cond.wait(100);
   * ```
   */
  wait(timeout?: number): Promise<boolean> {
    return this.#b.wait(timeout);
  }

  /**
   * Waits until `predicate()` is truthy, checking it first and after each notification (lock held).
   * @param predicate The condition to wait for.
   * @param timeout Longest total wait in ms (default: no limit).
   * @returns The predicate's last result, as a boolean.
   * @throws {StateError} If the calling task does not hold the lock (rejects).
   * @example
   * ```ts
   * await cond.waitFor(() => queue.length > 0, 1000);
   * ```
   */
  waitFor(predicate: () => boolean | Promise<boolean>, timeout?: number): Promise<boolean> {
    return this.#b.waitFor(predicate, timeout);
  }

  /**
   * Wakes up to `n` waiters (default 1), oldest first; exactly `n` when that many wait.
   * @param n How many.
   * @throws {StateError} If the calling task does not hold the lock (rejects).
   * @throws {RangeError} If `n` is not a non-negative integer (rejects).
   * @example
   * ```ts
   * await cond.notify(2);
   * ```
   */
  notify(n = 1): Promise<void> {
    return this.#b.notify(n);
  }

  /**
   * Wakes every waiter.
   * @throws {StateError} If the calling task does not hold the lock (rejects).
   * @example
   * ```ts
   * await cond.notifyAll();
   * ```
   */
  notifyAll(): Promise<void> {
    return this.#b.notifyAll();
  }
}
