/**
 * `Queue`, `JoinableQueue` and `SimpleQueue`: Python's multiprocessing queues between any
 * processes of a tree.
 *
 * **Design.** The process that creates a queue serves it (`queue/server.ts`): the item list,
 * `maxsize` slots, waiting getters and putters, and a JoinableQueue's unfinished count. A handle in
 * the creating process calls the server directly. A handle elsewhere:
 *
 * - validates (encodes) every item synchronously in `put`, so an item that cannot be sent rejects
 *   with TypeError and never takes a slot; the server keeps the encoded bytes as they are;
 * - for an unbounded queue, sends the puts made in one tick as one one-way message (FIFO per
 *   producer: one link, in order); for a bounded queue, each put is a request answered once a
 *   slot is free (or Full);
 * - gets items in adaptive batches (up to 1024, 1 MiB): the server *leases* a batch to that handle
 *   until the handle acknowledges taking each item (acks ride on the next request or leave within a
 *   tick). A lease returns to its place in line when the handle's process dies (its link closes:
 *   a killed consumer loses nothing), when the handle is closed, or when the server recalls it
 *   because another consumer waits while the line is empty. Each item is thus taken exactly once.
 * - When a child's target returns, its handles deliver pending puts, hand back untaken items and
 *   wait until the server has them (`node.beforeExit`), like Python's queue feeder thread on exit.
 *
 * @module
 */
import { decodeOrLoad, encode, registerType } from "./channel/codec.ts";
import { node, type Ref } from "./core/node.ts";
import { StateError } from "./errors.ts";
import { Fifo } from "./core/fifo.ts";
import { QueueServer } from "./queue/server.ts";
import { type Route, routeTo } from "./core/route.ts";
import { REBUILD } from "./core/rebuild.ts";

interface _QState {
  r: Ref;
  m: number;
  j: boolean;
}

/**
 * Options of `put` and `get`.
 *
 * @example
 * ```ts
 * import { Full, Queue, type QueueWaitOptions } from "multiproc";
 * import assert from "node:assert/strict";
 * const q = new Queue<string>(1);
 * const patient: QueueWaitOptions = { timeout: 20 };
 * await q.put("a", patient);
 * await assert.rejects(q.put("b", patient), Full); // no slot came free within 20 ms
 * assert.equal(await q.get({ block: false }), "a");
 * q.close();
 * ```
 */
export interface QueueWaitOptions {
  /** Wait for a slot / an item (default true); false fails at once and ignores `timeout`. */
  block?: boolean;
  /** Longest wait in milliseconds (default: no limit). */
  timeout?: number;
}

const _MAX_BATCH = 1024;
const _open = new Set<Queue<unknown>>();
let _hookInstalled = false;
let _flushForExit: (q: Queue<unknown>) => Promise<void>;

let _sinceYield = 0;

/**
 * Resolves at once, except every 256th call, which resolves after pending I/O has run: a loop of
 * `await q.put(x)` on a queue this process serves would otherwise never let the event loop answer
 * the consumers that wait for those items.
 */
function _fairYield(): Promise<void> {
  if (++_sinceYield < 256) return Promise.resolve();
  _sinceYield = 0;
  return new Promise((r) => setImmediate(r));
}

function _options(o: QueueWaitOptions | undefined, op: string): { block: boolean; timeout: number | undefined } {
  if (o === undefined || o === null) return { block: true, timeout: undefined };
  if (typeof o !== "object") throw new TypeError(`${op}() options must be an object like { timeout: 100 }`);
  const block = o.block === undefined ? true : Boolean(o.block);
  const t = o.timeout;
  if (t !== undefined && t !== null) {
    if (typeof t !== "number" || Number.isNaN(t)) {
      throw new TypeError(`${op}() timeout must be a number of milliseconds, got ${typeof t}`);
    }
    if (block && t < 0) throw new RangeError(`${op}() timeout ${t} is negative: use 0 or more milliseconds`);
  }
  return { block, timeout: block ? (t ?? undefined) : undefined };
}

