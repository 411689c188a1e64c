// data_size: round-trip MB/s against payload size, 1 KiB … 64 MiB (bench/_data.ts sizeSteps): at each
// size, `count` Uint8Array payloads to a Pool(2) and back, all submitted, then awaited. bySize holds
// the curve (a row per size); the headline is 4 MiB. One payload buffer a size, sent `count` times.
import { isMainProcess } from "./_lib.ts";
import { PoolOfKind } from "./_kind.ts";
import { MiB, payloads, sizeSteps } from "./_data.ts";
import { echo, noop } from "./fixtures/pool_tasks.mjs";
import { report } from "./_util.ts";

if (isMainProcess(import.meta)) {
  await using pool = new PoolOfKind(2);
  await pool.map(noop, Array.from({ length: 8 }, (_, i) => i), { chunksize: 1 });
  const bySize: Record<string, number> = {};
  for (const { size, count } of sizeSteps()) {
    const [one] = payloads(1, size);
    const t = performance.now();
    const pending = Array.from({ length: count }, () => pool.applyAsync(echo, [one]));
    for (const p of pending) if ((await p.get()).byteLength !== size) throw new Error("wrong result");
    bySize[size] = (2 * count * size) / ((performance.now() - t) / 1000) / 1e6;
  }
  report({
    scenario: "data_size",
    metric: "round trip by payload size",
    value: bySize[4 * MiB],
    unit: "MB/s",
    higherIsBetter: true,
    bySize,
    extra: { steps: sizeSteps(), workers: 2 },
  });
}
