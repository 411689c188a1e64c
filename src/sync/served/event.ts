/**
 * Served state machines for `Event` and `Condition`.
 *
 * @module
 */
import type { Peer } from "../../channel/peer.ts";
import type { Served } from "../../core/node.ts";
import { StateError } from "../../errors.ts";
import { _show, blockArg, type Caller, callerOf, timeoutArg, WaitList } from "./common.ts";
import { ServedLock } from "./lock.ts";

/** A served `Event`: a flag that callers can wait for. */
export class ServedEvent implements Served {
  #label: string;
  #flag = false;
  #waiters = new WaitList<boolean>();

  /** @param label Name used in error messages. */
  constructor(label = "Event") {
    this.#label = label;
  }

  /** Runs a request (see `sync/served.ts` for the methods). */
  call(method: string, args: unknown[], peer: Peer | null): unknown {
    switch (method) {
      case "set":
        return this.set();
      case "clear":
        this.#flag = false;
        return;
      case "isSet":
        return this.#flag;
      case "wait":
        return this.wait(callerOf(peer, 0), timeoutArg(args[0], `${this.#label}.wait()`));
    }
    throw new TypeError(`${this.#label} has no method ${_show(method)}`);
  }

  /** Sets the flag and wakes every waiter. */
  set(): void {
    this.#flag = true;
    this.#waiters.wakeAll(true);
  }

  /** True once the flag is set; false when `timeout` ms pass first. */
  wait(caller: Caller, timeout: number | null): boolean | Promise<boolean> {
    if (this.#flag) return true;
    if (timeout === 0) return false;
    return this.#waiters.add(caller, timeout, () => false);
  }

  /** A process went away: its waits are dropped. */
  peerClosed(peer: Peer): void {
    this.#waiters.dropPeer(peer);
  }
}

/**
 * A served `Condition` over a served lock (its own RLock by default). `wait` releases the lock
 * completely, waits for a notification or the timeout, and acquires it again (restoring an
 * RLock's recursion level) before it answers. Ownership is checked exactly: only the task that
 * holds the lock may wait or notify, for a Lock as for an RLock.
 */
export class ServedCondition implements Served {
  #label: string;
  #lock: ServedLock;
  #ownLock: boolean;
  #waiters = new WaitList<boolean>();

  /**
   * @param lock The lock to use (another served lock of the same owner process); a new RLock when omitted.
   * @param label Name used in error messages.
   */
  constructor(lock?: ServedLock, label = "Condition") {
    this.#label = label;
    this.#ownLock = lock === undefined;
    this.#lock = lock ?? new ServedLock(true, `${label}'s RLock`);
  }

  /** The lock this condition uses. */
  get lock(): ServedLock {
    return this.#lock;
  }

  /** Runs a request (see `sync/served.ts` for the methods). */
  call(method: string, args: unknown[], peer: Peer | null): unknown {
    const what = `${this.#label}.${method}()`;
    switch (method) {
      case "acquire":
        return this.#lock.acquire(callerOf(peer, args[0]), blockArg(args[1], what), timeoutArg(args[2], what));
      case "release":
        return this.#lock.release(callerOf(peer, args[0]));
      case "wait":
        return this.wait(callerOf(peer, args[0]), timeoutArg(args[1], what));
      case "notify": {
        const n = args[1] ?? 1;
        if (typeof n !== "number" || !(n >= 0) || (!Number.isInteger(n) && n !== Infinity)) {
          throw new RangeError(`${this.#label}.notify(n) needs a non-negative integer n, got ${_show(n)}`);
        }
        return this.notify(callerOf(peer, args[0]), n);
      }
      case "notifyAll":
        return this.notify(callerOf(peer, args[0]), Infinity);
      case "holder":
        return this.#lock.holder();
    }
    throw new TypeError(`${this.#label} has no method ${_show(method)}`);
  }

  /**
   * Waits for a notification (true) or `timeout` ms (false), then re-acquires the lock.
   * @throws {StateError} If `caller` does not hold the lock.
   */
  async wait(caller: Caller, timeout: number | null): Promise<boolean> {
    if (!this.#lock.isOwned(caller)) {
      throw new StateError(`${this.#label}.wait() was called without holding its lock: acquire the Condition first`);
    }
    const saved = this.#lock.releaseAll(caller);
    const notified = await this.#waiters.add(caller, timeout, () => false);
    await this.#lock.acquireRestore(caller, saved);
    return notified;
  }

  /**
   * Wakes up to `n` waiters (exactly `n` when that many wait), oldest first.
   * @throws {StateError} If `caller` does not hold the lock.
   */
  notify(caller: Caller, n: number): void {
    if (!this.#lock.isOwned(caller)) {
      throw new StateError(`${this.#label}.notify() was called without holding its lock: acquire the Condition first`);
    }
    for (let i = 0; i < n; i++) if (this.#waiters.wakeFirst(true) === undefined) break;
  }

  /** A process went away: its waits are dropped (also on an own lock). */
  peerClosed(peer: Peer): void {
    this.#waiters.dropPeer(peer);
    if (this.#ownLock) this.#lock.peerClosed(peer);
  }
}
