// Speedup of Pool.map over sequential for 4 CPU-bound tasks (the seed's counting loop), for every
// worker count 1..cpuCount(). The headline value is the speedup at 2 workers, like the Python peer.
import process from "node:process";
import { cpuCount, isMainProcess, Pool } from "../mod.ts";
import { countLoop, noop } from "./_pool_tasks.ts";

if (isMainProcess(import.meta)) {
  // The JIT makes this loop far faster than CPython's; scale N so one task takes ~0.3-1 s like there.
  const n = Number(process.env.CPU_N_TS ?? 400_000_000);
  const tasks = 4;
  const t0 = performance.now();
  const seq: number[] = [];
  for (let i = 0; i < tasks; i++) seq.push(countLoop(n));
  const seqS = (performance.now() - t0) / 1000;
  const speedups: Record<number, number> = {};
  const poolS: Record<number, number> = {};
  const cores = cpuCount();
  for (let workers = 1; workers <= cores; workers++) {
    await using pool = new Pool(workers);
    await pool.map(noop, Array.from({ length: workers * 2 }, (_, i) => i), { chunksize: 1 });
    const t = performance.now();
    const par = await pool.map(countLoop, Array(tasks).fill(n), { chunksize: 1 });
    poolS[workers] = (performance.now() - t) / 1000;
    if (par.some((v, i) => v !== seq[i])) throw new Error("wrong result");
    speedups[workers] = seqS / poolS[workers];
  }
  const headline = speedups[Math.min(2, cores)];
  console.error(Object.entries(speedups).map(([w, s]) => `${w} workers: ${s.toFixed(2)}x`).join(", "));
  console.log(JSON.stringify({
    scenario: "cpu_bound",
    metric: "speedup vs sequential",
    value: headline,
    unit: "x",
    higherIsBetter: true,
    extra: { n, tasks, workers: Math.min(2, cores), sequentialS: seqS, poolS, speedupByWorkers: speedups, cpuCount: cores },
  }));
}
