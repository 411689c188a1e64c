/**
 * `cluster.Semaphore(name, value)`: a counting semaphore by name across the cluster, with the
 * methods of the local `Semaphore` and a lease on every slot taken.
 *
 * The semaphore is a capacity (set to `value` by the first use anywhere) and a sorted set of the
 * slots taken, each scored with the time its lease ends (server time). Every script first drops
 * slots whose lease ended, so a dead holder's slot frees itself; holders renew theirs while they
 * hold them. `release()` gives back a slot this handle took, else (like Python) raises the
 * capacity.
 *
 * @module
 */
import { hostname } from "node:os";
import process from "node:process";
import { randomHex } from "../runtime/crypto.ts";
import { _show } from "../sync/served/common.ts";
import type { AcquireOptions } from "../sync/served/client.ts";
import type { ClusterCore } from "./core.ts";
import { deadline, left, RECHECK_MS, wakeChannel } from "./_prim.ts";
import { renewEvery } from "./lease.ts";
import { Script } from "./script.ts";
import { holdWith } from "../sync/hold.ts";

// Shared head: KEYS[1] slots (holder -> lease end), KEYS[2] capacity; ARGV[1] initial value.
const _HEAD = `if redis.call('EXISTS', KEYS[2]) == 0 then redis.call('SET', KEYS[2], ARGV[1]) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local cap = tonumber(redis.call('GET', KEYS[2]))
`;

// ARGV: initial, holder, lease. {1, 0} taken, or {0, ms until the first lease ends (-1: none)}.
const _acquire = new Script(
  _HEAD + `if redis.call('ZCARD', KEYS[1]) < cap then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
  return {1, 0}
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #first == 0 then return {0, -1} end
return {0, tonumber(first[2]) - now}`,
  2,
);

// ARGV: initial, n, wake channel, then the holder ids this handle gives back (at most n). The
// units beyond them raise the capacity. A holder id whose lease already ended counts as given back.
const _release = new Script(
  _HEAD + `local n = tonumber(ARGV[2])
for i = 4, #ARGV do
  redis.call('ZREM', KEYS[1], ARGV[i])
  n = n - 1
end
if n > 0 then redis.call('INCRBY', KEYS[2], n) end
redis.call('PUBLISH', ARGV[3], KEYS[1])
return 1`,
  2,
);

// ARGV: initial, lease, holder ids. Returns the ids that were lost (their lease had ended).
const _renew = new Script(
  _HEAD + `local lost = {}
for i = 3, #ARGV do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[i])
  else
    table.insert(lost, ARGV[i])
  end
end
return lost`,
  2,
);

const _value = new Script(_HEAD + `return cap - redis.call('ZCARD', KEYS[1])`, 2);

/**
 * A counting semaphore by name across the cluster (from `cluster.Semaphore(name, value, { lease })`):
 * `acquire`, `release`, `getValue` and `hold` as on the local `Semaphore`. Each slot taken is held
 * with a lease, renewed while held: a dead holder's slot comes back when its lease runs out.
 * `value` is the initial value set by the first use anywhere; later handles' `value` is ignored.
 *
 * @example
 * ```ts
 * import { connect } from "multiproc/redis";
 * if (process.env.REDIS_URL) {
 *   await using cluster = await connect(process.env.REDIS_URL, { authkey: "0123456789abcdef" });
 *   const downloads = cluster.Semaphore("downloads", 4); // at most 4 at once, cluster-wide
 *   await using _ = await downloads.hold();
 *   console.log(await downloads.getValue()); // 3 if no one else holds one
 * }
 * ```
 */
export class ClusterSemaphore {
  /** The semaphore's name. */
  readonly name: string;
  /** The lease of each slot (ms). */
  readonly lease: number;
  #core: ClusterCore;
  #keys: [string, string];
  #initial: number;
  #held: string[] = [];
  #stop: (() => void) | undefined;

  /** Use `cluster.Semaphore(name, value)`. @internal */
  constructor(core: ClusterCore, name: string, value: number, lease: number) {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 0x7fffffff) {
      throw new RangeError(`Semaphore value must be an integer from 0 to 2147483647, got ${_show(value)}`);
    }
    this.#core = core;
    this.name = name;
    this.lease = lease;
    this.#initial = value;
    this.#keys = [core.key("sem", name, "h"), core.key("sem", name, "c")];
  }

  /**
   * Takes one unit, waiting (by default) until one is available.
   * @param options `block: false` answers at once; `timeout` in ms (negative = 0).
   * @returns true when taken, false when not.
   * @throws {TypeError} If an option has the wrong type.
   * @example
   * ```ts
   * if (await sem.acquire({ block: false })) await sem.release();
   * ```
   */
  async acquire(options?: AcquireOptions): Promise<boolean> {
    const { block, end } = deadline(options, `Semaphore ${this.name}.acquire()`);
    const holder = `${hostname()}:${process.pid}:${randomHex(6)}`;
    for (;;) {
      const [ok, n] = await _acquire.run(this.#core.cmd, [...this.#keys, this.#initial, holder, this.lease]) as [
        number,
        number,
      ];
      if (ok === 1) {
        this.#held.push(holder);
        this.#stop ??= renewEvery(this.lease, () => this.#renew());
        return true;
      }
      const ms = left(end);
      if (!block || ms === 0) return false;
      await this.#core.waitWake(this.#keys[0], Math.min(ms, RECHECK_MS, n > 0 ? n + 5 : RECHECK_MS));
    }
  }

  async #renew(): Promise<boolean> {
    if (this.#core.closed) this.#held = [];
    if (this.#held.length > 0) {
      const lost = await _renew.run(this.#core.cmd, [
        ...this.#keys,
        this.#initial,
        this.lease,
        ...this.#held,
      ]) as string[];
      if (lost.length > 0) this.#held = this.#held.filter((h) => !lost.includes(h));
    }
    if (this.#held.length > 0) return true;
    this.#stop = undefined;
    return false;
  }

  /**
   * Gives back `n` units (default 1): slots this handle took first, then (like Python) units above
   * the current value.
   * @param n How many.
   * @throws {RangeError} If `n` is not a positive integer.
   * @example
   * ```ts
   * await sem.release();
   * ```
   */
  async release(n = 1): Promise<void> {
    if (typeof n !== "number" || !Number.isInteger(n) || n < 1) {
      throw new RangeError(`Semaphore ${this.name}.release(n) needs a positive integer n, got ${_show(n)}`);
    }
    const mine = this.#held.splice(0, n);
    if (this.#held.length === 0) {
      this.#stop?.();
      this.#stop = undefined;
    }
    await _release.run(this.#core.cmd, [...this.#keys, this.#initial, n, wakeChannel(this.#core), ...mine]);
  }

  /**
   * The current value: units available now.
   * @returns The value.
   * @example
   * ```ts
   * console.log(await sem.getValue());
   * ```
   */
  async getValue(): Promise<number> {
    return Number(await _value.run(this.#core.cmd, [...this.#keys, this.#initial]));
  }

  /**
   * Takes one unit and resolves to a handle whose disposal gives it back.
   * @param options As for {@linkcode ClusterSemaphore.acquire}.
   * @returns The handle.
   * @throws {TimeoutError} If no unit could be taken.
   * @example
   * ```ts
   * await using _ = await sem.hold();
   * ```
   */
  hold(options?: AcquireOptions): Promise<AsyncDisposable> {
    return holdWith(this.acquire(options), options, `Semaphore ${this.name}`, () => this.release(), () => "");
  }
}
