// pool_start: time from new Pool(2) (ThreadPool(2) for the thread kind, bench/_kind.ts) until both
// workers have run a task, cold: the program's first pool, so each sample (one program run) pays what
// a user's program pays. The task sleeps 1 ms so one worker cannot take both. Python and the JS pools
// do the same.
import { isMainProcess } from "./_lib.ts";
import { PoolOfKind } from "./_kind.ts";
import { whoAfterMs } from "./fixtures/pool_tasks.mjs";
import { report } from "./_util.ts";

if (isMainProcess(import.meta)) {
  const t = performance.now();
  const pool = new PoolOfKind(2);
  const seen = new Set<string>();
  while (seen.size < 2) for (const w of await pool.map(whoAfterMs, [0, 1], { chunksize: 1 })) seen.add(w);
  const ms = performance.now() - t;
  await pool.terminate();
  report({
    scenario: "pool_start",
    metric: "Pool(2) ready",
    value: ms,
    unit: "ms",
    higherIsBetter: false,
    extra: { note: "cold: the program's first pool; task sleeps 1 ms so each worker runs one" },
  });
}
