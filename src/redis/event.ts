/**
 * `cluster.Event(name)`: a flag by name across the cluster, with the methods of the local `Event`.
 * The flag is one key; `set()` wakes the waiters of every process (pub/sub), and each waiter also
 * looks again every second, so a wake-up lost to a reconnection costs at most that.
 *
 * @module
 */
import { StateError } from "../errors.ts";
import { timeoutOption } from "../sync/served/client.ts";
import type { ClusterCore } from "./core.ts";
import { left, RECHECK_MS, wakeChannel } from "./_prim.ts";
import { Script } from "./script.ts";

// KEYS: the flag. ARGV: wake channel.
const _set = new Script(
  `redis.call('SET', KEYS[1], '1')
redis.call('PUBLISH', ARGV[1], KEYS[1])
return 1`,
  1,
);

/**
 * A flag processes wait on, by name across the cluster (from `cluster.Event(name)`): `set`,
 * `clear`, `isSet` and `wait` as on the local `Event`.
 *
 * @example
 * ```ts
 * import { connect } from "multiproc/redis";
 * if (process.env.REDIS_URL) {
 *   await using cluster = await connect(process.env.REDIS_URL, { authkey: "0123456789abcdef" });
 *   const ready = cluster.Event("ready");
 *   setTimeout(() => ready.set(), 10); // or from any other connected process
 *   console.log(await ready.wait(1000)); // true
 * }
 * ```
 */
export class ClusterEvent {
  /** The event's name. */
  readonly name: string;
  #core: ClusterCore;
  #key: string;

  /** Use `cluster.Event(name)`. @internal */
  constructor(core: ClusterCore, name: string) {
    this.#core = core;
    this.name = name;
    this.#key = core.key("event", name);
  }

  /**
   * Sets the flag and wakes every waiter in every process.
   * @example
   * ```ts
   * await ev.set();
   * ```
   */
  async set(): Promise<void> {
    this.#checkOpen();
    await _set.run(this.#core.cmd, [this.#key, wakeChannel(this.#core)]);
  }

  /**
   * Clears the flag.
   * @example
   * ```ts
   * await ev.clear();
   * ```
   */
  async clear(): Promise<void> {
    this.#checkOpen();
    await this.#core.cmd.call("DEL", this.#key);
  }

  /**
   * Whether the flag is set.
   * @returns The flag.
   * @example
   * ```ts
   * console.log(await ev.isSet());
   * ```
   */
  async isSet(): Promise<boolean> {
    this.#checkOpen();
    return Number(await this.#core.cmd.call("EXISTS", this.#key)) === 1;
  }

  /**
   * Waits until the flag is set.
   * @param timeout Longest wait in ms (default: no limit; negative = 0).
   * @returns true once set, false if the time ran out.
   * @throws {TypeError} If `timeout` is not a number.
   * @example
   * ```ts
   * if (!(await ev.wait(500))) console.log("not set within 500 ms");
   * ```
   */
  async wait(timeout?: number): Promise<boolean> {
    const t = timeoutOption(timeout, `Event ${this.name}.wait()`);
    const end = t === null ? Infinity : performance.now() + t;
    for (;;) {
      if (await this.isSet()) return true;
      const ms = left(end);
      if (ms === 0) return false;
      await this.#core.waitWake(this.#key, Math.min(ms, RECHECK_MS));
    }
  }

  #checkOpen(): void {
    if (this.#core.closed) throw new StateError(`The cluster connection was closed: Event ${this.name} cannot be used`);
  }
}
