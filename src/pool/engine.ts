/**
 * The engine under `Pool` and `ProcessPoolExecutor`: it starts worker processes
 * (`pool/workers.ts`), hands them tasks (`pool/scheduler.ts` decides which worker gets which)
 * over their link to us, matches results to tasks, and decides what a dead worker means. A
 * function travels as a target spec once per worker and is then named by a number
 * (`pool/registry.ts`).
 *
 * @module
 */
import process from "node:process";
import { decodeError, encode } from "../channel/codec.ts";
import type { Peer } from "../channel/peer.ts";
import { node } from "../core/node.ts";
import { describeFunction, moduleUrl, type TargetSpec } from "../core/target.ts";
import { BrokenProcessPool, StateError, WorkerLostError } from "../errors.ts";
import { GUARD_MESSAGE, Process, type Target } from "../process.ts";
import { WORKER_INBOX } from "./worker.ts";
import { holdAlive, releaseAlive } from "../core/hold_alive.ts";
import {
  describeExit,
  killedFromOutside,
  PoolTask,
  TASK_DISPATCHED as _DISPATCHED,
  TASK_DONE as _DONE,
  TASK_QUEUED as _QUEUED,
} from "./task.ts";
import { FunctionRegistry } from "./registry.ts";
import { type ScheduleOptions, Scheduler } from "./scheduler.ts";
import {
  describeWorker,
  killWorker,
  type PoolWorker,
  startWorker,
  stopWorker,
  takesTasks,
  type WorkerKind,
} from "./workers.ts";
import { positiveInt } from "./stream.ts";

export { describeExit, PoolTask };

/** Workers in a row that end by themselves before they are ready: the pool cannot start workers. */
const _MAX_START_FAILURES = 3;
let _poolCounter = 0;

/** The classes over the engine (named in messages; the `Thread` ones run their workers in threads). */
export type PoolKind = "Pool" | "ProcessPoolExecutor" | "ThreadPool" | "ThreadPoolExecutor";

/** How the engine behaves: Pool (replace dead workers) or executor (a killed worker breaks it). */
export interface EngineOptions extends ScheduleOptions {
  /** Class name used in messages. */
  kind: PoolKind;
  /** Whether the workers are processes or threads. */
  workers: WorkerKind;
  /** Initializer spec and its args. */
  init: TargetSpec | null;
  initargs: unknown[];
  /** Default module for function targets. */
  module: string | undefined;
  /** Executor semantics: a worker killed by a signal while holding work breaks the pool. */
  breakOnKill: boolean;
}

/**
 * Checks the worker options of a `Pool` or `ProcessPoolExecutor` and makes its engine's: the
 * executor starts workers on demand and breaks when one is lost while it has work (Python's
 * semantics); a Pool starts them all and replaces lost ones.
 * @param kind The class (named in errors).
 * @param size Number of workers; `sizeName` names it in errors.
 * @param o The initializer and its args, maxTasksPerChild, the default module.
 * @returns The engine's options.
 * @throws {RangeError} If `size` or `maxTasksPerChild` is not an integer ≥ 1.
 * @throws {TypeError} If an option has the wrong type or the initializer cannot be sent.
 */
export function engineOptions(
  kind: EngineOptions["kind"],
  size: number,
  sizeName: string,
  o: { initializer?: Target; initargs?: unknown[]; maxTasksPerChild?: number; module?: string | URL },
): EngineOptions {
  positiveInt(size, `${kind} ${sizeName}`);
  const max = o.maxTasksPerChild ?? undefined;
  if (max !== undefined) positiveInt(max, `${kind} maxTasksPerChild`);
  if (o.initargs !== undefined && !Array.isArray(o.initargs)) throw new TypeError(`${kind} initargs must be an array`);
  const module = moduleUrl(o.module);
  const init = o.initializer === undefined || o.initializer === null
    ? null
    : describeFunction(o.initializer, module, "initializer");
  const executor = kind.endsWith("Executor");
  return {
    kind,
    workers: kind.startsWith("Thread") ? "thread" : "process",
    size,
    onDemand: executor,
    init,
    initargs: o.initargs ?? [],
    maxTasksPerChild: max,
    module,
    breakOnKill: executor,
  };
}

