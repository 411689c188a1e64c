/**
 * What the served state machines share: who is calling (process + task), lists of blocked callers
 * with timeouts, and argument checks for requests that arrive over a link.
 *
 * @module
 */
import process from "node:process";
import type { Peer } from "../../channel/peer.ts";
import { WaitList as _WaitList } from "../../core/wait_list.ts";

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
  if (typeof v !== "number" || Number.isNaN(v)) {
    throw new TypeError(`${what} timeout must be a number of milliseconds, got ${_show(v)}`);
  }
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

/** Callers blocked on a served primitive (see `core/wait_list.ts`). */
export class WaitList<T> extends _WaitList<T, Caller> {}
