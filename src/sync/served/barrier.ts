/**
 * The served state machine for `Barrier`, with Python's semantics in event-driven form.
 *
 * A round fills as parties call `wait`. When the last one arrives, the action (if any) runs once
 * in the owner process; then every party of the round is released with its arrival index
 * (0 for the first, parties-1 for the last). If the action throws, the last party gets its error,
 * the others `BrokenBarrierError`, and the barrier is broken. A timeout, `abort()` or `reset()`
 * while parties wait gives every waiting party `BrokenBarrierError`; after `abort()` (or a
 * timeout) the barrier stays broken until `reset()`. Parties arriving while an action runs wait
 * for the next round. A waiting party whose process dies is dropped from the round.
 *
 * @module
 */
import type { Peer } from "../../channel/peer.ts";
import type { Served } from "../../core/node.ts";
import { BrokenBarrierError } from "../../errors.ts";
import { _show, type Caller, callerOf, timeoutArg, WaitList } from "./common.ts";

/** Options of {@linkcode ServedBarrier}. */
export interface ServedBarrierOptions {
  /** Runs once per round in the owner process, before the parties are released. */
  action?: () => unknown;
  /** Default timeout of `wait` in ms (null/undefined: none). */
  timeout?: number | null;
  /** Name used in error messages. */
  label?: string;
}

/** A served `Barrier`. */
export class ServedBarrier implements Served {
  #label: string;
  #parties: number;
  #action: (() => unknown) | undefined;
  #timeout: number | null;
  #round = new WaitList<number>();
  /** Parties that arrived while an action ran: they join the next round. */
  #queued = new WaitList<null>();
  #draining = false;
  #broken = false;
  #afterDrain: Array<() => void> = [];

  /**
   * @param parties How many parties make a round (a positive integer).
   * @param options Action, default timeout, label.
   * @throws {RangeError} If `parties` is not a positive integer or `timeout` is negative.
   */
  constructor(parties: number, options: ServedBarrierOptions = {}) {
    this.#label = options.label ?? "Barrier";
    if (typeof parties !== "number" || !Number.isInteger(parties) || parties < 1) {
      throw new RangeError(`${this.#label} parties must be a positive integer, got ${_show(parties)}`);
    }
    if (options.action !== undefined && typeof options.action !== "function") {
      throw new TypeError(`${this.#label} action must be a function`);
    }
    this.#parties = parties;
    this.#action = options.action;
    this.#timeout = timeoutArg(options.timeout, this.#label);
  }

  /** Runs a request (see `sync/served.ts` for the methods). */
  call(method: string, args: unknown[], peer: Peer | null): unknown {
    switch (method) {
      case "wait":
        return this.wait(
          callerOf(peer, 0),
          args[0] === undefined || args[0] === null ? this.#timeout : timeoutArg(args[0], `${this.#label}.wait()`),
        );
      case "reset":
        return this.reset();
      case "abort":
        return this.abort();
      case "nWaiting":
        return this.#draining ? 0 : this.#round.length;
      case "broken":
        return this.#broken;
      case "parties":
        return this.#parties;
    }
    throw new TypeError(`${this.#label} has no method ${_show(method)}`);
  }

  /** Waits for the round to fill; resolves with the arrival index. */
  async wait(caller: Caller, timeout: number | null): Promise<number> {
    const started = Date.now();
    while (this.#draining) {
      await this.#queued.add(caller, null, () => null);
    }
    if (this.#broken) throw this.#error("is broken");
    if (this.#round.length + 1 < this.#parties) {
      const left = timeout === null ? null : Math.max(0, timeout - (Date.now() - started));
      return await this.#round.add(caller, left, () => {
        this.#break();
        throw this.#error(`timed out after ${timeout} ms`);
      });
    }
    return await this.#release();
  }

  /** Breaks the barrier: waiting and later parties get BrokenBarrierError until `reset()`. */
  abort(): void {
    if (this.#draining) return void this.#afterDrain.push(() => this.abort());
    this.#break();
  }

  /** Puts the barrier back to its initial state; parties waiting get BrokenBarrierError. */
  reset(): void {
    if (this.#draining) return void this.#afterDrain.push(() => this.reset());
    this.#round.rejectAll(() => new BrokenBarrierError(`${this.#label} was reset while this party waited`));
    this.#broken = false;
  }

  /** A process went away: its waits are dropped (the round needs another party). */
  peerClosed(peer: Peer): void {
    this.#round.dropPeer(peer);
    this.#queued.dropPeer(peer);
  }

  /** The last party arrived: run the action, then release everyone with their index. */
  async #release(): Promise<number> {
    if (this.#action) {
      this.#draining = true;
      try {
        await this.#action();
      } catch (e) {
        this.#draining = false;
        this.#break();
        this.#drained();
        throw e;
      }
      this.#draining = false;
    }
    let i = 0;
    // Waiters are woken oldest first, so the k-th arrival still waiting gets index k.
    while (this.#round.wakeWhere(() => true, i) !== undefined) i++;
    this.#drained();
    return i;
  }

  #drained(): void {
    for (const f of this.#afterDrain.splice(0)) f();
    this.#queued.wakeAll(null);
  }

  #break(): void {
    this.#broken = true;
    this.#round.rejectAll(() => this.#error("is broken"));
  }

  #error(why: string): BrokenBarrierError {
    return new BrokenBarrierError(`${this.#label} ${why}: call reset() before using it again`);
  }
}