/**
 * What `Pool` and `ProcessPoolExecutor` drive: the local {@linkcode PoolEngine}, or a cluster's
 * engine that sends tasks to worker nodes over Redis (`multiproc/redis`).
 */
export interface Engine {
  /** "open", "closed", "terminated" or "broken". */
  readonly state: string;
  /** The error that broke the pool, if any. */
  readonly brokenError: Error | undefined;
  /** Ids of the live local workers (none for a cluster). */
  readonly pids: number[];
  /** What happens to a running call that times out or is aborted, for its error message. */
  readonly onCancel: string;
  /** Ends a local worker as if killed from outside (tests). */
  killWorker(id: number): void;
  /** The number a function travels under. */
  functionId(fn: unknown, what?: string): number;
  /** Queues a task. */
  submit(task: PoolTask): void;
  /** A lazy producer (imap) started. */
  streamStarted(): void;
  /** A lazy producer ended. */
  streamEnded(): void;
  /** Settles a task with `reason` now (see {@linkcode PoolEngine.cancel}). */
  cancel(task: PoolTask, reason: unknown, onlyQueued?: boolean): boolean;
  /** No new work. */
  close(): void;
  /** Rejects outstanding tasks and stops. */
  terminate(): Promise<void>;
  /** Waits until the outstanding work is done and the workers are gone. */
  join(): Promise<void>;
}

/** How a pool class makes its engine (a cluster's classes override it). */
export type EngineFactory = (
  kind: PoolKind,
  size: number,
  sizeName: string,
  o: { initializer?: Target; initargs?: unknown[]; maxTasksPerChild?: number; module?: string | URL },
) => Engine;

/** The local engine: worker processes or threads on this machine. */
export const localEngine: EngineFactory = (kind, size, sizeName, o) =>
  new PoolEngine(engineOptions(kind, size, sizeName, o));

/** Starts, feeds and replaces the worker processes of one pool. */
export class PoolEngine implements Engine {
  #o: EngineOptions;
  #id = `pool-${process.pid}-${++_poolCounter}`;
  #workers = new Map<number, PoolWorker>();
  #nextWid = 1;
  #nextTask = 1;
  #tasks = new Scheduler();
  #outstanding = 0;
  #streams = 0;
  /** Whether this engine holds the process alive (while tasks are outstanding). */
  #holding = false;
  #scheduled = false;
  #state: "open" | "closed" | "terminated" | "broken" = "open";
  #broken: Error | undefined;
  /** Workers that ended by themselves before ready, since a worker last became ready. */
  #startFailures = 0;
  #functions: FunctionRegistry;

