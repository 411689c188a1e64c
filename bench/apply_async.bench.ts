// 5000 Pool.applyAsync calls of a trivial function on 2 workers, then get() on each.
import { isMainProcess, Pool } from "../mod.ts";
import { identity, noop } from "./_pool_tasks.ts";

if (isMainProcess(import.meta)) {
  const n = 5000;
  await using pool = new Pool(2);
  await pool.map(noop, Array.from({ length: 100 }, (_, i) => i));
  const samples: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t = performance.now();
    const results = [];
    for (let i = 0; i < n; i++) results.push(pool.applyAsync(identity, [i]));
    const vals = [];
    for (const res of results) vals.push(await res.get());
    samples.push((performance.now() - t) / 1000);
    if (vals[n - 1] !== n - 1) throw new Error("wrong result");
  }
  const best = Math.min(...samples);
  console.log(JSON.stringify({
    scenario: "apply_async",
    metric: "apply_async + get",
    value: n / best,
    unit: "tasks/s",
    higherIsBetter: true,
    extra: { tasks: n, workers: 2, totalS: best, runsS: samples },
  }));
}
