#!/usr/bin/env node
// The Redis benchmark: multiproc/redis on Node, Deno and Bun against BullMQ (on Node, and on Bun),
// the job queue a user would pick instead, on ONE redis-server this program starts (a free loopback
// port, persistence off, a random password; stopped at the end). Its own runner, not bench/run.mjs:
// a sample here needs a server and two worker-node processes around the caller, which the
// one-program-per-sample contract of run.mjs has no place for.
//
//   node bench/redis.mjs                      1 warm-up round, 5 rounds, 10 recovery runs (~10 min on 2 CPUs)
//   node bench/redis.mjs --quick              ~1.5 min: smaller batches, 2 rounds, 2 recovery runs, no warm-up
//   node bench/redis.mjs --rounds 7 --warmup 0 --recovery 10 --bullmq-recovery 2
//   node bench/redis.mjs --no-build           use the dist/ already built (default: build it first)
//   BENCH_SYSTEMS=multiproc-node,bullmq-node  restrict systems
//
// Systems: multiproc-node, multiproc-deno, multiproc-bun (the caller and both worker nodes on that
// runtime; Node and Bun load dist/, built with the package build (tsup), Deno the source, as
// bench/redis_lib.ts says), bullmq-node and bullmq-bun (BullMQ 6 with ioredis, its default client).
// Every system runs the same task functions (bench/fixtures/redis_tasks.mjs) on 2 worker nodes, each
// a process of its own: a multiproc node with a local pool of 1 worker process, which holds up to 4
// tasks (its read-ahead); a BullMQ Worker at concurrency 4, the same depth.
//
// Workloads, each sample a fresh pair of nodes and one caller program (bench/redis_client.ts,
// bench/peers/bullmq_client.mjs):
//   startup      ms from spawning a node's process until it is ready to take tasks (both nodes' median)
//   apply        N trivial tasks (identity) submitted one call each (Pool.applyAsync; BullMQ
//                Queue.add), then all awaited: tasks/s
//   map          the same N through one batch call (Pool.map, chunksize 1; BullMQ Queue.addBulk by 1000)
//   p50 / p99    sequential single calls (Pool.apply; Queue.add then its completed event): round trip
//   recovery     16 tasks that sleep 25 ms; when the first result from node A arrives, node A and its
//                workers are SIGKILLed; the time from the kill until the last task has completed (its
//                tasks re-run on node B), and lost / duplicate results (each task's callback counted),
//                over --recovery runs (BullMQ: --bullmq-recovery runs, each capped at 90 s: its
//                stalled-job check runs every 30 s by default)
//
// Sampling, as bench/run.mjs: a round runs every system once, back to back in a fixed order, so drifts
// in machine load hit all alike; warm-up rounds are discarded; a value is the median over rounds with
// its min–max. Writes bench/results/redis.md (also printed) and bench/results/redis.json.

import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import { spread } from "./_stats.mjs";
import { startRedis } from "../tests/_redis.ts";
import { sweepStaleTrees } from "../src/core/node.ts";

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(BENCH);
const bin = (name) => path.join(ROOT, "node_modules", ".bin", name);

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const QUICK = flag("--quick");
const ROUNDS = opt("--rounds", QUICK ? 2 : 5);
const WARMUP = opt("--warmup", QUICK ? 0 : 1);
const RECOVERY = opt("--recovery", QUICK ? 2 : 10);
const BULLMQ_RECOVERY = opt("--bullmq-recovery", QUICK ? 0 : 2);
const TASKS = QUICK ? 4000 : 20000;
const CALLS = QUICK ? 300 : 2000;
const RECOVERY_TASKS = 16;
const RECOVERY_MS = 25;
const CAP_MS = 90_000;
const CONCURRENCY = 4;

