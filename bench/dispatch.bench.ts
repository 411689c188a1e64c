// dispatch: 10k Pool.applyAsync calls of a trivial function on 2 workers, all submitted, then each
// awaited with get(). One timed batch per program run, after a warm-up that starts both workers; the
// runner takes the samples. The JS pools (bench/peers/js_pool.mjs) and Python do the same.
import { isMainProcess, Pool } from "./_lib.ts";
import { PoolOfKind } from "./_kind.ts";
import { identity, noop } from "./fixtures/pool_tasks.mjs";
import { report, sized } from "./_util.ts";

/** Submits n trivial tasks, then awaits them in order; returns seconds. */
export async function dispatchBatch(pool: InstanceType<typeof Pool>, n: number): Promise<number> {
  const t = performance.now();
  const results = [];
  for (let i = 0; i < n; i++) results.push(pool.applyAsync(identity, [i]));
  const vals = [];
  for (const res of results) vals.push(await res.get());
  if (vals[n - 1] !== n - 1) throw new Error("wrong result");
  return (performance.now() - t) / 1000;
}

if (isMainProcess(import.meta)) {
  const n = sized(10_000, 2_000);
  await using pool = new PoolOfKind(2);
  await pool.map(noop, Array.from({ length: 8 }, (_, i) => i), { chunksize: 1 });
  const s = await dispatchBatch(pool, n);
  report({
    scenario: "dispatch",
    metric: "10k tasks submitted, then awaited",
    value: n / s,
    unit: "tasks/s",
    higherIsBetter: true,
    extra: { tasks: n, workers: 2, totalS: s },
  });
}
