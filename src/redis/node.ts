/**
 * A worker node: a local pool of worker processes fed from the namespace's task stream.
 *
 * - Entries are read through the stream's consumer group `workers`, while the node has room
 *   (fewer than four tasks per worker process in hand), so a busy node leaves work to idle ones.
 * - An entry stays in the group's pending list until every task in it has its result pushed to
 *   its caller; only then is it acknowledged and deleted. The node renews its hold on its entries
 *   every 500 ms (`XCLAIM ... JUSTID` resets their idle time). An entry idle for 1.5 s belongs to a
 *   node that stopped renewing (killed, frozen, cut off), and any node with room claims it
 *   (`XAUTOCLAIM`) and runs its tasks again: at least once, and callers drop duplicate results.
 * - An entry whose MAC is wrong is acknowledged and deleted without being decoded, and reported.
 * - A task whose module this node does not serve, or whose module lacks the function, fails with
 *   a clear error; the node goes on.
 *
 * @module
 */
import { setImmediate } from "node:timers";
import process from "node:process";
import { hostname } from "node:os";
import { encodeError } from "../channel/codec.ts";
import { holdAlive, releaseAlive } from "../core/hold_alive.ts";
import { importModule, moduleUrl } from "../core/target.ts";
import { engineOptions, PoolEngine, PoolTask } from "../pool/engine.ts";
import { positiveInt } from "../pool/stream.ts";
import { randomHex } from "../runtime/crypto.ts";
import { isConnectionError, type RedisClient } from "./client.ts";
import type { ClusterCore } from "./core.ts";
import type { WireEntry, WireResult, WireTask } from "./engine.ts";
import { moduleKey } from "./module_key.ts";

/** The consumer group of the task stream. */
export const GROUP = "workers";
/** An entry not renewed for this long is taken over by another node (ms). */
export const LEASE_MS = 1500;
/** How often a node renews its entries and looks for expired ones (ms). */
const _RENEW_MS = 500;
/** How long a node's registration lives without a heartbeat (ms). */
const _NODE_TTL_MS = 5000;

/**
 * Options of {@linkcode Cluster.serve}.
 *
 * @example
 * ```ts
 * import type { ServeOptions } from "multiproc/redis";
 * const options: ServeOptions = { processes: 4, modules: ["./tasks.ts"] };
 * ```
 */
export interface ServeOptions {
  /** Worker processes of the node's local pool (default: the number of CPUs). */
  processes?: number;
  /** The modules whose exported functions this node runs (paths or file URLs). */
  modules: (string | URL)[];
  /** The node's name in the node list (default `<host>:<pid>`). */
  name?: string;
}

/** One held entry: its tasks still running. */
interface _Held {
  left: number;
}

/**
 * A running worker node, made by `cluster.serve()`. Stop it with {@linkcode WorkerNode.close}.
 *
 * @example
 * ```ts
 * import { connect, readAuthkey } from "multiproc/redis";
 * if (process.env.REDIS_URL && process.env.MULTIPROC_AUTHKEY_FILE) {
 *   const cluster = await connect(process.env.REDIS_URL, { authkey: readAuthkey(process.env.MULTIPROC_AUTHKEY_FILE) });
 *   const node = await cluster.serve({ processes: 2, modules: ["./tasks.ts"] });
 *   console.log(node.name, node.processes, node.modules); // e.g. "host:4242" 2 ["tasks.ts"]
 *   await node.close(); // finishes and delivers the tasks in hand
 *   await cluster.close();
 * }
 * ```
 */
export class WorkerNode implements AsyncDisposable {
  /** The node's name. */
  readonly name: string;
  #core: ClusterCore;
  #engine: PoolEngine;
  #processes: number;
  #modules = new Map<string, string>();
  /** Local function ids by module key and export name, once resolved. */
  #fnIds = new Map<string, number>();
  #stream: string;
  #consumer: string;
  #held = new Map<string, _Held>();
  #inHand = 0;
  #room: (() => void) | undefined;
  #out = new Map<string, WireResult[]>();
  #doneEntries: string[] = [];
  #flushing = false;
  #closing = false;
  #timers: ReturnType<typeof setInterval>[] = [];
  #reader: Promise<void> | undefined;
  #blocker: RedisClient | undefined;
  #closed: Promise<void> | undefined;
  /** Where the next XAUTOCLAIM goes on in the group's pending list. */
  #cursor = "0-0";

