// Seed: 002_3bb88aa2fe4081f0.txt (例1.4: daemon, compared)
// Shows: a daemon child is killed when its parent exits, but join() waits for it, so
// "work end" still prints before "end!". daemon must be set before start().
// Sleeps: 3 s → 150 ms.
// expect: work start:[^\n]*\nwork end:[^\n]*\nend!
import { setTimeout as sleep } from "node:timers/promises";
import { isMainProcess, Process } from "../mod.ts";

const ctime = () => new Date().toISOString().slice(11, 23);

export async function worker(interval: number) {
  console.log(`work start:${ctime()}`);
  await sleep(interval);
  console.log(`work end:${ctime()}`);
}

if (isMainProcess(import.meta)) {
  const p = new Process({ target: worker, args: [150] });
  p.daemon = true;
  p.start();
  await p.join();
  console.log("end!");
}
