/**
 * `Barrier`: Python's `threading.Barrier` algorithm (filling / draining / resetting /
 * broken) on a shared-memory `Condition`, with each party's pid recorded so a party that dies does
 * not wedge the barrier; served by the creating process where shared memory is unavailable.
 *
 * @module
 */
import { registerType } from "../channel/codec.ts";
import { isProcessGone, node, type Ref } from "../core/node.ts";
import { describeFunction, resolveFunction, type TargetSpec } from "../core/target.ts";
import { BrokenBarrierError } from "../errors.ts";
import type { Target } from "../process.ts";
import { allocate, openBlock, sharedMemory } from "./shm/arena.ts";
import { _PID } from "./shm/core.ts";
import { Lock, type SyncState } from "./lock.ts";
import { COND_CAPACITY, Condition } from "./condition.ts";
import { BarrierClient, createServed, refRemote, timeoutOption } from "./served.ts";

const _REBUILD = Symbol("rebuild");

const _FILLING = 0, _DRAINING = 1, _RESETTING = -1, _BROKEN = -2;
let _partyIds = 0;

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
  #action: Target | undefined;
  #spec: TargetSpec | null = null;
  #cond: Condition | null = null;
  #i32: Int32Array | null = null;
  #idx = 0;
  #name = "";
  #client: BarrierClient | null = null;
  #ref: Ref | null = null;

  static {
    registerType<Barrier>({
      tag: "multiproc.Barrier",
      cls: Barrier,
      reduce: (b) => ({
        p: b.parties,
        t: b.#timeout,
        a: b.#spec,
        c: b.#cond,
        st: (b.#ref ? { r: b.#ref } : { s: b.#name, o: b.#idx * 4 }) as SyncState,
      }),
      rebuild: (s) => new Barrier(_REBUILD as unknown as number, s as BarrierOptions),
    });
  }

  /**
   * Creates a barrier for `parties` parties, in any processes and async tasks.
   * @param parties How many parties make a round (a positive integer).
   * @param options `action` (a target: exported or self-contained function) and default `timeout` (ms).
   * @throws {RangeError} If `parties` is not a positive integer.
   * @throws {TypeError} If `action` is not a function or `timeout` not a number.
   */
  constructor(parties: number, options: BarrierOptions = {}) {
    if ((parties as unknown) === _REBUILD) {
      const s = options as unknown as { p: number; t: number | null; a: TargetSpec | null; c: Condition | null; st: SyncState };
      this.parties = s.p;
      this.#timeout = s.t;
      this.#spec = s.a;
      if ("r" in s.st) this.#useRef(s.st.r);
      else this.#useBlock(s.st.s, s.st.o, s.c!);
      return;
    }
    if (typeof parties !== "number" || !Number.isInteger(parties) || parties < 1 || parties > 1 << 20) {
      throw new RangeError(`Barrier parties must be a positive integer, got ${String(parties)}`);
    }
    this.parties = parties;
    this.#timeout = timeoutOption(options.timeout, "Barrier");
    if (options.action !== undefined && typeof options.action !== "function") throw new TypeError("Barrier action must be a function");
    this.#action = options.action;
    if (sharedMemory() && parties < COND_CAPACITY) {
      if (this.#action) this.#spec = describeFunction(this.#action, undefined, "Barrier action");
      const b = allocate((2 + 2 * parties) * 4);
      this.#useBlock(b.name, b.off, new Condition(new Lock()));
    } else {
      this.#useRef(node.serve(createServed("Barrier", { value: parties, action: this.#action, timeout: this.#timeout })));
    }
  }
  #useBlock(name: string, off: number, cond: Condition): void {
    this.#name = name;
    this.#i32 = openBlock(name, off, "Barrier").i32;
    this.#idx = off / 4;
    this.#cond = cond;
  }
  #useRef(ref: Ref): void {
    this.#ref = ref;
    this.#client = new BarrierClient(refRemote(ref, "Barrier"), this.parties);
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
  async wait(timeout?: number): Promise<number> {
    if (this.#client) return await this.#client.wait(timeout);
    const t = timeout === undefined ? this.#timeout : timeoutOption(timeout, "Barrier.wait()");
    const i32 = this.#i32!, b = this.#idx, cond = this.#cond!;
    await cond.acquire();
    try {
      await this.#enter();
      this.#reap(true);
      const id = ++_partyIds;
      const pos = i32[b + 1];
      i32[b + 2 + 2 * pos] = _PID;
      i32[b + 3 + 2 * pos] = id;
      i32[b + 1] = pos + 1;
      try {
        if (pos + 1 === this.parties) await this.#release();
        else await this.#waitRound(t);
        return this.#positionOf(id);
      } finally {
        this.#leave(id);
      }
    } finally {
      await cond.release();
    }
  }

  /**
   * Returns the barrier to its initial state; waiting parties get `BrokenBarrierError`.
   * @example
   * ```ts
   * await barrier.reset();
   * ```
   */
  async reset(): Promise<void> {
    if (this.#client) return await this.#client.reset();
    const i32 = this.#i32!, b = this.#idx;
    await this.#cond!.acquire();
    try {
      if (i32[b + 1] > 0) {
        if (i32[b] === _FILLING || i32[b] === _BROKEN) i32[b] = _RESETTING;
      } else i32[b] = _FILLING;
      await this.#cond!.notifyAll();
    } finally {
      await this.#cond!.release();
    }
  }

  /**
   * Breaks the barrier: waiting and later parties get `BrokenBarrierError` until `reset()`.
   * @example
   * ```ts
   * await barrier.abort();
   * ```
   */
  async abort(): Promise<void> {
    if (this.#client) return await this.#client.abort();
    await this.#cond!.acquire();
    try {
      await this.#break();
    } finally {
      await this.#cond!.release();
    }
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
    if (this.#client) return this.#client.nWaiting();
    return Promise.resolve(this.#i32![this.#idx] === _FILLING ? this.#i32![this.#idx + 1] : 0);
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
    if (this.#client) return this.#client.broken();
    return Promise.resolve(this.#i32![this.#idx] === _BROKEN);
  }

  /** Waits while the previous round drains or a reset completes. */
  async #enter(): Promise<void> {
    const i32 = this.#i32!, b = this.#idx;
    while (i32[b] === _RESETTING || i32[b] === _DRAINING) {
      await this.#cond!.wait(100);
      this.#reap(false); // a party that died before leaving must not hold the next round back
    }
    if (i32[b] < 0) throw this.#error("is broken");
  }

  /** Drops parties whose process died: compacting while filling, marking them left while draining. */
  #reap(filling: boolean): void {
    const i32 = this.#i32!, b = this.#idx;
    if (filling && i32[b] !== _FILLING) return;
    const n = filling ? i32[b + 1] : this.parties;
    let w = 0, dropped = 0;
    for (let k = 0; k < n; k++) {
      const pid = i32[b + 2 + 2 * k], id = i32[b + 3 + 2 * k];
      const dead = pid !== 0 && pid !== _PID && isProcessGone(pid);
      if (filling) {
        if (dead) dropped++;
        else [i32[b + 2 + 2 * w], i32[b + 3 + 2 * w], w] = [pid, id, w + 1];
      } else if (dead) {
        i32[b + 2 + 2 * k] = 0;
        dropped++;
      }
    }
    if (dropped === 0) return;
    i32[b + 1] -= dropped;
    if (!filling) this.#exitCheck();
  }

  async #release(): Promise<void> {
    try {
      if (this.#spec && !this.#action) this.#action = await resolveFunction(this.#spec as TargetSpec & { k: "fn" });
      if (this.#action) await this.#action();
      this.#i32![this.#idx] = _DRAINING;
      await this.#cond!.notifyAll();
    } catch (e) {
      await this.#break();
      throw e;
    }
  }

  async #waitRound(t: number | null): Promise<void> {
    const i32 = this.#i32!, b = this.#idx;
    if (!(await this.#cond!.waitFor(() => i32[b] !== _FILLING, t ?? undefined))) {
      await this.#break();
      throw this.#error(`timed out after ${t} ms`);
    }
    if (i32[b] < 0) throw this.#error(i32[b] === _RESETTING ? "was reset while this party waited" : "is broken");
  }

  #positionOf(id: number): number {
    const i32 = this.#i32!, b = this.#idx;
    for (let k = 0; k < this.parties; k++) if (i32[b + 2 + 2 * k] === _PID && i32[b + 3 + 2 * k] === id) return k;
    return 0;
  }

  #leave(id: number): void {
    const i32 = this.#i32!, b = this.#idx;
    const k = this.#positionOf(id);
    if (i32[b + 2 + 2 * k] === _PID && i32[b + 3 + 2 * k] === id) i32[b + 2 + 2 * k] = 0;
    i32[b + 1]--;
    this.#exitCheck();
  }

  #exitCheck(): void {
    const i32 = this.#i32!, b = this.#idx;
    if (i32[b + 1] <= 0 && (i32[b] === _RESETTING || i32[b] === _DRAINING)) {
      i32[b + 1] = 0;
      i32[b] = _FILLING;
      void this.#cond!.notifyAll();
    }
  }

  async #break(): Promise<void> {
    this.#i32![this.#idx] = _BROKEN;
    await this.#cond!.notifyAll();
  }

  #error(why: string): BrokenBarrierError {
    return new BrokenBarrierError(`Barrier ${why}: call reset() before using it again`);
  }
}
