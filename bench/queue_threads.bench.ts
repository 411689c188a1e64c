// queue_threads: a Queue between the main thread and one Thread: the main thread puts small items
// (ints), the thread takes them, as queue_throughput does with a child process. The thread announces
// itself first (its start is not measured), takes `count` items, then reports. Run as a process
// system it does the same with a Process, so the runner sets the two kinds side by side round by
// round; Python's peer uses queue.Queue between threads and multiprocessing's Queue between processes.
import { isMainProcess, Queue } from "./_lib.ts";
import { KIND, WorkerOfKind } from "./_kind.ts";
import { queueConsumer } from "./queue_throughput.bench.ts";
import { report, sized } from "./_util.ts";

const COUNT = sized(200_000, 20_000);

if (isMainProcess(import.meta)) {
  const q = new Queue<number>();
  const done = new Queue<string>();
  const w = new WorkerOfKind({ target: queueConsumer, args: [q, done, COUNT] });
  w.start();
  await done.get();
  const t0 = performance.now();
  for (let i = 0; i < COUNT; i++) await q.put(i);
  await done.get();
  const s = (performance.now() - t0) / 1000;
  await w.join();
  report({
    scenario: "queue_threads",
    metric: "put→get, small items",
    value: Math.round(COUNT / s),
    unit: "items/s",
    higherIsBetter: true,
    extra: { kind: KIND, items: COUNT, totalS: +s.toFixed(4) },
  });
}
