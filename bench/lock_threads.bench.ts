// lock_threads: 2 Threads each doing n × (await lock.acquire(); value.value += 1; release()), timed
// between two Barrier(3) waits, as lock_contended does with 2 processes. Run as a process system it
// does the same with 2 Processes, so the runner sets the two kinds side by side round by round;
// Python's peer uses threading.Lock between threads and multiprocessing's Lock between processes.
import { Barrier, isMainProcess, Lock, Value } from "./_lib.ts";
import { KIND, WorkerOfKind } from "./_kind.ts";
import { lockedIncrements } from "./fixtures/sync.ts";
import { report, sized } from "./_util.ts";

if (isMainProcess(import.meta)) {
  const n = sized(200_000, 50_000);
  const lock = new Lock();
  const value = new Value("i", 0, { lock: false });
  const barrier = new Barrier(3);
  const ws = [0, 1].map(() => new WorkerOfKind({ target: lockedIncrements, args: [lock, value, n, barrier] }));
  for (const w of ws) w.start();
  await barrier.wait();
  const t = performance.now();
  await barrier.wait();
  const seconds = (performance.now() - t) / 1000;
  for (const w of ws) await w.join();
  if (value.value !== 2 * n) throw new Error(`final value ${value.value}, expected ${2 * n}`);
  report({
    scenario: "lock_threads",
    metric: "locked increments, 2 workers",
    value: Math.round((2 * n) / seconds),
    unit: "ops/s",
    higherIsBetter: true,
    extra: { kind: KIND, workers: 2, iterationsEach: n, totalS: +seconds.toFixed(3) },
  });
}
