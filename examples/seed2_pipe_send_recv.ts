// Seed: 002_3bb88aa2fe4081f0.txt (6. Pipe)
// Shows: two children talk over a duplex Pipe: proc1 sends, proc2 receives. recv() waits while
// the pipe is empty.
// The original loops forever (stop it with Ctrl-C); this port sends one round of five numbers, and
// proc2 reads with `for await`, which ends when every handle of the other end is closed (EOF):
// proc1's closes when it returns, and the parent closes its own copies after starting the children.
// Sleeps: 1 s → 100 ms.
// expect: send: 0\n(proc2 rev: 0\n)?send: 1[\s\S]*send: 4[\s\S]*proc2 rev: 4
import { setTimeout as sleep } from "node:timers/promises";
import { type Connection, isMainProcess, Pipe, Process } from "../mod.ts";

export async function proc1(pipe: Connection<number>) {
  for (let i = 0; i < 5; i++) {
    console.log(`send: ${i}`);
    await pipe.send(i);
    await sleep(100);
  }
}

export async function proc2(pipe: Connection<number>) {
  for await (const msg of pipe) {
    console.log("proc2 rev:", msg);
    await sleep(100);
  }
}

if (isMainProcess(import.meta)) {
  const pipe = Pipe();
  const p1 = new Process({ target: proc1, args: [pipe[0]] });
  const p2 = new Process({ target: proc2, args: [pipe[1]] });

  p1.start();
  p2.start();
  pipe[0].close();
  pipe[1].close();

  await p1.join();
  await p2.join();
}
