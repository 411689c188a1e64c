// workerpool as a user writes it: a pool of worker threads over a script that registers its
// functions, called by name with exec(); ArrayBuffers handed over with the transfer option.
// bench/peers/js_pool.mjs drives it.
import workerpool from "workerpool";

const WORKER = new URL("./workerpool_worker.mjs", import.meta.url);

/**
 * A pool of exactly `workers` threads. On Bun, workerpool's worker_threads type hangs on its first
 * task (workerpool 10.0.3, bun 1.4); its "web" type (Bun's Web Workers) runs, so that is what a Bun
 * user ends up with.
 */
export function createPool(workers) {
  const pool = workerpool.pool(WORKER.pathname, {
    minWorkers: workers,
    maxWorkers: workers,
    workerType: "Bun" in globalThis ? "web" : "thread",
  });
  return {
    call: (name, arg) => pool.exec(name, [arg]),
    callTransfer: (name, arg, transfer) => pool.exec(name, [arg], { transfer }),
    close: () => pool.terminate(),
  };
}
