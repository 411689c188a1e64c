// Seed: 000_97b5717cba584803.txt (四 进程池: apply_async with a callback)
// Shows: a Pool of 5 processes runs 10 tasks; applyAsync() returns at once ("end" prints first),
// and each result is handed to the callback, which runs in the main process. close() then join()
// waits for all of them. Results arrive five at a time, as the five workers free up.
// The original has no `if __name__ == '__main__'` guard (it relies on fork); here the guard is
// required, because every worker imports this module.
// Sleeps: 2 s → 100 ms.
// expect: ^end\n(-->exec done: 1\d\d\n){10}$
import { setTimeout as sleep } from "node:timers/promises";
import { isMainProcess, Pool } from "../mod.ts";

export async function foo(i: number) {
  await sleep(100);
  return i + 100;
}

function bar(arg: number) {
  console.log("-->exec done:", arg);
}

if (isMainProcess(import.meta)) {
  const pool = new Pool(5);

  for (let i = 0; i < 10; i++) {
    pool.applyAsync(foo, [i], { callback: bar });
    // await pool.apply(foo, [i]);
  }

  console.log("end");
  pool.close();
  await pool.join();
}
