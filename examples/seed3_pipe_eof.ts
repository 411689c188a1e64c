// Seed: 003_d11a23a09cad837b.txt (1.管道: producer/consumer over a Pipe)
// Shows: every process closes the pipe end it does not use; the consumer reads until recv()
// rejects with EOFError, which happens once all handles of the sending end are closed (the child's
// copy and the main process's) and everything sent has been read.
// expect: (c1 收到包子:\d\n){10}主进程
import { type Connection, EOFError, isMainProcess, Pipe, Process } from "../mod.ts";

export async function consumer(p: [Connection, Connection], name: string) {
  const [produce, consume] = p;
  produce.close();
  while (true) {
    try {
      const baozi = await consume.recv();
      console.log(`${name} 收到包子:${baozi}`);
    } catch (e) {
      if (e instanceof EOFError) break;
      throw e;
    }
  }
}

export async function producer(seq: Iterable<number>, p: [Connection, Connection]) {
  const [produce, consume] = p;
  consume.close();
  for (const i of seq) await produce.send(i);
}

if (isMainProcess(import.meta)) {
  const [produce, consume] = Pipe();

  const c1 = new Process({ target: consumer, args: [[produce, consume], "c1"] });
  c1.start();

  const seq = (function* () {
    for (let i = 0; i < 10; i++) yield i;
  })();
  await producer(seq, [produce, consume]);

  produce.close();
  consume.close();

  await c1.join();
  console.log("主进程");
}
