// Seed: 000_97b5717cba584803.txt ("Py西游攻关之多进程", first example)
// Shows: start three processes on one exported function, join them all, then print "end".
// The three "hello" lines appear together (the processes run in parallel), "end" comes last.
// expect: (hello alvin[^\n]*\n){3}end
import { setTimeout as sleep } from "node:timers/promises";
import { isMainProcess, Process } from "../mod.ts";

const ctime = () => new Date().toISOString().slice(11, 23);

export async function f(name: string) {
  await sleep(100); // time.sleep(1)
  console.log("hello", name, ctime());
}

if (isMainProcess(import.meta)) {
  const pList: Process[] = [];
  for (let i = 0; i < 3; i++) {
    const p = new Process({ target: f, args: ["alvin"] });
    pList.push(p);
    p.start();
  }
  for (const p of pList) await p.join();
  console.log("end");
}
