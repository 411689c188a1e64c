// Seed: 002_3bb88aa2fe4081f0.txt (例1.3: a process defined as a class)
// Shows: a Process subclass with its own field; start() runs run() in the child, where the
// instance is rebuilt from its fields (the constructor is not re-run, like unpickling).
// Sleeps: 2 s → 100 ms.
// expect: (the time is [^\n]*\n){3}
import { setTimeout as sleep } from "node:timers/promises";
import { isMainProcess, Process } from "../mod.ts";

const ctime = () => new Date().toISOString().slice(11, 23);

export class ClockProcess extends Process {
  interval: number;

  constructor(interval: number) {
    super();
    this.interval = interval;
  }

  override async run() {
    for (let n = 3; n > 0; n--) {
      console.log(`the time is ${ctime()}`);
      await sleep(this.interval);
    }
  }
}

if (isMainProcess(import.meta)) {
  const p = new ClockProcess(100);
  p.start();
}
