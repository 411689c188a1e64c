/**
 * `cluster.Lock(name)`: a lock by name across the cluster, with the methods of the local `Lock`,
 * a lease and a fencing token.
 *
 * - The lock is one key holding its holder's id, set only if absent, with the lease as its expiry;
 *   the holder renews the expiry while it holds the lock (`lease.ts`). A holder that dies is
 *   released when its lease runs out.
 * - Each successful acquire takes the next fencing token (`INCR`, in the acquiring script):
 *   `lock.token`. Writes fenced with it are refused once a newer holder has written (`fence.ts`).
 * - Waiters sleep until a release wakes them (pub/sub) or the holder's lease would run out, and
 *   try again.
 *
 * @module
 */
import { hostname } from "node:os";
import process from "node:process";
import { StateError } from "../errors.ts";
import { randomHex } from "../runtime/crypto.ts";
import type { AcquireOptions } from "../sync/served/client.ts";
import type { ClusterCore } from "./core.ts";
import { deadline, left, RECHECK_MS, wakeChannel } from "./_prim.ts";
import { renewEvery } from "./lease.ts";
import { Script } from "./script.ts";
import { holdWith } from "../sync/hold.ts";

// KEYS: holder key, token counter. ARGV: holder id, lease. {1, token} or {0, ms until the lease ends}.
const _acquire = new Script(
  `if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, redis.call('INCR', KEYS[2])}
end
return {0, redis.call('PTTL', KEYS[1])}`,
  2,
);

// KEYS: holder key. ARGV: holder id, lease.
const _renew = new Script(
  `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`,
  1,
);

// KEYS: holder key. ARGV: holder id ("" for any), wake channel. -1 unlocked, 0 held by another, 1 released.
const _release = new Script(
  `local h = redis.call('GET', KEYS[1])
if not h then return -1 end
if ARGV[1] ~= '' and h ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[2], KEYS[1])
return 1`,
  1,
);

/**
 * A lock by name across the cluster (from `cluster.Lock(name, { lease })`): `acquire`, `release`,
 * `locked` and `hold` as on the local `Lock`, plus a lease and a fencing token.
 *
 * - A handle holds the lock at most once (not reentrant). While it holds it, it renews the lease;
 *   a holder that dies is released once its lease (default 10 s) runs out.
 * - `token` is the fencing token of this handle's latest acquire, larger than any before it:
 *   pass `{ fence: lock }` to a write (`dict.set(k, v, { fence: lock })`) and the write is refused
 *   with `StaleTokenError` if a newer holder has written there.
 * - As in Python, a handle that does not hold the lock may release it.
 *
 * @example
 * ```ts
 * import { connect } from "multiproc/redis";
 * if (process.env.REDIS_URL) {
 *   await using cluster = await connect(process.env.REDIS_URL, { authkey: "0123456789abcdef" });
 *   const lock = cluster.Lock("report", { lease: 5000 });
 *   const totals = cluster.dict<number>("totals");
 *   {
 *     await using _ = await lock.hold({ timeout: 1000 });
 *     await totals.set("sum", ((await totals.get("sum")) ?? 0) + 1, { fence: lock });
 *   }
 * }
 * ```
 */
export class ClusterLock {
  /** The lock's name. */
  readonly name: string;
  /** The lease (ms). */
  readonly lease: number;
  #core: ClusterCore;
  #key: string;
  #tokens: string;
  #holder: string | undefined;
  #token: number | undefined;
  #stop: (() => void) | undefined;

  /** Use `cluster.Lock(name)`. @internal */
  constructor(core: ClusterCore, name: string, lease: number) {
    this.#core = core;
    this.name = name;
    this.lease = lease;
    this.#key = core.key("lock", name, "o");
    this.#tokens = core.key("lock", name, "t");
  }

  /** The fencing token of this handle's latest successful acquire (undefined before the first). */
  get token(): number | undefined {
    return this.#token;
  }

