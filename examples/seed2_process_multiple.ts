// Seed: 002_3bb88aa2fe4081f0.txt (例1.2: functions as several processes)
// Shows: two processes running side by side, cpuCount() and activeChildren(). The main process
// prints "END!!!" without joining; its non-daemon children finish afterwards.
// Sleeps: 2 s / 3 s → 100 ms / 150 ms.
// expect: The number of CPU is:\d+\n(child   p\.name:Process-\d\tp\.id\d+\n){2}END!+\n(?=[\s\S]*end worker_1)(?=[\s\S]*end worker_2)
import { setTimeout as sleep } from "node:timers/promises";
import { activeChildren, cpuCount, isMainProcess, Process } from "../mod.ts";

export async function worker_1(interval: number) {
  console.log("worker_1");
  await sleep(interval);
  console.log("end worker_1");
}

export async function worker_2(interval: number) {
  console.log("worker_2");
  await sleep(interval);
  console.log("end worker_2");
}

if (isMainProcess(import.meta)) {
  const p1 = new Process({ target: worker_1, args: [100] });
  const p2 = new Process({ target: worker_2, args: [150] });

  p1.start();
  p2.start();

  console.log("The number of CPU is:" + cpuCount());
  for (const p of activeChildren()) {
    console.log("child   p.name:" + p.name + "\tp.id" + p.pid);
  }
  console.log("END!!!!!!!!!!!!!!!!!");
}
