// Seed: 002_3bb88aa2fe4081f0.txt (3. Semaphore)
// Shows: a Semaphore(2) lets at most two processes into the guarded part at a time; the third
// waits until one of them releases.
// Sleeps: i*2 s → i*100 ms.
// expect: ^(Process-\d(acquire|release\n)\n){6}$
import { setTimeout as sleep } from "node:timers/promises";
import { currentProcess, isMainProcess, Process, Semaphore } from "../mod.ts";

export async function worker(s: Semaphore, i: number) {
  await s.acquire();
  console.log(currentProcess().name + "acquire");
  await sleep(i);
  console.log(currentProcess().name + "release\n");
  await s.release();
}

if (isMainProcess(import.meta)) {
  const s = new Semaphore(2);
  for (let i = 0; i < 3; i++) {
    const p = new Process({ target: worker, args: [s, i * 100] });
    p.start();
  }
}
