// Seed: 003_d11a23a09cad837b.txt (threading模块: the commented-out `global g` program)
// Shows: where JavaScript threads differ from Python's. In Python, "global variables are shared
// between threads": ten threads set the global g to 0 and the main thread prints 0. A JavaScript
// worker thread has its own copy of every module, so each thread sets its own g, and the main
// thread still prints 100. To share a number between threads (and processes), use a `Value`: the
// second half does the same with one, and prints 0.
// (Python's program also prints g and the pid in each thread; those ten lines are kept.)
// expect: ^(0 \d+\n){10}100\n(0 \d+\n){10}0\n$
import process from "node:process";
import { isMainProcess, Thread, Value } from "../mod.ts";

let g = 100;

export function func(_a: number, _b: number) {
  g = 0; // this thread's own copy of the module's g
  console.log(g, process.pid);
}

export function funcShared(_a: number, _b: number, shared: Value<number>) {
  shared.value = 0; // one number in shared memory, seen by every thread
  console.log(shared.value, process.pid);
}

if (isMainProcess(import.meta)) {
  const tLst: Thread[] = [];
  for (let i = 0; i < 10; i++) {
    const t = new Thread({ target: func, args: [i, 5] });
    t.start();
    tLst.push(t);
  }
  for (const t of tLst) await t.join();
  console.log(g); // 100: no thread touched this thread's g

  const shared = new Value("i", 100);
  const sLst: Thread[] = [];
  for (let i = 0; i < 10; i++) {
    const t = new Thread({ target: funcShared, args: [i, 5, shared] });
    t.start();
    sLst.push(t);
  }
  for (const t of sLst) await t.join();
  console.log(shared.value); // 0
}
