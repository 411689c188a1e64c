// lock_contended: 2 processes each doing n × (await lock.acquire(); value.value += 1; release()),
// timed between two Barrier(3) waits, as Python's peer does. The served fallback (MULTIPROC_SHM=0;
// no Value there, so each child counts locally) is reported in extra.
import process from "node:process";
import { fileURLToPath } from "node:url";
import { Barrier, isMainProcess, Lock, Process, Value } from "./_lib.ts";
import { backend } from "../src/sync/shm/arena.ts";
import { QUICK, report, sized } from "./_util.ts";
import { runServed } from "./_served.ts";
import { lockedIncrements } from "./fixtures/sync.ts";

if (isMainProcess(import.meta)) {
  const served = process.argv.includes("served");
  const n = served ? 2000 : sized(200_000, 50_000);
  const lock = new Lock();
  const value = served ? null : new Value("i", 0, { lock: false });
  const barrier = new Barrier(3);
  const ps = [0, 1].map(() => new Process({ target: lockedIncrements, args: [lock, value, n, barrier] }));
  for (const p of ps) p.start();
  await barrier.wait();
  const t = performance.now();
  await barrier.wait();
  const seconds = (performance.now() - t) / 1000;
  await Promise.all(ps.map((p) => p.join()));
  if (value && value.value !== 2 * n) throw new Error(`final value ${value.value}, expected ${2 * n}`);
  const extra: Record<string, unknown> = {
    processes: 2,
    iterationsEach: n,
    finalValue: value?.value ?? null,
    totalS: +seconds.toFixed(3),
    backend: backend(),
  };
  if (!served && !QUICK) {
    const s = runServed(fileURLToPath(import.meta.url));
    if (s) extra.servedOpsPerS = s.value;
  }
  report({
    scenario: "lock_contended",
    metric: "locked increments",
    value: Math.round((2 * n) / seconds),
    unit: "ops/s",
    higherIsBetter: true,
    extra,
  });
}
