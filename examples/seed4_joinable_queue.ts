// Seed: 004_4854f3d130a93632.txt (生产者消费者模型: JoinableQueue)
// Shows: two producers and two daemon consumers. Every put() adds one to the queue's count of
// unfinished tasks and every taskDone() takes one off; q.join() waits until it is back to zero.
// Once the main process has joined the producers and the queue, it exits, which terminates the
// daemon consumers (no stop marker needed).
// Delays: random 1–3 s → 50–150 ms.
// expect: ^(?:[\s\S]*?吃了){10}
import { setTimeout as sleep } from "node:timers/promises";
import { isMainProcess, JoinableQueue, Process } from "../mod.ts";

const randomDelay = () => sleep(50 + Math.floor(Math.random() * 101));

export async function producer(name: string, food: string, q: JoinableQueue<string>) {
  for (let i = 0; i < 5; i++) {
    const data = `${name}生产了${food}${i}`;
    await randomDelay();
    console.log(data);
    await q.put(data);
  }
}

export async function consumer(name: string, q: JoinableQueue<string>) {
  while (true) {
    const food = await q.get(); // waits while the queue is empty
    // if (food === null) break;
    await randomDelay();
    console.log(`${name}吃了${food}`);
    await q.taskDone(); // this item has been taken and handled
  }
}

if (isMainProcess(import.meta)) {
  // const q = new Queue<string>();
  const q = new JoinableQueue<string>();
  const p1 = new Process({ target: producer, args: ["大厨egon", "包子", q] });
  const p2 = new Process({ target: producer, args: ["马叉虫tank", "泔水", q] });
  const c1 = new Process({ target: consumer, args: ["春哥", q] });
  const c2 = new Process({ target: consumer, args: ["新哥", q] });
  p1.start();
  p2.start();
  c1.daemon = true; // consumers are daemons
  c2.daemon = true;
  c1.start();
  c2.start();
  await p1.join();
  await p2.join();
  // await q.put(null); // a stop marker per consumer would also work
  // await q.put(null);
  await q.join(); // wait until every item has been taken and handled
  // once q.join() returns the consumers have nothing left to do; they die with the main process
}