  /**
   * @param options Pool size and semantics.
   * @throws {Error} If called while a child imports its target's module (an unguarded script).
   */
  constructor(options: EngineOptions) {
    if (node.importing) throw new Error(GUARD_MESSAGE);
    this.#o = options;
    this.#functions = new FunctionRegistry(options.module);
    node.register(this.#id, { call: (m, a, p) => this.#onMessage(m, a, p) });
    if (!options.onDemand) { for (let i = 0; i < options.size; i++) this.#spawn(); }
  }

  /** "open", "closed", "terminated" or "broken". */
  get state(): string {
    return this.#state;
  }

  /** The error that broke the pool, if any. */
  get brokenError(): Error | undefined {
    return this.#broken;
  }

  /** A running call that times out or is aborted has its worker killed and replaced. */
  get onCancel(): string {
    return "its running worker was killed and replaced";
  }

  /** Ids of the live workers: pids, or thread ids in a thread pool (tests and benchmarks use it). */
  get pids(): number[] {
    return [...this.#workers.values()].map((w) => w.proc instanceof Process ? w.proc.pid! : w.proc.ident!)
      .filter((p) => p !== undefined);
  }

  /**
   * Ends the worker with id `id` (see {@linkcode pids}) as if killed from outside: SIGKILL, or
   * `terminate()` for a thread (tests use it).
   * @param id The worker's id.
   */
  killWorker(id: number): void {
    for (const w of this.#workers.values()) {
      if ((w.proc instanceof Process ? w.proc.pid : w.proc.ident) === id) killWorker(w);
    }
  }

  /**
   * The number a function travels under; describes it (module or source) on first use.
   * @param module Its module, where the caller knows it (a worker node does).
   * @throws {TypeError} If `fn` cannot be sent (not a function, built-in, a class).
   */
  functionId(fn: unknown, what = "function", module?: string): number {
    return this.#functions.idOf(fn, what, module);
  }

  /** Queues a task (the caller checked the state). */
  submit(task: PoolTask): void {
    task.id = this.#nextTask++;
    if (this.#state === "broken" || this.#state === "terminated") {
      task.state = _DONE;
      task.settle(false, this.#broken ?? new StateError(`The ${this.#o.kind} was terminated: create a new one`));
      return;
    }
    this.#outstanding++;
    if (!this.#holding) {
      this.#holding = true;
      holdAlive();
    }
    this.#tasks.push(task);
    this.#schedule();
  }

  /** A lazy producer (imap) is running: do not stop the workers on close until it ends. */
  streamStarted(): void {
    this.#streams++;
  }

  /** A lazy producer ended. */
  streamEnded(): void {
    this.#streams--;
    this.#checkIdle();
  }

  /**
   * Settles a task with `reason` now. A queued task just leaves the queue; unless `onlyQueued`,
   * a task in a worker's window has its worker killed (and replaced), the worker's other tasks
   * go back to the queue.
   * @returns Whether the task was cancelled.
   */
  cancel(task: PoolTask, reason: unknown, onlyQueued = false): boolean {
    if (task.state === _DONE) return false;
    if (task.state === _DISPATCHED) {
      if (onlyQueued) return false;
      const w = task.worker as PoolWorker;
      const i = w.inflight.indexOf(task);
      if (i >= 0) w.inflight.splice(i, 1);
      this.#kill(w);
    }
    this.#finish(task, false, reason);
    return true;
  }

  /** No new work; workers stop once the outstanding work is done. */
  close(): void {
    if (this.#state === "open") this.#state = "closed";
    this.#checkIdle();
  }

  /** Kills every worker, rejects outstanding tasks, waits for the workers to exit. */
  async terminate(): Promise<void> {
    if (this.#state === "open" || this.#state === "closed") {
      this.#state = "terminated";
      this.#failAll(new StateError(`The ${this.#o.kind} was terminated before the task finished`));
      for (const w of this.#workers.values()) stopWorker(w, true);
    }
    await this.join();
  }

  /** Waits until every worker has exited (after close, outstanding work finishes first). */
  async join(): Promise<void> {
    // Workers are daemons (unref'ed): hold this process alive while we wait for them.
    holdAlive();
    try {
      while (this.#workers.size > 0 || this.#outstanding > 0) {
        if (this.#workers.size === 0) {
          await new Promise((r) => setTimeout(r, 10));
          continue;
        }
        await Promise.all([...this.#workers.values()].map((w) => w.proc._exited));
        await new Promise((r) => setTimeout(r, 0)); // let exit handlers run
      }
    } finally {
      releaseAlive();
    }
    node.unserve(this.#id);
  }

  /** Breaks the pool: every outstanding and later task fails with `err`; workers are killed. */
  breakWith(err: Error, orphans: PoolTask[] = []): void {
    if (this.#state === "broken" || this.#state === "terminated") return;
    this.#state = "broken";
    this.#broken = err;
    for (const t of orphans) this.#finish(t, false, err);
    this.#failAll(err);
    for (const w of this.#workers.values()) stopWorker(w, true);
  }

  #failAll(err: Error): void {
    const tasks = this.#tasks.drain();
    for (const w of this.#workers.values()) tasks.push(...w.inflight.splice(0));
    for (const t of tasks) this.#finish(t, false, err);
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => this.#dispatch());
  }

  #spawn(): void {
    if (this.#state === "broken" || this.#state === "terminated") return;
    const wid = this.#nextWid++;
    let w: PoolWorker;
    try {
      w = startWorker(this.#id, wid, this.#o.workers);
    } catch (e) {
      // The system refused a process (no memory, process limit): waiting would hang every task.
      const err = e as Error;
      this.breakWith(
        new BrokenProcessPool(`The ${this.#o.kind} could not start a worker ${this.#o.workers}: ${err?.message}`, {
          cause: e,
        }),
      );
      return;
    }
    this.#workers.set(wid, w);
    w.proc._exited!.then((code) => this.#onExit(w, code));
  }

  #onMessage(method: string, args: unknown[], peer: Peer | null): void {
    const w = this.#workers.get(args[0] as number);
    if (!w) return;
    if (method === "done") this.#onDone(w, args[1] as number, args[2] as boolean, args[3], args[4] as number);
    else if (method === "hello") {
      w.link = peer ?? undefined;
      w.link?.notify(WORKER_INBOX, "init", [this.#o.init, this.#o.initargs]);
    } else if (method === "ready") {
      w.peer = w.link;
      this.#startFailures = 0;
      if (this.#state === "terminated" || this.#state === "broken") stopWorker(w, true);
      else this.#schedule();
      this.#checkIdle();
    } else if (method === "initError") {
      const cause = decodeError(args[1]);
      this.breakWith(
        new BrokenProcessPool(
          `A worker of the ${this.#o.kind} failed to start: its initializer threw ${cause.name}: ${cause.message}. ` +
            `Fix the initializer; this pool cannot run tasks and must be replaced`,
          { cause },
        ),
      );
    }
  }

  #onDone(w: PoolWorker, id: number, ok: boolean, value: unknown, ms: number): void {
    const i = w.inflight[0]?.id === id ? 0 : w.inflight.findIndex((t) => t.id === id);
    if (i < 0) return; // cancelled or handed to another worker meanwhile
    const task = w.inflight[i];
    w.inflight.splice(i, 1);
    this.#tasks.record(w, task, ms);
    if (ok) this.#finish(task, true, value);
    else {
      let err: unknown;
      try {
        err = decodeError(value);
      } catch (e) {
        err = e; // a malformed error record still settles the task
      }
      this.#finish(task, false, err);
    }
    if (w.retiring && w.inflight.length === 0) this.#stopProcess(w, false);
    this.#schedule();
  }

  #finish(task: PoolTask, ok: boolean, value: unknown): void {
    if (task.state === _DONE) return;
    const wasCounted = task.id !== 0;
    if (task.state === _QUEUED) this.#tasks.left();
    task.state = _DONE;
    task.worker = undefined;
    if (wasCounted) this.#outstanding--;
    try {
      task.settle(ok, value);
    } finally {
      if (this.#outstanding <= 0 && this.#holding) {
        this.#holding = false;
        releaseAlive();
      }
      this.#checkIdle();
    }
  }

  #dispatch(): void {
    this.#scheduled = false;
    if (this.#state === "terminated" || this.#state === "broken") return;
    for (const [w, tasks] of this.#tasks.plan(this.#workers.values(), this.#o)) this.#send(w, tasks);
    this.#replenish();
  }

  /** Sends tasks to a worker; a task whose payload cannot be sent fails alone. */
  #send(w: PoolWorker, tasks: PoolTask[]): void {
    try {
      w.peer!.notify(WORKER_INBOX, "run", [this.#functions.runFields(tasks, w.known)]);
      for (const t of tasks) w.known.add(t.fnId);
    } catch {
      for (const t of tasks) {
        try {
          w.peer!.notify(WORKER_INBOX, "run", [this.#functions.runFields([t], w.known)]);
          w.known.add(t.fnId);
        } catch (e) {
          w.inflight.splice(w.inflight.indexOf(t), 1);
          w.assigned--;
          w.retiring = this.#o.maxTasksPerChild !== undefined && w.assigned >= this.#o.maxTasksPerChild;
          this.#finish(t, false, this.#unsendable(t, e));
        }
      }
    }
    for (const t of tasks) if (t.state === _DISPATCHED) t.onDispatch?.();
  }

  #unsendable(t: PoolTask, e: unknown): Error {
    try {
      encode(t.payload, t.mode === 0 ? "args" : "items");
    } catch (named) {
      if (named instanceof TypeError) return named;
    }
    return e instanceof Error ? e : new TypeError(String(e));
  }

  #replenish(): void {
    if (this.#state === "terminated" || this.#state === "broken") return;
    let live = 0;
    let starting = 0;
    for (const w of this.#workers.values()) {
      if (!takesTasks(w)) continue;
      live++;
      if (!w.peer) starting++;
    }
    if (!this.#o.onDemand) {
      if (this.#state !== "open" && this.#outstanding === 0) return;
      for (; live < this.#o.size; live++) this.#spawn();
    } else {
      for (; live < this.#o.size && starting < this.#tasks.queued; live++, starting++) this.#spawn();
    }
  }

  /** Kills a worker on purpose (a task's timeout or abort): its other tasks go back to the queue. */
  #kill(w: PoolWorker): void {
    w.killed = true;
    this.#tasks.requeue(w.inflight.splice(0));
    killWorker(w);
    this.#schedule();
  }

  /** Stops a worker; one asked to stop after its tasks is replaced now if work needs it. */
  #stopProcess(w: PoolWorker, force: boolean): void {
    if (stopWorker(w, force)) this.#replenish();
  }

  /** When closed and nothing is left to do, tell the workers to stop. */
  #checkIdle(): void {
    if (this.#state !== "closed" || this.#outstanding > 0 || this.#streams > 0) return;
    for (const w of this.#workers.values()) if (!w.stopping && !w.killed && w.peer) this.#stopProcess(w, false);
  }

  /**
   * Judges a worker that ended before it was ready. Only a deterministic failure breaks a pool:
   * a worker that ends by itself (an exit code: a failed import, an initializer that exits; or a
   * crash signal such as SIGSEGV or SIGABRT) counts, and the third in a row (no worker becoming
   * ready in between) breaks it. A worker killed from outside (SIGKILL, SIGTERM, SIGINT, SIGHUP,
   * SIGQUIT) is always replaced and does not count: any time bound on such kills also tripped in
   * a measured chaos run (a 2-core box at load 18, a kill every 150 ms, workers taking seconds to
   * start), and the pool heals as soon as the kills stop. The executor follows Python: a worker
   * lost while the executor has work breaks it.
   * @returns Why the pool breaks (the end of its message), or undefined to replace the worker.
   */
  #startFailure(code: number): string | undefined {
    const broke = "; the pool cannot start workers";
    if (this.#o.onDemand && this.#o.breakOnKill && this.#outstanding > 0) return broke;
    if (killedFromOutside(code)) return undefined;
    return ++this.#startFailures >= _MAX_START_FAILURES
      ? `${broke} (${this.#startFailures} in a row ended before they were ready)`
      : undefined;
  }

  #onExit(w: PoolWorker, code: number): void {
    this.#workers.delete(w.wid);
    const tasks = w.inflight.splice(0);
    if (this.#state === "terminated" || this.#state === "broken") {
      for (const t of tasks) {
        this.#finish(t, false, this.#broken ?? new StateError(`The ${this.#o.kind} was terminated`));
      }
      return;
    }
    const expected = w.killed || (w.stopping && tasks.length === 0);
    if (!expected) {
      const who = `${this.#o.kind} worker ${describeWorker(w)}`;
      if (!w.peer) {
        const why = this.#startFailure(code);
        if (why !== undefined) {
          this.breakWith(
            new BrokenProcessPool(
              `${who} ${
                describeExit(code, this.#o.workers === "thread")
              } while starting${why}. Check the worker's stderr`,
            ),
            tasks,
          );
          return;
        }
      } else if (this.#o.breakOnKill && code < 0 && tasks.length > 0) {
        this.breakWith(
          new BrokenProcessPool(
            `A ${this.#o.workers} in the ${this.#o.kind} terminated abruptly: ${who} ${
              describeExit(code, this.#o.workers === "thread")
            } while running or holding tasks. ` +
              `The pool is broken; create a new ${this.#o.kind}`,
          ),
          tasks,
        );
        return;
      }
      const first = tasks.shift();
      if (first) {
        const err = new WorkerLostError(
          `${who} ${describeExit(code, this.#o.workers === "thread")} while running a task; the task did not complete` +
            (code >= 0 ? ` (it called exit(${code}) or the process crashed).` : ".") +
            ` The worker was replaced; other tasks are not affected`,
        );
        err.exitCode = code;
        this.#finish(first, false, err);
      }
    }
    this.#tasks.requeue(tasks);
    this.#replenish();
    this.#schedule();
  }
}
