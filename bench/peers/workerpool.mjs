// workerpool as a user writes it: a pool of worker threads over a script that registers its
// functions, called by name with exec(); ArrayBuffers handed over with the transfer option.
// bench/peers/js_pool.mjs drives it.
import workerpool from "workerpool";

const WORKER = new URL("./workerpool_worker.mjs", import.meta.url);

/** A pool of exactly `workers` threads. */
export function createPool(workers) {
  const pool = workerpool.pool(WORKER.pathname, {
    minWorkers: workers,
    maxWorkers: workers,
    workerType: typeof Bun === "undefined" ? "thread" : "web",
  });
  return {
    call: (name, arg) => pool.exec(name, [arg]),
    callTransfer: (name, arg, transfer) => pool.exec(name, [arg], { transfer }),
    close: () => pool.terminate(),
  };
}
