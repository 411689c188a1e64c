// Seed: 000_97b5717cba584803.txt ("类式调用": a Process subclass)
// Shows: subclass Process and override run(); start three instances, join them, print "end".
// Each child prints its own default name (Process-1, Process-2, Process-3).
// expect: (hello Process-\d[^\n]*\n){3}end
import { setTimeout as sleep } from "node:timers/promises";
import { isMainProcess, Process } from "../mod.ts";

const ctime = () => new Date().toISOString().slice(11, 23);

export class MyProcess extends Process {
  override async run() {
    await sleep(100); // time.sleep(1)
    console.log("hello", this.name, ctime());
  }
}

if (isMainProcess(import.meta)) {
  const pList: Process[] = [];
  for (let i = 0; i < 3; i++) {
    const p = new MyProcess();
    p.start();
    pList.push(p);
  }
  for (const p of pList) await p.join();
  console.log("end");
}
