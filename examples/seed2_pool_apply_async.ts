// Seed: 002_3bb88aa2fe4081f0.txt (例7.1: using a process pool)
// Shows: a Pool of 3 processes gets 4 tasks: three start at once, the fourth waits for a free
// worker. close() (no more tasks) must come before join() (wait for the workers to finish).
// Sleeps: 3 s → 150 ms.
// expect: ^Mark~ Mark~ Mark~+\n(?=[\s\S]*msg: hello 3\n)(?:(?:msg: hello \d|end)\n){8}Sub-process\(es\) done\.\n$
import { setTimeout as sleep } from "node:timers/promises";
import { isMainProcess, Pool } from "../mod.ts";

export async function func(msg: string) {
  console.log("msg:", msg);
  await sleep(150);
  console.log("end");
}

if (isMainProcess(import.meta)) {
  const pool = new Pool({ processes: 3 });
  for (let i = 0; i < 4; i++) {
    const msg = `hello ${i}`;
    pool.applyAsync(func, [msg]);
  }

  console.log("Mark~ Mark~ Mark~~~~~~~~~~~~~~~~~~~~~~");
  pool.close();
  await pool.join();
  // Call close() before join(), or join() throws: after close() no new task is accepted,
  // and join() waits for every worker to exit. join() also works after terminate().
  console.log("Sub-process(es) done.");
}
