// Seed: 002_3bb88aa2fe4081f0.txt (5. Queue)
// Shows: put()/get() with `block: false`: they never wait, and throw Full / Empty instead.
// The seed elides the rest of the program ("..."); this port completes it with the reader
// process of the same tutorial: it reads the writer's item without blocking, after the writer
// has been joined.
// expect: ^1\n$
import { Empty, Full, isMainProcess, Process, Queue } from "../mod.ts";

export async function writer_proc(q: Queue<number>) {
  try {
    await q.put(1, { block: false });
  } catch (e) {
    if (!(e instanceof Full)) throw e;
  }
}

export async function reader_proc(q: Queue<number>) {
  try {
    console.log(await q.get({ block: false }));
  } catch (e) {
    if (!(e instanceof Empty)) throw e;
  }
}

if (isMainProcess(import.meta)) {
  const q = new Queue<number>();
  const writer = new Process({ target: writer_proc, args: [q] });
  writer.start();
  await writer.join();

  const reader = new Process({ target: reader_proc, args: [q] });
  reader.start();
  await reader.join();
}
