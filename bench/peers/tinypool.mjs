// tinypool as a user writes it: one Tinypool over a worker file, tasks picked by export name,
// ArrayBuffers handed over with transferList. bench/peers/js_pool.mjs drives it.
import Tinypool from "tinypool";

const WORKER = new URL("./tinypool_worker.mjs", import.meta.url).href;

/** A pool of exactly `workers` threads. */
export function createPool(workers) {
  const pool = new Tinypool({ filename: WORKER, minThreads: workers, maxThreads: workers });
  return {
    call: (name, arg) => pool.run(arg, { name }),
    callTransfer: (name, arg, transferList) => pool.run(arg, { name, transferList }),
    close: () => pool.destroy(),
  };
}
