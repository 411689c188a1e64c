/**
 * `cluster.Queue(name)` and `cluster.JoinableQueue(name)`: a queue by name, shared by every process
 * connected to the cluster, with the methods and errors of the local `Queue`.
 *
 * - The items are a Redis stream read through one consumer group. A `get()` reads an entry
 *   (`XREADGROUP`), checks it was sealed for this queue, then acknowledges and deletes it in one
 *   script that first checks the entry is still this consumer's: if the consumer dies between the
 *   read and the acknowledgement (SIGKILL), the entry stays pending, and once it has been idle for
 *   the lease (2 s) the next `get()` anywhere claims it (`XAUTOCLAIM`). No item is lost, and none is
 *   returned twice: a consumer too slow to acknowledge within its lease loses the entry to the one
 *   that claimed it and reads on.
 * - A bounded put checks the length and appends in one script. Getters wake putters, and
 *   `taskDone()` wakes joiners, from the same scripts (`PUBLISH`).
 * - An entry not sealed for this queue (forged, or written by another cluster) is acknowledged,
 *   deleted and reported, never decoded.
 *
 * @module
 */
import { hostname } from "node:os";
import process from "node:process";
import { Empty, Full, StateError } from "../errors.ts";
import { randomHex } from "../runtime/crypto.ts";
import { isConnectionError } from "./client.ts";
import type { ClusterCore } from "./core.ts";
import { deadline, left, openOr, RECHECK_MS, refused, wakeChannel } from "./_prim.ts";
import { Script } from "./script.ts";

/** The consumer group every handle of a queue reads through. */
const _GROUP = "g";
/** An entry read but not acknowledged for this long is claimed by another get() (ms). */
export const QUEUE_LEASE_MS = 2000;

// KEYS: stream, unfinished count. ARGV: maxsize, joinable ("1"), sealed item.
const _put = new Script(
  `local m = tonumber(ARGV[1])
if m > 0 and redis.call('XLEN', KEYS[1]) >= m then return 0 end
redis.call('XADD', KEYS[1], '*', 'd', ARGV[3])
if ARGV[2] == '1' then redis.call('INCR', KEYS[2]) end
return 1`,
  2,
);

// KEYS: stream. ARGV: group, consumer, entry id, wake channel, wake key. 1 when this consumer still
// held the entry (it is now gone from the queue), 0 when another consumer claimed it meanwhile.
const _take = new Script(
  `local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1, ARGV[2])
if #p == 0 then return 0 end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
redis.call('XDEL', KEYS[1], ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1`,
  1,
);

// KEYS: unfinished count. ARGV: wake channel. -1 when nothing is unfinished.
const _taskDone = new Script(
  `local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n <= 0 then return -1 end
n = redis.call('DECR', KEYS[1])
if n == 0 then redis.call('PUBLISH', ARGV[1], KEYS[1]) end
return n`,
  1,
);

/**
 * Options of a cluster queue's `put` and `get`, as for the local `Queue`.
 *
 * @example
 * ```ts
 * import type { ClusterQueueWaitOptions } from "multiproc/redis";
 * const patient: ClusterQueueWaitOptions = { timeout: 500 };
 * ```
 */
export interface ClusterQueueWaitOptions {
  /** Wait for a slot / an item (default true); false fails at once and ignores `timeout`. */
  block?: boolean;
  /** Longest wait in milliseconds (default: no limit; negative counts as 0). */
  timeout?: number;
}

/**
 * This process's consumer name, shared by its handles: the group keeps one consumer per process
 * that ever read, not one per handle. (Which consumer holds an entry decides only who may
 * acknowledge it: the take script lets exactly one get() have each entry either way.)
 */
const _consumer = `${hostname()}:${process.pid}:${randomHex(4)}`;

type _Entry = [id: string, fields: Uint8Array[] | null];

/**
 * Test hooks. `afterRead` runs inside `get()` between reading an entry and acknowledging it: a
 * test stops a consumer there to kill it while it holds an entry. @internal
 */
export const queueHooks: { afterRead?: () => Promise<void> } = {};

