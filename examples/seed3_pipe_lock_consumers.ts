// Seed: 003_d11a23a09cad837b.txt (Pipe实现生产者消费者模型: several consumers on one pipe)
// Shows: two consumers read the same pipe end; a Lock around recv() makes them take turns
// ("pipe + lock"), and one null per consumer tells each to stop. Every process closes the end it
// does not use.
// The original tests `if baozi:`, which also treats the first item, 0, as the stop marker; this port
// tests for null so all ten items are delivered.
// expect: ^(c[12] 收到包子:\d\n){10}主进程\n$
import { type Connection, isMainProcess, Lock, Pipe, Process } from "../mod.ts";

type Ends = [Connection, Connection];

export async function consumer(p: Ends, name: string, lock: Lock) {
  const [produce, consume] = p;
  produce.close();
  while (true) {
    await lock.acquire();
    const baozi = await consume.recv();
    await lock.release();
    if (baozi !== null) {
      console.log(`${name} 收到包子:${baozi}`);
    } else {
      consume.close();
      break;
    }
  }
}

export async function producer(p: Ends, n: number) {
  const [produce, consume] = p;
  consume.close();
  for (let i = 0; i < n; i++) await produce.send(i);
  await produce.send(null);
  await produce.send(null);
  produce.close();
}

if (isMainProcess(import.meta)) {
  const [produce, consume] = Pipe();
  const lock = new Lock();
  const c1 = new Process({ target: consumer, args: [[produce, consume], "c1", lock] });
  const c2 = new Process({ target: consumer, args: [[produce, consume], "c2", lock] });
  const p1 = new Process({ target: producer, args: [[produce, consume], 10] });
  c1.start();
  c2.start();
  p1.start();

  produce.close();
  consume.close();

  await c1.join();
  await c2.join();
  await p1.join();
  console.log("主进程");
}
