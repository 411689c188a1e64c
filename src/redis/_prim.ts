/**
 * What the cluster's named primitives share: checking an object's name, the `{ block, timeout }`
 * options (the local primitives' rules: negative timeout counts as 0), and opening a sealed value
 * read from Redis.
 *
 * @module
 */
import { acquireArgs } from "../sync/served/client.ts";
import type { ClusterCore } from "./core.ts";

/** How long a waiter sleeps at most before it looks again, even without a wake-up (ms). */
export const RECHECK_MS = 1000;

/**
 * Checks an object's name: 1-200 characters, no braces (they delimit the Redis Cluster hash tag of
 * the object's keys) and no whitespace.
 * @throws {TypeError} If it is not such a string.
 */
export function checkName(what: string, name: unknown): string {
  if (typeof name !== "string" || !/^[^{}\s]{1,200}$/.test(name)) {
    throw new TypeError(
      `cluster.${what}() needs a name: 1-200 characters without braces or whitespace, got ${JSON.stringify(name)}`,
    );
  }
  return name;
}

/**
 * Checks `{ block, timeout }` and turns it into a deadline.
 * @returns Whether to wait, and until when (`performance.now()` ms; Infinity: no limit).
 * @throws {TypeError} If an option has the wrong type.
 */
export function deadline(o: { block?: boolean; timeout?: number } | undefined, what: string): {
  block: boolean;
  end: number;
} {
  const [block, timeout] = acquireArgs(o, what);
  return { block, end: !block ? 0 : timeout === null ? Infinity : performance.now() + timeout };
}

/** Milliseconds left until `end` (≥ 0). */
export function left(end: number): number {
  return Math.max(0, end - performance.now());
}

/**
 * Opens a sealed value, or reports it (once per call) and answers `refused` when it was not sealed
 * with the cluster's authkey for this purpose: a forged value is never decoded.
 * @param core The cluster.
 * @param purpose What it must have been sealed for.
 * @param bytes What Redis returned.
 * @param where What to name in the report.
 * @returns The value, or `refused`.
 */
export function openOr<T>(core: ClusterCore, purpose: string, bytes: unknown, where: string): T | typeof refused {
  try {
    return core.sealer.open(purpose, bytes) as T;
  } catch (e) {
    core.warn(`refused ${where}: ${(e as Error).message}`);
    return refused;
  }
}

/** What {@linkcode openOr} answers for a value it refused. */
export const refused: unique symbol = Symbol("refused");

/**
 * The pub/sub channel of {@linkcode ClusterCore.wake}, for scripts that wake waiters themselves
 * (one round trip instead of two).
 */
export function wakeChannel(core: ClusterCore): string {
  return `mp:${core.namespace}:wake`;
}
