/**
 * `hold()` for every lock-like object of every backend (shared memory, served, Redis): acquire, then
 * a handle whose disposal releases once, for `await using _ = await lock.hold()`.
 *
 * @module
 */
import { TimeoutError } from "../errors.ts";
import type { AcquireOptions } from "./served/client.ts";

/**
 * Acquires, then returns a handle whose disposal releases.
 *
 * @example
 * ```ts
 * import { holdWith } from "./hold.ts";
 * let held = false;
 * const h = await holdWith(Promise.resolve(held = true), undefined, "Lock", async () => void (held = false), () => "");
 * await h[Symbol.asyncDispose]();
 * console.log(held); // false
 * ```
 *
 * @param acquired What `acquire(options)` resolved to.
 * @param options The options given (for the message).
 * @param what E.g. "Lock".
 * @param release Releases once.
 * @param holder Who holds it, for the message (e.g. ": it is held by pid 42", or "").
 * @returns The handle.
 * @throws {TimeoutError} If it was not acquired.
 */
export async function holdWith(
  acquired: Promise<boolean>,
  options: AcquireOptions | undefined,
  what: string,
  release: () => Promise<void>,
  holder: () => string | Promise<string>,
): Promise<AsyncDisposable> {
  if (!(await acquired)) {
    const how = options?.block === false
      ? "could not acquire at once (block: false)"
      : `timed out after ${options?.timeout} ms`;
    throw new TimeoutError(`${what}.hold() ${how}${await holder()}`);
  }
  let done = false;
  return {
    [Symbol.asyncDispose]: async () => {
      if (done) return;
      done = true;
      await release();
    },
  };
}
