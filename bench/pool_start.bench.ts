// Time from new Pool(2) until both workers have run a task (median of 3), like the Python peer.
import { isMainProcess, Pool } from "../mod.ts";
import { pidAfterMs } from "./_pool_tasks.ts";
import { median, report } from "./_util.ts";

if (isMainProcess(import.meta)) {
  const samples: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const pool = new Pool(2);
    const pids = new Set<number>();
    while (pids.size < 2) for (const p of await pool.map(pidAfterMs, [0, 1], { chunksize: 1 })) pids.add(p);
    samples.push(performance.now() - t);
    await pool.terminate();
  }
  report({
    scenario: "pool_start",
    metric: "Pool(2) ready",
    value: median(samples),
    unit: "ms",
    higherIsBetter: false,
    extra: {
      samples: samples.length,
      min: Math.min(...samples),
      max: Math.max(...samples),
      note: "task sleeps 1 ms so each worker runs one",
    },
  });
}
