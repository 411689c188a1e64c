// Seed: 001_e2c67ce1dec34c34.txt (版本二: the same function in four threads)
// Shows: four `Thread`s run the CPU-bound function. In Python the GIL lets one thread run at a time,
// so the seed's version takes as long as four calls in a row (45 s against 44 s). A JavaScript
// thread is a worker thread with its own engine instance, so the four run truly in parallel: on a
// machine with 4 cores this takes about as long as one call (on 2 cores, about two calls).
// The log line follows the seed's format: time, pid, process name, thread name, thread ident; all
// four threads share the main process's pid and name.
// The loop of 100,000,000 is scaled to LOOPS so one call takes roughly 0.2 s.
// expect: ^([^\n]* MainProcess calc-\d \d+ 300000000\n){4}\d+\.\d+\n$
import process from "node:process";
import { currentProcess, currentThread, isMainProcess, Thread } from "../mod.ts";

const LOOPS = 300_000_000;

// fmstr = "%(asctime)s %(process)8s %(processName)s %(threadName)s %(thread)s %(message)s"
function log(message: unknown) {
  const t = currentThread();
  console.log(
    `${new Date().toISOString()} ${
      String(process.pid).padStart(8)
    } ${currentProcess().name} ${t.name} ${t.ident} ${message}`,
  );
}

export function calc(i = 0): [number, number] {
  let sum = 0;
  for (i = 0; i < LOOPS; i++) sum += 1;
  log(sum);
  return [i, sum];
}

if (isMainProcess(import.meta)) {
  const waits: Thread[] = [];
  const start = performance.now();
  for (let i = 0; i < 4; i++) {
    const t = new Thread({ target: calc, name: `calc-${i}` });
    waits.push(t);
    t.start();
  }
  for (const t of waits) await t.join();
  const delta = (performance.now() - start) / 1000;
  console.log(delta.toFixed(6));
}