  /** Use {@linkcode startNode}. @internal */
  constructor(core: ClusterCore, options: ServeOptions, modules: Map<string, string>) {
    this.#core = core;
    this.#processes = options.processes!;
    this.#modules = modules;
    this.name = options.name ?? `${hostname()}:${process.pid}`;
    this.#consumer = `${this.name}:${randomHex(4)}`;
    this.#stream = core.key("pool", "tasks");
    this.#engine = new PoolEngine(engineOptions("Pool", this.#processes, "processes", {}));
  }

  /** The modules served, by key. */
  get modules(): string[] {
    return [...this.#modules.keys()];
  }

  /** Worker processes of the local pool. */
  get processes(): number {
    return this.#processes;
  }

  /** Pids of the local workers. */
  get pids(): number[] {
    return this.#engine.pids;
  }

  /** Starts reading, renewing and heartbeating. @internal */
  async start(): Promise<void> {
    await this.#ensureGroup();
    this.#blocker = await this.#core.blocking();
    holdAlive();
    this.#timers.push(setInterval(() => this.#renew(), _RENEW_MS));
    this.#timers.push(setInterval(() => this.#heartbeat(), 1000));
    this.#heartbeat();
    this.#reader = this.#readLoop();
  }

  async #ensureGroup(): Promise<void> {
    try {
      await this.#core.cmd.call("XGROUP", "CREATE", this.#stream, GROUP, "0", "MKSTREAM");
    } catch (e) {
      if (!/BUSYGROUP/.test((e as Error).message)) throw e;
    }
  }

  #heartbeat(): void {
    const key = this.#core.key("pool", "nodes");
    const now = Date.now();
    const info = JSON.stringify({ name: this.name, processes: this.#processes, modules: this.modules });
    this.#core.cmd.call("ZADD", key, String(now + _NODE_TTL_MS), info).catch(() => {});
    this.#core.cmd.call("ZREMRANGEBYSCORE", key, "-inf", String(now)).catch(() => {});
  }

  /** Room for more tasks: fewer than four per worker process in hand. */
  get #hasRoom(): boolean {
    return this.#inHand < 4 * this.#processes;
  }

