/**
 * A pool's workers (processes, or threads for `ThreadPool` and `ThreadPoolExecutor`) as the engine
 * sees them: the record it keeps per worker, how one is started, and how one is stopped. Both kinds
 * run the same worker loop (`worker.ts`) over their link to the pool's owner.
 *
 * @module
 */
import type { Peer } from "../channel/peer.ts";
import { moduleBeside } from "../runtime/module_beside.ts";
import { Process } from "../process.ts";
import { freshThread, Thread } from "../thread.ts";
import type { PoolTask } from "./task.ts";
import { poolWorker, WORKER_INBOX } from "./worker.ts";

const _WORKER_MODULE: string = moduleBeside(import.meta.url, "./worker.ts", "pool_worker").href;

/** What a pool's workers are. */
export type WorkerKind = "process" | "thread";

/** One worker and the engine's view of it. */
export interface PoolWorker {
  wid: number;
  proc: Process | Thread;
  /** The link, once the worker said hello; `peer` is set once it is ready for tasks. */
  link: Peer | undefined;
  peer: Peer | undefined;
  /** Its window: tasks sent and not answered yet, the first one running. */
  inflight: PoolTask[];
  /** Function numbers whose spec it has been sent. */
  known: Set<number>;
  /** Tasks given to it so far (for maxTasksPerChild). */
  assigned: number;
  /** When the worker last finished a task, or got one while idle (performance.now()). */
  progress: number;
  /** No new tasks: retiring (maxTasksPerChild), told to stop, or killed. */
  retiring: boolean;
  stopping: boolean;
  killed: boolean;
}

/**
 * Starts worker number `wid` of the pool registered as `poolId` (a daemon child process or thread).
 * @param poolId The id the pool registered on this process's node.
 * @param wid The worker's number.
 * @param kind Process or thread.
 * @returns Its record.
 * @throws {Error} If the system refuses a process or thread.
 */
export function startWorker(poolId: string, wid: number, kind: WorkerKind): PoolWorker {
  const options = { target: poolWorker, module: _WORKER_MODULE, args: [poolId, wid], daemon: true };
  const proc = kind === "thread"
    ? freshThread(new Thread({ ...options, name: `ThreadPoolWorker-${wid}` }))
    : new Process({ ...options, name: `SpawnPoolWorker-${wid}` });
  const w: PoolWorker = {
    wid,
    proc,
    link: undefined,
    peer: undefined,
    inflight: [],
    known: new Set(),
    assigned: 0,
    progress: 0,
    retiring: false,
    stopping: false,
    killed: false,
  };
  proc.start();
  return w;
}

/** Whether a worker may get new tasks once ready (it is not retiring, stopping or killed). */
export function takesTasks(w: PoolWorker): boolean {
  return !w.retiring && !w.stopping && !w.killed;
}

/**
 * Ends a worker now: SIGKILL for a process, `terminate()` for a thread.
 * @param w The worker.
 */
export function killWorker(w: PoolWorker): void {
  if (w.proc instanceof Thread) w.proc.terminate();
  else w.proc.kill();
}

/**
 * Who a worker is, for messages: its name and pid (process) or thread id.
 * @param w The worker.
 * @returns E.g. `SpawnPoolWorker-2 (pid 1234)`.
 */
export function describeWorker(w: PoolWorker): string {
  return w.proc instanceof Thread ? `${w.proc.name} (thread ${w.proc.ident})` : `${w.proc.name} (pid ${w.proc.pid})`;
}

/**
 * Stops a worker: asks a ready one to stop after its tasks (unless `force`), else terminates it
 * (a process gets SIGTERM, then SIGKILL after 1 s).
 * @param w The worker.
 * @param force Terminate even a ready worker.
 * @returns True when the worker was asked to stop (it exits once its tasks are done).
 */
export function stopWorker(w: PoolWorker, force: boolean): boolean {
  if (w.proc.exitCode !== null) return false;
  w.stopping = true;
  if (!force && w.peer) {
    w.peer.notify(WORKER_INBOX, "stop", []);
    return true;
  }
  w.proc.terminate();
  if (w.proc instanceof Thread) return false;
  // A worker stuck in a loop that ignores SIGTERM still goes.
  const t = setTimeout(() => w.proc.exitCode === null && killWorker(w), 1000);
  void w.proc._exited!.then(() => clearTimeout(t));
  return false;
}
