/**
 * The shared-memory cores behind `Lock` and `RLock` (`sync/shm/lock.ts`) as `Condition`
 * (`sync/shm/condition.ts`) drives them: an ownership check, a full release that remembers the
 * recursion level, and the re-acquire after a wait. Plus the helpers every shared-memory backend
 * shares (option checks, `hold()`).
 *
 * RLock layout (`Int32` slots from `idx`): mutex state, mutex owner pid (both `sync/shm/futex.ts`),
 * owner token id of the holding task (`sync/served/owner.ts`, the same rule as the served RLock),
 * recursion count. A Lock is the first two.
 *
 * @module
 */
import process from "node:process";
import { isProcessGone } from "../../core/node.ts";
import { StateError } from "../../errors.ts";
import { isLocked, lockAsync, lockOwner, tryLock, unlock } from "./futex.ts";
import { acquireToken, currentToken, type OwnerToken } from "../served/owner.ts";
import { acquireArgs, type AcquireOptions } from "../served/client.ts";

export const _PID: number = process.pid;
export const _TRUE: Promise<boolean> = Promise.resolve(true);
export const _FALSE: Promise<boolean> = Promise.resolve(false);
export const _VOID: Promise<void> = Promise.resolve();

/** What a Condition needs from its lock. @internal */
export interface LockCore {
  /** Whether the calling task (Lock: this process) holds it. */
  owned(): boolean;
  /** Releases completely; returns what {@linkcode LockCore.restore} needs. */
  releaseSave(): unknown;
  /** Acquires again (waiting as long as it takes) and restores the saved state. */
  restore(saved: unknown): Promise<void>;
  /** Who holds it, for messages. */
  holderText(): string;
}

/**
 * Who holds the mutex at `i32[idx]`, as text for an error message ("" when free).
 *
 * @param i32 The segment's words.
 * @param idx The mutex's first slot.
 * @returns E.g. ": it is held by pid 123, which has exited (...)".
 */
export function holderText(i32: Int32Array, idx: number): string {
  const pid = lockOwner(i32, idx);
  if (pid === 0) return "";
  return isProcessGone(pid)
    ? `: it is held by pid ${pid}, which has exited (a lock held by a process that died stays held, as in Python)`
    : `: it is held by pid ${pid}${pid === _PID ? " (this process)" : ""}`;
}

/** What both cores are: a mutex at `i32[idx]` (`sync/shm/futex.ts`), and who holds it. */
abstract class _MutexAt implements LockCore {
  readonly i32: Int32Array;
  readonly idx: number;
  /**
   * @param i32 The segment's words.
   * @param idx The mutex's first slot (a Lock has 2 slots, an RLock 4).
   */
  constructor(i32: Int32Array, idx: number) {
    this.i32 = i32;
    this.idx = idx;
  }
  abstract owned(): boolean;
  abstract releaseSave(): unknown;
  abstract restore(saved: unknown): Promise<void>;
  holderText(): string {
    return holderText(this.i32, this.idx);
  }
}

/** A plain Lock's core: any process may release; "owned" means held by this process. */
export class MutexCore extends _MutexAt {
  owned(): boolean {
    return isLocked(this.i32, this.idx) && this.i32[this.idx + 1] === _PID;
  }
  releaseSave(): unknown {
    unlock(this.i32, this.idx);
    return null;
  }
  async restore(): Promise<void> {
    await lockAsync(this.i32, this.idx);
  }
}

/** An RLock's core: owned by the acquiring task (owner token), re-entrant for it. */
export class RMutexCore extends _MutexAt {
  #ownedBy(tok: OwnerToken | undefined): boolean {
    const i32 = this.i32, idx = this.idx;
    return tok !== undefined && i32[idx + 2] === tok.id && i32[idx + 1] === _PID && Atomics.load(i32, idx) !== 0;
  }
  #take(tok: OwnerToken, count: number): void {
    this.i32[this.idx + 2] = tok.id;
    this.i32[this.idx + 3] = count;
    tok.holds += count;
  }
  owned(): boolean {
    return this.#ownedBy(currentToken());
  }
  /** Acquires for the calling task. */
  acquire(block: boolean, timeout: number | null): Promise<boolean> {
    const tok = acquireToken();
    if (this.#ownedBy(tok)) {
      this.i32[this.idx + 3]++;
      tok.holds++;
      return _TRUE;
    }
    if (tryLock(this.i32, this.idx)) {
      this.#take(tok, 1);
      return _TRUE;
    }
    if (!block) return _FALSE;
    tok.inflight++;
    return lockAsync(this.i32, this.idx, timeout ?? undefined).then((ok) => {
      tok.inflight--;
      if (ok) this.#take(tok, 1);
      return ok;
    }, (e) => {
      tok.inflight--;
      throw e;
    });
  }
  /** Releases once for the calling task. */
  release(): void {
    const tok = currentToken();
    if (!this.#ownedBy(tok)) {
      if (!isLocked(this.i32, this.idx)) throw new StateError("Cannot release an RLock that is not locked");
      throw new StateError(
        `RLock.release() was called by a task that does not own it${
          holderText(this.i32, this.idx)
        }; only the task that acquired an RLock may release it`,
      );
    }
    tok!.holds--;
    if (--this.i32[this.idx + 3] > 0) return;
    this.i32[this.idx + 2] = 0;
    unlock(this.i32, this.idx);
  }
  releaseSave(): unknown {
    const tok = currentToken()!;
    const count = this.i32[this.idx + 3];
    tok.holds -= count;
    tok.inflight++; // while the task waits, contexts sharing its token must not re-enter
    this.i32[this.idx + 2] = 0;
    this.i32[this.idx + 3] = 0;
    unlock(this.i32, this.idx);
    return { tok, count };
  }
  async restore(saved: unknown): Promise<void> {
    const { tok, count } = saved as { tok: OwnerToken; count: number };
    try {
      await lockAsync(this.i32, this.idx);
    } finally {
      tok.inflight--;
    }
    this.#take(tok, count);
  }
}

/**
 * Checks `acquire` options: `false` for a non-blocking try, else the timeout (null: none).
 *
 * @param o The options.
 * @param what E.g. "Lock.acquire()".
 * @returns false, or the timeout in ms (null: no limit).
 * @throws {TypeError} If an option has the wrong type.
 */
export function parseAcquire(o: AcquireOptions | undefined, what: string): false | number | null {
  const [block, timeout] = acquireArgs(o, what);
  return block ? timeout : false;
}

/**
 * Runs `fn`, turning a synchronous throw into a rejected promise (Promise-returning methods reject).
 *
 * @param fn The work.
 * @returns Its promise, or a rejection with what it threw.
 */
export function rejecting<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return fn();
  } catch (e) {
    return Promise.reject(e);
  }
}
