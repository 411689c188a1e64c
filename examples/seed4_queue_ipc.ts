// Seed: 004_4854f3d130a93632.txt (进程间通信IPC机制: child to child through a Queue)
// Shows: a Queue made by the main process carries a message from one child to another.
// expect: ^我是23号技师 很高兴为您服务\n$
import { isMainProcess, Process, Queue } from "../mod.ts";

export async function producer(q: Queue<string>) {
  await q.put("我是23号技师 很高兴为您服务");
}

export async function consumer(q: Queue<string>) {
  console.log(await q.get());
}

if (isMainProcess(import.meta)) {
  const q = new Queue<string>();
  const p = new Process({ target: producer, args: [q] });
  const p1 = new Process({ target: consumer, args: [q] });
  p.start();
  p1.start();
}