/**
 * A FIFO queue by name across the cluster (from `cluster.Queue(name, maxsize)`): the methods and
 * errors of the local `Queue`. Items are values the codec sends, sealed with the authkey. Every
 * handle should give the same `maxsize`: it is checked by the handle that puts.
 *
 * @example
 * ```ts
 * import { connect } from "multiproc/redis";
 * if (process.env.REDIS_URL) {
 *   await using cluster = await connect(process.env.REDIS_URL, { authkey: "0123456789abcdef" });
 *   const jobs = cluster.Queue<string>("jobs"); // the same queue in every connected process
 *   await jobs.put("resize cat.png");
 *   console.log(await jobs.get({ timeout: 1000 })); // "resize cat.png"
 * }
 * ```
 */
export class ClusterQueue<T = unknown> implements AsyncIterable<T> {
  /** The queue's name. */
  readonly name: string;
  /** Most items at once (0: no limit). */
  readonly maxsize: number;
  #core: ClusterCore;
  #stream: string;
  #unfinished: string;
  #freed: string;
  #purpose: string;
  #consumer = _consumer;
  #group: Promise<void> | undefined;
  #closed = false;

  /** Use `cluster.Queue(name, maxsize)`. @internal */
  constructor(core: ClusterCore, name: string, maxsize: number) {
    if (typeof maxsize !== "number") throw new TypeError(`Queue maxsize must be a number, got ${typeof maxsize}`);
    if (!Number.isInteger(maxsize) || maxsize < 0) {
      throw new RangeError(`Queue maxsize ${maxsize} is invalid: use 0 (no limit) or a positive integer`);
    }
    this.#core = core;
    this.name = name;
    this.maxsize = maxsize;
    this.#stream = core.key("q", name, "s");
    this.#unfinished = core.key("q", name, "u");
    this.#freed = core.key("q", name, "free");
    this.#purpose = `q:${name}`;
  }

  /** Whether this is a JoinableQueue. @internal */
  get _joinable(): boolean {
    return false;
  }

