/**
 * `Barrier`: over shared memory (`sync/shm/barrier.ts`: Python's `threading.Barrier` algorithm on
 * a shared-memory `Condition`), or served by the creating process where shared memory is
 * unavailable or the barrier has too many parties for a shared-memory `Condition`.
 *
 * @module
 */
import { registerType } from "../channel/codec.ts";
import { REBUILD } from "../core/rebuild.ts";
import type { TargetSpec } from "../core/target.ts";
import type { Target } from "../process.ts";
import type { BarrierBackend, SyncState } from "./_backend.ts";
import { Condition } from "./condition.ts";
import { Lock } from "./lock.ts";
import { servedBarrier } from "./served.ts";
import { timeoutOption } from "./served/client.ts";
import { COND_CAPACITY, shmBarrier } from "./shm.ts";
import { backend } from "./shm/arena.ts";

/**
 * Options of {@linkcode Barrier}.
 *
 * @example
 * ```ts
 * import { Barrier, type BarrierOptions, isMainProcess } from "multiproc";
 * import assert from "node:assert/strict";
 * export function announce() { console.log("everyone is here"); }
 * if (isMainProcess(import.meta)) {
 *   const options: BarrierOptions = { action: announce, timeout: 30_000 };
 *   const barrier = new Barrier(2, options);
 *   const indices = await Promise.all([barrier.wait(), barrier.wait()]); // two parties of one process
 *   assert.deepEqual(indices.sort(), [0, 1]);
 * }
 * ```
 */
export interface BarrierOptions {
  /** Runs once per round, before the parties are released (in one of the parties' processes). */
  action?: Target;
  /** Default timeout of `wait()` in ms. */
  timeout?: number;
}

/** What a Barrier reference carries: parties, default timeout, and its backend's state. */
type _BarrierRef = { p: number; t: number | null; a: TargetSpec | null; c: Condition | null; st: SyncState };

/**
 * A barrier for a fixed number of parties: Python's `multiprocessing.Barrier`. `wait()` resolves
 * once `parties` parties wait, with a distinct index per round (exactly one gets 0). A timeout,
 * `abort()` or `reset()` while parties wait rejects every one of them with `BrokenBarrierError`.
 *
 * @example
 * ```ts
 * import { Barrier } from "multiproc";
 * const b = new Barrier(2);
 * const [i, j] = await Promise.all([b.wait(), b.wait()]); // 0 and 1 in some order
 * ```
 */
export class Barrier {
  /** How many parties make a round. */
  readonly parties: number;
  #timeout: number | null;
  #b: BarrierBackend;

  static {
    registerType<Barrier>({
      tag: "multiproc.Barrier",
      cls: Barrier,
      reduce: (b) => ({ p: b.parties, t: b.#timeout, ...b.#b.state() }),
      rebuild: (s) => new Barrier(REBUILD, s as _BarrierRef),
    });
  }

  /**
   * Creates a barrier for `parties` parties, in any processes and async tasks.
   * @param parties How many parties make a round (a positive integer).
   * @param options `action` (a target: exported or self-contained function) and default `timeout` (ms).
   * @throws {RangeError} If `parties` is not a positive integer.
   * @throws {TypeError} If `action` is not a function or `timeout` not a number.
   */
  constructor(parties: number, options?: BarrierOptions);
  /** @internal */
  constructor(tag: typeof REBUILD, state: _BarrierRef);
  constructor(parties: number | typeof REBUILD, options: BarrierOptions | _BarrierRef = {}) {
    if (parties === REBUILD) {
      const s = options as _BarrierRef;
      this.parties = s.p;
      this.#timeout = s.t;
      this.#b = "r" in s.st ? servedBarrier(s.p, s.st.r) : shmBarrier(s.p, s.t, { spec: s.a, cond: s.c!, at: s.st });
      return;
    }
    if (typeof parties !== "number" || !Number.isInteger(parties) || parties < 1 || parties > 1 << 20) {
      throw new RangeError(`Barrier parties must be a positive integer, got ${String(parties)}`);
    }
    this.parties = parties;
    const o = options as BarrierOptions;
    this.#timeout = timeoutOption(o.timeout, "Barrier");
    const action = o.action;
    if (action !== undefined && typeof action !== "function") throw new TypeError("Barrier action must be a function");
    this.#b = backend() === "shm" && parties < COND_CAPACITY
      ? shmBarrier(parties, this.#timeout, { action, cond: () => new Condition(new Lock()) })
      : servedBarrier(parties, { action, timeout: this.#timeout });
  }

  /**
   * Waits until `parties` parties wait.
   * @param timeout Longest wait in ms (default: the barrier's timeout); running out breaks the barrier.
   * @returns This party's arrival index in the round (exactly one party gets 0).
   * @throws {BrokenBarrierError} If the barrier is or becomes broken, is reset, or times out (rejects).
   * @example
   * ```ts
   * const i = await barrier.wait();
   * ```
   */
  wait(timeout?: number): Promise<number> {
    return this.#b.wait(timeout);
  }

  /**
   * Returns the barrier to its initial state; waiting parties get `BrokenBarrierError`.
   * @example
   * ```ts
   * await barrier.reset();
   * ```
   */
  reset(): Promise<void> {
    return this.#b.reset();
  }

  /**
   * Breaks the barrier: waiting and later parties get `BrokenBarrierError` until `reset()`.
   * @example
   * ```ts
   * await barrier.abort();
   * ```
   */
  abort(): Promise<void> {
    return this.#b.abort();
  }

  /**
   * How many parties wait in the current round.
   * @returns The count.
   * @example
   * ```ts
   * console.log(await barrier.nWaiting());
   * ```
   */
  nWaiting(): Promise<number> {
    return this.#b.nWaiting();
  }

  /**
   * Whether the barrier is broken.
   * @returns true when broken.
   * @example
   * ```ts
   * console.log(await barrier.broken());
   * ```
   */
  broken(): Promise<boolean> {
    return this.#b.broken();
  }
}
