/**
 * The queue a manager process serves for `Manager.Queue()` / `JoinableQueue()`: Python's
 * `queue.Queue` behind a proxy (FIFO, optional maxsize, `Empty`/`Full`, task accounting).
 *
 * @module
 */
import type { Peer } from "../channel/peer.ts";
import type { Served } from "../core/node.ts";
import { Empty, Full, StateError } from "../errors.ts";
import { _show, blockArg, type Caller, callerOf, timeoutArg, WaitList } from "../sync/served/common.ts";

/** A served FIFO queue. */
export class ServedQueue implements Served {
  #label: string;
  #maxsize: number;
  #items: unknown[] = [];
  #getters = new WaitList<unknown>();
  #putters = new WaitList<boolean>();
  #unfinished = 0;
  #joiners = new WaitList<void>();

  /**
   * @param maxsize Largest number of items (0: unbounded).
   * @param label Name used in errors.
   * @throws {RangeError} If `maxsize` is not a non-negative integer.
   */
  constructor(maxsize: unknown = 0, label = "Queue") {
    if (typeof maxsize !== "number" || !Number.isInteger(maxsize) || maxsize < 0) {
      throw new RangeError(`${label} maxsize must be a non-negative integer (0 for unbounded), got ${_show(maxsize)}`);
    }
    this.#label = label;
    this.#maxsize = maxsize;
  }

  /** Runs a request: put(item, block, timeout), get(block, timeout), qsize, empty, full, taskDone, join. */
  call(method: string, args: unknown[], peer: Peer | null): unknown {
    const what = `${this.#label}.${method}()`;
    switch (method) {
      case "put":
        return this.#put(callerOf(peer, 0), args[0], blockArg(args[1], what), timeoutArg(args[2], what));
      case "get":
        return this.#get(callerOf(peer, 0), blockArg(args[0], what), timeoutArg(args[1], what));
      case "qsize":
        return this.#items.length;
      case "empty":
        return this.#items.length === 0;
      case "full":
        return this.#full();
      case "taskDone":
        if (this.#unfinished <= 0) throw new StateError(`taskDone() called too many times on ${this.#label}: call it once per item got`);
        if (--this.#unfinished === 0) this.#joiners.wakeAll(undefined);
        return;
      case "join":
        return this.#unfinished === 0 ? undefined : this.#joiners.add(callerOf(peer, 0), null, () => undefined);
    }
    throw new TypeError(`${this.#label} has no method ${_show(method)}`);
  }

  /** A process went away: its blocked gets and puts are dropped. */
  peerClosed(peer: Peer): void {
    this.#getters.dropPeer(peer);
    this.#putters.dropPeer(peer);
    this.#joiners.dropPeer(peer);
  }

  #full(): boolean {
    return this.#maxsize > 0 && this.#items.length >= this.#maxsize;
  }

  async #put(caller: Caller, item: unknown, block: boolean, timeout: number | null): Promise<void> {
    const end = timeout === null ? null : Date.now() + timeout;
    while (this.#full()) {
      const left = end === null ? null : end - Date.now();
      if (!block || (left !== null && left <= 0)) throw new Full(`${this.#label} is full (maxsize ${this.#maxsize})`);
      if (!(await this.#putters.add(caller, left, () => false))) throw new Full(`${this.#label} is still full (maxsize ${this.#maxsize}) after ${timeout} ms`);
    }
    this.#unfinished++;
    if (this.#getters.wakeFirst(item) === undefined) this.#items.push(item);
  }

  #get(caller: Caller, block: boolean, timeout: number | null): unknown {
    if (this.#items.length > 0) {
      const item = this.#items.shift();
      this.#putters.wakeFirst(true);
      return item;
    }
    if (!block || timeout === 0) throw new Empty(`${this.#label} is empty`);
    return this.#getters.add(caller, timeout, () => {
      throw new Empty(`${this.#label} is still empty after ${timeout} ms`);
    });
  }
}
