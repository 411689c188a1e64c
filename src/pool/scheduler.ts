/**
 * Which worker runs which task: the pool's queue of tasks no worker has yet, and the windows.
 *
 * Each worker holds a small window of tasks in flight. Tasks run one after another in the worker,
 * so the first task of a window is the one running. The window adapts to task length: about 2 ms
 * of queued work per worker (1 task for long tasks, up to 64 for tiny ones), which keeps workers
 * busy between round trips without hoarding long tasks that an idle worker could take.
 *
 * @module
 */
import { Fifo } from "../core/fifo.ts";
import { type PoolTask, TASK_DISPATCHED as _DISPATCHED, TASK_QUEUED as _QUEUED } from "./task.ts";
import { type PoolWorker, takesTasks } from "./workers.ts";

const _MAX_WINDOW = 64;
const _WINDOW_MS = 2;

/** What the plan depends on. */
export interface ScheduleOptions {
  /** Number of workers (the maximum, when on demand). */
  size: number;
  /** Workers start when work arrives. */
  onDemand: boolean;
  /** Tasks a worker runs before it is replaced; undefined for no limit. */
  maxTasksPerChild: number | undefined;
}

/**
 * A worker finished a task that ran `ms` ms: adapt its window to about 2 ms of work.
 * @param w The worker.
 * @param ms The task's run time.
 */
export function recordTaskTime(w: PoolWorker, ms: number): void {
  w.progress = performance.now();
  w.ewma = w.ewma < 0 ? ms : 0.7 * w.ewma + 0.3 * ms;
  w.window = Math.max(1, Math.min(_MAX_WINDOW, Math.floor(_WINDOW_MS / Math.max(w.ewma, 0.001))));
}

/** The tasks waiting for a worker, and how they are handed out. */
export class Scheduler {
  #queue = new Fifo<PoolTask>();
  /** Tasks in the queue that are still queued (cancelled ones stay in the FIFO until reached). */
  #queued = 0;

  /** Number of tasks waiting for a worker. */
  get queued(): number {
    return this.#queued;
  }

  /** Queues a task. */
  push(task: PoolTask): void {
    this.#queue.push(task);
    this.#queued++;
  }

  /** A queued task settled before a worker took it (it stays in the FIFO until reached). */
  left(): void {
    this.#queued--;
  }

  /** Takes every task out of the queue (some may have settled already). */
  drain(): PoolTask[] {
    return this.#queue.drain();
  }

  /** Puts a worker's dispatched tasks back at the front of the queue, in order. */
  requeue(tasks: PoolTask[]): void {
    const back = tasks.filter((t) => t.state === _DISPATCHED);
    for (const t of back) {
      t.state = _QUEUED;
      t.worker = undefined;
    }
    this.#queue.unshiftAll(back);
    this.#queued += back.length;
  }

  /**
   * Fills the windows of the ready workers from the queue: marks each task dispatched and puts it
   * in its worker's window.
   * @param workers Every worker of the pool.
   * @param o Pool size and limits.
   * @returns The tasks to send, per worker.
   */
  plan(workers: Iterable<PoolWorker>, o: ScheduleOptions): Map<PoolWorker, PoolTask[]> {
    const max = o.maxTasksPerChild;
    const all = [...workers];
    const ready = all.filter((w) => w.peer && takesTasks(w));
    const batches = new Map<PoolWorker, PoolTask[]>();
    const now = performance.now();
    // Tasks a starting worker (or one we may still start) will take: never queue those behind a busy one.
    let reserve = o.onDemand ? o.size : 0;
    for (const w of all) {
      if (!takesTasks(w)) continue;
      if (o.onDemand) reserve--;
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
        if (!b) batches.set(w, b = []);
        b.push(t);
        progress = true;
      }
    }
    return batches;
  }
}
