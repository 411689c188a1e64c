/**
 * What a pool worker process runs: {@linkcode poolWorker} is the target of every worker that
 * `Pool` and `ProcessPoolExecutor` start. It talks to its pool over the link it already has to its
 * parent: tasks arrive as notifications to the object it registers as `"pool-worker"`, results go
 * back as notifications to the pool's registered id, one message per task (a chunk is one task).
 *
 * Tasks run one after another, in the order they arrive, so the parent knows that the first task
 * it has not heard back about is the one running. That is why each result is written out before
 * the next task starts: a task that kills its process must not take earlier results with it.
 *
 * @module
 */
import { encodeError } from "../channel/codec.ts";
import type { Peer } from "../channel/peer.ts";
import { node } from "../core/node.ts";
import { resolveFunction, type TargetSpec } from "../core/target.ts";
import { Fifo } from "../core/fifo.ts";
import { runtime } from "../runtime/adapter.ts";

type _Fn = (...a: unknown[]) => unknown;

/** Task modes on the wire: one call with args, a chunk of single items, a chunk of arg arrays. */
export const MODE_APPLY = 0;
/** A chunk of items, each passed as the single argument. */
export const MODE_MAP = 1;
/** A chunk of argument arrays, each spread into the call. */
export const MODE_STARMAP = 2;

/** Fields per task in a `run` message: id, function id, spec (first use only, else 0), mode, payload. */
export const TASK_FIELDS = 5;

/** The id under which a worker serves its task inbox. */
export const WORKER_INBOX = "pool-worker";

function _isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === "object" || typeof v === "function") &&
    typeof (v as PromiseLike<unknown>).then === "function";
}

/** Resolves a function spec with the guard flag set: importing a module must not start processes. */
async function _resolve(spec: TargetSpec & { k: "fn" }): Promise<_Fn> {
  node.importing = true;
  try {
    const fn = await resolveFunction(spec);
    // The task's module was compiled just now: put it in the compile cache once this task is done,
    // since a worker usually ends by terminate(), before Node would write the cache itself.
    setTimeout(() => runtime.flushCompileCache(), 0);
    return fn;
  } finally {
    node.importing = false;
  }
}

async function _workerLoop(poolId: string, workerId: number): Promise<void> {
  const peer: Peer = await node.peer(node.parentAddress!);
  const fns = new Map<number, _Fn | Promise<_Fn>>();
  /** Tasks not started yet, {@linkcode TASK_FIELDS} values each. */
  const queue = new Fifo<unknown>();
  let running = false;
  let stopping = false;
  let stopped!: () => void;
  const finished = new Promise<void>((r) => (stopped = r));
  let gotInit!: (a: unknown[]) => void;
  const initArrived = new Promise<unknown[]>((r) => (gotInit = r));

  const send = (id: number, ok: boolean, value: unknown, ms: number): void => {
    try {
      peer.notify(poolId, "done", [workerId, id, ok, value, ms]);
    } catch (e) {
      const err = new TypeError(
        `The result of a pool task cannot be sent back to the parent process: ${(e as Error).message}`,
      );
      peer.notify(poolId, "done", [workerId, id, false, encodeError(err), ms]);
    }
  };

  const runOne = async (fnId: number, mode: number, payload: unknown): Promise<unknown> => {
    let fn = fns.get(fnId)!;
    if (_isThenable(fn)) {
      fn = await fn;
      fns.set(fnId, fn);
    }
    if (mode === MODE_APPLY) {
      const r = fn(...(payload as unknown[]));
      return _isThenable(r) ? await r : r;
    }
    const items = payload as unknown[];
    const out = new Array(items.length);
    for (let i = 0; i < items.length; i++) {
      let r = mode === MODE_MAP ? fn(items[i]) : fn(...(items[i] as unknown[]));
      if (_isThenable(r)) r = await r;
      out[i] = r;
    }
    return out;
  };

  const drain = async (): Promise<void> => {
    running = true;
    while (queue.length > 0) {
      const id = queue.shift() as number;
      const fnId = queue.shift() as number;
      const spec = queue.shift() as (TargetSpec & { k: "fn" }) | 0;
      const mode = queue.shift() as number;
      const payload = queue.shift();
      if (spec) {
        const p = _resolve(spec);
        p.catch(() => {});
        fns.set(fnId, p);
      }
      const t0 = performance.now();
      let ok = true;
      let value: unknown;
      try {
        const fn = fns.get(fnId);
        if (mode === MODE_APPLY && typeof fn === "function") {
          // Fast path: a resolved function called once; await only what is awaitable.
          value = fn(...(payload as unknown[]));
          if (_isThenable(value)) value = await value;
        } else value = await runOne(fnId, mode, payload);
      } catch (e) {
        ok = false;
        value = encodeError(e);
      }
      send(id, ok, value, performance.now() - t0);
      // The next task may end this process: put this result on the wire first.
      if (queue.length > 0) peer.flush();
    }
    running = false;
    if (stopping) stopped();
  };

  node.register(WORKER_INBOX, {
    call(method: string, args: unknown[]): void {
      if (method === "run") {
        const tasks = args[0] as unknown[];
        for (let i = 0; i < tasks.length; i++) queue.push(tasks[i]);
        if (!running) void drain();
      } else if (method === "init") {
        gotInit(args);
      } else if (method === "stop") {
        stopping = true;
        if (!running) stopped();
      }
    },
  });
  peer.hold();
  peer.onClose(() => stopped());
  // The initializer travels after the handshake, not in the (size-limited) setup message.
  peer.notify(poolId, "hello", [workerId]);
  const [init, initargs] = await Promise.race([initArrived, finished.then(() => [null, []])]) as [
    TargetSpec | null,
    unknown[],
  ];
  if (init) {
    try {
      const fn = await _resolve(init as TargetSpec & { k: "fn" });
      const r = fn(...initargs);
      if (_isThenable(r)) await r;
    } catch (e) {
      // The pool decides what a failed initializer means; it ends this process.
      peer.notify(poolId, "initError", [workerId, encodeError(e)]);
      await finished;
      peer.release();
      return;
    }
  }
  peer.notify(poolId, "ready", [workerId]);
  await finished;
  peer.release();
}

/**
 * The worker loop (runs in the child). Resolves when the pool sends `stop` or the parent's link
 * closes, so the child then exits 0 through the bootstrap.
 *
 * @param poolId The id the pool registered on the parent's node.
 * @param workerId This worker's number within the pool.
 * @returns A promise that settles when the worker is told to stop.
 * (Kept tiny: its source text travels in the setup message of every worker.)
 * @example
 * ```ts
 * // Started by the pool engine: new Process({ target: poolWorker, args: [poolId, 1] })
 * ```
 */
export function poolWorker(poolId: string, workerId: number): Promise<void> {
  return _workerLoop(poolId, workerId);
}
