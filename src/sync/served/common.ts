/**
 * What the served state machines share: who is calling (process + task), lists of blocked callers
 * with timeouts, and argument checks for requests that arrive over a link.
 *
 * @module
 */
import process from "node:process";
import type { Peer } from "../../channel/peer.ts";
import { holdAlive, releaseAlive } from "../../core/hold_alive.ts";

/** A caller of a served primitive: the process (by pid) and the task in it (its owner token). */
export interface Caller {
  /** Pid of the calling process. */
  pid: number;
  /** Owner token of the calling task within that process (0: none). */
  tok: number;
  /** The link the call came over; null for a call made in the owner process. */
  peer: Peer | null;
}

/**
 * Identifies a caller from the link a request came over and the token it sent.
 *
 * @param peer The link, or null for a local call.
 * @param tok The caller's owner token (checked: a non-negative integer).
 * @returns The caller.
 * @throws {TypeError} If `tok` is not a non-negative integer.
 */
export function callerOf(peer: Peer | null, tok: unknown): Caller {
  if (typeof tok !== "number" || !Number.isInteger(tok) || tok < 0) {
    throw new TypeError(`The owner token of a request must be a non-negative integer, got ${_show(tok)}`);
  }
  return { pid: peer ? peer.pid : process.pid, tok, peer };
}

/** Whether two callers are the same task of the same process. */
export function sameCaller(a: Caller | null, b: Caller): boolean {
  return a !== null && a.pid === b.pid && a.tok === b.tok;
}

/**
 * Checks a request's `timeout` argument: null (wait forever) or a number of ms (negative → 0;
 * over 2^31 - 1, which timers cannot wait, → no limit).
 *
 * @param v The value sent.
 * @param what What to call it in the error.
 * @returns null or a non-negative number.
 * @throws {TypeError} If `v` is neither null/undefined nor a number.
 */
export function timeoutArg(v: unknown, what: string): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== "number" || Number.isNaN(v)) throw new TypeError(`${what} timeout must be a number of milliseconds, got ${_show(v)}`);
  // setTimeout fires at once for a delay over 2^31 - 1 ms (~24.8 days): treat that as no limit.
  return v > 0x7fffffff ? null : Math.max(0, v);
}

/**
 * Checks a request's `block` argument.
 *
 * @param v The value sent.
 * @param what What to call it in the error.
 * @returns The flag.
 * @throws {TypeError} If `v` is not a boolean.
 */
export function blockArg(v: unknown, what: string): boolean {
  if (typeof v !== "boolean") throw new TypeError(`${what} block must be a boolean, got ${_show(v)}`);
  return v;
}

/** A short description of a value for error messages. */
export function _show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v);
  if (typeof v === "bigint") return `${v}n`;
  if (v === null || typeof v !== "object") return String(v);
  return Array.isArray(v) ? "an array" : "an object";
}

interface _Entry<T> {
  caller: Caller;
  resolve(v: T): void;
  reject(e: unknown): void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Callers blocked on a primitive, first come first served. Each entry resolves once: when woken,
 * when its timeout passes, or never if its link closes (it is dropped). While any entry waits,
 * the owner process stays alive.
 */
export class WaitList<T> {
  #entries: _Entry<T>[] = [];

  /** Number of waiting callers. */
  get length(): number {
    return this.#entries.length;
  }

  /**
   * Blocks `caller` until woken or until `timeout` ms pass.
   *
   * @param caller Who waits.
   * @param timeout Ms to wait, or null for no limit.
   * @param onTimeout Runs when the time is up (after the entry left the list); its result is
   *   the waiter's value; it may throw to reject.
   * @returns The value it is woken with.
   */
  add(caller: Caller, timeout: number | null, onTimeout: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: _Entry<T> = { caller, resolve, reject, timer: undefined };
      if (timeout !== null) {
        entry.timer = setTimeout(() => {
          if (!this.#remove(entry)) return;
          try {
            resolve(onTimeout());
          } catch (e) {
            reject(e);
          }
        }, timeout);
      }
      holdAlive();
      this.#entries.push(entry);
    });
  }

  /**
   * Wakes the first waiter whose link is still open.
   *
   * @param value What it is woken with.
   * @returns Its caller, or undefined when nobody (alive) waits.
   */
  wakeFirst(value: T): Caller | undefined {
    for (;;) {
      const e = this.#entries[0];
      if (e === undefined) return undefined;
      this.#remove(e);
      if (e.caller.peer?.closed) continue;
      e.resolve(value);
      return e.caller;
    }
  }

  /**
   * Wakes the first waiter for which `pick` says yes (in order); dead links are dropped on the way.
   *
   * @param pick Decides for a caller.
   * @param value What it is woken with.
   * @returns The caller woken, or undefined.
   */
  wakeWhere(pick: (c: Caller) => boolean, value: T): Caller | undefined {
    for (const e of [...this.#entries]) {
      if (e.caller.peer?.closed) {
        this.#remove(e);
        continue;
      }
      if (!pick(e.caller)) continue;
      this.#remove(e);
      e.resolve(value);
      return e.caller;
    }
    return undefined;
  }

  /**
   * Wakes every waiter with `value`.
   * @param value What they are woken with.
   * @returns How many were woken.
   */
  wakeAll(value: T): number {
    const all = this.#entries.splice(0);
    for (const e of all) this.#settle(e);
    for (const e of all) e.resolve(value);
    return all.length;
  }

  /**
   * Rejects every waiter with a fresh error.
   * @param make Makes the error for one waiter.
   */
  rejectAll(make: () => Error): void {
    const all = this.#entries.splice(0);
    for (const e of all) this.#settle(e);
    for (const e of all) e.reject(make());
  }

  /**
   * Drops the waiters that came over `peer` (its process went away); they are never settled.
   * @param peer The closed link.
   * @returns How many were dropped.
   */
  dropPeer(peer: Peer): number {
    let n = 0;
    for (const e of [...this.#entries]) {
      if (e.caller.peer === peer) {
        this.#remove(e);
        n++;
      }
    }
    return n;
  }

  /** The callers waiting, in order. */
  callers(): Caller[] {
    return this.#entries.map((e) => e.caller);
  }

  #remove(e: _Entry<T>): boolean {
    const i = this.#entries.indexOf(e);
    if (i < 0) return false;
    this.#entries.splice(i, 1);
    this.#settle(e);
    return true;
  }

  #settle(e: _Entry<T>): void {
    if (e.timer !== undefined) clearTimeout(e.timer);
    e.timer = undefined;
    releaseAlive();
  }
}
