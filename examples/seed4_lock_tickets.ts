// Seed: 004_4854f3d130a93632.txt (互斥锁: ten users grab one train ticket)
// Shows: everyone may query at once, but buying (read, wait, write) is done under a Lock, so the
// single ticket is sold exactly once. The "database" is a JSON file, written by the main process
// first ({"ticket_num": 1}); it lives in the temp directory.
// Network delay: random 1–3 s → 50–150 ms.
// expect: ^(?![\s\S]*买票成功[\s\S]*买票成功)[\s\S]*买票成功
import { readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { isMainProcess, Lock, Process } from "../mod.ts";

const DATA = join(tmpdir(), "multiproc-seed4-data.json");

// 查票: query
export async function search(i: number) {
  const dic = JSON.parse(await readFile(DATA, "utf8"));
  console.log(`用户${i}查询余票:${dic.ticket_num}`);
}

// 买票: query again, then buy
export async function buy(i: number) {
  const dic = JSON.parse(await readFile(DATA, "utf8"));
  await sleep(50 + Math.floor(Math.random() * 101)); // network delay
  if (dic.ticket_num > 0) {
    dic.ticket_num -= 1;
    await writeFile(DATA, JSON.stringify(dic));
    console.log(`用户${i}买票成功`);
  } else {
    console.log(`用户${i}买票失败`);
  }
}

export async function run(i: number, mutex: Lock) {
  await search(i);
  await mutex.acquire(); // only the buying is locked
  await buy(i);
  await mutex.release();
}

if (isMainProcess(import.meta)) {
  await writeFile(DATA, JSON.stringify({ ticket_num: 1 }));
  const mutex = new Lock(); // made here, contended by all the children
  for (let i = 1; i < 11; i++) {
    const p = new Process({ target: run, args: [i, mutex] });
    p.start();
  }
}
