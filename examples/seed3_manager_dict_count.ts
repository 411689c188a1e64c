// Seed: 003_d11a23a09cad837b.txt (manager模块: a shared counter)
// Shows: 20 processes decrement one counter in a Manager dict. `count -= 1` is a read and a
// write, two separate proxy calls, so a Lock must cover both; the original passes the lock but
// does not take it (and then may lose updates); this port takes it, so the result is always 80.
// Scaled from 50 to 20 processes.
// expect: 主进程 \{\s*count: 80,?\s*\}
import { type DictProxy, isMainProcess, Lock, Manager, Process } from "../mod.ts";

export async function main(dic: DictProxy<number>, lock: Lock) {
  await using _ = await lock.hold();
  await dic.set("count", (await dic.get("count"))! - 1);
}

if (isMainProcess(import.meta)) {
  await using m = await Manager.start();
  const l = new Lock();
  const dic = await m.dict({ count: 100 });
  const pLst: Process[] = [];
  for (let i = 0; i < 20; i++) {
    const p = new Process({ target: main, args: [dic, l] });
    p.start();
    pLst.push(p);
  }
  for (const p of pLst) await p.join();
  console.log("主进程", await dic.toObject());
}
