// Seed: 001_e2c67ce1dec34c34.txt (版本二 against 版本三: four threads, then four processes)
// Shows: the comparison the seed draws between its thread and process versions, in one program.
// Python's threads lose it (the GIL runs one at a time: 45 s against 44 s for four calls in a row);
// JavaScript threads run in parallel like processes, so here the two times differ only by what
// starting a worker costs on the runtime. The line printed is `threads <s> processes <s>`, each the
// time to start four workers that each run calc() once and join them all. With fewer than 4 cores
// both take longer than one call.
// The loop of 100,000,000 is scaled to LOOPS so one call takes roughly 0.2 s.
// expect: ^threads \d+\.\d+ processes \d+\.\d+\n$
import { isMainProcess, Process, Thread } from "../mod.ts";

const LOOPS = 300_000_000;

export function calc(i = 0): [number, number] {
  let sum = 0;
  for (i = 0; i < LOOPS; i++) sum += 1;
  return [i, sum];
}

/** Starts four workers of one kind on calc(), joins them, and returns the seconds it took. */
async function fourOf(Kind: typeof Thread | typeof Process): Promise<number> {
  const start = performance.now();
  const waits = Array.from({ length: 4 }, (_, i) => new Kind({ target: calc, name: `calc-${i}` }));
  for (const w of waits) w.start();
  for (const w of waits) await w.join();
  return (performance.now() - start) / 1000;
}

if (isMainProcess(import.meta)) {
  const t1 = await fourOf(Thread);
  const t2 = await fourOf(Process);
  console.log("threads", t1.toFixed(3), "processes", t2.toFixed(3));
}