/**
 * A FIFO queue shared by processes (Python's `multiprocessing.Queue`). Items are structured-clone
 * values; a queue may be passed to any process of the tree (in `args`, or inside messages).
 *
 * @example
 * ```ts
 * import { Process, Queue, isMainProcess } from "multiproc";
 * export async function worker(q: Queue<number>) { await q.put(42); }
 * if (isMainProcess(import.meta)) {
 *   const q = new Queue<number>();
 *   const p = new Process({ target: worker, args: [q] });
 *   p.start();
 *   console.log(await q.get()); // 42
 *   await p.join();
 * }
 * ```
 */
export class Queue<T = unknown> implements AsyncIterable<T> {
  #ref: Ref;
  #maxsize: number;
  #joinable: boolean;
  #server: QueueServer | undefined;
  #route: Route | undefined;
  #client = node.handleId("q");
  #buf = new Fifo<[number, Uint8Array]>();
  #acks: number[] = [];
  #ackScheduled = false;
  #puts: Uint8Array[] = [];
  #putBatch: Promise<void> | undefined;
  #want = 16;
  #closed = false;
  #registered = false;

  /**
   * Creates a queue, served by this process; pass it to other processes in `args`.
   * @param maxsize Most items at once; 0 or omitted: no limit.
   * @throws {TypeError} If `maxsize` is not a number.
   * @throws {RangeError} If `maxsize` is negative or not an integer.
   */
  constructor(maxsize?: number);
  /** @internal A handle rebuilt in another process (see `core/rebuild.ts`). */
  constructor(tag: typeof REBUILD, state: _QState);
  constructor(maxsize: number | typeof REBUILD = 0, state?: _QState) {
    if (maxsize === REBUILD && state) {
      this.#ref = state.r;
      this.#maxsize = state.m;
      this.#joinable = state.j;
    } else {
      if (typeof maxsize !== "number") throw new TypeError(`Queue maxsize must be a number, got ${typeof maxsize}`);
      if (!Number.isInteger(maxsize) || maxsize < 0) {
        throw new RangeError(`Queue maxsize ${maxsize} is invalid: use 0 (no limit) or a positive integer`);
      }
      this.#maxsize = maxsize;
      this.#joinable = new.target === JoinableQueue || new.target.prototype instanceof JoinableQueue;
      this.#server = new QueueServer(maxsize, this.#joinable);
      this.#ref = node.serve(this.#server);
    }
    if (!this.#server) {
      const local = node.local(this.#ref);
      if (local instanceof QueueServer) this.#server = local;
      else {
        this.#route = routeTo(this.#ref.a);
        _open.add(this as Queue<unknown>);
        if (!_hookInstalled) {
          _hookInstalled = true;
          node.beforeExit.push(() => Promise.all([..._open].map((q) => _flushForExit(q))).then(() => {}));
        }
      }
    }
  }

  /**
   * Puts an item, waiting for a free slot when the queue is bounded and full.
   * @param item A structured-clone value.
   * @param options `block` (default true) and `timeout` in ms.
   * @returns Resolves once the item is in the queue, or (unbounded queue served by another process)
   *   once it has left this process: it then arrives even if this process exits or is killed.
   * @throws {TypeError} If the item cannot be sent (it takes no slot).
   * @throws {Full} If no slot came free in time, or at once with `block: false`.
   * @throws {StateError} If this handle is closed.
   * @throws {EOFError} If the process that serves the queue is gone (the item cannot arrive).
   * @example
   * ```ts
   * await q.put({ job: 1 }, { timeout: 100 });
   * ```
   */
  put(item: T, options?: QueueWaitOptions): Promise<void> {
    let bytes: Uint8Array;
    let block = true;
    let timeout: number | undefined;
    try {
      if (options !== undefined) ({ block, timeout } = _options(options, "put"));
      this.#checkOpen("put");
      bytes = encode(item, "item");
      if (this.#server) {
        const r = this.#server.put(bytes, block, timeout, null);
        return r === undefined ? _fairYield() : r.then(() => {});
      }
    } catch (e) {
      return Promise.reject(e);
    }
    if (this.#maxsize === 0) {
      this.#puts.push(bytes);
      // The puts of one tick leave as one message, and each resolves once that message (and all
      // sent before it) is in the kernel: the item then arrives whatever this process does next.
      return this.#putBatch ??= new Promise<void>((resolve) => {
        queueMicrotask(() => {
          this.#flushPuts();
          resolve(this.#route!.flushed());
        });
      });
    }
    this.#flushPuts();
    return this.#route!.request(this.#ref.i, "p", [bytes, block, timeout]).then(() => {});
  }

