// Seed: 004_4854f3d130a93632.txt (守护进程: a daemon dies with its creator)
// Shows: the main process sets daemon before start() and exits without joining, so the daemon
// child is terminated: "正在死亡" (dying) is never printed.
// Sleeps: 3 s → 150 ms.
// expect: ^(?![\s\S]*总管正在死亡)[\s\S]*皇帝jason寿终正寝
import { setTimeout as sleep } from "node:timers/promises";
import { isMainProcess, Process } from "../mod.ts";

export async function task(name: string) {
  console.log(`${name}总管正在活着`);
  await sleep(150);
  console.log(`${name}总管正在死亡`);
}

if (isMainProcess(import.meta)) {
  const p = new Process({ target: task, args: ["egon"] });
  p.daemon = true; // must come before start(), otherwise it throws
  p.start();
  console.log("皇帝jason寿终正寝");
}
