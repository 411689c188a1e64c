// thread_start: Thread start()+join() of an empty target, median of 7 after 2 warm-ups, beside the
// raw runtime starting a worker thread on an empty script (node:worker_threads) in the same program.
// Run as a process system (BENCH_KIND unset) it times Process start()+join() against the raw spawn
// of an empty script instead, as the spawn scenario does, so the runner sets threads against
// processes round by round; Python's peer times threading.Thread and Process the same way.
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { isMainProcess } from "./_lib.ts";
import { runtime } from "../src/runtime/adapter.ts";
import { KIND, WorkerOfKind } from "./_kind.ts";
import { noop } from "./fixtures/pool_tasks.mjs";
import { median, report, sized } from "./_util.ts";

const WARM = sized(2, 1);
const ROUNDS = sized(7, 3);
const EMPTY = new URL("./fixtures/empty.mjs", import.meta.url);

async function timeOurs(): Promise<number> {
  const t0 = performance.now();
  const w = new WorkerOfKind({ target: noop });
  w.start();
  await w.join();
  if (w.exitCode !== 0) throw new Error(`${KIND} exited ${w.exitCode}`);
  return performance.now() - t0;
}

/** The runtime's own start of an empty thread (or process), to its exit. */
async function timeRaw(): Promise<number> {
  const t0 = performance.now();
  if (KIND === "thread") {
    const w = new Worker(EMPTY);
    await new Promise((resolve, reject) => w.once("exit", resolve).once("error", reject));
  } else {
    await runtime.spawn({ script: fileURLToPath(EMPTY) }).exited;
  }
  return performance.now() - t0;
}

if (isMainProcess(import.meta)) {
  for (let i = 0; i < WARM; i++) {
    await timeOurs();
    await timeRaw();
  }
  const ours: number[] = [];
  const raw: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    ours.push(await timeOurs());
    raw.push(await timeRaw());
  }
  const m = median(ours);
  const r = median(raw);
  report({
    scenario: "thread_start",
    metric: "start+join, empty target (median)",
    value: +m.toFixed(2),
    unit: "ms",
    higherIsBetter: false,
    peers: { raw: +r.toFixed(2) },
    extra: {
      kind: KIND,
      warmUps: WARM,
      rounds: ROUNDS,
      vsRaw: +(m / r).toFixed(2),
      min: +Math.min(...ours).toFixed(2),
    },
  });
}
