// queue_throughput: small items (ints) put by the parent, taken by one child, as Python's peer:
// the child announces itself first (its start is not measured), takes `count` items, then reports.
import { isMainProcess, Process, Queue } from "./_lib.ts";
import { report, sized } from "./_util.ts";

const COUNT = sized(100_000, 20_000);

export async function queueConsumer(q: Queue<number>, done: Queue<string>, count: number): Promise<void> {
  await done.put("ready");
  for (let i = 0; i < count; i++) await q.get();
  await done.put("done");
}

if (isMainProcess(import.meta)) {
  const q = new Queue<number>();
  const done = new Queue<string>();
  const p = new Process({ target: queueConsumer, args: [q, done, COUNT] });
  p.start();
  await done.get();
  const t0 = performance.now();
  for (let i = 0; i < COUNT; i++) await q.put(i);
  await done.get();
  const s = (performance.now() - t0) / 1000;
  await p.join();
  report({
    scenario: "queue_throughput",
    metric: "put→get",
    value: Math.round(COUNT / s),
    unit: "items/s",
    higherIsBetter: true,
    extra: { items: COUNT, totalS: +s.toFixed(4) },
  });
}
