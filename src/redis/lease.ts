/**
 * The lease of a cluster Lock or Semaphore slot: held in Redis with an expiry, and renewed by the
 * holder (every third of the lease) for as long as it holds it. A holder that dies, freezes or is
 * cut off stops renewing, and its slot frees itself when the lease runs out.
 *
 * @module
 */

/** The default lease of a cluster Lock or Semaphore slot (ms). */
export const DEFAULT_LEASE_MS = 10_000;

/**
 * Options of `cluster.Lock(name, options)` and `cluster.Semaphore(name, value, options)`.
 *
 * @example
 * ```ts
 * import type { LeaseOptions } from "multiproc/redis";
 * const options: LeaseOptions = { lease: 5000 }; // a dead holder's slot frees after 5 s
 * ```
 */
export interface LeaseOptions {
  /**
   * How long a holder keeps its slot without renewing it (ms, default 10 000, at least 100). The
   * holder renews it every third of the lease while it holds it.
   */
  lease?: number;
}

/**
 * Checks the lease option.
 * @returns The lease in ms.
 * @throws {TypeError} If options is not an object.
 * @throws {RangeError} If the lease is not an integer ≥ 100.
 */
export function leaseOption(options: LeaseOptions | undefined, what: string): number {
  if (options === undefined || options === null) return DEFAULT_LEASE_MS;
  if (typeof options !== "object") throw new TypeError(`${what} options must be an object like { lease: 10000 }`);
  const lease = options.lease ?? DEFAULT_LEASE_MS;
  if (typeof lease !== "number" || !Number.isInteger(lease) || lease < 100) {
    throw new RangeError(`${what} lease must be an integer number of ms, at least 100, got ${String(lease)}`);
  }
  return lease;
}

/**
 * Runs `renew` every third of `lease` until stopped. The timer does not keep the program alive: a
 * program that is otherwise done may exit while it holds a lock (its lease then runs out).
 * @param lease The lease (ms).
 * @param renew Renews; resolves false once nothing is held any more (renewals stop).
 * @returns Stops the renewals.
 */
export function renewEvery(lease: number, renew: () => Promise<boolean>): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    renew().then((more) => {
      if (!more) clearInterval(timer);
    }, () => {/* Redis unreachable: the next tick tries again, until the lease runs out */}).finally(() =>
      running = false
    );
  }, Math.max(20, Math.floor(lease / 3)));
  (timer as { unref?: () => void }).unref?.();
  return () => clearInterval(timer);
}
