/**
 * Served state machines for `Lock`, `RLock`, `Semaphore` and `BoundedSemaphore`: they live in the
 * owner process and are driven by requests from any process (or by local calls).
 *
 * @module
 */
import type { Peer } from "../../channel/peer.ts";
import type { Served } from "../../core/node.ts";
import { isProcessGone } from "../../core/node.ts";
import { StateError } from "../../errors.ts";
import { _show, blockArg, type Caller, callerOf, sameCaller, timeoutArg, WaitList } from "./common.ts";

// A waiter whose process has exited but whose link's close we have not read yet (a loaded machine
// delays it) must not be handed the lock or a permit: it would stay held by the dead process.
// Such a waiter stays queued until its link's close drops it.
const _alive = (c: Caller): boolean => c.peer === null || !isProcessGone(c.pid);

/** The arguments of an `acquire` request to a served Lock, RLock or Semaphore: caller, block, timeout. */
function _acquireRequest(peer: Peer | null, args: unknown[], label: string): [Caller, boolean, number | null] {
  return [callerOf(peer, args[0]), blockArg(args[1], `${label}.acquire()`), timeoutArg(args[2], `${label}.acquire()`)];
}

/** Who holds a lock, as `holder()` reports it. */
export interface HolderInfo {
  /** Pid of the holding process. */
  pid: number;
  /** Whether that process has exited (a lock held by a dead process stays held). */
  gone: boolean;
  /** RLock recursion level (1 for a Lock). */
  count: number;
}

/**
 * A served `Lock` (or, with `reentrant`, `RLock`). Waiters are served first come first served.
 * A holder's process dying leaves the lock held (Python semantics); its waits are dropped.
 */
export class ServedLock implements Served {
  #label: string;
  #reentrant: boolean;
  #holder: Caller | null = null;
  #count = 0;
  #waiters = new WaitList<boolean>();

  /**
   * @param reentrant True for an RLock.
   * @param label Name used in error messages ("Lock", "RLock", "manager Lock", ...).
   */
  constructor(reentrant = false, label?: string) {
    this.#reentrant = reentrant;
    this.#label = label ?? (reentrant ? "RLock" : "Lock");
  }

