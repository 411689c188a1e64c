// Seed: 000_97b5717cba584803.txt (the Process-class section: ten processes, no join)
// Shows: the main process prints "main process end" right away, yet it stays alive until its ten
// non-daemon children finish (set `daemon: true` and they would be killed instead).
// Python's child printed `p.is_alive()` and `p.pid` of the parent's global `p`; a child has no such
// global here (nor under Python's spawn), so each child reports on itself via currentProcess().
// expect: ^main process end\n(Process-\d+ alive \d \d+\n){10}$
import { setTimeout as sleep } from "node:timers/promises";
import { currentProcess, isMainProcess, Process } from "../mod.ts";

export async function foo(i: number) {
  await sleep(100); // time.sleep(1)
  const me = currentProcess();
  console.log(me.name, "alive", i, me.pid);
  await sleep(100);
}

if (isMainProcess(import.meta)) {
  const pList: Process[] = [];
  for (let i = 0; i < 10; i++) {
    const p = new Process({ target: foo, args: [i] });
    // p.daemon = true;
    pList.push(p);
  }
  for (const p of pList) p.start();
  // for (const p of pList) await p.join();
  console.log("main process end");
}
