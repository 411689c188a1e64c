// scale: start 100 processes running a trivial function, then join them all (the seed's
// thread-vs-process program, at its original 100), in seconds; Python's peer does the same with
// spawn. Opt-in (`npm run bench -- scale`): ~5–10 s a sample on 2 CPUs, outside the full run's budget.
import { isMainProcess, Process } from "./_lib.ts";
import { noop } from "./fixtures/pool_tasks.mjs";
import { report, sized } from "./_util.ts";

if (isMainProcess(import.meta)) {
  const n = sized(100, 20);
  const t = performance.now();
  const procs = Array.from({ length: n }, (_, i) => new Process({ target: noop, args: [i] }));
  for (const p of procs) p.start();
  for (const p of procs) await p.join();
  const s = (performance.now() - t) / 1000;
  const failed = procs.filter((p) => p.exitCode !== 0).length;
  if (failed) throw new Error(`${failed} of ${n} processes failed`);
  report({
    scenario: "scale",
    metric: `start ${n} processes, join all`,
    value: s,
    unit: "s",
    higherIsBetter: false,
    extra: { processes: n },
  });
}