const RUNTIMES = { node: [bin("node")], deno: [bin("deno"), "run", "-A"], bun: [bin("bun")] };
const ALL = [
  { name: "multiproc-node", kind: "mp", runtime: "node" },
  { name: "multiproc-deno", kind: "mp", runtime: "deno" },
  { name: "multiproc-bun", kind: "mp", runtime: "bun" },
  { name: "bullmq-node", kind: "bullmq", runtime: "node" },
  { name: "bullmq-bun", kind: "bullmq", runtime: "bun" },
];
const only = process.env.BENCH_SYSTEMS?.split(",");
const SYSTEMS = ALL.filter((s) => !only || only.includes(s.name));

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mp-redis-bench-"));
fs.chmodSync(tmp, 0o700);
let configs = 0;
/** A private config file (it holds the Redis password and the authkey, kept out of argv and env). */
function writeConfig(obj) {
  const file = path.join(tmp, `c${configs++}.json`);
  fs.writeFileSync(file, JSON.stringify(obj), { mode: 0o600 });
  return file;
}

/** Runs a program to its end; resolves with its stdout (rejects on a non-zero exit or timeout). */
function run(argv, timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${argv.slice(0, 3).join(" ")} exited ${code ?? signal}: ${err.trim().slice(-800)}`));
    });
  });
}

/** Starts a node; resolves once it printed "ready", with its startup time and pids. */
function startNode(argv) {
  const t0 = performance.now();
  const child = spawn(argv[0], argv.slice(1), { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`node not ready in 60 s: ${err.slice(-800)}`));
    }, 60_000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = /^ready \S+ (\S+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, startupMs: performance.now() - t0, pids: m[1].split(",").map(Number), err: () => err });
      }
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`node exited ${code ?? signal} before ready: ${err.trim().slice(-800)}`));
    });
  });
}

/** Stops a node: SIGTERM, then SIGKILL after 10 s. */
async function stopNode(node) {
  const c = node.child;
  if (c.exitCode !== null || c.signalCode !== null) return;
  const gone = new Promise((r) => c.once("exit", r));
  c.kill("SIGTERM");
  const t = setTimeout(() => c.kill("SIGKILL"), 10_000);
  await gone;
  clearTimeout(t);
}

let server;
let flushClient;
/** Empties the server between samples, so no sample pays for the last one's leftovers. */
async function flush() {
  await flushClient.call("FLUSHALL");
}

/** One sample of one system: start 2 nodes, run the caller in `mode`, stop the nodes. */
async function sample(sys, mode) {
  await flush();
  const rt = RUNTIMES[sys.runtime];
  const id = randomBytes(4).toString("hex");
  const base = { url: server.url, tasks: mode === "recovery" ? RECOVERY_TASKS : TASKS, calls: CALLS };
  const nodeCfg = sys.kind === "mp"
    ? (i) => writeConfig({ ...base, authkey: randomKey, namespace: `bench-${id}`, processes: 1, name: `n${i}` })
    : () => writeConfig({ ...base, queue: `bench-${id}`, concurrency: CONCURRENCY });
  const nodeProgram = sys.kind === "mp" ? "bench/redis_node.ts" : "bench/peers/bullmq_worker.mjs";
  const nodes = [];
  try {
    for (const i of [0, 1]) nodes.push(await startNode([...rt, nodeProgram, nodeCfg(i)]));
    const cfg = sys.kind === "mp"
      ? { ...base, authkey: randomKey, namespace: `bench-${id}` }
      : { ...base, queue: `bench-${id}` };
    const clientProgram = sys.kind === "mp" ? "bench/redis_client.ts" : "bench/peers/bullmq_client.mjs";
    const extra = mode === "recovery" ? { victim: nodes[0].pids, ms: RECOVERY_MS, capMs: CAP_MS } : {};
    const out = await run([...rt, clientProgram, mode, writeConfig({ ...cfg, ...extra })], CAP_MS + 60_000);
    const line = out.split("\n").find((l) => l.startsWith("{"));
    if (!line) throw new Error(`no result line from ${sys.name}: ${out.slice(-400)}`);
    return { ...JSON.parse(line), startupMs: (nodes[0].startupMs + nodes[1].startupMs) / 2 };
  } finally {
    for (const n of nodes) await stopNode(n);
  }
}

const randomKey = randomBytes(24).toString("hex");

function build() {
  if (flag("--no-build")) return;
  const r = spawnSync(bin("tsup"), [], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`build failed: ${r.stderr}`);
}

function version(sys) {
  const r = spawnSync(RUNTIMES[sys.runtime][0], ["--version"], { encoding: "utf8" });
  return (r.stdout || "").trim().split("\n")[0];
}

const fmt = (s, digits = 0, scale = 1) =>
  s
    ? `${(s.median * scale).toFixed(digits)} (${(s.min * scale).toFixed(digits)}–${(s.max * scale).toFixed(digits)})`
    : "—";

function renderMarkdown(result) {
  const lines = [];
  lines.push(`# Redis benchmark`, "");
  lines.push(
    `${result.date}, ${result.machine}; redis-server ${result.redis}; ${result.rounds} rounds after ` +
      `${result.warmup} warm-up; ${result.tasks} tasks a batch, ${result.calls} sequential calls; 2 worker nodes ` +
      `(multiproc: 1 worker process each; BullMQ: concurrency ${CONCURRENCY}). Median (min–max) over rounds. ` +
      `\`node bench/redis.mjs${result.quick ? " --quick" : ""}\`.`,
    "",
  );
  lines.push("| system | apply tasks/s | map tasks/s | round trip p50 ms | p99 ms | node startup ms |");
  lines.push("| --- | ---: | ---: | ---: | ---: | ---: |");
  for (const [name, s] of Object.entries(result.systems)) {
    const st = Object.fromEntries(
      ["apply", "map", "p50", "p99", "startupMs"].map((k) => [k, spread(s.rounds.map((r) => r?.[k]))]),
    );
    lines.push(
      `| ${name} | ${fmt(st.apply)} | ${fmt(st.map)} | ${fmt(st.p50, 2, 1e-3)} | ${fmt(st.p99, 2, 1e-3)} | ${
        fmt(st.startupMs)
      } |`,
    );
  }
  lines.push("");
  lines.push(
    `Recovery: ${RECOVERY_TASKS} tasks of ${RECOVERY_MS} ms on 2 nodes; node A (with its workers) SIGKILLed when ` +
      `its first result arrives; time from the kill until every task has a result (node A's re-run on node B).`,
    "",
  );
  lines.push("| system | runs | recovery s, median (min–max) | lost | duplicates | tasks outstanding at kill |");
  lines.push("| --- | ---: | ---: | ---: | ---: | ---: |");
  for (const [name, s] of Object.entries(result.systems)) {
    if (!s.recovery.length) continue;
    const ok = s.recovery.filter((r) => r && !r.error);
    const capped = ok.filter((r) => r.recoveryMs === null).length;
    const rec = spread(ok.map((r) => r.recoveryMs).filter((x) => x !== null));
    const failed = s.recovery.length - ok.length;
    lines.push(
      `| ${name} | ${s.recovery.length}${failed ? ` (${failed} failed)` : ""} | ${
        capped ? `> ${CAP_MS / 1000} s in ${capped}; ` : ""
      }${fmt(rec, 2, 1e-3)} | ${ok.reduce((a, r) => a + r.lost, 0)} | ${ok.reduce((a, r) => a + r.duplicates, 0)} | ${
        fmt(spread(ok.map((r) => r.outstandingAtKill)))
      } |`,
    );
  }
  lines.push("");
  lines.push("Targets (issue 12), per multiproc system:", "");
  for (const [name, s] of Object.entries(result.systems)) {
    if (!name.startsWith("multiproc")) continue;
    const med = (k) => spread(s.rounds.map((r) => r?.[k]))?.median;
    const ok = s.recovery.filter((r) => r && !r.error);
    const rec = spread(ok.map((r) => r.recoveryMs).filter((x) => x !== null));
    const mark = (b) => (b ? "met" : "NOT met");
    const best = Math.max(med("apply") ?? 0, med("map") ?? 0);
    lines.push(
      `- ${name}: ≥ 15k tasks/s ${mark(best >= 15000)} (${best.toFixed(0)}); p50 ≤ 1 ms ${
        mark((med("p50") ?? Infinity) <= 1000)
      } (${((med("p50") ?? NaN) / 1000).toFixed(2)} ms); recovery ≤ 2.5 s with 0 lost / 0 duplicates ${
        mark(
          ok.length > 0 && ok.length === s.recovery.length && (rec?.max ?? Infinity) <= 2500 &&
            ok.every((r) => r.lost === 0 && r.duplicates === 0),
        )
      } (max ${((rec?.max ?? NaN) / 1000).toFixed(2)} s over ${ok.length} runs)`,
    );
  }
  lines.push("");
  lines.push(
    "Versions: " + Object.entries(result.versions).map(([n, v]) => `${n} ${v}`).join(", ") + "; BullMQ " +
      result.bullmq + ".",
    "",
  );
  const errors = Object.entries(result.systems).flatMap(([n, s]) => s.errors.map((e) => `- ${n}: ${e}`));
  if (errors.length) lines.push("Failures:", "", ...errors, "");
  return lines.join("\n");
}

