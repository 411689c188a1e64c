/**
 * Which worker runs which task: the pool's queue of tasks no worker has yet, and the windows.
 *
 * Each worker holds a small window of tasks in flight. Tasks run one after another in the worker,
 * so the first task of a window is the one running. A window is a bet that the tasks in it are
 * short: a task queued behind a running one cannot move to another worker (a worker busy in a
 * synchronous task reads no messages, so it cannot give one back). So the bet is only made on
 * what was measured: the pool keeps, per function, a moving average of its run time, and a task
 * may wait in a window only when its function and the running one's are known to take well under
 * a round trip's worth of queueing (about 2 ms of queued work: up to 64 tiny tasks, one long one),
 * or, for tasks that take no longer than their own round trip's overhead (big chunks of a map),
 * one task queued so its transfer overlaps the running one. A function not measured yet goes to
 * idle workers only, one task each; a worker whose running task has run longer than twice its
 * function's average (and 2 ms) gets nothing more queued. Within one pass, workers are filled one
 * task at a time in turn, so equal tasks split evenly.
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

/** The tasks waiting for a worker, and how they are handed out. */
export class Scheduler {
  #queue = new Fifo<PoolTask>();
  /** The front of the queue once looked at (the FIFO has no peek): it goes out before the FIFO. */
  #front: PoolTask | undefined;
  /** Tasks in the queue that are still queued (cancelled ones stay in the FIFO until reached). */
  #queued = 0;
  /**
   * Per function id, moving averages in ms of its task time in the worker (chunks are tasks) and
   * of the rest of a round trip (sending, decoding, answering; -1 until measured).
   */
  #fns = new Map<number, { ms: number; gap: number }>();

  /**
   * A worker finished a task that ran `ms` ms: learn how long its function takes.
   * @param w The worker.
   * @param task The task.
   * @param ms Its run time in the worker.
   */
  record(w: PoolWorker, task: PoolTask, ms: number): void {
    const now = performance.now();
    w.progress = now;
    const gap = task.sentAt > 0 ? Math.max(0, now - task.sentAt - ms) : -1;
    const f = this.#fns.get(task.fnId);
    if (!f) this.#fns.set(task.fnId, { ms, gap });
    else {
      f.ms = 0.7 * f.ms + 0.3 * ms;
      if (gap >= 0) f.gap = f.gap < 0 ? gap : 0.7 * f.gap + 0.3 * gap;
    }
  }

  /** The measured task time of `task`'s function in ms, or undefined. */
  #msOf(task: PoolTask): number | undefined {
    return this.#fns.get(task.fnId)?.ms;
  }

  /**
   * How many tasks may be in a window while `task` is in it: 1 unless its function is known short,
   * that is, ~2 ms of its tasks; or 2 when a task takes no longer than its round trip's overhead
   * (big chunks: sending the next one while this one runs hides the transfer, and a wrong bet
   * costs at most one such task).
   */
  #depth(task: PoolTask): number {
    const f = this.#fns.get(task.fnId);
    if (!f) return 1;
    const overlap = f.gap >= f.ms ? 2 : 1;
    return Math.max(overlap, Math.min(_MAX_WINDOW, Math.floor(_WINDOW_MS / Math.max(f.ms, 0.001))));
  }

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
    const all = this.#queue.drain();
    if (this.#front) all.unshift(this.#front);
    this.#front = undefined;
    return all;
  }

  /** The first still-queued task, left in place (settled ones met on the way are dropped). */
  #peek(): PoolTask | undefined {
    while (!this.#front || this.#front.state !== _QUEUED) {
      this.#front = this.#queue.shift();
      if (!this.#front) return undefined;
    }
    return this.#front;
  }

  /** Puts a worker's dispatched tasks back at the front of the queue, in order. */
  requeue(tasks: PoolTask[]): void {
    const back = tasks.filter((t) => t.state === _DISPATCHED);
    for (const t of back) {
      t.state = _QUEUED;
      t.worker = undefined;
    }
    this.#queued += back.length;
    // The looked-at front (already counted) stays behind them.
    if (this.#front) back.push(this.#front);
    this.#front = undefined;
    this.#queue.unshiftAll(back);
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
        if (max !== undefined && w.assigned >= max) continue;
        const t = this.#peek();
        if (!t) break;
        const n = w.inflight.length;
        if (n > 0) {
          const win = Math.min(this.#depth(t), this.#depth(w.inflight[0]));
          if (n >= win) continue;
          // Refill a big window in batches (one message for many tasks), once it is half empty.
          if (win > 2 && n > win >> 1 && !batches.has(w)) continue;
          // A worker whose current task runs longer than a window's worth gets nothing more queued:
          // an idle (or new) worker should take the next task instead.
          if (now - w.progress > Math.max(_WINDOW_MS, 2 * (this.#msOf(w.inflight[0]) ?? 0))) continue;
          if (this.#queued <= reserve) continue;
          t.sentAt = 0;
        } else {
          w.progress = now;
          t.sentAt = now;
        }
        this.#front = undefined;
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
