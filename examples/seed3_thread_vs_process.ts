// Seed: 003_d11a23a09cad837b.txt (多线程与多进程: starting threads vs starting processes)
// Shows: starting a thread is much cheaper than starting a process. Runs a trivial function on
// N threads, then in N processes, and prints both times.
// Python threads become node:worker_threads (available on Node, Deno and Bun); a JS thread has
// its own engine instance, so it costs more than a Python thread, but still far less than a
// process. Scaled from 100 to 20 of each.
// expect: ^\d+\.\d+ \d+\.\d+\n$
import { Worker } from "node:worker_threads";
import { isMainProcess, Process } from "../mod.ts";

const N = 20;

export function func(n: number) {
  n + 1; // the work is trivial on purpose: only the start-up cost is measured
}

function startThread(n: number): Promise<unknown> {
  // A worker runs code, not a function object: the body of func.
  const t = new Worker(`require("node:worker_threads").workerData + 1;`, { eval: true, workerData: n });
  return new Promise((r) => t.once("exit", r)); // t.join()
}

if (isMainProcess(import.meta)) {
  let start = performance.now();
  const tLst: Promise<unknown>[] = [];
  for (let i = 0; i < N; i++) tLst.push(startThread(i));
  for (const t of tLst) await t;
  const t1 = (performance.now() - start) / 1000;

  start = performance.now();
  const pLst: Process[] = [];
  for (let i = 0; i < N; i++) {
    const p = new Process({ target: func, args: [i] });
    p.start();
    pLst.push(p);
  }
  for (const p of pLst) await p.join();
  const t2 = (performance.now() - start) / 1000;
  console.log(t1.toFixed(3), t2.toFixed(3));
}
