// cpu_bound: speedup of Pool.map over running the same CPU-bound tasks (the seed's counting loop) one
// after another in this process, at each worker count asked for:
//
//   node bench/cpu_bound.bench.ts cpu_bound 1,2,4     (or BENCH_WORKERS=1,2,4; default 1..cpuCount())
//
// There are max(4, 2 × the largest count) tasks, so every worker gets at least two, each sized so that
// running them all one after another takes ~0.5 s here (0.1 s under BENCH_QUICK=1). byWorkers holds
// the speedup per count; the headline value is the one at min(2, cpuCount()) workers (else the last
// count given). Python's peer does the same.
import process from "node:process";
import { cpuCount, isMainProcess } from "./_lib.ts";
import { PoolOfKind } from "./_kind.ts";
import { calibratedCount, countLoop } from "./fixtures/pool_tasks.mjs";
import { report, sized } from "./_util.ts";

/** Worker counts from the first argument that looks like `2` or `1,2,4`, else BENCH_WORKERS, else 1..cores. */
function workerCounts(cores: number): number[] {
  const spec = process.argv.slice(2).find((a) => /^\d+(,\d+)*$/.test(a)) ?? process.env.BENCH_WORKERS;
  const counts = spec ? spec.split(",").map(Number) : Array.from({ length: cores }, (_, i) => i + 1);
  if (!counts.length || counts.some((w) => !Number.isInteger(w) || w < 1)) {
    throw new RangeError(`Worker counts must be positive integers, got ${JSON.stringify(spec)}; pass e.g. 1,2,4.`);
  }
  return counts;
}

if (isMainProcess(import.meta)) {
  const cores = cpuCount();
  const counts = workerCounts(cores);
  const tasks = Math.max(4, 2 * Math.max(...counts));
  const taskS = sized(0.5, 0.1) / tasks;
  const calibrated = calibratedCount(taskS); // also warms the loop up when CPU_N_TS fixes n
  const n = Number(process.env.CPU_N_TS ?? calibrated);
  const t0 = performance.now();
  const seq: number[] = [];
  for (let i = 0; i < tasks; i++) seq.push(countLoop(n));
  const seqS = (performance.now() - t0) / 1000;
  const speedups: Record<string, number> = {};
  const poolS: Record<string, number> = {};
  for (const workers of counts) {
    await using pool = new PoolOfKind(workers);
    // Every worker runs the loop before the clock starts, as the sequential baseline did.
    await pool.map(countLoop, Array(workers * 2).fill(Math.min(n, 5_000_000)), { chunksize: 1 });
    const t = performance.now();
    const par = await pool.map(countLoop, Array(tasks).fill(n), { chunksize: 1 });
    poolS[workers] = (performance.now() - t) / 1000;
    if (par.some((v, i) => v !== seq[i])) throw new Error("wrong result");
    speedups[workers] = seqS / poolS[workers];
  }
  const headline = counts.includes(Math.min(2, cores)) ? Math.min(2, cores) : counts[counts.length - 1];
  console.error(Object.entries(speedups).map(([w, s]) => `${w} workers: ${s.toFixed(2)}x`).join(", "));
  report({
    scenario: "cpu_bound",
    metric: "speedup vs sequential",
    value: speedups[headline],
    unit: "x",
    higherIsBetter: true,
    byWorkers: speedups,
    extra: { n, tasks, taskS, workers: headline, sequentialS: seqS, poolS, cpuCount: cores },
  });
}
