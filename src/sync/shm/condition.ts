/**
 * `Condition` over shared memory, on a shared-memory `Lock` or `RLock` (`sync/shm/lock.ts`).
 *
 * Layout (`Int32` slots): ticket counter, pad, then {@linkcode COND_CAPACITY} waiter slots of
 * [state (0 free, 1 waiting, 2 notified), pid, ticket]. A waiter claims a slot while it holds the
 * lock, then sleeps on its state word; `notify(n)` (lock held) flips the `n` oldest waiting slots
 * to "notified" and wakes each, so exactly `n` waiters return true. A slot whose process died is
 * freed instead of notified.
 *
 * @module
 */
import { isProcessGone } from "../../core/node.ts";
import { StateError } from "../../errors.ts";
import type { ConditionBackend, LockBackend, ShmState, SyncState } from "../_backend.ts";
import { type AcquireOptions, timeoutOption, waitForWith } from "../served/client.ts";
import { blockAt, sharedMemory } from "./arena.ts";
import { _PID, type LockCore, rejecting } from "./core.ts";
import { holdWith } from "../hold.ts";

/** Waiters one shared-memory Condition holds at once. */
export const COND_CAPACITY = 256;
const _HEAD = 2;

/** A `Condition` over shared memory. */
export class ShmCondition implements ConditionBackend {
  readonly #lock: LockBackend;
  readonly #core: LockCore;
  readonly #name: string;
  readonly #i32: Int32Array;
  readonly #idx: number;

  /**
   * @param lock The shared-memory lock's backend.
   * @param core Its core.
   * @param at Where the condition lives (default: a new one).
   */
  constructor(lock: LockBackend, core: LockCore, at?: ShmState) {
    const b = blockAt(at, (_HEAD + 3 * COND_CAPACITY) * 4, "Condition");
    this.#lock = lock;
    this.#core = core;
    this.#name = b.name;
    this.#i32 = b.i32;
    this.#idx = b.idx;
  }

  acquire(options?: AcquireOptions): Promise<boolean> {
    return this.#lock.acquire(options);
  }

  release(): Promise<void> {
    return this.#lock.release();
  }

  hold(options?: AcquireOptions): Promise<AsyncDisposable> {
    return rejecting(() =>
      holdWith(this.acquire(options), options, "Condition", () => this.release(), () => this.#core.holderText())
    );
  }

  async wait(timeout?: number): Promise<boolean> {
    const ms = timeoutOption(timeout, "Condition.wait()");
    const core = this.#core;
    if (!core.owned()) {
      throw new StateError("Condition.wait() was called without holding its lock: acquire the Condition first");
    }
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

  waitFor(predicate: () => boolean | Promise<boolean>, timeout?: number): Promise<boolean> {
    return waitForWith(predicate, timeout, (t) => this.wait(t));
  }

  notify(n = 1): Promise<void> {
    return rejecting(() => {
      if (typeof n !== "number" || !(n >= 0) || (!Number.isInteger(n) && n !== Infinity)) {
        throw new RangeError(`Condition.notify(n) needs a non-negative integer n, got ${String(n)}`);
      }
      this.#notify(n);
      return Promise.resolve();
    });
  }

  notifyAll(): Promise<void> {
    return rejecting(() => {
      this.#notify(Infinity);
      return Promise.resolve();
    });
  }

  state(): SyncState {
    return { s: this.#name, o: this.#idx * 4 };
  }

  #slot(k: number): number {
    return this.#idx + _HEAD + 3 * k;
  }

  /** Claims a free waiter slot (the lock is held); frees slots of dead processes when full. */
  #claim(): number {
    const i32 = this.#i32;
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
    throw new StateError(
      `Condition.wait(): ${COND_CAPACITY} tasks already wait on this Condition; that is its limit over shared memory`,
    );
  }

  async #sleep(s: number, deadline: number): Promise<boolean> {
    const i32 = this.#i32;
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
    if (!this.#core.owned()) {
      throw new StateError("Condition.notify() was called without holding its lock: acquire the Condition first");
    }
    const i32 = this.#i32;
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
