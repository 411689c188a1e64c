// threads_100: seed 003's thread-vs-process program at its original size: start 100 Threads running a
// trivial function, then join them all, in seconds (20 under BENCH_QUICK=1). Run as a process system
// it starts 100 Processes instead (the opt-in scale scenario's work), so the runner sets the two
// kinds against each other round by round; Python's peer does the same with threading and spawn.
import { isMainProcess } from "./_lib.ts";
import { KIND, WorkerOfKind } from "./_kind.ts";
import { noop } from "./fixtures/pool_tasks.mjs";
import { report, sized } from "./_util.ts";

if (isMainProcess(import.meta)) {
  const n = sized(100, 20);
  const t = performance.now();
  const workers = Array.from({ length: n }, (_, i) => new WorkerOfKind({ target: noop, args: [i] }));
  for (const w of workers) w.start();
  for (const w of workers) await w.join();
  const s = (performance.now() - t) / 1000;
  const failed = workers.filter((w) => w.exitCode !== 0).length;
  if (failed) throw new Error(`${failed} of ${n} ${KIND}s failed`);
  report({
    scenario: "threads_100",
    metric: `start ${n}, join all`,
    value: s,
    unit: "s",
    higherIsBetter: false,
    extra: { kind: KIND, count: n },
  });
}
