// The JavaScript thread pools a user would pick instead of multiproc (piscina, tinypool,
// workerpool), on the bench's scenarios, as a peer program of bench/run.mjs (see bench/_systems.mjs):
//
//   <runtime> bench/peers/js_pool.mjs <pool> <scenario> [worker counts]
//   <runtime> bench/peers/js_pool.mjs <pool> --list
//
// <pool> names bench/peers/<pool>.mjs, which builds the pool the way that pool's users do and
// returns { call(name, arg), callTransfer(name, arg, transferList), close() }. The scenarios here are
// the same as bench/<scenario>.bench.ts and bench/python/peer.py: same sizes, same warm-up (workers
// started with trivial tasks; the first big payload is timed), same tasks (bench/fixtures/pool_tasks.mjs),
// 2 workers unless the scenario takes worker counts. map is chunked by hand, as these pools have no
// map: ceil(items / (4 × workers)) items a task, Python's and multiproc's default. The data scenarios
// copy (structured clone); the same run with transfer lists is the peer value "transfer".
import process from "node:process";
import { calibratedCount, countLoop } from "../fixtures/pool_tasks.mjs";

const QUICK = process.env.BENCH_QUICK === "1";
const sized = (full, quick) => (QUICK ? quick : full);
const MiB = 1 << 20;
const WORKERS = 2;

/** Payloads of `size` bytes, filled so no page is left untouched. */
function payloads(count, size) {
  return Array.from({ length: count }, () => {
    const u8 = new Uint8Array(size);
    for (let i = 0; i < size; i += 512) u8[i] = i & 255;
    return u8;
  });
}

/** Starts both workers (and their module loading) with trivial tasks, as every system's warm-up does. */
async function warm(pool, workers = WORKERS) {
  await Promise.all(Array.from({ length: workers * 4 }, (_, i) => pool.call("identity", i)));
}

async function dispatch(pool) {
  const n = sized(10_000, 2_000);
  await warm(pool);
  const t = performance.now();
  const pending = [];
  for (let i = 0; i < n; i++) pending.push(pool.call("identity", i));
  const out = [];
  for (const p of pending) out.push(await p);
  const s = (performance.now() - t) / 1000;
  if (out[n - 1] !== n - 1) throw new Error("wrong result");
  return { metric: "10k tasks submitted, then awaited", value: n / s, unit: "tasks/s", extra: { tasks: n, totalS: s } };
}

async function map(pool) {
  const n = sized(200_000, 100_000);
  const items = Array.from({ length: n }, (_, i) => i);
  await warm(pool);
  const t = performance.now();
  const chunk = Math.ceil(n / (4 * WORKERS));
  const parts = [];
  for (let i = 0; i < n; i += chunk) parts.push(pool.call("identityChunk", items.slice(i, i + chunk)));
  const out = (await Promise.all(parts)).flat();
  const s = (performance.now() - t) / 1000;
  if (out.length !== n || out[n - 1] !== n - 1) throw new Error("wrong result");
  return { metric: "map trivial fn", value: n / s, unit: "items/s", extra: { items: n, chunksize: chunk, totalS: s } };
}

/** `count` payloads of `size` bytes to the workers, all submitted then awaited; MB/s each way counted. */
async function moveData(pool, { fn, count, size, transfer, back }) {
  const data = payloads(count, size);
  const t = performance.now();
  const pending = data.map((u8) => transfer ? pool.callTransfer(fn, u8, [u8.buffer]) : pool.call(fn, u8));
  const out = await Promise.all(pending);
  const s = (performance.now() - t) / 1000;
  if (back && out.some((r) => r.byteLength !== size)) throw new Error("wrong result");
  if (!back && out.some((r) => typeof r !== "number")) throw new Error("wrong result");
  return (count * size * (back ? 2 : 1)) / s / 1e6;
}

async function data(pool, back) {
  const count = sized(32, 8), size = 4 * MiB;
  await warm(pool);
  const fn = back ? "echo" : "checksum";
  const copying = await moveData(pool, { fn, count, size, back, transfer: false });
  const transfer = await moveData(pool, { fn: back ? "echoMove" : fn, count, size, back, transfer: true });
  return {
    metric: back ? "32 × 4 MiB in and back" : "32 × 4 MiB in, checksum back",
    value: copying,
    unit: "MB/s",
    peers: { transfer },
    extra: {
      messages: count,
      bytes: size,
      note: "value copies (structured clone); peer 'transfer' uses transfer lists",
    },
  };
}

/** Sizes and message counts of the size curve (as bench/_data.ts): ≤ 16 MiB a size, 2 to 1000 messages. */
function sizeSteps() {
  const sizes = QUICK ? [1 << 10, 64 << 10, 4 * MiB] : [
    1 << 10,
    4 << 10,
    16 << 10,
    64 << 10,
    256 << 10,
    MiB,
    4 * MiB,
    16 * MiB,
    64 * MiB,
  ];
  const budget = sized(16, 4) * MiB;
  return sizes.map((size) => ({ size, count: Math.min(1000, Math.max(2, Math.ceil(budget / size))) }));
}

