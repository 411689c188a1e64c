// Seed: 003_d11a23a09cad837b.txt (多线程与多进程: starting threads vs starting processes)
// Shows: the seed's comparison of start-up costs. Runs a trivial function on 100 `Thread`s, then in
// 100 `Process`es, joins each batch, and prints both times in seconds, as the seed's
// `print(t1, t2)`. In Python a thread starts far faster than a process. A JavaScript thread needs
// no new process, runtime binary or socket handshake, but it has its own engine instance and loads
// its own copy of the modules, so how much it saves depends on the runtime.
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
