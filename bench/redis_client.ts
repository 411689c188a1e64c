// The caller side of the Redis benchmark (bench/redis.mjs), on multiproc: connects to the cluster of
// worker nodes the runner started and prints ONE line of JSON. The runner passes a private JSON file
// (argv[3]: url, authkey, namespace, sizes, and for recovery the victim node's pids).
//
//   <runtime> bench/redis_client.ts throughput <config>   apply, map and round-trip latency
//   <runtime> bench/redis_client.ts recovery <config>     SIGKILL a node mid-run, time the recovery
import process from "node:process";
import { connect, isMainProcess, readAuthkey } from "./redis_lib.ts";
import { identity, noop, sleepTag } from "./fixtures/redis_tasks.mjs";

/** The p-th percentile (0..1) of sorted numbers, nearest rank. */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

if (isMainProcess(import.meta)) {
  const mode = process.argv[2];
  const config = JSON.parse(readAuthkey(process.argv[3]));
  await using cluster = await connect(config.url, { authkey: config.authkey, namespace: config.namespace });
  await using pool = new cluster.Pool(2);
  // Warm-up: both nodes' workers have imported the task module.
  await pool.map(noop, Array.from({ length: 8 }, (_, i) => i), { chunksize: 1 });
  if (mode === "throughput") {
    const n: number = config.tasks;
    let t = performance.now();
    const pending = [];
    for (let i = 0; i < n; i++) pending.push(pool.applyAsync(identity, [i]));
    let sum = 0;
    for (const r of pending) sum += await r.get() as number;
    const applyS = (performance.now() - t) / 1000;
    if (sum !== (n * (n - 1)) / 2) throw new Error("apply: wrong results");
    t = performance.now();
    const out = await pool.map(identity, Array.from({ length: n }, (_, i) => i), { chunksize: 1 });
    const mapS = (performance.now() - t) / 1000;
    if (out.length !== n || out[n - 1] !== n - 1) throw new Error("map: wrong results");
    const rtts: number[] = [];
    for (let i = 0; i < config.calls; i++) {
      const t1 = performance.now();
      if (await pool.apply(identity, [i]) !== i) throw new Error("apply: wrong result");
      rtts.push((performance.now() - t1) * 1000);
    }
    rtts.sort((a, b) => a - b);
    console.log(JSON.stringify({
      apply: n / applyS,
      map: n / mapS,
      p50: percentile(rtts, 0.5),
      p99: percentile(rtts, 0.99),
      tasks: n,
      calls: config.calls,
    }));
  } else if (mode === "recovery") {
    // Enough tasks that each node holds several when the victim dies; the victim is killed (with its
    // workers, as when its machine goes) when its first result arrives.
    const n: number = config.tasks;
    const victim: number[] = config.victim;
    const calls = new Array<number>(n).fill(0);
    let killedAt = 0;
    let outstandingAtKill = 0;
    let last = 0;
    let done = 0;
    let finish!: () => void;
    const all = new Promise<void>((r) => (finish = r));
    for (let i = 0; i < n; i++) {
      pool.applyAsync(sleepTag, [config.ms, i], {
        callback: (v) => {
          const [tag, pid] = v as [number, number];
          if (calls[tag]++ === 0) done++;
          last = performance.now();
          if (!killedAt && victim.includes(pid)) {
            for (const p of victim) {
              try {
                process.kill(p, "SIGKILL");
              } catch { /* gone already */ }
            }
            killedAt = performance.now();
            outstandingAtKill = n - done;
          }
          if (done === n) finish();
        },
      });
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([all, new Promise<void>((r) => (timer = setTimeout(r, config.capMs)))]);
    clearTimeout(timer);
    const lost = calls.filter((c) => c === 0).length;
    const duplicates = calls.reduce((s, c) => s + Math.max(0, c - 1), 0);
    console.log(JSON.stringify({
      recoveryMs: killedAt && lost === 0 ? last - killedAt : null,
      killed: killedAt > 0,
      outstandingAtKill,
      lost,
      duplicates,
      tasks: n,
    }));
    if (lost) await pool.terminate();
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
}
