// Seed: 004_4854f3d130a93632.txt (进程对象及其他方法: terminate and is_alive)
// Shows: terminate() only asks the OS to kill the process; it takes a moment, so the main process
// sleeps 100 ms before isAlive() reports false. The child's 30 s sleep is cut to 3 s (it is killed
// long before anyway).
// expect: false\n主
import process from "node:process";
import { setTimeout as sleep } from "node:timers/promises";
import { isMainProcess, Process } from "../mod.ts";

export async function task() {
  // console.log(`${currentProcess().pid} is running`);
  console.log(`${process.pid} is running`);
  await sleep(3000);
}

if (isMainProcess(import.meta)) {
  const p = new Process({ target: task });
  p.start();
  p.terminate(); // kill it
  await sleep(100); // time.sleep(0.1)
  console.log(p.isAlive());
  console.log("主");
}