  /**
   * Puts an item, waiting for a free slot when the queue is bounded and full.
   * @param item A value the codec sends.
   * @param options `block` (default true) and `timeout` in ms.
   * @returns Resolves once the item is in Redis.
   * @throws {TypeError} If the item cannot be sent (it takes no slot).
   * @throws {Full} If no slot came free in time, or at once with `block: false`.
   * @throws {StateError} If this handle is closed.
   * @example
   * ```ts
   * await jobs.put({ id: 1 }, { timeout: 100 });
   * ```
   */
  async put(item: T, options?: ClusterQueueWaitOptions): Promise<void> {
    const { block, end } = deadline(options, "Queue.put()");
    this.#checkOpen("put");
    const sealed = this.#core.sealer.seal(this.#purpose, item);
    const args = [this.#stream, this.#unfinished, this.maxsize, this._joinable ? "1" : "0", sealed];
    for (;;) {
      if (await _put.run(this.#core.cmd, args) === 1) return;
      const ms = left(end);
      if (!block || ms === 0) {
        throw new Full(
          `Queue ${this.name} is full (maxsize ${this.maxsize}): wait with put({ timeout }) or take items out first`,
        );
      }
      await this.#core.waitWake(this.#freed, Math.min(ms, RECHECK_MS));
      this.#checkOpen("put");
    }
  }

  /**
   * Takes the oldest item, waiting for one. An item a dead consumer was taking comes back after
   * the lease (2 s), possibly out of order.
   * @param options `block` (default true) and `timeout` in ms.
   * @returns The item.
   * @throws {Empty} If nothing arrived in time, or at once with `block: false`.
   * @throws {StateError} If this handle is closed.
   * @example
   * ```ts
   * const job = await jobs.get({ timeout: 1000 });
   * ```
   */
  async get(options?: ClusterQueueWaitOptions): Promise<T> {
    const { block, end } = deadline(options, "Queue.get()");
    this.#checkOpen("get");
    for (;;) {
      const entries = await this.#withGroup(async () => {
        const claimed = await this.#claim();
        return claimed.length > 0 ? claimed : await this.#read(block ? left(end) : 0);
      });
      // One entry at a time (COUNT 1): a consumer never holds items another one could take.
      for (const [id, fields] of entries) {
        if (queueHooks.afterRead) await queueHooks.afterRead();
        const value = await this.#take(id, fields);
        if (value !== refused) return value;
      }
      this.#checkOpen("get");
      if (!block || left(end) === 0) {
        throw new Empty(
          `Queue ${this.name} is empty: nothing arrived in time; wait longer with get({ timeout }) or put items first`,
        );
      }
    }
  }

  /** Entries idle past the lease (their consumer died or stalled), claimed for this consumer. */
  async #claim(): Promise<_Entry[]> {
    const reply = await this.#core.cmd.callBuffer(
      "XAUTOCLAIM",
      this.#stream,
      _GROUP,
      this.#consumer,
      String(QUEUE_LEASE_MS),
      "0-0",
      "COUNT",
      "1",
    ) as [unknown, [Uint8Array, Uint8Array[] | null][]];
    return reply[1].map(([id, fields]) => [String(id), fields]);
  }

  /** New entries: at once when `ms` is 0, else waiting up to `ms` (at most {@linkcode RECHECK_MS}, to claim again). */
  async #read(ms: number): Promise<_Entry[]> {
    const args = ["GROUP", _GROUP, this.#consumer, "COUNT", "1"];
    const tail = ["STREAMS", this.#stream, ">"];
    let reply: unknown;
    if (ms <= 0) reply = await this.#core.cmd.callBuffer("XREADGROUP", ...args, ...tail);
    else {
      const c = await this.#core.blocking();
      try {
        reply = await c.callBuffer(
          "XREADGROUP",
          ...args,
          "BLOCK",
          String(Math.ceil(Math.min(ms, RECHECK_MS))),
          ...tail,
        );
      } finally {
        this.#core.release(c);
      }
    }
    if (!reply) return [];
    const out: _Entry[] = [];
    for (const [, entries] of reply as [unknown, [Uint8Array, Uint8Array[]][]][]) {
      for (const [id, fields] of entries) out.push([String(id), fields]);
    }
    return out;
  }

  /** Acknowledges and deletes an entry this consumer still holds, then opens it (or refuses it). */
  async #take(id: string, fields: Uint8Array[] | null): Promise<T | typeof refused> {
    const held = await _take.run(this.#core.cmd, [
      this.#stream,
      _GROUP,
      this.#consumer,
      id,
      wakeChannel(this.#core),
      this.#freed,
    ]);
    if (held !== 1 || !fields) return refused;
    const i = fields.findIndex((f, k) => k % 2 === 0 && String(f) === "d");
    return openOr<T>(this.#core, this.#purpose, i < 0 ? undefined : fields[i + 1], `an item of queue ${this.name}`);
  }

  /** Runs `f` once the consumer group exists; creates it again after Redis lost it (a restart). */
  async #withGroup<R>(f: () => Promise<R>): Promise<R> {
    for (let attempt = 0;; attempt++) {
      this.#group ??= this.#core.cmd.call("XGROUP", "CREATE", this.#stream, _GROUP, "0", "MKSTREAM").then(
        () => {},
        (e) => {
          if (!/BUSYGROUP/.test((e as Error).message)) {
            this.#group = undefined;
            throw e;
          }
        },
      );
      await this.#group;
      try {
        return await f();
      } catch (e) {
        this.#checkOpen("get");
        if (attempt < 3 && /NOGROUP/.test((e as Error)?.message ?? "")) this.#group = undefined;
        else if (attempt < 3 && isConnectionError(e) && !this.#core.closed) {
          await new Promise((r) => setTimeout(r, 100));
        } else throw e;
      }
    }
  }

  /**
   * `put(item, { block: false })`.
   * @param item The item.
   * @returns Resolves once queued.
   * @throws {Full} If the queue is full.
   * @example
   * ```ts
   * await jobs.putNowait(1);
   * ```
   */
  putNowait(item: T): Promise<void> {
    return this.put(item, { block: false });
  }

  /**
   * `get({ block: false })`.
   * @returns The item.
   * @throws {Empty} If the queue is empty.
   * @example
   * ```ts
   * const job = await jobs.getNowait();
   * ```
   */
  getNowait(): Promise<T> {
    return this.get({ block: false });
  }

  /**
   * Number of items in the queue, including items a consumer is taking right now.
   * @returns The count.
   * @throws {StateError} If this handle is closed.
   * @example
   * ```ts
   * console.log(await jobs.qsize());
   * ```
   */
  async qsize(): Promise<number> {
    this.#checkOpen("qsize");
    return Number(await this.#core.cmd.call("XLEN", this.#stream));
  }

  /**
   * Whether the queue is empty.
   * @returns True when empty.
   * @example
   * ```ts
   * if (await jobs.empty()) console.log("nothing queued");
   * ```
   */
  async empty(): Promise<boolean> {
    return (await this.qsize()) === 0;
  }

  /**
   * Whether a bounded queue has no free slot.
   * @returns True when full.
   * @example
   * ```ts
   * if (await jobs.full()) console.log("producers wait");
   * ```
   */
  async full(): Promise<boolean> {
    return this.maxsize > 0 && (await this.qsize()) >= this.maxsize;
  }

  /**
   * Closes this handle: later calls on it reject with StateError. The queue and its items stay in
   * Redis for the other handles.
   * @example
   * ```ts
   * jobs.close();
   * ```
   */
  close(): void {
    this.#closed = true;
  }

  /**
   * Yields items as they arrive until this handle is closed (a get() waiting then ends within a
   * second).
   * @example
   * ```ts
   * for await (const job of jobs) if (job === "stop") jobs.close();
   * ```
   */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      let v: T;
      try {
        v = await this.get();
      } catch (e) {
        if (this.#closed) return;
        throw e;
      }
      yield v;
    }
  }

  /** @internal For JoinableQueue. */
  protected async _taskDone(): Promise<void> {
    this.#checkOpen("taskDone");
    if (await _taskDone.run(this.#core.cmd, [this.#unfinished, wakeChannel(this.#core)]) === -1) {
      throw new StateError(
        `taskDone() called too many times on Queue ${this.name}: call it once per item taken with get()`,
      );
    }
  }

  /** @internal For JoinableQueue. */
  protected async _join(): Promise<void> {
    this.#checkOpen("join");
    for (;;) {
      if (Number(await this.#core.cmd.call("GET", this.#unfinished) ?? 0) <= 0) return;
      await this.#core.waitWake(this.#unfinished, RECHECK_MS);
      this.#checkOpen("join");
    }
  }

  #checkOpen(op: string): void {
    if (this.#closed) throw new StateError(`Queue ${this.name} is closed: cannot ${op}() after close()`);
    if (this.#core.closed) {
      throw new StateError(`The cluster connection was closed: cannot ${op}() on Queue ${this.name}`);
    }
  }
}

/**
 * A cluster queue that also counts unfinished tasks (from `cluster.JoinableQueue(name)`): every
 * `put` adds one, `taskDone()` removes one, and `join()`, in any process, waits until none is left.
 *
 * @example
 * ```ts
 * import { connect } from "multiproc/redis";
 * if (process.env.REDIS_URL) {
 *   await using cluster = await connect(process.env.REDIS_URL, { authkey: "0123456789abcdef" });
 *   const q = cluster.JoinableQueue<string>("work");
 *   await q.put("job");
 *   await q.get();
 *   await q.taskDone();
 *   await q.join(); // resolves: every task is done
 * }
 * ```
 */
export class ClusterJoinableQueue<T = unknown> extends ClusterQueue<T> {
  /** Whether this is a JoinableQueue. @internal */
  override get _joinable(): boolean {
    return true;
  }

  /**
   * Marks one item taken with `get()` as processed.
   * @returns Resolves once counted.
   * @throws {StateError} If called more times than items were put.
   * @example
   * ```ts
   * await q.taskDone();
   * ```
   */
  taskDone(): Promise<void> {
    return this._taskDone();
  }

  /**
   * Waits until every item put (by any process) has been marked done with `taskDone()`.
   * @returns Resolves when no task is unfinished.
   * @example
   * ```ts
   * await q.join();
   * ```
   */
  join(): Promise<void> {
    return this._join();
  }
}
