/**
 * The worker-set engine under `Pool` and `ProcessPoolExecutor`: it starts worker processes, feeds
 * them tasks over their link to us, matches results to tasks, and decides what a dead worker means.
 *
 * Each worker holds a small window of tasks in flight. Tasks run one after another in the worker,
 * so the first task of a window is the one running. The window adapts to task length: about 2 ms
 * of queued work per worker (1 task for long tasks, up to 64 for tiny ones), which keeps workers
 * busy between round trips without hoarding long tasks that an idle worker could take.
 *
 * A function travels as a target spec once per worker and is then named by a number.
 *
 * @module
 */
import process from "node:process";
import { decodeError } from "../channel/codec.ts";
import type { Peer } from "../channel/peer.ts";
import { encode } from "../channel/codec.ts";
import { node } from "../core/node.ts";
import { moduleBeside } from "../runtime/_common.ts";
import { describeFunction, type TargetSpec } from "../core/target.ts";
import { scanErrorClasses } from "./error_classes.ts";
import { BrokenProcessPool, StateError, WorkerLostError } from "../errors.ts";
import { GUARD_MESSAGE, Process } from "../process.ts";
import { poolWorker, WORKER_INBOX } from "./worker.ts";
import { Fifo } from "../core/fifo.ts";
import { holdAlive, releaseAlive } from "../core/hold_alive.ts";
import { describeExit, killedFromOutside, PoolTask, TASK_DISPATCHED as _DISPATCHED, TASK_DONE as _DONE, TASK_QUEUED as _QUEUED } from "./task.ts";

export { describeExit, PoolTask };

const _WORKER_MODULE: string = moduleBeside(import.meta.url, "./worker.ts", "pool_worker").href;

const _MAX_WINDOW = 64;
/** Workers in a row that end by themselves before they are ready: the pool cannot start workers. */
const _MAX_START_FAILURES = 3;
const _WINDOW_MS = 2;
let _poolCounter = 0;

interface _Worker {
  wid: number;
  proc: Process;
  /** The link, once the worker said hello; `peer` is set once it is ready for tasks. */
  link: Peer | undefined;
  peer: Peer | undefined;
  inflight: PoolTask[];
  known: Set<number>;
  assigned: number;
  window: number;
  ewma: number;
  /** When the worker last finished a task, or got one while idle (performance.now()). */
  progress: number;
  /** No new tasks: retiring (maxTasksPerChild), told to stop, or killed. */
  retiring: boolean;
  stopping: boolean;
  killed: boolean;
}

/** How the engine behaves: Pool (replace dead workers) or executor (a killed worker breaks it). */
export interface EngineOptions {
  /** Class name used in messages. */
  kind: "Pool" | "ProcessPoolExecutor";
  /** Number of workers (the maximum, when on demand). */
  size: number;
  /** Start workers when work arrives instead of all at once. */
  onDemand: boolean;
  /** Initializer spec and its args. */
  init: TargetSpec | null;
  initargs: unknown[];
  /** Tasks a worker runs before it is replaced; undefined for no limit. */
  maxTasksPerChild: number | undefined;
  /** Default module for function targets. */
  module: string | undefined;
  /** Executor semantics: a worker killed by a signal while holding work breaks the pool. */
  breakOnKill: boolean;
}

/** Starts, feeds and replaces the worker processes of one pool. */
export class PoolEngine {
  #o: EngineOptions;
  #id = `pool-${process.pid}-${++_poolCounter}`;
  #workers = new Map<number, _Worker>();
  #nextWid = 1;
  #nextTask = 1;
  #queue = new Fifo<PoolTask>();
  /** Tasks in the queue that are still queued (cancelled ones stay in the deque until reached). */
  #queued = 0;
  #outstanding = 0;
  #streams = 0;
  /** Whether this engine holds the process alive (while tasks are outstanding). */
  #holding = false;
  #scheduled = false;
  #state: "open" | "closed" | "terminated" | "broken" = "open";
  #broken: Error | undefined;
  /** Workers that ended by themselves before ready, since a worker last became ready. */
  #startFailures = 0;
  #fnByObject = new WeakMap<object, number>();
  #specs: TargetSpec[] = [];

