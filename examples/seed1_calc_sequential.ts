// Seed: 001_e2c67ce1dec34c34.txt (版本一: the function run four times in a row)
// Shows: the single-process baseline for seed1_calc_processes.ts: four CPU-bound calls, one
// after another, timed. (The seed's 版本二 runs them on threads, which Python's GIL serialises:
// seed1_calc_threads.ts ports it with `Thread`, which runs them in parallel.)
// The loop of 100,000,000 is scaled to LOOPS so one call takes roughly 0.2 s.
// expect: ^([^\n]* MainProcess 300000000\n){4}\d+\.\d+\n$
import process from "node:process";
import { currentProcess } from "../mod.ts";

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

const start = performance.now();
calc();
calc();
calc();
calc();
const delta = (performance.now() - start) / 1000;
console.log(delta.toFixed(6));
