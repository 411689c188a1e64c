// Seed: 000_97b5717cba584803.txt (Queues)
// Shows: three children put a list each on one Queue; the main process gets three items (in
// whatever order the children finish), then joins the children.
// expect: (\[ 42, \d, ['"]hello['"] \]\n){3}
import { isMainProcess, Process, Queue } from "../mod.ts";

export async function f(q: Queue<unknown[]>, n: number) {
  await q.put([42, n, "hello"]);
}

if (isMainProcess(import.meta)) {
  const q = new Queue<unknown[]>();
  const pList: Process[] = [];
  for (let i = 0; i < 3; i++) {
    const p = new Process({ target: f, args: [q, i] });
    pList.push(p);
    p.start();
  }
  console.log(await q.get());
  console.log(await q.get());
  console.log(await q.get());
  for (const p of pList) await p.join();
}
