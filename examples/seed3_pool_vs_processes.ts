// Seed: 003_d11a23a09cad837b.txt (进程池1: a pool against one process per task)
// Shows: why pools exist. A Pool of 5 reuses its workers for every task, while starting one Process
// per task pays the start-up cost every time; the two times are printed side by side.
// Scaled from 100 to 20 tasks (a process per task means 100 runtimes starting at once). The
// original's second map, `pool.map(func2, [('alex',1),'egon'])`, raises a TypeError in Python
// (tuple + int) and is left out.
// expect: \n\d+\.\d+ \d+\.\d+\n$
import { isMainProcess, Pool, Process } from "../mod.ts";

const TASKS = 20;

export function func(n: number) {
  for (let i = 0; i < 10; i++) console.log(n + 1);
}

if (isMainProcess(import.meta)) {
  let start = performance.now();
  const pool = new Pool(5); // 5 processes
  await pool.map(func, Array.from({ length: TASKS }, (_, i) => i)); // 20 tasks
  const t1 = (performance.now() - start) / 1000;
  pool.close();
  await pool.join();

  start = performance.now();
  const pLst: Process[] = [];
  for (let i = 0; i < TASKS; i++) {
    const p = new Process({ target: func, args: [i] });
    pLst.push(p);
    p.start();
  }
  for (const p of pLst) await p.join();
  const t2 = (performance.now() - start) / 1000;
  console.log(t1.toFixed(3), t2.toFixed(3));
}
