/**
 * Fencing: every successful `cluster.Lock` acquire gets a token, one more than any before it.
 * A write fenced with a token (`dict.set(k, v, { fence: lock })`) is checked, in the same script
 * that writes, against the highest token the object has seen: an older token is refused. So a
 * holder whose lease ran out while it was frozen (a GC pause, SIGSTOP, a network cut) cannot
 * overwrite what the lock's next holder wrote.
 *
 * @module
 */
import { registerErrorClass } from "../channel/_codec_errors.ts";

/**
 * A fenced write was refused: the object has seen a newer fencing token, so the writer's lock was
 * lost (its lease ran out) and another process holds it now.
 *
 * @example
 * ```ts
 * import { StaleTokenError } from "multiproc/redis";
 * const e = new StaleTokenError("dict jobs refused token 3: it has seen token 4");
 * console.log(e.name); // "StaleTokenError"
 * ```
 */
export class StaleTokenError extends Error {
  /** The token the refused write carried. */
  token?: number;
  /** The highest token the object had seen. */
  seen?: number;
  /**
   * Creates the error (the library makes it when a fenced write is refused).
   * @param message What was refused, and why.
   * @param options `cause`, as for `Error`.
   */
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    Object.defineProperty(this, "name", { value: "StaleTokenError", writable: true, configurable: true });
  }
  static {
    registerErrorClass(StaleTokenError);
  }
}

/**
 * What fences a write: a held `cluster.Lock` (its current token) or a token.
 *
 * @example
 * ```ts
 * import type { Fence } from "multiproc/redis";
 * const byToken: Fence = 7; // e.g. a token saved from lock.token
 * const byLock: Fence = { token: 7 }; // what a held cluster.Lock looks like here
 * console.log(byToken, byLock.token); // 7 7
 * ```
 */
export type Fence = { readonly token: number | undefined } | number;

/**
 * Options of a fenced write.
 *
 * @example
 * ```ts
 * import type { FenceOptions } from "multiproc/redis";
 * const fenced: FenceOptions = { fence: 7 }; // or { fence: lock }, a held cluster.Lock
 * ```
 */
export interface FenceOptions {
  /** Refuse the write if the object has seen a newer token than this lock's (or this number). */
  fence?: Fence;
}

/**
 * The token of a write's `fence` option, as a script argument ("" when unfenced).
 * @throws {TypeError} If `fence` is neither a positive integer nor a lock that was acquired.
 */
export function fenceArg(options: FenceOptions | undefined, what: string): string {
  if (options === undefined || options === null) return "";
  if (typeof options !== "object") throw new TypeError(`${what} options must be an object like { fence: lock }`);
  const f = options.fence;
  if (f === undefined) return "";
  const token = typeof f === "number" ? f : f?.token;
  if (typeof token !== "number" || !Number.isSafeInteger(token) || token < 1) {
    throw new TypeError(
      `${what} fence must be a cluster Lock that has been acquired, or its token (a positive integer), got ${
        typeof f === "number" ? f : token === undefined ? "a lock never acquired" : typeof f
      }`,
    );
  }
  return String(token);
}

/**
 * The Lua that checks a fence: with `fenceKey` the highest token seen and `tok` the write's token
 * ("" when unfenced), it returns the error reply `STALE <seen>` for an older token, else records it.
 */
export const FENCE_LUA = `local function fence(fenceKey, tok)
  if tok == '' then return nil end
  local seen = tonumber(redis.call('GET', fenceKey) or '0')
  if tonumber(tok) < seen then return redis.error_reply('STALE ' .. seen) end
  redis.call('SET', fenceKey, tok)
  return nil
end
`;

/**
 * Turns a script's `STALE <seen>` reply into a {@linkcode StaleTokenError}; other errors pass.
 * @param e What the script rejected with.
 * @param token The write's token.
 * @param what The object, for the message ("dict jobs").
 */
export function staleOr(e: unknown, token: string, what: string): unknown {
  const m = /STALE (\d+)/.exec((e as Error)?.message ?? "");
  if (!m) return e;
  const err = new StaleTokenError(
    `${what} refused a write fenced with token ${token}: it has seen token ${m[1]}, so that lock was lost ` +
      `(its lease ran out) and another holder has written since; acquire the lock again and re-read`,
  );
  err.token = Number(token);
  err.seen = Number(m[1]);
  return err;
}
