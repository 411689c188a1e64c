/**
 * Random bytes and HMAC-SHA256 for tokens, keys and the link handshake (`channel/auth.ts`), by the
 * route that costs each runtime least at start-up, where every child pays it once.
 *
 * - Node: `node:crypto` (`randomFillSync`, `createHmac`: ~4 ms to load and run the first time). Web
 *   Crypto's first use, even `crypto.getRandomValues`, loads Node's whole WebCrypto layer: ~10 ms,
 *   and the first `crypto.subtle` call ~18 ms, of every child's start.
 * - Deno and Bun: Web Crypto (a few ms). Their `node:crypto` costs ~15-35 ms to load.
 *
 * @module
 */
import { detect } from "./adapter.ts";
import { builtin } from "./builtin.ts";

type _NodeCrypto = typeof import("node:crypto");

const _nodeCrypto: _NodeCrypto | undefined = detect() === "node" ? builtin<_NodeCrypto>("node:crypto") : undefined;

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
  return _nodeCrypto ? _nodeCrypto.randomFillSync(out) : crypto.getRandomValues(out);
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
  if (_nodeCrypto) {
    const h = _nodeCrypto.createHmac("sha256", key);
    for (const p of parts) h.update(p);
    return new Uint8Array(h.digest());
  }
  let k = _keys.get(key);
  if (!k) {
    k = crypto.subtle.importKey("raw", key as Uint8Array<ArrayBuffer>, { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
    ]);
    _keys.set(key, k);
    if (_keys.size > 64) _keys.delete(_keys.keys().next().value!);
  }
  const data = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    data.set(p, o);
    o += p.length;
  }
  return new Uint8Array(await crypto.subtle.sign("HMAC", await k, data));
}
