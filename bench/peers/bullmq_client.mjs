// The BullMQ peer's caller for bench/redis.mjs, the same workloads as bench/redis_client.ts: results
// come back as users get them, through QueueEvents' "completed" events (the return value rides in
// the event). Jobs are removed once completed (removeOnComplete), as a high-throughput user sets it,
// and the events stream keeps enough entries for a whole batch (with the default 10 000, a caller busy
// adding 4000 jobs fell behind the stream and lost completed events to trimming). Prints ONE line of JSON.
//
//   node bench/peers/bullmq_client.mjs throughput <config>   add (one job a call), addBulk, round trip
//   node bench/peers/bullmq_client.mjs recovery <config>     SIGKILL a worker mid-run, time the recovery
import process from "node:process";
import { Queue, QueueEvents } from "bullmq";
import { connection, readConfig } from "./bullmq_common.mjs";

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

const mode = process.argv[2];
const config = readConfig(process.argv[3]);
const conn = connection(config.url);
const queue = new Queue(config.queue, {
  connection: conn,
  streams: { events: { maxLen: 10 * (config.tasks ?? 0) + 10_000 } },
  defaultJobOptions: { removeOnComplete: true },
});
// From the stream's start: the queue is new, and its first XREAD may come after the first events.
const events = new QueueEvents(config.queue, { connection: conn, lastEventId: "0-0" });
await events.waitUntilReady();
await queue.waitUntilReady();

// Results by job id; a result may come before add() has returned the job's id.
const results = new Map();
const waiters = new Map();
let onAny = () => {};
events.on("completed", ({ jobId, returnvalue }) => {
  const v = typeof returnvalue === "string" ? JSON.parse(returnvalue) : returnvalue;
  const w = waiters.get(jobId);
  if (w) {
    waiters.delete(jobId);
    w(v);
  } else results.set(jobId, v);
  onAny(jobId, v);
});
const result = (id) => results.has(id) ? Promise.resolve(results.get(id)) : new Promise((r) => waiters.set(id, r));

try {
  // Warm-up, as on the multiproc side: both workers have run a job.
  const warm = await queue.addBulk(Array.from({ length: 8 }, () => ({ name: "noop", data: [] })));
  await Promise.all(warm.map((j) => result(j.id)));
  if (mode === "throughput") {
    const n = config.tasks;
    let t = performance.now();
    const adds = [];
    for (let i = 0; i < n; i++) adds.push(queue.add("identity", [i]).then((j) => result(j.id)));
    let sum = 0;
    for (const v of await Promise.all(adds)) sum += v;
    const applyS = (performance.now() - t) / 1000;
    if (sum !== (n * (n - 1)) / 2) throw new Error("add: wrong results");
    t = performance.now();
    const jobs = [];
    for (let i = 0; i < n; i += 1000) {
      const part = Array.from({ length: Math.min(1000, n - i) }, (_, k) => ({ name: "identity", data: [i + k] }));
      jobs.push(...await queue.addBulk(part));
    }
    const out = await Promise.all(jobs.map((j) => result(j.id)));
    const mapS = (performance.now() - t) / 1000;
    if (out.length !== n || out[n - 1] !== n - 1) throw new Error("addBulk: wrong results");
    const rtts = [];
    for (let i = 0; i < config.calls; i++) {
      const t1 = performance.now();
      const job = await queue.add("identity", [i]);
      if (await result(job.id) !== i) throw new Error("wrong result");
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
    const n = config.tasks;
    const victim = config.victim;
    const calls = new Array(n).fill(0);
    let killedAt = 0;
    let outstandingAtKill = 0;
    let last = 0;
    let done = 0;
    let finish;
    const all = new Promise((r) => (finish = r));
    onAny = (_jobId, v) => {
      if (!Array.isArray(v)) return; // the warm-up's noop results are null
      const [tag, pid] = v;
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
    };
    await queue.addBulk(Array.from({ length: n }, (_, i) => ({ name: "sleepTag", data: [config.ms, i] })));
    let timer;
    await Promise.race([all, new Promise((r) => (timer = setTimeout(r, config.capMs)))]);
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
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
} finally {
  await events.close();
  await queue.close();
}
