// spawn: Process start()+join() of an empty target, beside the raw runtime spawning an empty script
// (same adapter primitive: Deno.Command / Bun.spawn / node:child_process) in the same run.
import { fileURLToPath } from "node:url";
import { isMainProcess, Process } from "./_lib.ts";
import { runtime } from "../src/runtime/adapter.ts";
import { noop } from "./fixtures/pool_tasks.mjs";
import { median, report, sized } from "./_util.ts";

const WARM = sized(2, 1);
const ROUNDS = sized(7, 3);

async function timeProcess(): Promise<number> {
  const t0 = performance.now();
  const p = new Process({ target: noop });
  p.start();
  await p.join();
  if (p.exitCode !== 0) throw new Error(`child exited ${p.exitCode}`);
  return performance.now() - t0;
}

async function timeRaw(): Promise<number> {
  const t0 = performance.now();
  const h = runtime.spawn({ script: fileURLToPath(new URL("./fixtures/empty.mjs", import.meta.url)) });
  await h.exited;
  return performance.now() - t0;
}

if (isMainProcess(import.meta)) {
  for (let i = 0; i < WARM; i++) {
    await timeProcess();
    await timeRaw();
  }
  const mine: number[] = [];
  const raw: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    mine.push(await timeProcess());
    raw.push(await timeRaw());
  }
  const m = median(mine);
  const r = median(raw);
  report({
    scenario: "spawn",
    metric: "start+join (median)",
    value: +m.toFixed(2),
    unit: "ms",
    higherIsBetter: false,
    extra: { warmUps: WARM, rounds: ROUNDS, vsRaw: +(m / r).toFixed(2), min: +Math.min(...mine).toFixed(2) },
    peers: { raw: +r.toFixed(2) },
  });
}
