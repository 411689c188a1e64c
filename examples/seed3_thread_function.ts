// Seed: 003_d11a23a09cad837b.txt (线程概念的引入背景: ten threads on one function)
// Shows: ten `Thread`s run func(a, b); each prints a + b and the pid, which is the main process's
// own ("zhu") pid: threads live inside one process. As in the seed, the main code does not join
// them: a non-daemon thread keeps the program alive until it ends, so all ten finish.
// time.sleep(1) is scaled down to 100 ms.
// expect: ^zhu (\d+)(?=(?:[\s\S]*?\n\d+ \1(?=\n)){10})(?:[\s\S]*?\n\d+(?=\n)){10}
import process from "node:process";
import { setTimeout as sleep } from "node:timers/promises";
import { isMainProcess, Thread } from "../mod.ts";

export async function func(a: number, b: number) {
  const n = a + b;
  console.log(n, process.pid);
  await sleep(100); // time.sleep(1)
  console.log(n);
}

if (isMainProcess(import.meta)) {
  console.log("zhu", process.pid);
  for (let i = 0; i < 10; i++) {
    const t = new Thread({ target: func, args: [i, 10] });
    t.start();
  }
}
