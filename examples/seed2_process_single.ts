// Seed: 002_3bb88aa2fe4081f0.txt (例1.1: a function as a single process)
// Shows: pid, name and isAlive() of a started process; the main process does not join, yet it
// waits for its non-daemon child, which prints the time three times.
// Sleeps: 2 s → 100 ms.
// expect: p\.pid: \d+\np\.name: Process-1\np\.isAlive: true\n(The time is [^\n]*\n){3}
import { setTimeout as sleep } from "node:timers/promises";
import { isMainProcess, Process } from "../mod.ts";

const ctime = () => new Date().toISOString().slice(11, 23);

export async function worker(interval: number) {
  for (let n = 3; n > 0; n--) {
    console.log(`The time is ${ctime()}`);
    await sleep(interval);
  }
}

if (isMainProcess(import.meta)) {
  const p = new Process({ target: worker, args: [100] });
  p.start();
  console.log("p.pid:", p.pid);
  console.log("p.name:", p.name);
  console.log("p.isAlive:", p.isAlive());
}
