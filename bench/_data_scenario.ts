// data_in and data_roundtrip: 32 × 4 MiB Uint8Array payloads to a Pool(2) (ThreadPool(2) for the
// thread kind), all submitted with applyAsync, then awaited; the workers send a checksum back
// (data_in) or the payload itself (data_roundtrip). MB/s counts the bytes moved (both ways for the
// round trip). The first big payload is timed: the warm-up only starts the workers, as a program's
// first call would find them. The value copies; a ThreadPool also runs the same again with the
// payloads moved (bench/_transfer.ts), reported as the peer "transfer", as the JS pools do.
import type { Pool } from "./_lib.ts";
import { KIND, PoolOfKind } from "./_kind.ts";
import { MiB, payloads } from "./_data.ts";
import { applyMoved, echoMove, TRANSFER } from "./_transfer.ts";
import { checksum, echo, noop } from "./fixtures/pool_tasks.mjs";
import { report, sized } from "./_util.ts";

/** Sends `count` fresh payloads of `size` bytes, all submitted then awaited; MB/s (both ways when `back`). */
async function moveData(pool: Pool, count: number, size: number, back: boolean, move: boolean): Promise<number> {
  const data = payloads(count, size);
  const t = performance.now();
  const pending = data.map((u8) => {
    if (move) return back ? applyMoved(pool, echoMove, u8) : applyMoved(pool, checksum, u8);
    return back ? pool.applyAsync(echo, [u8]) : pool.applyAsync(checksum, [u8]);
  });
  const out: unknown[] = [];
  for (const p of pending) out.push(await p.get());
  const s = (performance.now() - t) / 1000;
  if (back ? out.some((r) => (r as Uint8Array).byteLength !== size) : out.some((r) => typeof r !== "number")) {
    throw new Error("wrong result");
  }
  return (count * size * (back ? 2 : 1)) / s / 1e6;
}

/** Runs one data scenario and prints its result line. */
export async function dataScenario(scenario: "data_in" | "data_roundtrip"): Promise<void> {
  const back = scenario === "data_roundtrip";
  const count = sized(32, 8), size = 4 * MiB;
  await using pool = new PoolOfKind(2);
  await pool.map(noop, Array.from({ length: 8 }, (_, i) => i), { chunksize: 1 });
  const copying = await moveData(pool, count, size, back, false);
  let moved: number | undefined;
  if (KIND === "thread" && TRANSFER) {
    // The moving task lives in another module than the copying ones: load it in every worker first,
    // as the warm-up above loaded theirs (the JS pools' worker files hold both from the start).
    await pool.map(echoMove, Array.from({ length: 8 }, () => new Uint8Array(8)), { chunksize: 1 });
    moved = await moveData(pool, count, size, back, true);
  }
  report({
    scenario,
    metric: back ? "32 × 4 MiB in and back" : "32 × 4 MiB in, checksum back",
    value: copying,
    unit: "MB/s",
    higherIsBetter: true,
    ...(moved === undefined ? {} : { peers: { transfer: moved } }),
    extra: { messages: count, bytes: size, workers: 2, kind: KIND, transfer: moved !== undefined },
  });
}
