/**
 * The engine under a cluster's `Pool` and `ProcessPoolExecutor`: instead of local workers, it
 * appends tasks to the namespace's task stream, where worker nodes (`redis/node.ts`) take them, and
 * reads their results from this caller's own result list.
 *
 * - Tasks submitted in the same tick travel together, in entries of up to 64, but never so few
 *   entries that a node would get more than its share of a small batch.
 * - Each result settles its task once: a result for a task that is no longer pending (a re-run after
 *   a node died, or a task cancelled meanwhile) is dropped, so a caller gets exactly one result per
 *   task even though a task may run more than once.
 * - When Redis comes back empty (restarted without persistence), every pending task is sent again.
 *
 * @module
 */
import { setImmediate } from "node:timers";
import { decodeError } from "../channel/codec.ts";
import { describeFunction, moduleUrl } from "../core/target.ts";
import { holdAlive, releaseAlive } from "../core/hold_alive.ts";
import { StateError } from "../errors.ts";
import type { Engine, PoolKind, PoolTask } from "../pool/engine.ts";
import { TASK_DISPATCHED, TASK_DONE } from "../pool/task.ts";
import type { Target } from "../process.ts";
import { randomHex } from "../runtime/crypto.ts";
import { isConnectionError, type RedisClient } from "./client.ts";
import { moduleKey } from "./module_key.ts";
import type { ClusterCore } from "./core.ts";

/** Tasks in one stream entry, at most. */
const _ENTRY_TASKS = 64;
/** Results taken from the result list in one read, at most. */
const _READ = 256;

/** A task as it travels: id, module key, export name, mode, payload. */
export type WireTask = [id: number, module: string, name: string, mode: number, payload: unknown];
/** A task entry: the caller's id and its tasks. */
export interface WireEntry {
  /** The caller's id: results go to its list. */
  c: string;
  /** The tasks. */
  t: WireTask[];
}
/** A result: task id, ok, value (or an error record). */
export type WireResult = [id: number, ok: boolean, value: unknown];

interface _Pending {
  task: PoolTask;
  wire: WireTask;
}

/** The engine of one cluster pool. */
export class RemoteEngine implements Engine {
  #core: ClusterCore;
  #kind: PoolKind;
  #size: number;
  #module: string | undefined;
  #caller = randomHex(8);
  #fns = new WeakMap<object, number>();
  #specs: [string, string][] = [];
  #pending = new Map<number, _Pending>();
  #outbox: WireTask[] = [];
  #flushing = false;
  #nextId = 1;
  #state: "open" | "closed" | "terminated" | "broken" = "open";
  #reading = false;
  #idle: (() => void)[] = [];
  #streams = 0;
  #offReconnect: () => void;
  /** Tasks whose XADD failed on a lost connection. */
  #unsent = new Map<number, WireTask>();
  #offOutage: () => void;

