// piscina as a user writes it: one Piscina over a worker file, tasks picked by export name,
// ArrayBuffers handed over with transferList. bench/peers/js_pool.mjs drives it.
import { Piscina } from "piscina";

const WORKER = new URL("./piscina_worker.mjs", import.meta.url).href;

/** A pool of exactly `workers` threads. */
export function createPool(workers) {
  const pool = new Piscina({ filename: WORKER, minThreads: workers, maxThreads: workers });
  return {
    call: (name, arg) => pool.run(arg, { name }),
    callTransfer: (name, arg, transferList) => pool.run(arg, { name, transferList }),
    close: () => pool.destroy(),
  };
}
