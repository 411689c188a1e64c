/**
 * `cluster.dict(name)`: a string-keyed dict by name across the cluster, with the methods of the
 * manager's `DictProxy`.
 *
 * - The values are a Redis hash, each value sealed for its dict and key (a value copied to another
 *   key or dict does not open there). A sorted set keeps the keys' insertion order.
 * - Writes take `{ fence }` (a held `cluster.Lock`, or its token): the script that writes first
 *   checks the token against the highest one the dict has seen (`fence.ts`).
 * - A value not sealed for its place is refused, never decoded: `get()` rejects with
 *   `AuthenticationError`; `values()`, `entries()` and `toObject()` leave it out and report it.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { _show } from "../sync/served/common.ts";
import type { ClusterCore } from "./core.ts";
import { FENCE_LUA, fenceArg, type FenceOptions, staleOr } from "./fence.ts";
import { openOr, refused } from "./_prim.ts";
import { Script } from "./script.ts";

// KEYS for every script: values (hash), order (zset), order counter, highest fencing token.
const _K = 4;
// ARGV: token, then key, value, key, value, ...
const _set = new Script(
  FENCE_LUA + `local err = fence(KEYS[4], ARGV[1])
if err then return err end
for i = 2, #ARGV, 2 do
  if redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) == 1 then
    redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), ARGV[i])
  end
end
return 1`,
  _K,
);
// ARGV: token, key.
const _delete = new Script(
  FENCE_LUA + `local err = fence(KEYS[4], ARGV[1])
if err then return err end
redis.call('ZREM', KEYS[2], ARGV[2])
return redis.call('HDEL', KEYS[1], ARGV[2])`,
  _K,
);
// ARGV: token.
const _clear = new Script(
  FENCE_LUA + `local err = fence(KEYS[4], ARGV[1])
if err then return err end
redis.call('DEL', KEYS[1], KEYS[2])
return 1`,
  _K,
);
const _entries = new Script(
  `local out = {}
for _, k in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  local v = redis.call('HGET', KEYS[1], k)
  if v then
    table.insert(out, k)
    table.insert(out, v)
  end
end
return out`,
  _K,
);

function _key(what: string, k: unknown): string {
  if (typeof k !== "string") throw new TypeError(`${what} keys must be strings, got ${_show(k)}`);
  return k;
}

/**
 * A dict by name across the cluster (from `cluster.dict(name)`): the methods of the manager's
 * `DictProxy`. A missing key reads as `undefined`; values read are copies. Writes take
 * `{ fence: lock }` to be refused once a newer holder of that lock has written here.
 *
 * @example
 * ```ts
 * import { connect } from "multiproc/redis";
 * if (process.env.REDIS_URL) {
 *   await using cluster = await connect(process.env.REDIS_URL, { authkey: "0123456789abcdef" });
 *   const config = cluster.dict<number>("config");
 *   await config.set("workers", 8);
 *   console.log(await config.get("workers")); // 8, in every connected process
 * }
 * ```
 */
export class ClusterDict<V = unknown> {
  /** The dict's name. */
  readonly name: string;
  #core: ClusterCore;
  #keys: string[];
  #kind: string;
  #what: string;

  /** Use `cluster.dict(name)`. @internal */
  constructor(core: ClusterCore, name: string, kind = "dict") {
    this.#core = core;
    this.name = name;
    this.#kind = kind;
    this.#what = `${kind === "dict" ? "dict" : "namespace"} ${name}`;
    this.#keys = ["h", "o", "n", "f"].map((part) => core.key(kind, name, part));
  }

