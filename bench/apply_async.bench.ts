// 5000 Pool.applyAsync calls of a trivial function on 2 workers, then get() on each.
// One timed batch per program run, after a warm-up map, like Python's peer: the runner takes the samples.
import { isMainProcess, Pool } from "../mod.ts";
import { identity, noop } from "./_pool_tasks.ts";
import { report, sized } from "./_util.ts";

if (isMainProcess(import.meta)) {
  const n = sized(5000, 1000);
  await using pool = new Pool(2);
  await pool.map(noop, Array.from({ length: 100 }, (_, i) => i));
  const t = performance.now();
  const results = [];
  for (let i = 0; i < n; i++) results.push(pool.applyAsync(identity, [i]));
  const vals = [];
  for (const res of results) vals.push(await res.get());
  const s = (performance.now() - t) / 1000;
  if (vals[n - 1] !== n - 1) throw new Error("wrong result");
  report({
    scenario: "apply_async",
    metric: "apply_async + get",
    value: n / s,
    unit: "tasks/s",
    higherIsBetter: true,
    extra: { tasks: n, workers: 2, totalS: s },
  });
}
