/**
 * Waiting for something at most a given time: `join(timeout)` of processes and threads, `get` of
 * pool results and futures.
 *
 * @module
 */

/**
 * Waits for `p` at most `timeout` ms (no timeout: until it settles; its rejection propagates).
 * @param p What to wait for.
 * @param timeout Milliseconds, or undefined/null for no limit.
 * @param what The call, for the error message (e.g. `"join()"`).
 * @returns True when `p` settled in time.
 * @throws {TypeError} If `timeout` is not a number.
 * @example
 * ```ts
 * const inTime = await settledWithin(new Promise((r) => setTimeout(r, 5)), 1000, "wait()");
 * ```
 */
export async function settledWithin(p: Promise<unknown>, timeout: number | undefined, what: string): Promise<boolean> {
  if (timeout === undefined || timeout === null) {
    await p;
    return true;
  }
  if (typeof timeout !== "number" || Number.isNaN(timeout)) {
    throw new TypeError(`${what} timeout must be a number of milliseconds, got ${typeof timeout}`);
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), Math.max(0, timeout))));
  try {
    return await Promise.race([p.then(() => true), expired]);
  } finally {
    clearTimeout(timer);
  }
}
