// Seed: 003_d11a23a09cad837b.txt (代码实例: Pool.map)
// Shows: a Pool of 5 processes works through 100 tasks with map(), which blocks until all are done;
// then a second map() reuses the same five workers. Prints the elapsed seconds.
// The lines of different tasks interleave, as each worker prints as it goes.
// expect: \n\d+\.\d+\n$
import { isMainProcess, Pool } from "../mod.ts";

export function func(n: number) {
  for (let i = 0; i < 10; i++) console.log(n + 1);
}

export function func2(n: number) {
  for (let i = 0; i < 10; i++) console.log(n);
}

if (isMainProcess(import.meta)) {
  const start = performance.now();
  await using pool = new Pool(5); // 5 processes
  await pool.map(func, range(100)); // 100 tasks
  await pool.map(func2, range(100)); // 100 tasks
  const t1 = (performance.now() - start) / 1000;
  console.log(t1.toFixed(3));
}

function* range(n: number) {
  for (let i = 0; i < n; i++) yield i;
}
