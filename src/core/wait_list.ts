/**
 * The callers blocked on something a process serves (a queue's getters and putters, a pipe's
 * readers and pollers, a served lock's waiters), first come first served, with their timeouts,
 * the links they came over, and the keep-alive that a waiting task of this process needs.
 *
 * @module
 */
import type { Peer } from "../channel/peer.ts";
import { holdAlive, releaseAlive } from "./hold_alive.ts";

/** What every waiter tells: the link its request came over, or null for a task of this process. */
export interface Waiting {
  /** The link, or null for a local caller. */
  readonly peer: Peer | null;
}

interface _Entry<T, W> {
  who: W;
  resolve(v: T): void;
  reject(e: unknown): void;
  timer: ReturnType<typeof setTimeout> | undefined;
  held: boolean;
}

/**
 * Callers blocked on a served object, in arrival order. Each waiter settles once: when woken or
 * rejected, when its timeout passes, or never if its link closes (it is dropped). While a waiter
 * waits, this process stays alive ({@linkcode holdAlive}): every waiter by default, or with
 * `holdRemote: false` only those of this process (a remote caller's pending request keeps that
 * caller's process alive; whether it keeps this one alive is the served object's choice).
 *
 * @example
 * ```ts
 * import { WaitList } from "./wait_list.ts";
 * const waiters = new WaitList<string>();
 * const got = waiters.add({ peer: null }, 1000, () => "timed out");
 * waiters.wakeFirst("hello");
 * console.log(await got); // "hello"
 * ```
 */
export class WaitList<T, W extends Waiting = Waiting> {
  #entries: _Entry<T, W>[] = [];
  #holdRemote: boolean;

  /**
   * @param options `holdRemote` (default true): remote waiters keep this process alive too.
   */
  constructor(options: { holdRemote?: boolean } = {}) {
    this.#holdRemote = options.holdRemote ?? true;
  }

  /** Number of waiters (also those whose link has closed but that are not dropped yet). */
  get length(): number {
    return this.#entries.length;
  }

  /**
   * Blocks `who` until woken or until `timeout` ms pass.
   *
   * @param who The waiter.
   * @param timeout Ms to wait, or null for no limit.
   * @param onTimeout Runs when the time is up (after the waiter left the list); its result is
   *   the waiter's value; it may throw to reject.
   * @returns The value it is woken with.
   */
  add(who: W, timeout: number | null, onTimeout: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: _Entry<T, W> = {
        who,
        resolve,
        reject,
        timer: undefined,
        held: this.#holdRemote || who.peer === null,
      };
      if (timeout !== null) {
        entry.timer = setTimeout(() => {
          if (!this.#remove(entry)) return;
          try {
            resolve(onTimeout());
          } catch (e) {
            reject(e);
          }
        }, timeout);
      }
      if (entry.held) holdAlive();
      this.#entries.push(entry);
    });
  }

  /**
   * The first waiter whose link is still open; the ones before it whose link closed are dropped.
   * @returns The waiter, or undefined when nobody (alive) waits.
   */
  first(): W | undefined {
    for (;;) {
      const e = this.#entries[0];
      if (e === undefined || !e.who.peer?.closed) return e?.who;
      this.#remove(e);
    }
  }

  /**
   * Wakes the first waiter whose link is still open.
   *
   * @param value What it is woken with.
   * @returns The waiter, or undefined when nobody (alive) waits.
   */
  wakeFirst(value: T): W | undefined {
    return this.wakeFirstWith(() => value);
  }

  /**
   * Wakes the first waiter whose link is still open with a value made for it, once it has left
   * the list (so `make` sees the list without it).
   *
   * @param make Makes the value from the waiter.
   * @returns The waiter, or undefined when nobody (alive) waits.
   */
  wakeFirstWith(make: (who: W) => T): W | undefined {
    for (;;) {
      const e = this.#entries[0];
      if (e === undefined) return undefined;
      this.#remove(e);
      if (e.who.peer?.closed) continue;
      e.resolve(make(e.who));
      return e.who;
    }
  }

  /**
   * Wakes the first waiter for which `pick` says yes (in order); dead links are dropped on the way.
   *
   * @param pick Decides for a waiter.
   * @param value What it is woken with.
   * @returns The waiter woken, or undefined.
   */
  wakeWhere(pick: (who: W) => boolean, value: T): W | undefined {
    // Walks the list in place (no copy: a pipe wakes its reader this way for every message).
    const entries = this.#entries;
    for (let i = 0; i < entries.length;) {
      const e = entries[i];
      if (e.who.peer?.closed) {
        entries.splice(i, 1);
        this.#settle(e);
        continue;
      }
      if (!pick(e.who)) {
        i++;
        continue;
      }
      entries.splice(i, 1);
      this.#settle(e);
      e.resolve(value);
      return e.who;
    }
    return undefined;
  }

  /**
   * Wakes every waiter with `value`.
   * @param value What they are woken with.
   * @returns How many were woken.
   */
  wakeAll(value: T): number {
    return this.settleWhere(() => true, (_, resolve) => resolve(value));
  }

  /**
   * Rejects every waiter with a fresh error.
   * @param make Makes the error for one waiter.
   */
  rejectAll(make: () => Error): void {
    this.settleWhere(() => true, (_, _resolve, reject) => reject(make()));
  }

  /**
   * Takes the waiters `pick` accepts out of the list, then lets `answer` settle each, in order.
   *
   * @param pick Decides for a waiter.
   * @param answer Settles one waiter: calls `resolve` or `reject`.
   * @returns How many were taken.
   */
  settleWhere(
    pick: (who: W) => boolean,
    answer: (who: W, resolve: (v: T) => void, reject: (e: unknown) => void) => void,
  ): number {
    const taken: _Entry<T, W>[] = [];
    const kept: _Entry<T, W>[] = [];
    for (const e of this.#entries) (pick(e.who) ? taken : kept).push(e);
    if (taken.length === 0) return 0;
    this.#entries = kept;
    for (const e of taken) this.#settle(e);
    for (const e of taken) answer(e.who, e.resolve, e.reject);
    return taken.length;
  }

  /**
   * Drops the waiters that came over `peer` (its process went away); they are never settled.
   * @param peer The closed link.
   * @returns How many were dropped.
   */
  dropPeer(peer: Peer): number {
    let n = 0;
    for (const e of [...this.#entries]) {
      if (e.who.peer === peer) {
        this.#remove(e);
        n++;
      }
    }
    return n;
  }

  #remove(e: _Entry<T, W>): boolean {
    const i = this.#entries.indexOf(e);
    if (i < 0) return false;
    this.#entries.splice(i, 1);
    this.#settle(e);
    return true;
  }

  #settle(e: _Entry<T, W>): void {
    if (e.timer !== undefined) clearTimeout(e.timer);
    e.timer = undefined;
    if (e.held) releaseAlive();
    e.held = false;
  }
}