  #purpose(k: string): string {
    return `${this.#kind}:${this.name}:${k}`;
  }

  async #write(script: Script, token: string, args: (string | Uint8Array)[]): Promise<unknown> {
    try {
      return await script.run(this.#core.cmd, [...this.#keys, token, ...args]);
    } catch (e) {
      throw staleOr(e, token, this.#what);
    }
  }

  /**
   * Reads key `k`.
   * @returns A copy of the value at `k`, or undefined.
   * @throws {TypeError} If `k` is not a string.
   * @throws {AuthenticationError} If the value there was not written with the cluster's authkey.
   * @example
   * ```ts
   * const n = await d.get("count");
   * ```
   */
  async get(k: string): Promise<V | undefined> {
    _key(this.#what, k);
    const bytes = await this.#core.cmd.callBuffer("HGET", this.#keys[0], k);
    if (bytes === null) return undefined;
    return this.#core.sealer.open(this.#purpose(k), bytes) as V;
  }

  /**
   * Sets `k` to `v`.
   * @param options `fence`: a held `cluster.Lock` (or its token); the write is refused if this
   *   dict has seen a newer token.
   * @throws {TypeError} If `k` is not a string or `v` cannot be sent.
   * @throws {StaleTokenError} If the fence's token is older than one this dict has seen.
   * @example
   * ```ts
   * await d.set("count", 1, { fence: lock });
   * ```
   */
  async set(k: string, v: V, options?: FenceOptions): Promise<void> {
    _key(this.#what, k);
    const token = fenceArg(options, `${this.#what} set()`);
    await this.#write(_set, token, [k, Buffer.from(this.#core.sealer.seal(this.#purpose(k), v))]);
  }

  /**
   * Removes key `k`.
   * @param options `fence`, as for {@linkcode ClusterDict.set}.
   * @returns Whether `k` was there.
   * @throws {StaleTokenError} If the fence's token is older than one this dict has seen.
   * @example
   * ```ts
   * await d.delete("count");
   * ```
   */
  async delete(k: string, options?: FenceOptions): Promise<boolean> {
    _key(this.#what, k);
    const token = fenceArg(options, `${this.#what} delete()`);
    return Number(await this.#write(_delete, token, [k])) === 1;
  }

  /**
   * Tells whether key `k` is there.
   * @returns Whether `k` is there.
   * @example
   * ```ts
   * if (await d.has("count")) console.log("counted");
   * ```
   */
  async has(k: string): Promise<boolean> {
    _key(this.#what, k);
    return Number(await this.#core.cmd.call("HEXISTS", this.#keys[0], k)) === 1;
  }

  /**
   * Lists the keys.
   * @returns The keys, in insertion order.
   * @example
   * ```ts
   * console.log(await d.keys());
   * ```
   */
  async keys(): Promise<string[]> {
    return (await this.#entries()).map(([k]) => k);
  }

  /**
   * Lists the values.
   * @returns Copies of the values, in their keys' insertion order.
   * @example
   * ```ts
   * console.log(await d.values());
   * ```
   */
  async values(): Promise<V[]> {
    return (await this.#entries()).map(([, v]) => v);
  }

  /**
   * Lists the `[key, value]` pairs.
   * @returns Copies of the entries, in insertion order.
   * @example
   * ```ts
   * for (const [k, v] of await d.entries()) console.log(k, v);
   * ```
   */
  entries(): Promise<[string, V][]> {
    return this.#entries();
  }

  async #entries(): Promise<[string, V][]> {
    const flat = await _entries.run(this.#core.cmd, this.#keys, true) as Uint8Array[];
    const out: [string, V][] = [];
    for (let i = 0; i < flat.length; i += 2) {
      const k = Buffer.from(flat[i]).toString("utf8");
      const v = openOr<V>(
        this.#core,
        this.#purpose(k),
        flat[i + 1],
        `the value of ${this.#what} key ${JSON.stringify(k)}`,
      );
      if (v !== refused) out.push([k, v]);
    }
    return out;
  }

  /**
   * Counts the keys.
   * @returns The number of keys.
   * @example
   * ```ts
   * console.log(await d.size());
   * ```
   */
  async size(): Promise<number> {
    return Number(await this.#core.cmd.call("HLEN", this.#keys[0]));
  }

  /**
   * Removes every key.
   * @param options `fence`, as for {@linkcode ClusterDict.set}.
   * @throws {StaleTokenError} If the fence's token is older than one this dict has seen.
   * @example
   * ```ts
   * await d.clear();
   * ```
   */
  async clear(options?: FenceOptions): Promise<void> {
    const token = fenceArg(options, `${this.#what} clear()`);
    await this.#write(_clear, token, []);
  }

  /**
   * Sets every key of `o`, in one step.
   * @param options `fence`, as for {@linkcode ClusterDict.set}.
   * @throws {TypeError} If `o` is not a plain object or Map of string keys, or a value cannot be sent.
   * @throws {StaleTokenError} If the fence's token is older than one this dict has seen.
   * @example
   * ```ts
   * await d.update({ a: 1, b: 2 });
   * ```
   */
  async update(o: Record<string, V> | Map<string, V>, options?: FenceOptions): Promise<void> {
    let pairs: [string, V][];
    if (o instanceof Map) pairs = [...o].map(([k, v]) => [_key(this.#what, k), v]);
    else if (typeof o === "object" && o !== null && !Array.isArray(o)) pairs = Object.entries(o);
    else throw new TypeError(`${this.#what} update() expects a plain object or a Map of string keys, got ${_show(o)}`);
    const token = fenceArg(options, `${this.#what} update()`);
    if (pairs.length === 0) return;
    const args: (string | Uint8Array)[] = [];
    for (const [k, v] of pairs) args.push(k, Buffer.from(this.#core.sealer.seal(this.#purpose(k), v)));
    await this.#write(_set, token, args);
  }

  /**
   * Copies the whole dict.
   * @returns A copy as a plain object.
   * @example
   * ```ts
   * console.log(await d.toObject());
   * ```
   */
  async toObject(): Promise<Record<string, V>> {
    const out: Record<string, V> = {};
    for (const [k, v] of await this.#entries()) {
      Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
}
