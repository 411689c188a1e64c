// Seed: 000_97b5717cba584803.txt ("To show the individual process IDs involved")
// Shows: the module name, parent pid and pid, printed once by the main process and once by a child.
// Python prints `__name__` ("__main__" vs "__mp_main__"); here `isMainProcess(import.meta)` tells the
// same story. The original's `time.sleep(100)` is scaled down to 100 ms.
// expect: main process line\nis main module: true[\s\S]*bob\nis main module: false
import process from "node:process";
import { setTimeout as sleep } from "node:timers/promises";
import { isMainProcess, Process } from "../mod.ts";

export function info(title: string) {
  console.log(title);
  console.log("is main module:", isMainProcess(import.meta));
  console.log("parent process:", process.ppid);
  console.log("process id:", process.pid);
}

export function f(name: string) {
  info("\x1b[31;1mfunction f\x1b[0m");
  console.log("hello", name);
}

if (isMainProcess(import.meta)) {
  info("main process line");
  await sleep(100); // time.sleep(100)
  const p = new Process({ target: info, args: ["bob"] });
  p.start();
  await p.join();
}
