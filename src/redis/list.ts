/**
 * `cluster.list(name)`: a list by name across the cluster, with the methods of the manager's
 * `ListProxy` (Python's indexing: negative indices count from the end).
 *
 * The items are a Redis list, each sealed for this list. `insert()` and `pop()` at an index run
 * as scripts, so another process's write cannot land between reading the length and moving items:
 * they mark the item at the index with a one-off random marker and move items by that marker
 * (sealed items can repeat, a marker cannot).
 *
 * @module
 */
import { randomHex } from "../runtime/crypto.ts";
import { _show } from "../sync/served/common.ts";
import type { ClusterCore } from "./core.ts";
import { openOr, refused } from "./_prim.ts";
import { Script } from "./script.ts";

// KEYS: list. ARGV: index, item, marker.
const _insert = new Script(
  `local n = redis.call('LLEN', KEYS[1])
local i = tonumber(ARGV[1])
local j
if i < 0 then j = math.max(0, i + n) else j = math.min(i, n) end
if j >= n then return redis.call('RPUSH', KEYS[1], ARGV[2]) end
local old = redis.call('LINDEX', KEYS[1], j)
redis.call('LSET', KEYS[1], j, ARGV[3])
redis.call('LINSERT', KEYS[1], 'BEFORE', ARGV[3], ARGV[2])
redis.call('LSET', KEYS[1], j + 1, old)
return n + 1`,
  1,
);

// KEYS: list. ARGV: index, marker. The item, or the error EMPTY / RANGE <length>.
const _pop = new Script(
  `local n = redis.call('LLEN', KEYS[1])
if n == 0 then return redis.error_reply('EMPTY') end
local j = tonumber(ARGV[1])
if j < 0 then j = j + n end
if j < 0 or j >= n then return redis.error_reply('RANGE ' .. n) end
if j == n - 1 then return redis.call('RPOP', KEYS[1]) end
if j == 0 then return redis.call('LPOP', KEYS[1]) end
local v = redis.call('LINDEX', KEYS[1], j)
redis.call('LSET', KEYS[1], j, ARGV[2])
redis.call('LREM', KEYS[1], 1, ARGV[2])
return v`,
  1,
);

function _int(what: string, i: unknown): number {
  if (typeof i !== "number" || !Number.isInteger(i)) {
    throw new TypeError(`${what} index must be an integer, got ${_show(i)}`);
  }
  return i;
}

/**
 * A list by name across the cluster (from `cluster.list(name)`): the methods of the manager's
 * `ListProxy`. Indices may be negative (from the end); values read are copies.
 *
 * @example
 * ```ts
 * import { connect } from "multiproc/redis";
 * if (process.env.REDIS_URL) {
 *   await using cluster = await connect(process.env.REDIS_URL, { authkey: "0123456789abcdef" });
 *   const log = cluster.list<string>("log");
 *   await log.append("started");
 *   console.log(await log.get(-1)); // "started"
 * }
 * ```
 */
export class ClusterList<V = unknown> {
  /** The list's name. */
  readonly name: string;
  #core: ClusterCore;
  #key: string;
  #purpose: string;
  #what: string;

  /** Use `cluster.list(name)`. @internal */
  constructor(core: ClusterCore, name: string) {
    this.#core = core;
    this.name = name;
    this.#key = core.key("list", name);
    this.#purpose = `list:${name}`;
    this.#what = `list ${name}`;
  }