async function main() {
  build();
  server = await startRedis();
  const { Redis } = await import("ioredis");
  const u = new URL(server.url);
  flushClient = new Redis({ host: u.hostname, port: Number(u.port), password: server.password, lazyConnect: true });
  await flushClient.connect();
  const redisVersion = /redis_version:(\S+)/.exec(await flushClient.call("INFO", "server"))?.[1];
  const result = {
    date: new Date().toISOString(),
    machine: `${os.cpus().length} CPUs, ${os.cpus()[0]?.model ?? "?"}`,
    redis: redisVersion,
    quick: QUICK,
    rounds: ROUNDS,
    warmup: WARMUP,
    tasks: TASKS,
    calls: CALLS,
    versions: {},
    bullmq: JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", "bullmq", "package.json"), "utf8")).version,
    systems: {},
  };
  for (const s of SYSTEMS) {
    result.versions[s.name] = version(s);
    result.systems[s.name] = { rounds: [], recovery: [], errors: [] };
  }
  try {
    for (let r = -WARMUP; r < ROUNDS; r++) {
      for (const s of SYSTEMS) {
        const t = performance.now();
        let v;
        try {
          v = await sample(s, "throughput");
        } catch (e) {
          result.systems[s.name].errors.push(`round ${r}: ${e.message.split("\n")[0]}`);
        }
        if (r >= 0) result.systems[s.name].rounds.push(v);
        console.error(
          `${r < 0 ? "warm-up" : `round ${r + 1}/${ROUNDS}`} ${s.name}: ${
            v
              ? `apply ${v.apply.toFixed(0)}/s map ${v.map.toFixed(0)}/s p50 ${(v.p50 / 1000).toFixed(2)} ms ` +
                `startup ${v.startupMs.toFixed(0)} ms`
              : "failed"
          } (${((performance.now() - t) / 1000).toFixed(1)} s)`,
        );
      }
    }
    for (let k = 0; k < RECOVERY; k++) {
      for (const s of SYSTEMS) {
        if (s.kind === "bullmq" && k >= BULLMQ_RECOVERY) continue;
        let v;
        try {
          v = await sample(s, "recovery");
        } catch (e) {
          v = { error: e.message.split("\n")[0] };
          result.systems[s.name].errors.push(`recovery ${k}: ${v.error}`);
        }
        result.systems[s.name].recovery.push(v);
        console.error(`recovery ${k + 1}/${RECOVERY} ${s.name}: ${JSON.stringify(v)}`);
      }
    }
  } finally {
    flushClient.disconnect();
    await server.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
    // A node SIGKILLed by a recovery run leaves its socket folder for the next multiproc program's
    // sweep; when it was the last one, nothing else would sweep it.
    sweepStaleTrees(os.tmpdir());
  }
  const md = renderMarkdown(result);
  fs.mkdirSync(path.join(BENCH, "results"), { recursive: true });
  fs.writeFileSync(path.join(BENCH, "results", "redis.json"), JSON.stringify(result, null, 2) + "\n");
  fs.writeFileSync(path.join(BENCH, "results", "redis.md"), md);
  console.log(md);
}

await main();
