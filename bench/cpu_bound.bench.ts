// Speedup of Pool.map over sequential for 4 CPU-bound tasks (the seed's counting loop), for every
// worker count 1..cpuCount(). The headline value is the speedup at 2 workers, like the Python peer.
import process from "node:process";
import { cpuCount, isMainProcess, Pool } from "../mod.ts";
import { countLoop } from "./_pool_tasks.ts";

if (isMainProcess(import.meta)) {
  // The JIT makes this loop far faster than CPython's; scale N so one task takes ~0.3-1 s like there.
  // Calibrate N so one task takes ~0.6 s on this runtime (JITs differ a lot on this loop), after
  // warming the loop up, so the sequential baseline is not charged for compilation.
  countLoop(5_000_000);
  const probeN = 50_000_000;
  const tp = performance.now();
  countLoop(probeN);
  const probeS = (performance.now() - tp) / 1000;
  const n = Number(process.env.CPU_N_TS ?? Math.round((probeN * 0.6) / Math.max(probeS, 1e-3)));
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
    // Warm the workers' JIT the way the sequential baseline was warmed.
    await pool.map(countLoop, Array(workers * 2).fill(5_000_000), { chunksize: 1 });
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
