// Time of terminate() (which waits for the workers to exit) on an idle Pool(2) (median of 3), like the Python peer.
import { isMainProcess, Pool } from "./_lib.ts";
import { whoAfterMs } from "./fixtures/pool_tasks.mjs";
import { median, report } from "./_util.ts";

if (isMainProcess(import.meta)) {
  const samples: number[] = [];
  for (let i = 0; i < 3; i++) {
    const pool = new Pool(2);
    const pids = new Set<string>();
    while (pids.size < 2) for (const p of await pool.map(whoAfterMs, [0, 1], { chunksize: 1 })) pids.add(p);
    await new Promise((r) => setTimeout(r, 50)); // idle
    const t = performance.now();
    await pool.terminate();
    samples.push(performance.now() - t);
  }
  report({
    scenario: "pool_terminate",
    metric: "terminate()+join()",
    value: median(samples),
    unit: "ms",
    higherIsBetter: false,
    extra: { samples: samples.length, min: Math.min(...samples), max: Math.max(...samples) },
  });
}
