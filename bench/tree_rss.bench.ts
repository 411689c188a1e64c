// tree_rss: peak RSS of the whole process tree (this program and every descendant) while a Pool(2)
// runs the dispatch workload; bench/run.mjs samples it from /proc every 10 ms and puts the peak in
// `value` (this program reports 0 there). Peers: an idle worker's RSS (after the workload, settled),
// and the same runtime's RSS running an empty program (bench/fixtures/idle.mjs). Linux only. With the
// thread kind (ThreadPool(2)) the workers live in this process, so there is no idle worker to read.
import { isMainProcess } from "./_lib.ts";
import { KIND, PoolOfKind } from "./_kind.ts";
import { dispatchBatch } from "./dispatch.bench.ts";
import { whoAfterMs } from "./fixtures/pool_tasks.mjs";
import { emptyScriptRss, rssMiB, sleep } from "./_rss.ts";
import { report, sized } from "./_util.ts";

if (isMainProcess(import.meta)) {
  const n = sized(10_000, 2_000);
  await using pool = new PoolOfKind(2);
  const workers = new Set<string>();
  while (workers.size < 2) for (const w of await pool.map(whoAfterMs, [0, 1], { chunksize: 1 })) workers.add(w);
  const s = await dispatchBatch(pool, n);
  await sleep(300);
  const idle = KIND === "thread"
    ? []
    : [...workers].map((w) => rssMiB(Number(w.split(".")[0]))).filter((v) => v !== undefined);
  const empty = await emptyScriptRss();
  const peers: Record<string, number> = {};
  if (idle.length) peers["idle worker"] = Math.max(...idle);
  if (empty !== undefined) peers["empty script"] = empty;
  report({
    scenario: "tree_rss",
    metric: "peak tree RSS during dispatch",
    value: 0,
    unit: "MiB",
    higherIsBetter: false,
    peers,
    extra: { tasks: n, dispatchTasksPerS: n / s, workers: 2 },
  });
}
