// lock_uncontended: Lock acquire+release with nobody else around, as Python's peer measures it
// (`lock.acquire(); lock.release()` in a loop). Reports `await lock.acquire(); await lock.release()`
// (what user code writes), `acquire({ block: false })` + `release()` without awaiting (the cheapest
// honest spelling), and the served fallback path (MULTIPROC_SHM=0) in extra. Peer "promises+CAS": the
// floor the issue sets the awaited path against, two awaited resolved promises and one atomic CAS.
import process from "node:process";
import { fileURLToPath } from "node:url";
import { isMainProcess, Lock } from "./_lib.ts";
import { backend } from "../src/sync/shm/arena.ts";
import { median, QUICK, report, sized } from "./_util.ts";
import { runServed } from "./_served.ts";

async function awaited(lock: Lock, n: number): Promise<number> {
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    await lock.acquire();
    await lock.release();
  }
  return ((performance.now() - t) / n) * 1e6;
}

function nonBlocking(lock: Lock, n: number): number {
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    void lock.acquire({ block: false });
    void lock.release();
  }
  return ((performance.now() - t) / n) * 1e6;
}

/** Two awaited resolved promises and one compare-and-swap on shared memory, per op. */
async function promisesAndCas(n: number): Promise<number> {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    await Promise.resolve();
    Atomics.compareExchange(cell, 0, i & 1, (i + 1) & 1);
    await Promise.resolve();
  }
  if (cell[0] !== (n & 1)) throw new Error("CAS lost a step");
  return ((performance.now() - t) / n) * 1e6;
}

if (isMainProcess(import.meta)) {
  const served = process.argv.includes("served");
  const lock = new Lock();
  const n = served ? 5000 : sized(1_000_000, 200_000);
  const a: number[] = [], b: number[] = [], floor: number[] = [];
  await awaited(lock, n / 10);
  await promisesAndCas(n / 10);
  for (let r = 0; r < 3; r++) {
    a.push(await awaited(lock, n));
    if (!served) b.push(nonBlocking(lock, n));
    if (!served) floor.push(await promisesAndCas(n));
  }
  const extra: Record<string, unknown> = { ops: n, repeats: 3, backend: backend() };
  if (!served) {
    extra.blockFalseNsPerOp = +median(b).toFixed(1);
    if (!QUICK) {
      const s = runServed(fileURLToPath(import.meta.url));
      if (s) extra.servedNsPerOp = s.value;
    }
  }
  report({
    scenario: "lock_uncontended",
    metric: "acquire+release",
    value: +median(a).toFixed(1),
    unit: "ns/op",
    higherIsBetter: false,
    ...(served ? {} : { peers: { "promises+CAS": +median(floor).toFixed(1) } }),
    extra,
  });
}
