/**
 * `Barrier` over shared memory: Python's `threading.Barrier` algorithm (filling / draining /
 * resetting / broken) on a shared-memory `Condition`, with each party's pid recorded so a party
 * that dies does not wedge the barrier.
 *
 * Layout (`Int32` slots): state, parties waiting, then per party [pid, party id].
 *
 * @module
 */
import { isProcessGone } from "../../core/node.ts";
import { describeFunction, resolveFunction, type TargetSpec } from "../../core/target.ts";
import { BrokenBarrierError } from "../../errors.ts";
import type { Target } from "../../process.ts";
import type { BarrierBackend, BarrierState, ShmState } from "../_backend.ts";
import type { Condition } from "../condition.ts";
import { timeoutOption } from "../served/client.ts";
import { blockAt } from "./arena.ts";
import { _PID } from "./core.ts";

const _FILLING = 0, _DRAINING = 1, _RESETTING = -1, _BROKEN = -2;
let _partyIds = 0;

/** What a shared-memory Barrier starts from: a new one's action and a maker of its Condition, or an existing one's action spec, Condition and place. */
export type ShmBarrierInit =
  | { action: Target | undefined; cond: () => Condition }
  | { spec: TargetSpec | null; cond: Condition; at: ShmState };

/** A `Barrier` over shared memory. */
export class ShmBarrier implements BarrierBackend {
  readonly #parties: number;
  readonly #timeout: number | null;
  #action: Target | undefined;
  readonly #spec: TargetSpec | null;
  readonly #cond: Condition;
  readonly #name: string;
  readonly #i32: Int32Array;
  readonly #idx: number;

  /**
   * @param parties How many parties make a round.
   * @param timeout Default timeout of `wait()` in ms (null: none).
   * @param init A new barrier's action and how to make its Condition, or an existing one's action
   *   spec, Condition and place.
   * @throws {TypeError} If a new barrier's action cannot be sent to other processes.
   */
  constructor(parties: number, timeout: number | null, init: ShmBarrierInit) {
    this.#parties = parties;
    this.#timeout = timeout;
    if ("at" in init) this.#spec = init.spec;
    else {
      this.#action = init.action;
      this.#spec = init.action ? describeFunction(init.action, undefined, "Barrier action") : null;
    }
    const b = blockAt("at" in init ? init.at : undefined, (2 + 2 * parties) * 4, "Barrier");
    this.#name = b.name;
    this.#i32 = b.i32;
    this.#idx = b.idx;
    this.#cond = "at" in init ? init.cond : init.cond();
  }

  async wait(timeout?: number): Promise<number> {
    const t = timeout === undefined ? this.#timeout : timeoutOption(timeout, "Barrier.wait()");
    const i32 = this.#i32, b = this.#idx, cond = this.#cond;
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
        if (pos + 1 === this.#parties) await this.#release();
        else await this.#waitRound(t);
        return this.#positionOf(id);
      } finally {
        this.#leave(id);
      }
    } finally {
      await cond.release();
    }
  }

  async reset(): Promise<void> {
    const i32 = this.#i32, b = this.#idx;
    await this.#cond.acquire();
    try {
      if (i32[b + 1] > 0) {
        if (i32[b] === _FILLING || i32[b] === _BROKEN) i32[b] = _RESETTING;
      } else i32[b] = _FILLING;
      await this.#cond.notifyAll();
    } finally {
      await this.#cond.release();
    }
  }

  async abort(): Promise<void> {
    await this.#cond.acquire();
    try {
      await this.#break();
    } finally {
      await this.#cond.release();
    }
  }

  nWaiting(): Promise<number> {
    return Promise.resolve(this.#i32[this.#idx] === _FILLING ? this.#i32[this.#idx + 1] : 0);
  }

  broken(): Promise<boolean> {
    return Promise.resolve(this.#i32[this.#idx] === _BROKEN);
  }

  state(): BarrierState {
    return { a: this.#spec, c: this.#cond, st: { s: this.#name, o: this.#idx * 4 } };
  }

  /** Waits while the previous round drains or a reset completes. */
  async #enter(): Promise<void> {
    const i32 = this.#i32, b = this.#idx;
    while (i32[b] === _RESETTING || i32[b] === _DRAINING) {
      await this.#cond.wait(100);
      this.#reap(false); // a party that died before leaving must not hold the next round back
    }
    if (i32[b] < 0) throw this.#error("is broken");
  }

  /** Drops parties whose process died: compacting while filling, marking them left while draining. */
  #reap(filling: boolean): void {
    const i32 = this.#i32, b = this.#idx;
    if (filling && i32[b] !== _FILLING) return;
    const n = filling ? i32[b + 1] : this.#parties;
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
      this.#i32[this.#idx] = _DRAINING;
      await this.#cond.notifyAll();
    } catch (e) {
      await this.#break();
      throw e;
    }
  }

  async #waitRound(t: number | null): Promise<void> {
    const i32 = this.#i32, b = this.#idx;
    if (!(await this.#cond.waitFor(() => i32[b] !== _FILLING, t ?? undefined))) {
      await this.#break();
      throw this.#error(`timed out after ${t} ms`);
    }
    if (i32[b] < 0) throw this.#error(i32[b] === _RESETTING ? "was reset while this party waited" : "is broken");
  }

  #positionOf(id: number): number {
    const i32 = this.#i32, b = this.#idx;
    for (let k = 0; k < this.#parties; k++) if (i32[b + 2 + 2 * k] === _PID && i32[b + 3 + 2 * k] === id) return k;
    return 0;
  }

  #leave(id: number): void {
    const i32 = this.#i32, b = this.#idx;
    const k = this.#positionOf(id);
    if (i32[b + 2 + 2 * k] === _PID && i32[b + 3 + 2 * k] === id) i32[b + 2 + 2 * k] = 0;
    i32[b + 1]--;
    this.#exitCheck();
  }

  #exitCheck(): void {
    const i32 = this.#i32, b = this.#idx;
    if (i32[b + 1] <= 0 && (i32[b] === _RESETTING || i32[b] === _DRAINING)) {
      i32[b + 1] = 0;
      i32[b] = _FILLING;
      void this.#cond.notifyAll();
    }
  }

  async #break(): Promise<void> {
    this.#i32[this.#idx] = _BROKEN;
    await this.#cond.notifyAll();
  }

  #error(why: string): BrokenBarrierError {
    return new BrokenBarrierError(`Barrier ${why}: call reset() before using it again`);
  }
}