async function dataSize(pool) {
  await warm(pool);
  const bySize = {};
  for (const { size, count } of sizeSteps()) {
    const one = payloads(1, size)[0];
    const t = performance.now();
    const out = await Promise.all(Array.from({ length: count }, () => pool.call("echo", one)));
    const s = (performance.now() - t) / 1000;
    if (out.some((r) => r.byteLength !== size)) throw new Error("wrong result");
    bySize[size] = (2 * count * size) / s / 1e6;
  }
  return { metric: "round trip by payload size", value: bySize[4 * MiB], unit: "MB/s", bySize };
}

async function poolStart(createPool) {
  const t = performance.now();
  const pool = createPool(WORKERS);
  const seen = new Set();
  while (seen.size < WORKERS) {
    for (const w of await Promise.all([pool.call("whoAfterMs", 0), pool.call("whoAfterMs", 1)])) seen.add(w);
  }
  const ms = performance.now() - t;
  await pool.close();
  return { metric: "Pool(2) ready", value: ms, unit: "ms", extra: { note: "cold: the program's first pool" } };
}

async function cpuBound(createPool, counts) {
  const tasks = Math.max(4, 2 * Math.max(...counts));
  const taskS = sized(0.5, 0.1) / tasks;
  const n = calibratedCount(taskS);
  const t0 = performance.now();
  for (let i = 0; i < tasks; i++) countLoop(n);
  const seqS = (performance.now() - t0) / 1000;
  const byWorkers = {};
  for (const w of counts) {
    const pool = createPool(w);
    await Promise.all(Array.from({ length: w * 2 }, () => pool.call("countLoop", Math.min(n, 5_000_000))));
    const t = performance.now();
    const out = await Promise.all(Array.from({ length: tasks }, () => pool.call("countLoop", n)));
    const s = (performance.now() - t) / 1000;
    if (out.some((v) => v !== n)) throw new Error("wrong result");
    byWorkers[w] = seqS / s;
    await pool.close();
  }
  const headline = counts.includes(2) ? 2 : counts[counts.length - 1];
  return { metric: "speedup vs sequential", value: byWorkers[headline], unit: "x", byWorkers, extra: { n, tasks } };
}

/** tree_rss: the dispatch workload; bench/run.mjs samples the process tree's RSS while it runs. */
async function treeRss(pool) {
  const r = await dispatch(pool);
  return { metric: "peak tree RSS during dispatch", value: 0, unit: "MiB", extra: { dispatchTasksPerS: r.value } };
}

const WITH_POOL = {
  dispatch,
  map,
  data_in: (pool) => data(pool, false),
  data_roundtrip: (pool) => data(pool, true),
  data_size: dataSize,
  tree_rss: treeRss,
};
const OWN_POOL = { pool_start: poolStart, cpu_bound: cpuBound };
/**
 * Scenarios left out per runtime. Deno's node:worker_threads copies a 4 MiB Uint8Array in ~2 s
 * (measured: 4 posts of one through a MessageChannel took 9 s on deno 2.9), so the data scenarios
 * would take minutes a sample there; the pools' data figures are Node's and Bun's. cpu_bound runs on
 * Node only: a thread pool's speedup is the same curve on every runtime, and the full run's time
 * stays under ~15 minutes.
 */
const NOT_ON = {
  deno: new Set(["data_in", "data_roundtrip", "data_size", "cpu_bound"]),
  bun: new Set(["cpu_bound"]),
};
const RUNTIME = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
const HIGHER = { "tasks/s": true, "items/s": true, "MB/s": true, x: true };

async function main(argv) {
  const [poolName, scenario, arg] = argv;
  if (!poolName || !/^[a-z]+$/.test(poolName)) {
    process.stderr.write("usage: js_pool.mjs <piscina|tinypool|workerpool> <scenario|--list> [worker counts]\n");
    return 2;
  }
  if (scenario === "--list") {
    const known = [...Object.keys(WITH_POOL), ...Object.keys(OWN_POOL)].filter((n) => !NOT_ON[RUNTIME]?.has(n));
    process.stdout.write(known.join("\n") + "\n");
    return 0;
  }
  const run = NOT_ON[RUNTIME]?.has(scenario) ? undefined : WITH_POOL[scenario] ?? OWN_POOL[scenario];
  if (!run) {
    process.stderr.write(`js_pool.mjs: unknown scenario ${scenario}\n`);
    return 2;
  }
  const { createPool } = await import(`./${poolName}.mjs`);
  let result;
  if (OWN_POOL[scenario]) {
    const counts = (arg ?? "1,2").split(",").map(Number);
    result = await run(createPool, counts);
  } else {
    const pool = createPool(WORKERS);
    try {
      result = await run(pool);
    } finally {
      await pool.close();
    }
  }
  const line = { scenario, higherIsBetter: !!HIGHER[result.unit], ...result };
  line.extra = { ...line.extra, pool: poolName, workers: scenario === "cpu_bound" ? undefined : WORKERS };
  process.stdout.write(JSON.stringify(line) + "\n");
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