  async #readLoop(): Promise<void> {
    while (!this.#closing) {
      if (!this.#hasRoom) {
        await new Promise<void>((r) => (this.#room = r));
        continue;
      }
      let reply: unknown;
      try {
        reply = await this.#blocker!.callBuffer(
          "XREADGROUP",
          "GROUP",
          GROUP,
          this.#consumer,
          "COUNT",
          "1",
          "BLOCK",
          "1000",
          "STREAMS",
          this.#stream,
          ">",
        );
      } catch (e) {
        if (this.#closing) break;
        if (/NOGROUP/.test((e as Error).message)) await this.#ensureGroup().catch(() => {});
        else if (!isConnectionError(e)) this.#core.warn(`reading tasks: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      if (!reply) continue;
      for (const [, entries] of reply as [unknown, [Uint8Array, Uint8Array[]][]][]) {
        for (const [id, fields] of entries) this.#take(String(id), fields);
      }
    }
  }

  /** Renews the held entries, and takes over expired ones while there is room. */
  async #renew(): Promise<void> {
    const ids = [...this.#held.keys()];
    try {
      for (let i = 0; i < ids.length; i += 500) {
        await this.#core.cmd.call(
          "XCLAIM",
          this.#stream,
          GROUP,
          this.#consumer,
          "0",
          ...ids.slice(i, i + 500),
          "JUSTID",
        );
      }
      if (this.#closing || !this.#hasRoom) return;
      const reply = await this.#core.cmd.callBuffer(
        "XAUTOCLAIM",
        this.#stream,
        GROUP,
        this.#consumer,
        String(LEASE_MS),
        this.#cursor,
        "COUNT",
        String(Math.max(1, this.#processes)),
      ) as [unknown, [Uint8Array, Uint8Array[] | null][]];
      // Redis scans at most COUNT × 10 pending entries a call: go on from where this call stopped
      // (it returns 0-0 at the end of the list), or expired entries behind many live ones wait.
      this.#cursor = String(reply[0]);
      for (const [id, fields] of reply[1]) {
        if (fields && !this.#held.has(String(id))) this.#take(String(id), fields);
      }
    } catch (e) {
      if (/NOGROUP/.test((e as Error).message)) await this.#ensureGroup().catch(() => {});
    }
  }

  /** Runs the tasks of one entry. */
  #take(id: string, fields: Uint8Array[]): void {
    let entry: WireEntry;
    try {
      const i = fields.findIndex((f, k) => k % 2 === 0 && String(f) === "t");
      entry = this.#core.sealer.open("task", i < 0 ? undefined : fields[i + 1]) as WireEntry;
      if (typeof entry?.c !== "string" || !Array.isArray(entry.t)) throw new TypeError("malformed task entry");
    } catch (e) {
      this.#core.warn(`refused task entry ${id}: ${(e as Error).message}`);
      this.#core.cmd.call("XACK", this.#stream, GROUP, id).catch(() => {});
      this.#core.cmd.call("XDEL", this.#stream, id).catch(() => {});
      return;
    }
    const held: _Held = { left: entry.t.length };
    this.#held.set(id, held);
    this.#inHand += entry.t.length;
    for (const t of entry.t) this.#run(id, held, entry.c, t);
  }

  #run(entryId: string, held: _Held, caller: string, t: WireTask): void {
    const done = (ok: boolean, value: unknown) => {
      const results = this.#out.get(caller) ?? [];
      this.#out.set(caller, results);
      results.push([t[0], ok, ok ? value : encodeError(value)]);
      this.#inHand--;
      if (--held.left === 0) this.#doneEntries.push(entryId);
      if (!this.#flushing) {
        this.#flushing = true;
        // Results finished in the same macrotask travel together; setImmediate, not setTimeout(0),
        // which waits ≥ 1 ms on Node and Bun.
        setImmediate(() => this.#flush());
      }
      if (this.#room && this.#hasRoom) {
        const r = this.#room;
        this.#room = undefined;
        r();
      }
    };
    // A function seen before goes to the local pool at once: awaiting its (cached) module import
    // again put a few promise turns between every task and its worker.
    const known = this.#fnIds.get(`${t[1]}\0${t[2]}`);
    if (known !== undefined) {
      this.#engine.submit(new PoolTask(known, t[3], t[4], done));
      return;
    }
    this.#resolve(t[1], t[2]).then((fn) => {
      const fnId = this.#engine.functionId(fn, "function", this.#modules.get(t[1]));
      this.#fnIds.set(`${t[1]}\0${t[2]}`, fnId);
      this.#engine.submit(new PoolTask(fnId, t[3], t[4], done));
    }).catch((e) => done(false, e));
  }

  async #resolve(key: string, name: string): Promise<unknown> {
    const url = this.#modules.get(key);
    if (url === undefined) {
      throw new Error(
        `Worker node ${this.name} does not serve the module ${key} (it serves ${this.modules.join(", ") || "none"}): ` +
          `start the node with --module ${key}, from the same checkout or package as the caller`,
      );
    }
    const mod = await importModule(url);
    if (typeof mod[name] !== "function") {
      throw new Error(`The module ${key} on worker node ${this.name} exports no function ${name}`);
    }
    return mod[name];
  }