  /**
   * @param options Pool size and semantics.
   * @throws {Error} If called while a child imports its target's module (an unguarded script).
   */
  constructor(options: EngineOptions) {
    if (node.importing) throw new Error(GUARD_MESSAGE);
    this.#o = options;
    node.register(this.#id, { call: (m, a, p) => this.#onMessage(m, a, p) });
    if (!options.onDemand) for (let i = 0; i < options.size; i++) this.#spawn();
  }

  /** "open", "closed", "terminated" or "broken". */
  get state(): string {
    return this.#state;
  }

  /** The error that broke the pool, if any. */
  get brokenError(): Error | undefined {
    return this.#broken;
  }

  /** Pids of the live workers (tests and benchmarks use it). */
  get pids(): number[] {
    return [...this.#workers.values()].map((w) => w.proc.pid!).filter((p) => p !== undefined);
  }

  /**
   * The number a function travels under; describes it (module or source) on first use.
   * @throws {TypeError} If `fn` cannot be sent (not a function, built-in, a class).
   */
  functionId(fn: unknown, what = "function"): number {
    if ((typeof fn === "function") && this.#fnByObject.has(fn)) return this.#fnByObject.get(fn)!;
    const spec = describeFunction(fn, this.#o.module, what);
    const id = this.#specs.length;
    this.#specs.push(spec);
    this.#fnByObject.set(fn as object, id);
    // Errors from the worker arrive with their class when the module exports it (like pickle),
    // once the scan has finished; no result waits for it (see pool/error_classes.ts).
    if (spec.m) scanErrorClasses(spec.m);
    return id;
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
    this.#queue.push(task);
    this.#queued++;
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
      const w = task.worker as _Worker;
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
      for (const w of this.#workers.values()) this.#stopProcess(w, true);
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
    for (const w of this.#workers.values()) this.#stopProcess(w, true);
  }

  #failAll(err: Error): void {
    const tasks = this.#queue.drain();
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
    const proc = new Process({
      target: poolWorker,
      module: _WORKER_MODULE,
      args: [this.#id, wid],
      daemon: true,
      name: `SpawnPoolWorker-${wid}`,
    });
    const w: _Worker = {
      wid,
      proc,
      link: undefined,
      peer: undefined,
      inflight: [],
      known: new Set(),
      assigned: 0,
      window: 1,
      ewma: -1,
      progress: 0,
      retiring: false,
      stopping: false,
      killed: false,
    };
    try {
      proc.start();
    } catch (e) {
      // The system refused a process (no memory, process limit): waiting would hang every task.
      const err = e as Error;
      this.breakWith(new BrokenProcessPool(`The ${this.#o.kind} could not start a worker process: ${err?.message}`, { cause: e }));
      return;
    }
    this.#workers.set(wid, w);
    proc._exited!.then((code) => this.#onExit(w, code));
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
      if (this.#state === "terminated" || this.#state === "broken") this.#stopProcess(w, true);
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

  #onDone(w: _Worker, id: number, ok: boolean, value: unknown, ms: number): void {
    const i = w.inflight[0]?.id === id ? 0 : w.inflight.findIndex((t) => t.id === id);
    if (i < 0) return; // cancelled or handed to another worker meanwhile
    const task = w.inflight[i];
    w.inflight.splice(i, 1);
    w.progress = performance.now();
    w.ewma = w.ewma < 0 ? ms : 0.7 * w.ewma + 0.3 * ms;
    w.window = Math.max(1, Math.min(_MAX_WINDOW, Math.floor(_WINDOW_MS / Math.max(w.ewma, 0.001))));
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
    if (task.state === _QUEUED) this.#queued--;
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
    const max = this.#o.maxTasksPerChild;
    const ready = [...this.#workers.values()].filter((w) => w.peer && !w.retiring && !w.killed && !w.stopping);
    const batches = new Map<_Worker, PoolTask[]>();
    const now = performance.now();
    // Tasks a starting worker (or one we may still start) will take: never queue those behind a busy one.
    let reserve = this.#o.onDemand ? this.#o.size : 0;
    for (const w of this.#workers.values()) {
      if (w.retiring || w.stopping || w.killed) continue;
      if (this.#o.onDemand) reserve--;
      if (!w.peer) reserve++;
    }
    let progress = true;
    while (this.#queued > 0 && progress) {
      progress = false;
      for (const w of ready) {
        if (w.inflight.length >= w.window || (max !== undefined && w.assigned >= max)) continue;
        // Refill a big window in batches (one message for many tasks), once it is half empty.
        if (w.window > 2 && w.inflight.length > w.window >> 1 && !batches.has(w)) continue;
        // A worker whose current task runs longer than a window's worth gets nothing more queued:
        // an idle (or new) worker should take the next task instead.
        if (w.inflight.length > 0 && (now - w.progress > _WINDOW_MS || this.#queued <= reserve)) continue;
        if (w.inflight.length === 0) w.progress = now;
        let t = this.#queue.shift();
        while (t && t.state !== _QUEUED) t = this.#queue.shift();
        if (!t) break;
        this.#queued--;
        t.state = _DISPATCHED;
        t.worker = w;
        w.inflight.push(t);
        w.assigned++;
        if (max !== undefined && w.assigned >= max) w.retiring = true;
        let b = batches.get(w);
        if (!b) batches.set(w, (b = []));
        b.push(t);
        progress = true;
      }
    }
    for (const [w, tasks] of batches) this.#send(w, tasks);
    this.#replenish();
  }

  /** Sends tasks to a worker; a task whose payload cannot be sent fails alone. */
  #send(w: _Worker, tasks: PoolTask[]): void {
    const flat = (ts: PoolTask[]): unknown[] => {
      const out: unknown[] = [];
      for (const t of ts) {
        const first = !w.known.has(t.fnId);
        out.push(t.id, t.fnId, first ? this.#specs[t.fnId] : 0, t.mode, t.payload);
      }
      return out;
    };
    try {
      w.peer!.notify(WORKER_INBOX, "run", [flat(tasks)]);
      for (const t of tasks) w.known.add(t.fnId);
    } catch {
      for (const t of tasks) {
        try {
          w.peer!.notify(WORKER_INBOX, "run", [flat([t])]);
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
      if (w.retiring || w.stopping || w.killed) continue;
      live++;
      if (!w.peer) starting++;
    }
    if (!this.#o.onDemand) {
      if (this.#state !== "open" && this.#outstanding === 0) return;
      for (; live < this.#o.size; live++) this.#spawn();
    } else {
      for (; live < this.#o.size && starting < this.#queued; live++, starting++) this.#spawn();
    }
  }

  /** Kills a worker on purpose (a task's timeout or abort): its other tasks go back to the queue. */
  #kill(w: _Worker): void {
    w.killed = true;
    this.#requeue(w.inflight.splice(0));
    w.proc.kill();
    this.#schedule();
  }

  #requeue(tasks: PoolTask[]): void {
    const back = tasks.filter((t) => t.state === _DISPATCHED);
    for (const t of back) {
      t.state = _QUEUED;
      t.worker = undefined;
    }
    this.#queue.unshiftAll(back);
    this.#queued += back.length;
  }

  #stopProcess(w: _Worker, force: boolean): void {
    if (w.proc.exitCode !== null) return;
    w.stopping = true;
    if (!force && w.peer) {
      w.peer.notify(WORKER_INBOX, "stop", []);
      this.#replenish();
      return;
    }
    w.proc.terminate();
    // A worker stuck in a loop that ignores SIGTERM still goes.
    const t = setTimeout(() => w.proc.exitCode === null && w.proc.kill(), 1000);
    void w.proc._exited!.then(() => clearTimeout(t));
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
    return ++this.#startFailures >= _MAX_START_FAILURES ? `${broke} (${this.#startFailures} in a row ended before they were ready)` : undefined;
  }

  #onExit(w: _Worker, code: number): void {
    this.#workers.delete(w.wid);
    const tasks = w.inflight.splice(0);
    if (this.#state === "terminated" || this.#state === "broken") {
      for (const t of tasks) this.#finish(t, false, this.#broken ?? new StateError(`The ${this.#o.kind} was terminated`));
      return;
    }
    const expected = w.killed || (w.stopping && tasks.length === 0);
    if (!expected) {
      const who = `${this.#o.kind} worker ${w.proc.name} (pid ${w.proc.pid})`;
      if (!w.peer) {
        const why = this.#startFailure(code);
        if (why !== undefined) {
          this.breakWith(new BrokenProcessPool(`${who} ${describeExit(code)} while starting${why}. Check the worker's stderr`), tasks);
          return;
        }
      } else if (this.#o.breakOnKill && code < 0 && tasks.length > 0) {
        this.breakWith(
          new BrokenProcessPool(
            `A process in the ${this.#o.kind} terminated abruptly: ${who} ${describeExit(code)} while running or holding tasks. ` +
              `The pool is broken; create a new ProcessPoolExecutor`,
          ),
          tasks,
        );
        return;
      }
      const first = tasks.shift();
      if (first) {
        const err = new WorkerLostError(
          `${who} ${describeExit(code)} while running a task; the task did not complete` +
            (code >= 0 ? ` (it called exit(${code}) or the process crashed).` : ".") +
            ` The worker was replaced; other tasks are not affected`,
        );
        err.exitCode = code;
        this.#finish(first, false, err);
      }
    }
    this.#requeue(tasks);
    this.#replenish();
    this.#schedule();
  }
}