  #seal(v: V): Uint8Array {
    return this.#core.sealer.seal(this.#purpose, v);
  }

  #open(bytes: unknown): V {
    return this.#core.sealer.open(this.#purpose, bytes) as V;
  }

  async #range(what: string, i: number): Promise<RangeError> {
    const n = Number(await this.#core.cmd.call("LLEN", this.#key));
    return new RangeError(`${this.#what} ${what} index ${i} is out of range for length ${n}`);
  }

  /**
   * Reads item `i`.
   * @returns A copy of item `i`.
   * @throws {RangeError} If out of range.
   * @throws {AuthenticationError} If the item was not written with the cluster's authkey.
   * @example
   * ```ts
   * const last = await log.get(-1);
   * ```
   */
  async get(i: number): Promise<V> {
    _int(`${this.#what} get()`, i);
    const bytes = await this.#core.cmd.callBuffer("LINDEX", this.#key, i);
    if (bytes === null) throw await this.#range("get()", i);
    return this.#open(bytes);
  }

  /**
   * Replaces item `i`.
   * @throws {RangeError} If out of range.
   * @example
   * ```ts
   * await log.set(0, "first");
   * ```
   */
  async set(i: number, v: V): Promise<void> {
    _int(`${this.#what} set()`, i);
    try {
      await this.#core.cmd.call("LSET", this.#key, i, this.#seal(v));
    } catch (e) {
      if (/index out of range|no such key/i.test((e as Error)?.message ?? "")) throw await this.#range("set()", i);
      throw e;
    }
  }

  /**
   * Appends `v`.
   * @example
   * ```ts
   * await log.append("line");
   * ```
   */
  async append(v: V): Promise<void> {
    await this.#core.cmd.call("RPUSH", this.#key, this.#seal(v));
  }

  /**
   * Appends every item of `vs`, in one step.
   * @throws {TypeError} If `vs` is not iterable or an item cannot be sent.
   * @example
   * ```ts
   * await log.extend(["a", "b"]);
   * ```
   */
  async extend(vs: Iterable<V>): Promise<void> {
    if (vs === null || typeof (vs as Iterable<V>)?.[Symbol.iterator] !== "function") {
      throw new TypeError(`${this.#what} extend() expects an array, got ${_show(vs)}`);
    }
    const items = [...vs].map((v) => this.#seal(v));
    if (items.length > 0) await this.#core.cmd.call("RPUSH", this.#key, ...items);
  }

  /**
   * Inserts `v` before index `i` (clamped like Python's).
   * @throws {TypeError} If `i` is not an integer.
   * @example
   * ```ts
   * await log.insert(0, "header");
   * ```
   */
  async insert(i: number, v: V): Promise<void> {
    _int(`${this.#what} insert()`, i);
    await _insert.run(this.#core.cmd, [this.#key, i, this.#seal(v), `mp-marker:${randomHex(16)}`]);
  }

  /**
   * Removes and returns item `i` (default: the last).
   * @returns The item.
   * @throws {RangeError} If empty or out of range.
   * @throws {AuthenticationError} If the item was not written with the cluster's authkey (it is removed).
   * @example
   * ```ts
   * const last = await log.pop();
   * ```
   */
  async pop(i = -1): Promise<V> {
    _int(`${this.#what} pop()`, i);
    let bytes: unknown;
    try {
      bytes = await _pop.run(this.#core.cmd, [this.#key, i, `mp-marker:${randomHex(16)}`], true);
    } catch (e) {
      const m = (e as Error)?.message ?? "";
      if (/EMPTY/.test(m)) throw new RangeError(`${this.#what} pop() on an empty list: check length() first`);
      const r = /RANGE (\d+)/.exec(m);
      if (r) throw new RangeError(`${this.#what} pop() index ${i} is out of range for length ${r[1]}`);
      throw e;
    }
    return this.#open(bytes);
  }

  /**
   * Counts the items.
   * @returns The number of items.
   * @example
   * ```ts
   * console.log(await log.length());
   * ```
   */
  async length(): Promise<number> {
    return Number(await this.#core.cmd.call("LLEN", this.#key));
  }

  /**
   * Copies the whole list; items not written with the cluster's authkey are left out and reported.
   * @returns A copy of all items.
   * @example
   * ```ts
   * console.log(await log.toArray());
   * ```
   */
  async toArray(): Promise<V[]> {
    const all = await this.#core.cmd.callBuffer("LRANGE", this.#key, 0, -1) as Uint8Array[];
    const out: V[] = [];
    for (const [k, bytes] of all.entries()) {
      const v = openOr<V>(this.#core, this.#purpose, bytes, `item ${k} of ${this.#what}`);
      if (v !== refused) out.push(v);
    }
    return out;
  }

  /**
   * Removes every item.
   * @example
   * ```ts
   * await log.clear();
   * ```
   */
  async clear(): Promise<void> {
    await this.#core.cmd.call("DEL", this.#key);
  }
}