  /** Pushes results to their callers, then acknowledges and deletes the finished entries. */
  async #flush(): Promise<void> {
    this.#flushing = false;
    const out = this.#out;
    this.#out = new Map();
    const entries = this.#doneEntries.splice(0);
    const sends: Promise<unknown>[] = [];
    for (const [caller, results] of out) {
      const key = this.#core.key("pool", `r:${caller}`);
      // Sealed for this caller: a result moved into another caller's list does not open there.
      const purpose = `result:${caller}`;
      let sealed: Uint8Array;
      try {
        sealed = this.#core.sealer.seal(purpose, results);
      } catch {
        // A value the codec cannot send fails its own task only.
        sealed = this.#core.sealer.seal(
          purpose,
          results.map((r) => {
            try {
              this.#core.sealer.seal(purpose, [r]);
              return r;
            } catch (e) {
              return [r[0], false, encodeError(e)] satisfies WireResult;
            }
          }),
        );
      }
      sends.push(this.#core.cmd.callBuffer("RPUSH", key, sealed));
      sends.push(this.#core.cmd.call("PEXPIRE", key, "3600000"));
    }
    try {
      await Promise.all(sends);
    } catch (e) {
      // Not delivered: the entries stay pending, and run again once their lease expires.
      if (!isConnectionError(e)) this.#core.warn(`sending results: ${(e as Error).message}`);
      for (const id of entries) this.#held.delete(id);
      this.#undelivered += entries.length;
      if (this.#closing && this.#held.size === 0) this.#drained?.();
      return;
    }
    for (const id of entries) this.#held.delete(id);
    if (entries.length > 0) {
      this.#core.cmd.call("XACK", this.#stream, GROUP, ...entries).catch(() => {});
      this.#core.cmd.call("XDEL", this.#stream, ...entries).catch(() => {});
    }
    if (this.#closing && this.#held.size === 0) this.#drained?.();
  }

  #drained: (() => void) | undefined;
  /** Entries whose results were not delivered: they must stay in the group's pending list. */
  #undelivered = 0;

  /**
   * Stops taking tasks, finishes and delivers the ones in hand, then stops the local workers.
   * @returns Resolves once the node has stopped.
   */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#closing = true;
      this.#room?.();
      if (this.#held.size > 0) await new Promise<void>((r) => (this.#drained = r));
      for (const t of this.#timers) clearInterval(t);
      await this.#reader;
      if (this.#blocker) this.#core.release(this.#blocker);
      this.#engine.close();
      await this.#engine.join();
      const info = JSON.stringify({ name: this.name, processes: this.#processes, modules: this.modules });
      await this.#core.cmd.call("ZREM", this.#core.key("pool", "nodes"), info).catch(() => {});
      // DELCONSUMER drops the consumer's pending entries: only when none was left undelivered, so
      // that those run again elsewhere once their lease runs out.
      if (this.#undelivered === 0) {
        await this.#core.cmd.call("XGROUP", "DELCONSUMER", this.#stream, GROUP, this.#consumer).catch(() => {});
      }
      releaseAlive();
    })();
    return this.#closed;
  }

  /** Same as {@linkcode close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Starts a worker node: checks the options, imports every module once here (a module that does
 * not load stops the node before it takes any task), starts the local pool and begins reading.
 * @throws {TypeError} If an option has the wrong type.
 * @throws {RangeError} If `processes` is not an integer ≥ 1.
 */
export async function startNode(core: ClusterCore, options: ServeOptions, defaultSize: number): Promise<WorkerNode> {
  if (typeof options !== "object" || options === null) throw new TypeError("serve() expects an options object");
  const processes = options.processes ?? defaultSize;
  positiveInt(processes, "serve() processes");
  if (!Array.isArray(options.modules) || options.modules.length === 0) {
    throw new TypeError("serve() needs `modules`: the modules whose exported functions this node runs");
  }
  holdAlive();
  try {
    const modules = new Map<string, string>();
    for (const m of options.modules) {
      const url = moduleUrl(m)!;
      await importModule(url);
      modules.set(moduleKey(url), url);
    }
    const node = new WorkerNode(core, { ...options, processes }, modules);
    await node.start();
    return node;
  } finally {
    releaseAlive();
  }
}