  /**
   * Takes the oldest item, waiting for one.
   * @param options `block` (default true) and `timeout` in ms.
   * @returns The item.
   * @throws {Empty} If nothing arrived in time, or at once with `block: false`.
   * @throws {StateError} If this handle is closed.
   * @example
   * ```ts
   * const item = await q.get({ timeout: 1000 });
   * ```
   */
  get(options?: QueueWaitOptions): Promise<T> {
    let block = true;
    let timeout: number | undefined;
    try {
      if (options !== undefined) ({ block, timeout } = _options(options, "get"));
      this.#checkOpen("get");
      if (this.#server) {
        const r = this.#server.get(this.#client, 1, block, timeout, null);
        return r instanceof Promise
          ? r.then((b) => decodeOrLoad(b as Uint8Array) as T)
          : Promise.resolve(decodeOrLoad(r as Uint8Array) as T);
      }
      const it = this.#buf.shift();
      if (it) {
        this.#took(it[0]);
        return Promise.resolve(decodeOrLoad(it[1]) as T);
      }
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#fetch(block, timeout);
  }

  async #fetch(block: boolean, timeout: number | undefined): Promise<T> {
    this.#register();
    const flat = (await this.#route!.request(this.#ref.i, "g", [
      this.#client,
      this.#acks.splice(0),
      this.#want,
      block,
      timeout,
    ])) as unknown[];
    if (this.#closed) {
      const seqs: number[] = [];
      for (let k = 0; k < flat.length; k += 2) seqs.push(flat[k] as number);
      this.#route!.notify(this.#ref.i, "b", [this.#client, [], seqs]);
      throw new StateError("Queue is closed: it was closed while get() waited");
    }
    const n = flat.length / 2;
    this.#want = n >= this.#want ? Math.min(_MAX_BATCH, this.#want * 2) : Math.max(16, n * 2);
    for (let k = 2; k < flat.length; k += 2) this.#buf.push([flat[k] as number, flat[k + 1] as Uint8Array]);
    this.#took(flat[0] as number);
    return (await decodeOrLoad(flat[1] as Uint8Array)) as T;
  }

  /**
   * `put(item, { block: false })`.
   * @param item The item.
   * @returns Resolves once queued.
   * @throws {Full} If the queue is full.
   * @example
   * ```ts
   * await q.putNowait(1);
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
   * const x = await q.getNowait();
   * ```
   */
  getNowait(): Promise<T> {
    return this.get({ block: false });
  }

  /**
   * Number of items in the queue (including items handed to consumers that they have not taken yet).
   * @returns The count.
   * @throws {StateError} If this handle is closed.
   * @example
   * ```ts
   * console.log(await q.qsize());
   * ```
   */
  async qsize(): Promise<number> {
    return (await this.#stat("qsize"))[0];
  }

  /**
   * Whether the queue is empty.
   * @returns True when empty.
   * @throws {StateError} If this handle is closed.
   * @example
   * ```ts
   * if (await q.empty()) console.log("nothing queued");
   * ```
   */
  async empty(): Promise<boolean> {
    return (await this.#stat("empty"))[0] === 0;
  }

  /**
   * Whether a bounded queue has no free slot.
   * @returns True when full.
   * @throws {StateError} If this handle is closed.
   * @example
   * ```ts
   * if (await q.full()) console.log("producers wait");
   * ```
   */
  async full(): Promise<boolean> {
    return (await this.#stat("full"))[1];
  }

  /**
   * Closes this handle: later `put`/`get` on it reject with StateError. Puts already made are still
   * delivered; items this handle fetched but did not return go back to the queue.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    _open.delete(this as Queue<unknown>);
    if (this.#server) {
      this.#server.cancelGets(this.#client);
      return;
    }
    this.#flushPuts();
    const seqs = this.#buf.drain().map((it) => it[0]);
    this.#route!.notify(this.#ref.i, "b", [this.#client, this.#acks.splice(0), seqs]);
    this.#route!.notify(this.#ref.i, "x", [this.#client]);
    if (this.#registered) node.unserve(this.#client);
  }

  /**
   * Resolves when every item put through this handle has reached the process that serves the queue.
   * @returns Resolves when delivered.
   * @example
   * ```ts
   * q.close();
   * await q.joinThread();
   * ```
   */
  async joinThread(): Promise<void> {
    if (this.#server) return;
    this.#flushPuts();
    await this.#route!.request(this.#ref.i, "y", []);
  }

  /** Yields items as they arrive until this handle is closed. */
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
  protected _call(method: string): Promise<unknown> {
    this.#checkOpen(method === "t" ? "taskDone" : "join");
    if (this.#server) return Promise.resolve(method === "t" ? this.#server.taskDone() : this.#server.join(null));
    this.#flushPuts();
    return this.#route!.request(this.#ref.i, method, []);
  }

  #checkOpen(op: string): void {
    if (this.#closed) throw new StateError(`Queue is closed: cannot ${op}() after close()`);
  }

  async #stat(op: string): Promise<[number, boolean]> {
    this.#checkOpen(op);
    if (this.#server) return [this.#server.qsize(), this.#server.full()];
    this.#flushPuts();
    return (await this.#route!.request(this.#ref.i, "q", [this.#client, this.#acks.splice(0)])) as [number, boolean];
  }

  #flushPuts(): void {
    this.#putBatch = undefined;
    if (this.#puts.length === 0) return;
    this.#route!.notify(this.#ref.i, "P", [this.#puts.splice(0)]);
  }

  /**
   * Records that get() returned an item. Its acknowledgement leaves before anything else this
   * process sends to the queue's server (the next fetch carries it), or at the end of this
   * event-loop turn. Until the server has it the item stays leased: if this process dies first, it
   * goes back to its place in line and another consumer gets it (so only items of this handle's
   * last lease can be returned twice).
   */
  #took(seq: number): void {
    this.#acks.push(seq);
    if (this.#ackScheduled) return;
    this.#ackScheduled = true;
    this.#route!.beforeNextSend(this.#flushAcks);
    setImmediate(this.#flushAcks);
  }

  #flushAcks = (): void => {
    if (!this.#ackScheduled) return;
    this.#ackScheduled = false;
    if (this.#acks.length > 0 && !this.#route!.broken) {
      this.#route!.notify(this.#ref.i, "k", [this.#client, this.#acks.splice(0)]);
    }
  };

  #register(): void {
    if (this.#registered) return;
    this.#registered = true;
    node.register(this.#client, {
      call: (m) => {
        if (m !== "recall" || this.#buf.length === 0 || this.#closed) return;
        const seqs = this.#buf.drain().map((it) => it[0]);
        this.#route!.notify(this.#ref.i, "b", [this.#client, this.#acks.splice(0), seqs]);
      },
    });
  }

  static {
    _flushForExit = async (q) => {
      const route = q.#route;
      q.close();
      if (route) await route.request(q.#ref.i, "y", []).catch(() => {});
    };
    registerType<Queue<unknown>>({
      tag: "multiproc.Queue",
      cls: Queue,
      reduce: (q) => ({ r: q.#ref, m: q.#maxsize, j: q.#joinable } satisfies _QState),
      rebuild: (s) => ((s as _QState).j ? new JoinableQueue(REBUILD, s as _QState) : new Queue(REBUILD, s as _QState)),
    });
  }
}

/**
 * A queue that also counts unfinished tasks (Python's `JoinableQueue`): every `put` adds one,
 * `taskDone()` removes one, and `join()` waits until none is left.
 *
 * @example
 * ```ts
 * import { JoinableQueue } from "multiproc";
 * const q = new JoinableQueue<string>();
 * await q.put("job");
 * await q.get();
 * await q.taskDone();
 * await q.join(); // resolves: every task is done
 * ```
 */
export class JoinableQueue<T = unknown> extends Queue<T> {
  /**
   * Marks one item taken with `get()` as processed.
   * @returns Resolves once counted.
   * @throws {StateError} If called more times than items were put ("taskDone() called too many times").
   * @example
   * ```ts
   * await q.taskDone();
   * ```
   */
  async taskDone(): Promise<void> {
    await this._call("t");
  }

  /**
   * Waits until every item put has been marked done with `taskDone()`.
   * @returns Resolves when no task is unfinished.
   * @example
   * ```ts
   * await q.join();
   * ```
   */
  async join(): Promise<void> {
    await this._call("j");
  }
}

export { SimpleQueue } from "./queue/simple_queue.ts";