  /**
   * @param core The cluster.
   * @param kind The class, for messages.
   * @param size Workers the pool assumes (map's default chunk size uses it).
   * @param o The pool's options.
   * @throws {TypeError} If an option a cluster pool cannot honour is given (initializer, maxTasksPerChild).
   */
  constructor(
    core: ClusterCore,
    kind: PoolKind,
    size: number,
    o: { initializer?: Target; maxTasksPerChild?: number; module?: string | URL },
  ) {
    if (o.initializer !== undefined || o.maxTasksPerChild !== undefined) {
      throw new TypeError(
        `A cluster ${kind} takes no initializer or maxTasksPerChild: the worker nodes own their processes ` +
          `(set up per-process state at the top of a module the nodes load)`,
      );
    }
    this.#core = core;
    this.#kind = kind;
    this.#size = size;
    this.#module = moduleUrl(o.module);
    this.#offReconnect = core.onReconnect(() => this.#afterReconnect());
    this.#offOutage = core.onOutage((e) => {
      if (this.#pending.size > 0) {
        this.#failAll(
          new Error(`${e.message}, with ${this.#pending.size} task(s) of the ${kind} pending`, { cause: e }),
        );
      }
    });
    this.#core.cmd.call("SET", this.#core.key("pool", `alive:${this.#caller}`), "1", "PX", "86400000").catch(() => {});
  }

  get state(): string {
    return this.#state;
  }

  get brokenError(): Error | undefined {
    return undefined;
  }

  /** A task already taken by a node runs to its end there; its result is dropped. */
  get onCancel(): string {
    return "a task a worker node had taken runs to its end there, and its result is dropped";
  }

  /** No local workers. */
  get pids(): number[] {
    return [];
  }

  /** No local workers to kill. */
  killWorker(_id: number): void {}

  /** The result list of this pool. */
  get #results(): string {
    return this.#core.key("pool", `r:${this.#caller}`);
  }

  functionId(fn: unknown, what = "function"): number {
    if (typeof fn === "function" && this.#fns.has(fn)) return this.#fns.get(fn)!;
    const spec = describeFunction(fn, this.#module, what);
    if (spec.k !== "fn" || !spec.m || !spec.n) {
      throw new TypeError(
        `A cluster ${this.#kind} runs functions exported from a module the worker nodes load: ` +
          `export ${spec.k === "fn" && spec.n ? spec.n : "the function"} from its module ` +
          `(and pass \`module: import.meta.url\` if it is not inferred)`,
      );
    }
    const id = this.#specs.length;
    this.#specs.push([moduleKey(spec.m), spec.n]);
    this.#fns.set(fn as object, id);
    return id;
  }

  submit(task: PoolTask): void {
    if (this.#state === "terminated" || this.#state === "broken") {
      task.state = TASK_DONE;
      task.settle(false, new StateError(`The ${this.#kind} was terminated: create a new one`));
      return;
    }
    const id = this.#nextId++;
    task.id = id;
    const [m, n] = this.#specs[task.fnId];
    const wire: WireTask = [id, m, n, task.mode, task.payload];
    if (this.#pending.size === 0) holdAlive();
    this.#pending.set(id, { task, wire });
    task.state = TASK_DISPATCHED;
    task.onDispatch?.();
    this.#outbox.push(wire);
    if (!this.#flushing) {
      this.#flushing = true;
      // After this macrotask: the tasks submitted in it travel together. Not setTimeout(0), which
      // waits ≥ 1 ms on Node and Bun, a round trip's worth (bench/results/redis.md).
      setImmediate(() => this.#flush());
    }
    if (!this.#reading) this.#read();
  }

  /** Appends the outbox to the task stream, in entries. */
  #flush(): void {
    this.#flushing = false;
    const tasks = this.#outbox.splice(0);
    if (tasks.length === 0) return;
    // Enough entries that every worker process can get one, up to 64 tasks each.
    const per = Math.max(1, Math.min(_ENTRY_TASKS, Math.floor(tasks.length / this.#size)));
    for (let i = 0; i < tasks.length; i += per) this.#send(tasks.slice(i, i + per));
  }

  #send(tasks: WireTask[]): void {
    let sealed: Uint8Array;
    try {
      sealed = this.#core.sealer.seal("task", { c: this.#caller, t: tasks } satisfies WireEntry);
    } catch (e) {
      if (tasks.length > 1) {
        for (const t of tasks) this.#send([t]); // a task whose payload cannot be sent fails alone
        return;
      }
      this.#settle(tasks[0][0], false, e);
      return;
    }
    this.#core.cmd.callBuffer("XADD", this.#core.key("pool", "tasks"), "*", "t", sealed).catch((e) => {
      if (!isConnectionError(e)) {
        for (const t of tasks) this.#settle(t[0], false, e);
        return;
      }
      // Not appended (the client gave up retrying while Redis was away): sent again after the
      // reconnection (#afterReconnect), or now if the connection is already back.
      for (const t of tasks) this.#unsent.set(t[0], t);
      if (this.#core.cmd.status === "ready") this.#afterReconnect();
    });
  }

  /** Reads results while tasks are pending, on a blocking connection of its own. */
  async #read(): Promise<void> {
    this.#reading = true;
    let conn: RedisClient | undefined;
    try {
      conn = await this.#core.blocking();
      while (this.#pending.size > 0 && this.#state !== "terminated") {
        let reply: unknown;
        try {
          reply = await conn.callBuffer("BLMPOP", "1", "1", this.#results, "LEFT", "COUNT", String(_READ));
        } catch (e) {
          // A lost connection: the outage watch (core.onOutage) rejects the pending tasks if it
          // lasts past reconnectTimeout, and close() rejects them at once.
          if (!isConnectionError(e) && !this.#core.closed) throw e;
          if (this.#core.closed) break;
          await new Promise((r) => setTimeout(r, 50));
          continue;
        }
        if (!reply) continue;
        for (const raw of (reply as [unknown, unknown[]])[1]) this.#onResults(raw);
      }
    } catch (e) {
      this.#failAll(e instanceof Error ? e : new Error(String(e)));
    } finally {
      if (conn) this.#core.release(conn);
      this.#reading = false;
      if (this.#pending.size > 0 && this.#state !== "terminated") this.#read();
    }
  }

  #onResults(raw: unknown): void {
    let results: WireResult[];
    try {
      results = this.#core.sealer.open(`result:${this.#caller}`, raw) as WireResult[];
    } catch (e) {
      // Forged or foreign: never decoded. The tasks it claims to answer stay pending.
      this.#core.warn(`dropped a result batch: ${(e as Error).message}`);
      return;
    }
    if (!Array.isArray(results)) return;
    for (const r of results) {
      if (!Array.isArray(r) || typeof r[0] !== "number") continue;
      if (!this.#pending.has(r[0])) continue; // a duplicate from a re-run
      let value = r[2];
      if (!r[1]) {
        try {
          value = decodeError(value);
        } catch (e) {
          value = e;
        }
      }
      this.#settle(r[0], r[1] === true, value);
    }
  }

  #settle(id: number, ok: boolean, value: unknown): void {
    const p = this.#pending.get(id);
    if (!p) return;
    this.#pending.delete(id);
    p.task.state = TASK_DONE;
    try {
      p.task.settle(ok, value);
    } finally {
      if (this.#pending.size === 0) this.#drained();
    }
  }

  #drained(): void {
    releaseAlive();
    if (this.#streams === 0) { for (const r of this.#idle.splice(0)) r(); }
  }

  #failAll(err: Error): void {
    for (const id of [...this.#pending.keys()]) this.#settle(id, false, err);
  }

  /** Redis lost its data (restarted without persistence): every pending task goes again. */
  async #afterReconnect(): Promise<void> {
    if (this.#pending.size === 0) return;
    const marker = this.#core.key("pool", `alive:${this.#caller}`);
    let kept: unknown;
    try {
      kept = await this.#core.cmd.call("SET", marker, "1", "NX", "PX", "86400000");
    } catch {
      return; // down again: the next reconnection checks again
    }
    const unsent = [...this.#unsent.values()].filter((t) => this.#pending.has(t[0]));
    this.#unsent.clear();
    // The marker survived: Redis kept its data, and only the appends that failed are missing.
    const all = kept === null ? unsent : [...this.#pending.values()].map((p) => p.wire);
    for (let i = 0; i < all.length; i += _ENTRY_TASKS) this.#send(all.slice(i, i + _ENTRY_TASKS));
  }

  streamStarted(): void {
    this.#streams++;
  }

  streamEnded(): void {
    this.#streams--;
    if (this.#streams === 0 && this.#pending.size === 0) { for (const r of this.#idle.splice(0)) r(); }
  }

  /**
   * Settles a task now; its result, if one comes, is dropped. The node may still run it: a task
   * already taken cannot be stopped from here.
   */
  cancel(task: PoolTask, reason: unknown, onlyQueued = false): boolean {
    if (task.state === TASK_DONE || onlyQueued) return false;
    if (!this.#pending.has(task.id)) return false;
    this.#settle(task.id, false, reason);
    return true;
  }

  close(): void {
    if (this.#state === "open") this.#state = "closed";
  }

  async terminate(): Promise<void> {
    if (this.#state === "open" || this.#state === "closed") {
      this.#state = "terminated";
      this.#failAll(new StateError(`The ${this.#kind} was terminated before the task finished`));
    }
    await this.join();
  }

  async join(): Promise<void> {
    if (this.#pending.size > 0 || this.#streams > 0) {
      holdAlive();
      try {
        await new Promise<void>((r) => this.#idle.push(r));
      } finally {
        releaseAlive();
      }
    }
    this.#offReconnect();
    this.#offOutage();
    this.#core.cmd.call("DEL", this.#core.key("pool", `alive:${this.#caller}`)).catch(() => {});
  }
}
