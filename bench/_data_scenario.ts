// data_in and data_roundtrip: 32 × 4 MiB Uint8Array payloads to a Pool(2), all submitted with
// applyAsync, then awaited; the workers send a checksum back (data_in) or the payload itself
// (data_roundtrip). MB/s counts the bytes moved (both ways for the round trip). The first big payload
// is timed: the warm-up only starts the workers, as a program's first call would find them.
import { Pool } from "./_lib.ts";
import { MiB, payloads } from "./_data.ts";
import { checksum, echo, noop } from "./fixtures/pool_tasks.mjs";
import { report, sized } from "./_util.ts";

/** Runs one data scenario and prints its result line. */
export async function dataScenario(scenario: "data_in" | "data_roundtrip"): Promise<void> {
  const back = scenario === "data_roundtrip";
  const count = sized(32, 8), size = 4 * MiB;
  const data = payloads(count, size);
  await using pool = new Pool(2);
  await pool.map(noop, Array.from({ length: 8 }, (_, i) => i), { chunksize: 1 });
  const t = performance.now();
  const pending = data.map((u8) => back ? pool.applyAsync(echo, [u8]) : pool.applyAsync(checksum, [u8]));
  const out: unknown[] = [];
  for (const p of pending) out.push(await p.get());
  const s = (performance.now() - t) / 1000;
  if (back ? out.some((r) => (r as Uint8Array).byteLength !== size) : out.some((r) => typeof r !== "number")) {
    throw new Error("wrong result");
  }
  report({
    scenario,
    metric: back ? "32 × 4 MiB in and back" : "32 × 4 MiB in, checksum back",
    value: (count * size * (back ? 2 : 1)) / s / 1e6,
    unit: "MB/s",
    higherIsBetter: true,
    extra: { messages: count, bytes: size, workers: 2, totalS: s },
  });
}
