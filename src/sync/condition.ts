/**
 * `Condition`, over shared memory or served (see `sync/lock.ts`); `Barrier`, built on
 * it, is in `sync/barrier.ts`.
 *
 * Shared-memory Condition layout (`Int32` slots): ticket counter, pad, then {@linkcode COND_CAPACITY}
 * waiter slots of [state (0 free, 1 waiting, 2 notified), pid, ticket]. A waiter claims a slot while
 * it holds the lock, then sleeps on its state word; `notify(n)` (lock held) flips the `n` oldest
 * waiting slots to "notified" and wakes each, so exactly `n` waiters return true. A slot whose
 * process died is freed instead of notified.
 *
 * @module
 */
import { registerType } from "../channel/codec.ts";
import { isProcessGone, node, type Ref } from "../core/node.ts";
import { StateError } from "../errors.ts";
import { allocate, openBlock, sharedMemory } from "./shm/arena.ts";
import { _PID, holdWith, type LockCore, rejecting } from "./shm/core.ts";
import { type AcquireOptions, Lock, lockCoreOf, RLock, servedLockOf, type SyncState } from "./lock.ts";
import { ConditionClient, createServed, refRemote, timeoutOption } from "./served.ts";

/** Waiters one shared-memory Condition holds at once. */
export const COND_CAPACITY = 256;
const _HEAD = 2;
const _REBUILD = Symbol("rebuild");

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
  #core: LockCore | null = null;
  #i32: Int32Array | null = null;
  #idx = 0;
  #name = "";
  #client: ConditionClient | null = null;
  #ref: Ref | null = null;

  static {
    registerType<Condition>({
      tag: "multiproc.Condition",
      cls: Condition,
      reduce: (c) => ({ l: c.#lock, st: (c.#ref ? { r: c.#ref } : { s: c.#name, o: c.#idx * 4 }) as SyncState }),
      rebuild: (s) => {
        const { l, st } = s as { l: Lock | RLock; st: SyncState };
        return new Condition(l, _REBUILD, st);
      },
    });
  }

  /**
   * Creates a condition variable over `lock`.
   * @param lock The lock to use (default: a new RLock).
   * @throws {TypeError} If `lock` is not a Lock or RLock of this library.
   */
  constructor(lock?: Lock | RLock);
  /** @internal */
  constructor(lock: Lock | RLock, tag: symbol, state: SyncState);
  constructor(lock?: Lock | RLock, tag?: symbol, state?: SyncState) {
    if (lock !== undefined && !(lock instanceof Lock) && !(lock instanceof RLock)) {
      throw new TypeError("Condition(lock) needs a Lock or RLock from multiproc");
    }
    this.#lock = lock ?? new RLock();
    this.#core = lockCoreOf(this.#lock);
    if (tag === _REBUILD && state) {
      if ("r" in state) this.#useRef(state.r);
      else this.#useBlock(state.s, state.o);
    } else if (this.#core && sharedMemory()) {
      const b = allocate((_HEAD + 3 * COND_CAPACITY) * 4);
      this.#useBlock(b.name, b.off);
    } else {
      const served = servedLockOf(this.#lock);
      if (!served) throw new TypeError("Condition(lock) needs a lock created in this process when shared memory is unavailable");
      this.#useRef(node.serve(createServed("Condition", { lock: served })));
    }
  }
  #useBlock(name: string, off: number): void {
    if (!this.#core) throw new TypeError("A shared-memory Condition needs a shared-memory lock");
    this.#name = name;
    this.#i32 = openBlock(name, off, "Condition").i32;
    this.#idx = off / 4;
  }
  #useRef(ref: Ref): void {
    this.#ref = ref;
    this.#client = new ConditionClient(refRemote(ref, "Condition"));
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
    return this.#client ? this.#client.acquire(options) : this.#lock.acquire(options);
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
    return this.#client ? this.#client.release() : this.#lock.release();
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
    if (this.#client) return this.#client.hold(options);
    return rejecting(() => holdWith(this.acquire(options), options, "Condition", () => this.release(), () => this.#core!.holderText()));
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
  async wait(timeout?: number): Promise<boolean> {
    if (this.#client) return await this.#client.wait(timeout);
    const ms = timeoutOption(timeout, "Condition.wait()");
    const core = this.#core!;
    if (!core.owned()) throw new StateError("Condition.wait() was called without holding its lock: acquire the Condition first");
    const slot = this.#claim();
    const saved = core.releaseSave();
    let notified = false;
    try {
      notified = await this.#sleep(slot, ms === null ? Infinity : performance.now() + ms);
    } finally {
      await core.restore(saved);
    }
    return notified;
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
  async waitFor(predicate: () => boolean | Promise<boolean>, timeout?: number): Promise<boolean> {
    if (this.#client) return await this.#client.waitFor(predicate, timeout);
    if (typeof predicate !== "function") throw new TypeError("Condition.waitFor() needs a predicate function");
    const limit = timeoutOption(timeout, "Condition.waitFor()");
    const end = limit === null ? Infinity : performance.now() + limit;
    let result = await predicate();
    while (!result) {
      const left = end - performance.now();
      if (left <= 0) break;
      await this.wait(end === Infinity ? undefined : left);
      result = await predicate();
    }
    return Boolean(result);
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
    if (this.#client) return this.#client.notify(n);
    return rejecting(async () => {
      if (typeof n !== "number" || !(n >= 0) || (!Number.isInteger(n) && n !== Infinity)) {
        throw new RangeError(`Condition.notify(n) needs a non-negative integer n, got ${String(n)}`);
      }
      this.#notify(n);
    });
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
    if (this.#client) return this.#client.notifyAll();
    return rejecting(async () => this.#notify(Infinity));
  }

  #slot(k: number): number {
    return this.#idx + _HEAD + 3 * k;
  }

  /** Claims a free waiter slot (the lock is held); frees slots of dead processes when full. */
  #claim(): number {
    const i32 = this.#i32!;
    for (let round = 0; round < 2; round++) {
      for (let k = 0; k < COND_CAPACITY; k++) {
        const s = this.#slot(k);
        if (Atomics.compareExchange(i32, s, 0, 1) !== 0) continue;
        i32[s + 1] = _PID;
        i32[s + 2] = Atomics.add(i32, this.#idx, 1);
        return s;
      }
      for (let k = 0; k < COND_CAPACITY; k++) {
        const s = this.#slot(k);
        const pid = i32[s + 1];
        if (pid !== _PID && Atomics.load(i32, s) === 1 && isProcessGone(pid)) Atomics.compareExchange(i32, s, 1, 0);
      }
    }
    throw new StateError(`Condition.wait(): ${COND_CAPACITY} tasks already wait on this Condition; that is its limit over shared memory`);
  }

  async #sleep(s: number, deadline: number): Promise<boolean> {
    const i32 = this.#i32!;
    const shm = sharedMemory()!;
    for (;;) {
      if (Atomics.load(i32, s) === 2) {
        Atomics.store(i32, s, 0);
        return true;
      }
      const left = deadline - performance.now();
      if (left <= 0) {
        if (Atomics.compareExchange(i32, s, 1, 0) === 1) return false;
        continue; // notified just now
      }
      await shm.waitAsync(i32, s, 1, deadline === Infinity ? undefined : left);
    }
  }

  #notify(n: number): void {
    if (!this.#core!.owned()) throw new StateError("Condition.notify() was called without holding its lock: acquire the Condition first");
    const i32 = this.#i32!;
    const waiting: number[] = [];
    for (let k = 0; k < COND_CAPACITY; k++) if (Atomics.load(i32, this.#slot(k)) === 1) waiting.push(this.#slot(k));
    waiting.sort((a, b) => (i32[a + 2] - i32[b + 2]) | 0);
    const shm = sharedMemory()!;
    let woken = 0;
    for (const s of waiting) {
      if (woken >= n) break;
      const pid = i32[s + 1];
      if (pid !== _PID && isProcessGone(pid)) {
        Atomics.compareExchange(i32, s, 1, 0);
        continue;
      }
      if (Atomics.compareExchange(i32, s, 1, 2) !== 1) continue; // timed out meanwhile
      shm.futexWake(i32, s, 1);
      woken++;
    }
  }
}

