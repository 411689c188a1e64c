// Pool.map of a trivial function over 200k ints on 2 workers, default chunksize (Python: 25000).
import { isMainProcess, Pool } from "../mod.ts";
import { identity, noop } from "./_pool_tasks.ts";

if (isMainProcess(import.meta)) {
  const n = 200_000;
  const items = Array.from({ length: n }, (_, i) => i);
  await using pool = new Pool(2);
  await pool.map(noop, Array.from({ length: 100 }, (_, i) => i)); // warm: workers up, modules imported
  const samples: number[] = [];
  let out: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t = performance.now();
    out = await pool.map(identity, items);
    samples.push((performance.now() - t) / 1000);
  }
  if (out.length !== n || out[n - 1] !== n - 1) throw new Error("wrong result");
  const best = Math.min(...samples);
  console.log(JSON.stringify({
    scenario: "pool_map",
    metric: "map trivial fn",
    value: n / best,
    unit: "items/s",
    higherIsBetter: true,
    extra: { items: n, workers: 2, totalS: best, runsS: samples, chunksize: "default (ceil(n / (4 * workers)) = 25000)" },
  }));
}
