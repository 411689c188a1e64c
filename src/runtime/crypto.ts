/**
 * Random bytes and HMAC-SHA256 for tokens, keys and the link handshake (`channel/auth.ts`), by the
 * route that costs each runtime least at start-up, where every child pays it once.
 *
 * - Node on Linux: the kernel's generator through `/dev/urandom` and HMAC in plain JavaScript
 *   (`sha256.ts`): well under 1 ms. Any of Node's own routes first loads its crypto layer, ~11 ms of
 *   CPU (`node:crypto` or `crypto.getRandomValues`), and the first `crypto.subtle` call ~8 ms more,
 *   at every child's start.
 * - Deno, Bun, and Node elsewhere: Web Crypto (a few ms on Deno and Bun, whose `node:crypto` costs
 *   ~15-35 ms to load).
 *
 * @module
 */
import * as fs from "node:fs";
import process from "node:process";
import { detect } from "./adapter.ts";
import { hmacSha256Js } from "./sha256.ts";

const _plainJs = detect() === "node" && process.platform === "linux";

function _urandom(out: Uint8Array): boolean {
  let fd = -1;
  try {
    fd = fs.openSync("/dev/urandom", "r");
    let o = 0;
    while (o < out.length) {
      const n = fs.readSync(fd, out, o, out.length - o, null);
      if (n <= 0) return false;
      o += n;
    }
    return true;
  } catch {
    return false;
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}

/**
 * `n` cryptographically random bytes.
 * @param n How many.
 * @returns A new array of `n` random bytes.
 * @example
 * ```ts
 * const token = randomBytes(32);
 * ```
 */
export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  if (_plainJs && _urandom(out)) return out;
  return crypto.getRandomValues(out);
}

/**
 * `n` cryptographically random bytes as lowercase hex (`2 × n` characters), for unguessable names.
 * @param n How many bytes.
 * @returns The hex string.
 * @example
 * ```ts
 * const id = randomHex(8); // e.g. "9f3a0c71d2e4b856"
 * ```
 */
export function randomHex(n: number): string {
  let out = "";
  for (const b of randomBytes(n)) out += (b < 16 ? "0" : "") + b.toString(16);
  return out;
}

const _keys = new Map<Uint8Array, Promise<Awaited<ReturnType<typeof crypto.subtle.importKey>>>>();

/**
 * HMAC-SHA256 of the concatenated `parts` under `key`.
 * @param key The secret key (imported once per key object for Web Crypto; the last 64 kept).
 * @param parts The message, in pieces.
 * @returns The 32-byte MAC.
 * @example
 * ```ts
 * const mac = await hmacSha256(new Uint8Array(32), new TextEncoder().encode("hello"));
 * ```
 */
export async function hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Promise<Uint8Array> {
  const data = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    data.set(p, o);
    o += p.length;
  }
  if (_plainJs) return hmacSha256Js(key, data);
  let k = _keys.get(key);
  if (!k) {
    k = crypto.subtle.importKey("raw", key as Uint8Array<ArrayBuffer>, { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
    ]);
    _keys.set(key, k);
    if (_keys.size > 64) _keys.delete(_keys.keys().next().value!);
  }
  return new Uint8Array(await crypto.subtle.sign("HMAC", await k, data));
}
