// Seed: 001_e2c67ce1dec34c34.txt (版本三: the same function in four processes)
// Shows: four processes run the CPU-bound function at the same time, so on a multi-core machine the
// total time drops well below that of seed1_calc_sequential.ts; but a plain Process gives no way to
// get calc()'s return value back (a Pool or ProcessPoolExecutor does). Starting a process costs
// tens of milliseconds, so with fewer than four cores the gain is smaller.
// The seed's text is cut off in the middle of this program; this port completes it the way the
// text describes (start four processes, join them, print the elapsed time).
// The loop of 100,000,000 is scaled to LOOPS so one call takes roughly 0.2 s.
// expect: ^([^\n]* calc-\d 300000000\n){4}\d+\.\d+\n$
import process from "node:process";
import { currentProcess, isMainProcess, Process } from "../mod.ts";

const LOOPS = 300_000_000;

// logging.basicConfig(format="%(asctime)s %(process)8s %(processName)s %(message)s")
function log(message: unknown) {
  const me = currentProcess();
  console.log(`${new Date().toISOString()} ${String(process.pid).padStart(8)} ${me.name} ${message}`);
}

export function calc(i = 0): [number, number] {
  let sum = 0;
  for (i = 0; i < LOOPS; i++) sum += 1;
  log(sum);
  return [i, sum];
}

if (isMainProcess(import.meta)) {
  const waits: Process[] = [];
  const start = performance.now();
  for (let i = 0; i < 4; i++) {
    const p = new Process({ target: calc, name: `calc-${i}` });
    waits.push(p);
    p.start();
  }
  for (const p of waits) await p.join();
  const delta = (performance.now() - start) / 1000;
  console.log(delta.toFixed(6));
}
