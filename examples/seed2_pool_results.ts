// Seed: 002_3bb88aa2fe4081f0.txt (例7.3: using a process pool and collecting the results)
// Shows: keep the AsyncResult of each applyAsync() and read the values with get() after
// close() and join(); results come back in submission order.
// Sleeps: 3 s → 150 ms.
// expect: ^(?:msg: hello \d\n|end\n){6}::: donehello 0\n::: donehello 1\n::: donehello 2\nSub-process\(es\) done\.\n$
import { setTimeout as sleep } from "node:timers/promises";
import { type AsyncResult, isMainProcess, Pool } from "../mod.ts";

export async function func(msg: string) {
  console.log("msg:", msg);
  await sleep(150);
  console.log("end");
  return "done" + msg;
}

if (isMainProcess(import.meta)) {
  const pool = new Pool({ processes: 4 });
  const result: AsyncResult<string>[] = [];
  for (let i = 0; i < 3; i++) {
    const msg = `hello ${i}`;
    result.push(pool.applyAsync(func, [msg]));
  }

  pool.close();
  await pool.join();
  for (const res of result) {
    console.log(":::", await res.get());
  }

  console.log("Sub-process(es) done.");
}
