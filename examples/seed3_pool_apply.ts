// Seed: 003_d11a23a09cad837b.txt (进程池2: Pool.apply)
// Shows: apply() is synchronous (it waits for the result), so even with 5 workers the ten tasks
// run one after another: start0/end0, start1/end1, ... Each line shows the worker's pid.
// With applyAsync() (commented out) they would run five at a time.
// Sleeps: 1 s → 100 ms.
// expect: ^(start(\d) \d+\nend\2 \d+\n){10}$
import process from "node:process";
import { setTimeout as sleep } from "node:timers/promises";
import { isMainProcess, Pool } from "../mod.ts";

export async function func(n: number) {
  console.log(`start${n}`, process.pid);
  await sleep(100);
  console.log(`end${n}`, process.pid);
}

if (isMainProcess(import.meta)) {
  await using p = new Pool(5);
  for (let i = 0; i < 10; i++) {
    await p.apply(func, [i]);
    // p.applyAsync(func, [i]);
  }
  // p.close();
  // await p.join();
}
