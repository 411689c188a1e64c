/**
 * `Lock` and `RLock` over shared memory: a futex mutex (`sync/shm/futex.ts`, 2 slots) and the
 * re-entrant core around one (`sync/shm/core.ts`, 4 slots).
 *
 * @module
 */
import type { ConditionBackend, LockBackend, ShmState, SyncState } from "../_backend.ts";
import type { AcquireOptions } from "../served/client.ts";
import { blockAt } from "./arena.ts";
import { ShmCondition } from "./condition.ts";
import { _FALSE, _TRUE, _VOID, MutexCore, parseAcquire, rejecting, RMutexCore } from "./core.ts";
import { holdWith } from "../hold.ts";
import { isLocked, lockAsync, tryLock, unlock } from "./futex.ts";

/** A `Lock` over shared memory. */
export class ShmLock implements LockBackend {
  readonly #name: string;
  readonly #i32: Int32Array;
  readonly #idx: number;
  readonly #core: MutexCore;

  /** @param at Where the lock lives (default: a new unlocked one). */
  constructor(at?: ShmState) {
    const b = blockAt(at, 8, "Lock");
    this.#name = b.name;
    this.#i32 = b.i32;
    this.#idx = b.idx;
    this.#core = new MutexCore(b.i32, b.idx);
  }

  acquire(options?: AcquireOptions): Promise<boolean> {
    const i32 = this.#i32;
    if (options === undefined) return lockAsync(i32, this.#idx);
    if (options !== null && options.block === false) return tryLock(i32, this.#idx) ? _TRUE : _FALSE;
    let t: false | number | null;
    try {
      t = parseAcquire(options, "Lock.acquire()");
    } catch (e) {
      return Promise.reject(e);
    }
    if (t === false) return tryLock(i32, this.#idx) ? _TRUE : _FALSE;
    return lockAsync(i32, this.#idx, t ?? undefined);
  }

  release(): Promise<void> {
    try {
      unlock(this.#i32, this.#idx);
    } catch (e) {
      return Promise.reject(e);
    }
    return _VOID;
  }

  locked(): Promise<boolean> {
    return isLocked(this.#i32, this.#idx) ? _TRUE : _FALSE;
  }

  hold(options?: AcquireOptions): Promise<AsyncDisposable> {
    return rejecting(() =>
      holdWith(this.acquire(options), options, "Lock", () => this.release(), () => this.#core.holderText())
    );
  }

  state(): SyncState {
    return { s: this.#name, o: this.#idx * 4 };
  }

  condition(at?: ShmState): ConditionBackend {
    return new ShmCondition(this, this.#core, at);
  }
}

/** An `RLock` over shared memory. */
export class ShmRLock implements LockBackend {
  readonly #name: string;
  readonly #core: RMutexCore;

  /** @param at Where the lock lives (default: a new unlocked one). */
  constructor(at?: ShmState) {
    const b = blockAt(at, 16, "RLock");
    this.#name = b.name;
    this.#core = new RMutexCore(b.i32, b.idx);
  }

  acquire(options?: AcquireOptions): Promise<boolean> {
    return rejecting(() => {
      const t = parseAcquire(options, "RLock.acquire()");
      return this.#core.acquire(t !== false, t === false ? null : t);
    });
  }

  release(): Promise<void> {
    try {
      this.#core.release();
    } catch (e) {
      return Promise.reject(e);
    }
    return _VOID;
  }

  locked(): Promise<boolean> {
    return isLocked(this.#core.i32, this.#core.idx) ? _TRUE : _FALSE;
  }

  hold(options?: AcquireOptions): Promise<AsyncDisposable> {
    return rejecting(() =>
      holdWith(this.acquire(options), options, "RLock", () => this.release(), () => this.#core.holderText())
    );
  }

  state(): SyncState {
    return { s: this.#name, o: this.#core.idx * 4 };
  }

  condition(at?: ShmState): ConditionBackend {
    return new ShmCondition(this, this.#core, at);
  }
}
