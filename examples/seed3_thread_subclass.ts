// Seed: 003_d11a23a09cad837b.txt (线程概念的引入背景, the commented-out `class MyTread(Thread)`)
// Shows: a `Thread` subclass that keeps its argument in a field and overrides run(). The thread
// re-creates the instance from the exported class and the instance's own fields (the constructor
// does not run again), as a `Process` subclass does.
// time.sleep(1) is scaled down to 100 ms.
// expect: ^100\n$
import { setTimeout as sleep } from "node:timers/promises";
import { isMainProcess, Thread } from "../mod.ts";

export class MyThread extends Thread {
  arg: number;
  constructor(arg: number) {
    super();
    this.arg = arg;
  }
  override async run() {
    await sleep(100); // time.sleep(1)
    console.log(this.arg);
  }
}

if (isMainProcess(import.meta)) {
  const t = new MyThread(100);
  t.start();
}
