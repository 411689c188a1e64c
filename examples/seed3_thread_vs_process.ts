// Seed: 003_d11a23a09cad837b.txt (多线程与多进程: starting threads vs starting processes)
// Shows: starting a thread is much cheaper than starting a process. Runs a trivial function on 100
// `Thread`s, then in 100 `Process`es, joins each batch, and prints both times in seconds, as the
// seed's `print(t1, t2)`. A JavaScript thread has its own engine instance and its own copy of the
// modules, so it costs more than a Python thread, but it needs no new process, runtime binary or
// socket handshake.
// expect: ^\d+\.\d+ \d+\.\d+\n$
import { isMainProcess, Process, Thread } from "../mod.ts";

const N = 100;

export function func(n: number) {
  n + 1; // the work is trivial on purpose: only the start-up cost is measured
}

if (isMainProcess(import.meta)) {
  let start = performance.now();
  const tLst: Thread[] = [];
  for (let i = 0; i < N; i++) {
    const t = new Thread({ target: func, args: [i] });
    t.start();
    tLst.push(t);
  }
  for (const t of tLst) await t.join();
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