  /**
   * Acquires the lock, waiting (by default) until it is free.
   * @param options `block: false` answers at once (and ignores `timeout`); `timeout` in ms (negative = 0).
   * @returns true when acquired (`token` is then the new fencing token); false when not.
   * @throws {TypeError} If an option has the wrong type.
   * @example
   * ```ts
   * if (await lock.acquire({ timeout: 50 })) await lock.release();
   * ```
   */
  async acquire(options?: AcquireOptions): Promise<boolean> {
    const { block, end } = deadline(options, `Lock ${this.name}.acquire()`);
    const holder = `${hostname()}:${process.pid}:${randomHex(6)}`;
    for (;;) {
      this.#checkOpen();
      const [ok, n] = await _acquire.run(this.#core.cmd, [this.#key, this.#tokens, holder, this.lease]) as [
        number,
        number,
      ];
      if (ok === 1) {
        this.#stop?.();
        this.#holder = holder;
        this.#token = Number(n);
        this.#stop = renewEvery(this.lease, async () => {
          if (this.#holder !== holder || this.#core.closed) return false;
          if (await _renew.run(this.#core.cmd, [this.#key, holder, this.lease]) === 1) return true;
          return false; // lost: the lease ran out, and the lock is free or someone else's
        });
        return true;
      }
      const ms = left(end);
      if (!block || ms === 0) return false;
      // Woken by a release; or the holder's lease ends (it may have died) before the recheck.
      await this.#core.waitWake(this.#key, Math.min(ms, RECHECK_MS, n > 0 ? n + 5 : RECHECK_MS));
    }
  }

  /**
   * Releases the lock: the hold of this handle, or (like Python) whoever holds it when this
   * handle does not.
   * @throws {StateError} If it is not locked, or this handle's hold was lost (its lease ran out).
   * @example
   * ```ts
   * await lock.acquire();
   * await lock.release();
   * ```
   */
  async release(): Promise<void> {
    this.#checkOpen();
    const holder = this.#holder;
    this.#holder = undefined;
    this.#stop?.();
    this.#stop = undefined;
    const r = await _release.run(this.#core.cmd, [this.#key, holder ?? "", wakeChannel(this.#core)]);
    if (r === 1) return;
    if (holder !== undefined) {
      throw new StateError(
        `Lock ${this.name} was no longer held by this handle: its lease (${this.lease} ms) ran out before ` +
          `release() (the renewals stopped: the process froze or lost Redis), and ${
            r === 0 ? "another holder has it now" : "it was free"
          }`,
      );
    }
    throw new StateError(`release() was called on an unlocked Lock ${this.name}: acquire it before releasing it`);
  }

  /**
   * Whether any process holds the lock.
   * @returns true while held.
   * @example
   * ```ts
   * console.log(await lock.locked());
   * ```
   */
  async locked(): Promise<boolean> {
    this.#checkOpen();
    return Number(await this.#core.cmd.call("EXISTS", this.#key)) === 1;
  }

  /**
   * Acquires and resolves to a handle whose disposal releases: `await using _ = await lock.hold()`.
   * @param options As for {@linkcode ClusterLock.acquire}.
   * @returns The handle.
   * @throws {TimeoutError} If it could not be acquired; the message names the holder.
   * @example
   * ```ts
   * await using _ = await lock.hold({ timeout: 1000 });
   * ```
   */
  hold(options?: AcquireOptions): Promise<AsyncDisposable> {
    return holdWith(this.acquire(options), options, `Lock ${this.name}`, () => this.release(), async () => {
      const by = await this.#core.cmd.call("GET", this.#key).catch(() => null);
      return by ? `: it is held by ${by}` : "";
    });
  }

  #checkOpen(): void {
    if (this.#core.closed) throw new StateError(`The cluster connection was closed: Lock ${this.name} cannot be used`);
  }
}
