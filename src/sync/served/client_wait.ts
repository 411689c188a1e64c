/**
 * Clients of the served Event, Condition and Barrier (the caller's side; see `sync/served/client.ts`).
 *
 * @module
 */
import { AcquirerClient, clientCall, type Remote, ServedClient, timeoutOption, waitForWith } from "./client.ts";
import type { HolderInfo } from "./lock.ts";
import { callAs, currentToken } from "./owner.ts";

/**
 * Client of a served Event.
 * @example
 * ```ts
 * const ev = await manager.Event();
 * setTimeout(() => ev.set(), 10);
 * console.log(await ev.wait(1000)); // true
 * ```
 * @internal Exported to users as the manager proxy `EventProxy`.
 */
export class EventClient extends ServedClient {
  /** Sets the flag; every waiter wakes. */
  async set(): Promise<void> {
    await clientCall(this, "set", []);
  }
  /** Clears the flag. */
  async clear(): Promise<void> {
    await clientCall(this, "clear", []);
  }
  /** @returns Whether the flag is set. */
  async isSet(): Promise<boolean> {
    return (await clientCall(this, "isSet", [])) as boolean;
  }
  /**
   * Waits until the flag is set.
   * @param timeout Longest wait in ms (default: no limit).
   * @returns true when set, false when the time ran out.
   * @throws {TypeError} If `timeout` is not a number (rejects).
   */
  async wait(timeout?: number): Promise<boolean> {
    return (await clientCall(this, "wait", [timeoutOption(timeout, "Event.wait()")])) as boolean;
  }
}

/**
 * Client of a served Condition (its lock is an RLock unless one was given).
 * @example
 * ```ts
 * const cond = await manager.Condition();
 * await cond.acquire();
 * await cond.notifyAll();
 * await cond.release();
 * ```
 * @internal Exported to users as the manager proxy `ConditionProxy`.
 */
export class ConditionClient extends AcquirerClient {
  /** @param remote How to reach the state machine. */
  constructor(remote: Remote) {
    super(remote, "Condition");
  }
  /**
   * Releases the lock once.
   * @throws {StateError} If the calling task does not hold it (rejects).
   */
  async release(): Promise<void> {
    await this._releaseOwned();
  }
  /**
   * Releases the lock, waits for a notification, and re-acquires the lock before resolving.
   * @param timeout Longest wait for the notification in ms (default: no limit).
   * @returns true when notified, false when the time ran out.
   * @throws {StateError} If the calling task does not hold the lock (rejects).
   */
  async wait(timeout?: number): Promise<boolean> {
    const t = timeoutOption(timeout, "Condition.wait()");
    return (await callAs(currentToken(), (id) => clientCall(this, "wait", [id, t]))) as boolean;
  }
  /**
   * Waits until `predicate()` is truthy, checking it first and after each notification.
   * @param predicate Checked with the lock held.
   * @param timeout Longest total wait in ms (default: no limit).
   * @returns The predicate's last result, as a boolean.
   * @throws {StateError} If the calling task does not hold the lock (rejects).
   */
  waitFor(predicate: () => boolean | Promise<boolean>, timeout?: number): Promise<boolean> {
    return waitForWith(predicate, timeout, (t) => this.wait(t));
  }
  /**
   * Wakes up to `n` waiters (default 1).
   * @throws {StateError} If the calling task does not hold the lock (rejects).
   */
  async notify(n = 1): Promise<void> {
    await callAs(currentToken(), (id) => clientCall(this, "notify", [id, n]));
  }
  /**
   * Wakes every waiter.
   * @throws {StateError} If the calling task does not hold the lock (rejects).
   */
  async notifyAll(): Promise<void> {
    await callAs(currentToken(), (id) => clientCall(this, "notifyAll", [id]));
  }
  override async _holderText(): Promise<string> {
    try {
      const h = (await clientCall(this, "holder", [])) as HolderInfo | null;
      return h === null ? "" : `: its lock is held by pid ${h.pid}${h.gone ? ", which has exited" : ""}`;
    } catch {
      return "";
    }
  }
}

/**
 * Client of a served Barrier.
 * @example
 * ```ts
 * const b = await manager.Barrier(2);
 * const [i, j] = await Promise.all([b.wait(), b.wait()]); // 0 and 1 in some order
 * ```
 * @internal Exported to users as the manager proxy `BarrierProxy`.
 */
export class BarrierClient extends ServedClient {
  /** How many parties make a round. */
  readonly parties: number;
  /**
   * @param remote How to reach the state machine.
   * @param parties How many parties make a round.
   */
  constructor(remote: Remote, parties: number) {
    super(remote);
    this.parties = parties;
  }
  /**
   * Waits until `parties` parties wait.
   * @param timeout Longest wait in ms (default: the barrier's timeout); running out breaks the barrier.
   * @returns This party's arrival index in the round (exactly one party gets 0).
   * @throws {BrokenBarrierError} If the barrier is or becomes broken, is reset, or times out (rejects).
   */
  async wait(timeout?: number): Promise<number> {
    return (await clientCall(this, "wait", [timeoutOption(timeout, "Barrier.wait()")])) as number;
  }
  /** Returns the barrier to its initial state; waiting parties get BrokenBarrierError. */
  async reset(): Promise<void> {
    await clientCall(this, "reset", []);
  }
  /** Breaks the barrier; waiting and later parties get BrokenBarrierError until `reset()`. */
  async abort(): Promise<void> {
    await clientCall(this, "abort", []);
  }
  /** @returns How many parties wait in the current round. */
  async nWaiting(): Promise<number> {
    return (await clientCall(this, "nWaiting", [])) as number;
  }
  /** @returns Whether the barrier is broken. */
  async broken(): Promise<boolean> {
    return (await clientCall(this, "broken", [])) as boolean;
  }
}
