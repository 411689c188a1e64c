// map: Pool.map of a trivial function over 200k ints on 2 workers, with its default chunking
// (ceil(n / (4 × workers)), as Python's). One timed map per program run, after a warm-up that starts
// both workers; the runner takes the samples. The JS pools chunk by hand the same way (bench/peers).
import { isMainProcess } from "./_lib.ts";
import { PoolOfKind } from "./_kind.ts";
import { identity, noop } from "./fixtures/pool_tasks.mjs";
import { report, sized } from "./_util.ts";

if (isMainProcess(import.meta)) {
  const n = sized(200_000, 100_000);
  const items = Array.from({ length: n }, (_, i) => i);
  await using pool = new PoolOfKind(2);
  await pool.map(noop, Array.from({ length: 8 }, (_, i) => i), { chunksize: 1 });
  const t = performance.now();
  const out = await pool.map(identity, items);
  const s = (performance.now() - t) / 1000;
  if (out.length !== n || out[n - 1] !== n - 1) throw new Error("wrong result");
  report({
    scenario: "map",
    metric: "map trivial fn",
    value: n / s,
    unit: "items/s",
    higherIsBetter: true,
    extra: { items: n, workers: 2, totalS: s, chunksize: `default (ceil(n / (4 * workers)) = ${Math.ceil(n / 8)})` },
  });
}