  /** Runs a request (see `sync/served.ts` for the methods). */
  call(method: string, args: unknown[], peer: Peer | null): unknown {
    switch (method) {
      case "acquire":
        return this.acquire(..._acquireRequest(peer, args, this.#label));
      case "release":
        return this.release(callerOf(peer, args[0]));
      case "locked":
        return this.#holder !== null;
      case "holder":
        return this.holder();
      case "isOwned":
        return this.isOwned(callerOf(peer, args[0]));
    }
    throw new TypeError(`${this.#label} has no method ${_show(method)}`);
  }

  /**
   * Acquires for `caller`.
   * @returns true when acquired (at once, or when a holder releases); false when it could not.
   */
  acquire(caller: Caller, block: boolean, timeout: number | null): boolean | Promise<boolean> {
    if (this.#holder === null) {
      this.#holder = caller;
      this.#count = 1;
      return true;
    }
    if (this.#reentrant && sameCaller(this.#holder, caller)) {
      this.#count++;
      return true;
    }
    if (!block || timeout === 0) return false;
    return this.#waiters.add(caller, timeout, () => false);
  }

  /**
   * Releases once for `caller`.
   * @throws {StateError} If unlocked, or (RLock) if `caller` is not the owner.
   */
  release(caller: Caller): void {
    if (this.#holder === null) {
      throw new StateError(`release() was called on an unlocked ${this.#label}: acquire it before releasing it`);
    }
    if (this.#reentrant && !sameCaller(this.#holder, caller)) {
      throw new StateError(
        `${this.#label}.release() was called by a task that does not own it (it is held by a task of pid ${this.#holder.pid}): ` +
          "only the task that acquired an RLock may release it",
      );
    }
    if (--this.#count > 0) return;
    this.#holder = null;
    this.#handOff();
  }

  /** Whether `caller` holds the lock (a Condition's ownership check). */
  isOwned(caller: Caller): boolean {
    return sameCaller(this.#holder, caller);
  }

  /** Who holds the lock, or null. */
  holder(): HolderInfo | null {
    const h = this.#holder;
    return h === null ? null : { pid: h.pid, gone: isProcessGone(h.pid), count: this.#count };
  }

  /**
   * Releases completely for `caller` (a Condition's wait) and returns the recursion level to restore.
   * @throws {StateError} If `caller` does not hold the lock.
   */
  releaseAll(caller: Caller): number {
    if (!sameCaller(this.#holder, caller)) throw new StateError(`${this.#label} is not held by the calling task`);
    const n = this.#count;
    this.#count = 1;
    this.release(caller);
    return n;
  }

  /** Acquires again for `caller` with recursion level `count` (a Condition's wait, returning). */
  async acquireRestore(caller: Caller, count: number): Promise<void> {
    await this.acquire(caller, true, null);
    this.#count = count;
  }

  /** A process went away: its waits are dropped; a lock it holds stays held. */
  peerClosed(peer: Peer): void {
    this.#waiters.dropPeer(peer);
  }

  #handOff(): void {
    const next = this.#waiters.wakeWhere(_alive, true);
    if (next !== undefined) {
      this.#holder = next;
      this.#count = 1;
    }
  }
}

/** A served `Semaphore` (or, with `bounded`, `BoundedSemaphore`). */
export class ServedSemaphore implements Served {
  #label: string;
  #value: number;
  #initial: number;
  #bounded: boolean;
  #waiters = new WaitList<boolean>();

  /**
   * @param value The initial value (a non-negative integer).
   * @param bounded True for a BoundedSemaphore.
   * @param label Name used in error messages.
   * @throws {RangeError} If `value` is negative or not an integer.
   */
  constructor(value = 1, bounded = false, label?: string) {
    this.#label = label ?? (bounded ? "BoundedSemaphore" : "Semaphore");
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
      throw new RangeError(`${this.#label} value must be a non-negative integer, got ${_show(value)}`);
    }
    this.#value = value;
    this.#initial = value;
    this.#bounded = bounded;
  }

  /** Runs a request (see `sync/served.ts` for the methods). */
  call(method: string, args: unknown[], peer: Peer | null): unknown {
    switch (method) {
      case "acquire":
        return this.acquire(..._acquireRequest(peer, args, this.#label));
      case "release":
        return this.release(args[0] ?? 1);
      case "getValue":
        return this.#value;
    }
    throw new TypeError(`${this.#label} has no method ${_show(method)}`);
  }

  /** Takes one unit for `caller`; false when none came in time. */
  acquire(caller: Caller, block: boolean, timeout: number | null): boolean | Promise<boolean> {
    if (this.#value > 0) {
      this.#value--;
      return true;
    }
    if (!block || timeout === 0) return false;
    return this.#waiters.add(caller, timeout, () => false);
  }

  /**
   * Gives back `n` units, waking up to `n` waiters.
   * @throws {RangeError} If `n` is not a positive integer.
   * @throws {StateError} If a bounded semaphore would go above its initial value.
   */
  release(n: unknown): void {
    if (typeof n !== "number" || !Number.isInteger(n) || n < 1) {
      throw new RangeError(`${this.#label}.release(n) needs a positive integer n, got ${_show(n)}`);
    }
    if (this.#bounded && this.#value + n > this.#initial) {
      throw new StateError(
        `${this.#label} released too many times: its value ${this.#value} plus ${n} would exceed its initial value ${this.#initial}`,
      );
    }
    for (let i = 0; i < n; i++) {
      if (this.#waiters.wakeWhere(_alive, true) === undefined) this.#value++;
    }
  }

  /** The current value. */
  getValue(): number {
    return this.#value;
  }

  /** A process went away: its waits are dropped. */
  peerClosed(peer: Peer): void {
    this.#waiters.dropPeer(peer);
  }
}
