#!/usr/bin/env node
// Runs the benchmark scenarios on every system — multiproc on Node, Deno and Bun; Python's
// multiprocessing as the reference; the JavaScript thread pools piscina, tinypool and workerpool on
// each runtime where they work (bench/_systems.mjs) — several times each, and writes a Markdown table
// (stdout and bench/results/latest.md), everything measured (bench/results/latest.json) and a chart
// (bench/results/latest.svg; a full run of every scenario on every system also writes docs/bench.svg).
// The thread systems (node-threads, deno-threads, bun-threads, python-threads) run the scenarios that
// have a thread twin with threads for workers; the report's Threads table sets them against the
// process system of the same runtime and against the JS pools, round by round.
//
//   npm run bench                                 every scenario: 1 warm-up round, then 5 rounds (~25 min on 2 CPUs)
//   npm run bench -- --quick                      ~2 min: a few scenarios, smaller sizes, 3 rounds, pools on Node only
//   npm run bench -- dispatch data_size           a subset (a name with no .bench.ts runs the peers only)
//   npm run bench -- scale                        opt-in: start 100 processes (not in the full run)
//   npm run bench -- --rounds 7 --warmup 0        how many samples / discarded rounds
//   npm run bench -- --workers 1,2,4              cpu_bound worker counts (default 1..CPUs and 2 × CPUs;
//                                                 quick: 1..CPUs)
//   npm run bench -- --svg out.svg                where the chart goes (as well as bench/results/latest.svg)
//   npm run bench -- --no-build                   use the dist/ already built (default: build it first)
//   npm run bench -- --replot                     redraw table and chart from bench/results/latest.json, no runs
//   BENCH_RUNTIMES=node,bun,piscina npm run bench restrict systems (node, deno, bun, python, node-threads,
//                                                 deno-threads, bun-threads, python-threads, piscina, tinypool,
//                                                 workerpool, piscina@deno, workerpool@deno, piscina@bun, ...)
//   BENCH_TIMEOUT=120                             per-program limit in seconds (default 120)
//
// How multiproc runs: as its users run it. Node and Bun load the built package (dist/, built once at the
// start with tsup unless --no-build), so their children run dist/bootstrap.js and dist/pool_worker.js;
// Deno loads the TypeScript source, as from JSR (bench/_lib.ts). The functions the pools run live in
// plain JavaScript (bench/fixtures/pool_tasks.mjs), shared by multiproc and the JS pools.
//
// Sampling: a round runs every system once on the scenario, back to back, in a fixed order
// (node deno bun python piscina … node deno bun python piscina …), so slow drifts in machine load hit
// every system alike; each program run is one sample, so a scenario's first call is always cold. Warm-up
// rounds run the same way and are discarded. A value is the median over rounds with its min–max; a
// ratio (to Python, to the best JS pool on the same runtime, or a thread system to the process system
// of its runtime) is the median (min–max) of the ratios taken round by round. Every system gets the
// same warm-up and the same number of rounds.
//
// Scenario contract: bench/<scenario>.bench.ts is a program, run as `<runtime> bench/<scenario>.bench.ts
// <scenario> [args]` from the repository root, that prints ONE line of JSON to stdout (other lines are
// ignored):
//   {"scenario": "<scenario>", "metric": "round trip", "value": 49.0, "unit": "µs",
//    "higherIsBetter": false, "extra": {...}, "peers": {"raw": 31.2}, "byWorkers": {"1": 0.98, "2": 1.9}}
// `peers` is optional: values measured in the same program without multiproc (e.g. "raw", the runtime's
// own spawn of an empty script; "transfer", a JS pool's figure with transfer lists), in the same unit as
// `value`. `byWorkers` / `bySize` are optional curves: the same metric at several worker counts
// (cpu_bound, which gets the counts as its argument) or payload sizes in bytes (data_size); each point
// becomes a row of its own. For tree_rss the runner samples the program's process tree (its RSS, every
// 10 ms, bench/_tree_rss.mjs) and the peak replaces `value`. BENCH_QUICK=1 in the environment asks for
// the quick sizes. The other systems — bench/python/peer.py and bench/peers/js_pool.mjs <pool> — print
// the same shape for the same scenario names and exit 2 for a scenario they do not know. The issue's
// targets (bench/_targets.mjs) are checked on every run and printed as the report's Targets section.

import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { renderSvg } from "./_chart.mjs";
import { pairedRatios, spread } from "./_stats.mjs";
import { systems as allSystems } from "./_systems.mjs";
import { convertUnit, formatBytes, formatSpread, lowerIsBetterUnit, renderMarkdown } from "./_table.mjs";
import { evaluateTargets, UNMEASURED } from "./_targets.mjs";
import { sampleTreeRss } from "./_tree_rss.mjs";

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(BENCH);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT ?? 120) * 1000;
/** The order of the table and chart: processes, messaging, pools, synchronisation, managers; others after. */
const ORDER = [
  "spawn",
  "thread_start",
  "threads_100",
  "pipe_rtt",
  "pipe_bytes",
  "queue_throughput",
  "queue_threads",
  "dispatch",
  "map",
  "data_in",
  "data_roundtrip",
  "data_size",
  "cpu_bound",
  "pool_start",
  "pool_terminate",
  "scale",
  "tree_rss",
  "lock_uncontended",
  "lock_contended",
  "lock_threads",
  "event_latency",
  "manager_dict",
];
/** What --quick runs: a pool's dispatch, the chart's size and speedup panels, and a thread's start. */
const QUICK_SCENARIOS = ["dispatch", "data_size", "cpu_bound", "thread_start"];
/** The systems --quick runs (the JS pools on Node only), unless BENCH_RUNTIMES says otherwise. */
const QUICK_SYSTEMS = [
  "node",
  "deno",
  "bun",
  "python",
  "node-threads",
  "deno-threads",
  "bun-threads",
  "python-threads",
  "piscina",
  "tinypool",
  "workerpool",
];
/** Scenarios run only when named (`npm run bench -- scale`): too slow for the full run's ~15 minutes. */
const OPT_IN = new Set(["scale"]);
/** Scenarios that take worker counts as their argument. */
const WORKER_SCENARIOS = new Set(["cpu_bound"]);
/** Scenarios whose value is the peak RSS of the program's process tree, sampled here (bench/_tree_rss.mjs). */
const TREE_RSS_SCENARIOS = new Set(["tree_rss"]);
/** Curves a result line may carry, each point a row of its own: field, entry key, row label. */
const CURVES = [
  { field: "byWorkers", key: "workers", label: (k) => `${k} worker${k === "1" ? "" : "s"}` },
  { field: "bySize", key: "size", label: (k) => formatBytes(Number(k)) },
];

const TTY = process.stderr.isTTY;
let progressShown = false;

/** A line that stays, above the progress line. */
function log(msg) {
  if (progressShown) process.stderr.write("\r\x1b[K");
  progressShown = false;
  process.stderr.write(msg + "\n");
}

/**
 * The progress line: rewritten in place on a terminal (and redrawn every second while a program runs,
 * so the clock moves), one line per update in a log.
 * @param {() => string} render
 */
function progress(render) {
  clearInterval(progress.ticker);
  const draw = () => {
    const msg = render();
    const width = process.stderr.columns || 120;
    process.stderr.write("\r\x1b[K" + (msg.length >= width ? msg.slice(0, width - 2) + "…" : msg));
    progressShown = true;
  };
  if (!TTY) return void process.stderr.write(render() + "\n");
  draw();
  progress.ticker = setInterval(draw, 1000);
  progress.ticker.unref();
}

function usage() {
  log(
    "usage: node bench/run.mjs [--quick] [--rounds N] [--warmup N] [--workers 1,2,4] [--svg PATH] [--no-build]\n" +
      "                          [scenario ...]\n" +
      "       node bench/run.mjs --replot [--svg PATH]\n" +
      "       env BENCH_RUNTIMES=node,deno,bun,python  BENCH_TIMEOUT=seconds",
  );
}

function parseArgs(argv) {
  const opts = { quick: false, names: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.startsWith("--") && a.includes("=") ? a.split(/=(.*)/s) : [a, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const count = (min) => {
      const v = value();
      const n = Number(v);
      if (!Number.isInteger(n) || n < min) throw new Error(`${flag} takes an integer >= ${min}, got ${v}`);
      return n;
    };
    if (flag === "-h" || flag === "--help") opts.help = true;
    else if (flag === "--quick") opts.quick = true;
    else if (flag === "--replot") opts.replot = true;
    else if (flag === "--no-build") opts.noBuild = true;
    else if (flag === "--rounds") opts.rounds = count(1);
    else if (flag === "--warmup") opts.warmup = count(0);
    else if (flag === "--svg") opts.svg = value();
    else if (flag === "--workers") {
      const v = value();
      if (!/^\d+(,\d+)*$/.test(v) || v.split(",").some((w) => Number(w) < 1)) {
        throw new Error(`--workers takes positive counts like 1,2,4, got ${v}`);
      }
      opts.workers = [...new Set(v.split(",").map(Number))].sort((x, y) => x - y);
    } else if (a.startsWith("-")) throw new Error(`unknown option ${a}`);
    else opts.names.push(a);
  }
  return opts;
}

/** 1..CPUs (powers of two past 8), and twice the CPUs to show what oversubscription costs. */
function defaultWorkerCounts(cpus) {
  const counts = new Set();
  for (let w = 1; w <= cpus; w = w < 8 ? w + 1 : w * 2) counts.add(w);
  counts.add(cpus);
  counts.add(2 * cpus);
  return [...counts].sort((a, b) => a - b);
}

function versionOf(system) {
  const [cmd, ...args] = system.versionCommand;
  const res = spawnSync(cmd, args, { cwd: ROOT, encoding: "utf8", timeout: 30_000 });
  if (res.error || res.status !== 0) return undefined;
  const text = `${res.stdout}${res.stderr}`.trim().split("\n")[0];
  return text.replace(/^(deno|Python)\s+/i, "").replace(/\s*\(.*$/, "").replace(/^v/, "");
}

/** Finds the JSON result line for `scenario` in a program's stdout. */
function parseResult(stdout, scenario) {
  const found = [];
  for (const line of stdout.split("\n")) {
    const t = line.trim();
    if (!t.startsWith("{")) continue;
    try {
      const obj = JSON.parse(t);
      if (obj && typeof obj === "object" && "value" in obj) found.push(obj);
    } catch { /* not our line */ }
  }
  return found.find((o) => o.scenario === scenario) ?? found.at(-1);
}

/** Numbers only, from a {name: number} object of a result line; complains about the rest. */
function numbers(obj, what, where) {
  const out = {};
  for (const [k, v] of Object.entries(obj ?? {})) {
    if (typeof v === "number" && Number.isFinite(v)) out[k] = v;
    else log(`  warning: ${where}: ${what} "${k}" is not a number, ignored`);
  }
  return Object.keys(out).length ? out : undefined;
}

let running; // the child being measured, so that Ctrl-C ends its whole process group too

function killGroup(child) {
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch { /* group already gone */ }
}

/** Runs one program to completion (or timeout) and returns one sample, or an error. */
function runOne(system, scenario, args, env) {
  const [cmd, ...pre] = system.argv(scenario);
  const started = performance.now();
  return new Promise((resolve) => {
    // Own process group, so a timeout (or children left behind) can be ended as one.
    const child = spawn(cmd, [...pre, scenario, ...args], {
      cwd: ROOT,
      detached: process.platform !== "win32",
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1", BENCH_RUNTIME: system.name, ...system.env(), ...env },
    });
    running = child;
    const rss = TREE_RSS_SCENARIOS.has(scenario) ? sampleTreeRss(child.pid) : undefined;
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr = (stderr + d).slice(-4000)));
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, TIMEOUT_MS);
    child.on("error", (err) => {
      clearTimeout(timer);
      running = undefined;
      resolve({ error: `could not start ${cmd}: ${err.message}`, wallS: 0 });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      running = undefined;
      const peak = rss?.stop();
      killGroup(child); // daemonic leftovers must not run into the next measurement
      const wallS = (performance.now() - started) / 1000;
      if (timedOut) return resolve({ error: `timed out after ${TIMEOUT_MS / 1000} s`, timedOut: true, wallS });
      const parsed = parseResult(stdout, scenario);
      if (code !== 0 || !parsed) {
        const why = code !== 0 ? `exit ${code ?? signal}` : "no JSON result line on stdout";
        const lines = stderr.split("\n").map((l) => l.trim()).filter(Boolean);
        const tail = lines.find((l) => /^(Uncaught )?(error|\w*Error\b)/i.test(l)) ?? lines.at(-1) ?? "";
        return resolve({ error: `${why}${tail ? `: ${tail}` : ""}`, wallS });
      }
      if (typeof parsed.value !== "number") {
        return resolve({ error: `"value" is not a number: ${JSON.stringify(parsed.value)}`, wallS });
      }
      const where = `${scenario} on ${system.name}`;
      const peers = numbers(parsed.peers, "peer", where);
      const byWorkers = numbers(parsed.byWorkers, "byWorkers count", where);
      const bySize = numbers(parsed.bySize, "bySize size", where);
      if (rss && !peak) return resolve({ error: "could not read the process tree's RSS from /proc", wallS });
      resolve({
        metric: parsed.metric,
        value: peak ? peak.peakMiB : parsed.value,
        unit: parsed.unit,
        higherIsBetter: typeof parsed.higherIsBetter === "boolean" ? parsed.higherIsBetter : undefined,
        ...(peers ? { peers } : {}),
        ...(byWorkers ? { byWorkers } : {}),
        ...(bySize ? { bySize } : {}),
        extra: { ...parsed.extra, ...(peak ? { treeRssSamples: peak.samples } : {}) },
        wallS,
      });
    });
  });
}

/**
 * Turns one scenario's runs into table/chart entries: one per scenario, or one per worker count when
 * the runs report byWorkers. Each entry has, per system, the samples by round and their spread, and per
 * non-reference system the round-by-round ratios to the reference system.
 */
function entriesOf(scenario, runs, systems, reference, rounds) {
  const ok = (r) => r && !r.error;
  const lead = systems.map((s) => runs[s.name]?.find(ok)).find(Boolean);
  if (!lead) return [];
  const unit = lead.unit;
  const higherIsBetter = lead.higherIsBetter ?? !lowerIsBetterUnit(unit);
  const status = {};
  for (const s of systems) {
    const rs = runs[s.name];
    if (rs?.length && !rs.some(ok)) status[s.name] = rs.some((r) => r.timedOut) ? "timeout" : "failed";
  }
  // Samples in the lead's unit: a system reporting another time unit (ms vs s) is converted.
  const inUnit = (r, v) => (r.unit === unit ? v : convertUnit(v, r.unit, unit));
  const pick = (name, get) =>
    Array.from({ length: rounds }, (_, i) => {
      const r = runs[name]?.[i];
      const v = ok(r) ? get(r) : undefined;
      return v === undefined ? undefined : inUnit(r, v);
    });
  const curve = CURVES.find((c) => systems.some((s) => (runs[s.name] ?? []).some((r) => r?.[c.field])));
  const keys = curve
    ? [...new Set(systems.flatMap((s) => (runs[s.name] ?? []).flatMap((r) => Object.keys(r?.[curve.field] ?? {}))))]
      .sort((a, b) => Number(a) - Number(b))
    : [];
  const variants = keys.length
    ? keys.map((k) => ({
      id: `${scenario}/${k}`,
      label: `${scenario} · ${curve.label(k)}`,
      [curve.key]: Number(k),
      curve: true,
      get: (r) => r[curve.field]?.[k],
    }))
    : [{ id: scenario, label: scenario, get: (r) => r.value }];
  return variants.map((v) => {
    const samples = {};
    const stats = {};
    for (const s of systems) {
      if (!runs[s.name]) continue;
      samples[s.name] = pick(s.name, v.get);
      const st = spread(samples[s.name]);
      if (st) stats[s.name] = st;
    }
    const ratios = {};
    if (reference && samples[reference]) {
      for (const s of systems) {
        if (!s.multiproc || s.kind || !samples[s.name]) continue;
        const st = spread(pairedRatios(samples[s.name], samples[reference], higherIsBetter));
        if (st) ratios[s.name] = st;
      }
    }
    // vs the best JS pool on the same runtime, round by round (the pools' own value: copying).
    const bestOf = (pools, series) =>
      Array.from({ length: rounds }, (_, i) => {
        const vals = pools.map((p) => series(p)[i]).filter((x) => x !== undefined);
        return vals.length ? (higherIsBetter ? Math.max(...vals) : Math.min(...vals)) : undefined;
      });
    const poolsOf = (s) => systems.filter((p) => p.pool && p.runtime === s.runtime && samples[p.name]);
    const poolRatios = {};
    for (const s of systems.filter((x) => x.multiproc && samples[x.name])) {
      const pools = poolsOf(s);
      if (!pools.length) continue;
      const st = spread(pairedRatios(samples[s.name], bestOf(pools, (p) => samples[p.name]), higherIsBetter));
      if (st) poolRatios[s.name] = st;
    }
    // A thread system vs the process system of its runtime (node-threads vs node), round by round.
    const kindRatios = {};
    for (const s of systems.filter((x) => x.kind === "thread" && samples[x.name])) {
      const twin = systems.find((p) => p.runtime === s.runtime && !p.kind && !p.pool && samples[p.name]);
      const st = twin && spread(pairedRatios(samples[s.name], samples[twin.name], higherIsBetter));
      if (st) kindRatios[s.name] = st;
    }
    const peers = {};
    const peerRatios = {};
    const transferPoolRatios = {};
    if (!v.curve) {
      const peerNames = new Set(
        systems.flatMap((s) => (runs[s.name] ?? []).flatMap((r) => Object.keys(r?.peers ?? {}))),
      );
      for (const p of peerNames) {
        for (const s of systems) {
          const ps = pick(s.name, (r) => r.peers?.[p]);
          const st = spread(ps);
          if (!st) continue;
          (peers[p] ??= {})[s.name] = st;
          const rs = spread(pairedRatios(samples[s.name] ?? [], ps, higherIsBetter));
          if (rs) (peerRatios[p] ??= {})[s.name] = rs;
        }
      }
      // "+ transfer": a multiproc system's transfer figure vs the best JS pool's, round by round.
      const transferOf = (name) => pick(name, (r) => r.peers?.transfer);
      for (const s of systems.filter((x) => x.multiproc && peers.transfer?.[x.name])) {
        const pools = poolsOf(s).filter((p) => peers.transfer[p.name]);
        if (!pools.length) continue;
        const st = spread(pairedRatios(transferOf(s.name), bestOf(pools, (p) => transferOf(p.name)), higherIsBetter));
        if (st) transferPoolRatios[s.name] = st;
      }
    }
    return {
      id: v.id,
      scenario,
      label: v.label,
      ...(v.workers ? { workers: v.workers } : {}),
      ...(v.size ? { size: v.size } : {}),
      metric: lead.metric,
      unit,
      higherIsBetter,
      samples,
      stats,
      ratios,
      ...(Object.keys(poolRatios).length ? { poolRatios } : {}),
      ...(Object.keys(kindRatios).length ? { kindRatios } : {}),
      ...(Object.keys(transferPoolRatios).length ? { transferPoolRatios } : {}),
      ...(Object.keys(status).length ? { status } : {}),
      ...(Object.keys(peers).length ? { peers, peerRatios } : {}),
    };
  });
}

function inOrder(names) {
  const rank = (n) => (ORDER.includes(n) ? ORDER.indexOf(n) : ORDER.length);
  return names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function clock(s) {
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.floor(s % 60)).padStart(2, "0")}`;
}

/**
 * Writes bench/results/latest.{json,md,svg}, and the chart to `chart` too when given (docs/bench.svg
 * for a complete run: every scenario, every system, full sizes), and prints the table.
 */
function writeReport(report, chart, note) {
  report.targets = evaluateTargets(report);
  report.unmeasuredTargets = UNMEASURED;
  const md = renderMarkdown(report);
  const svg = renderSvg(report);
  const outDir = path.join(BENCH, "results");
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, "latest.json"), JSON.stringify(report, null, 2) + "\n");
  writeFileSync(path.join(outDir, "latest.md"), md);
  writeFileSync(path.join(outDir, "latest.svg"), svg);
  const shown = (
    p,
  ) => (path.relative(process.cwd(), p).startsWith("..") ? path.resolve(p) : path.relative(process.cwd(), p));
  const written = ["latest.json", "latest.md", "latest.svg"].map((f) => shown(path.join(outDir, f)));
  if (chart) {
    writeFileSync(chart, svg);
    written.push(shown(chart));
  }
  process.stdout.write("\n" + md);
  log(`\nwrote ${written.join(", ")} (${note})`);
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    usage();
    log(err.message);
    return 2;
  }
  if (opts.help) return usage(), 0;
  if (opts.replot) {
    const report = JSON.parse(readFileSync(path.join(BENCH, "results", "latest.json"), "utf8"));
    writeReport(report, opts.svg ?? (report.complete ? path.join(ROOT, "docs", "bench.svg") : undefined), "redrawn");
    return 0;
  }
  const quick = opts.quick;
  const rounds = opts.rounds ?? (quick ? 3 : 5);
  const warmup = opts.warmup ?? (quick ? 0 : 1);
  const cpus = os.availableParallelism?.() ?? os.cpus().length;
  // Oversubscription costs a pool of 2 × CPUs per run on every system: not in a quick run.
  const workers = opts.workers ?? (quick ? Array.from({ length: cpus }, (_, i) => i + 1) : defaultWorkerCounts(cpus));

  const registry = allSystems(ROOT);
  const names = registry.map((s) => s.name);
  const requested = (process.env.BENCH_RUNTIMES ?? (quick ? QUICK_SYSTEMS : names).join(","))
    .split(",").map((s) => s.trim()).filter(Boolean);
  const bad = requested.filter((r) => !names.includes(r));
  if (bad.length) return log(`BENCH_RUNTIMES: unknown system(s) ${bad.join(", ")}; use ${names.join(", ")}`), 2;

  const versions = {};
  const systems = [];
  for (const s of registry.filter((s) => requested.includes(s.name))) {
    const v = versionOf(s);
    if (!v) {
      log(`${s.name}: not available (${s.versionCommand[0]}), skipped`);
      continue;
    }
    if (!s.kind) versions[s.name] = v; // a thread system runs its runtime's version
    systems.push(s);
  }
  const reference = systems.find((s) => s.reference)?.name;

  const known = new Set(systems.flatMap((s) => [...s.scenarios()]));
  const tsKnown = registry.find((s) => s.multiproc)?.scenarios() ?? new Set();
  // docs/bench.svg is only replaced by a full run: every scenario, every system, full sizes.
  const fullSet = !opts.names.length && !quick && systems.length === registry.length;
  // Node and Bun run the built package, as npm users do (bench/_lib.ts): build it once, now.
  if (!opts.noBuild && systems.some((s) => s.multiproc && s.name !== "deno")) {
    const t = performance.now();
    const res = spawnSync(path.join(ROOT, "node_modules", ".bin", "tsup"), [], { cwd: ROOT, encoding: "utf8" });
    if (res.error || res.status !== 0) {
      log(`npm run build failed (use --no-build to run the dist/ already there):\n${res.stderr || res.error}`);
      return 1;
    }
    log(`built dist/ for node and bun (${((performance.now() - t) / 1000).toFixed(1)} s)`);
  }
  const scenarioNames = opts.names.length
    ? [...new Set(opts.names)]
    : (quick ? QUICK_SCENARIOS : inOrder([...tsKnown].filter((n) => !OPT_IN.has(n)))).filter((n) => known.has(n));
  for (const n of scenarioNames) {
    if (!known.has(n)) return log(`unknown scenario "${n}": no bench/${n}.bench.ts and no peer knows it`), 2;
  }
  if (!scenarioNames.length || !systems.length) return log("nothing to run"), 0;

  // The whole plan up front, so the progress line can count.
  const plan = [];
  for (const name of scenarioNames) {
    const runners = systems.filter((s) => s.argv(name));
    for (let round = 0; round < warmup + rounds; round++) {
      for (const s of runners) plan.push({ name, system: s, round });
    }
  }
  const env = quick ? { BENCH_QUICK: "1" } : { BENCH_QUICK: "0" };
  log(
    `${quick ? "quick run: " : ""}${scenarioNames.length} scenario(s) × ${systems.map((s) => s.name).join("/")}, ` +
      `${warmup} warm-up + ${rounds} round${rounds > 1 ? "s" : ""}, ${plan.length} program runs` +
      (scenarioNames.some((n) => WORKER_SCENARIOS.has(n)) ? `; cpu_bound workers ${workers.join(",")}` : ""),
  );

  process.on("SIGINT", () => {
    if (running) killGroup(running);
    log("\ninterrupted");
    process.exit(130);
  });

  const t0 = performance.now();
  const scenarios = [];
  const failures = [];
  let done = 0;
  for (const name of scenarioNames) {
    const runs = {};
    const skipped = {};
    for (const s of systems) {
      if (s.argv(name)) runs[s.name] = [];
      else {
        skipped[s.name] = s.kind === "thread"
          ? "no thread twin"
          : s.multiproc
          ? "no TypeScript scenario file"
          : `${s.name} has no peer for this scenario`;
      }
    }
    const args = WORKER_SCENARIOS.has(name) ? [workers.join(",")] : [];
    for (const step of plan.filter((p) => p.name === name)) {
      const { system: s, round } = step;
      const warm = round < warmup;
      const start = (performance.now() - t0) / 1000;
      const left = done ? (start / done) * (plan.length - done) : undefined;
      const what = `[${done + 1}/${plan.length}] ${s.name} ${name} ` +
        (warm ? `warm-up ${round + 1}/${warmup}` : `round ${round - warmup + 1}/${rounds}`);
      progress(() => {
        const now = (performance.now() - t0) / 1000;
        return `${what} … ${clock(now)} elapsed` +
          (left !== undefined ? `, ~${clock(Math.max(0, left - (now - start)))} left` : "");
      });
      const res = await runOne(s, name, args, env);
      clearInterval(progress.ticker);
      done++;
      if (res.error) {
        log(
          `${name} on ${s.name}, ${warm ? "warm-up" : "round"} ${warm ? round + 1 : round - warmup + 1}: FAILED ` +
            `(${res.wallS.toFixed(1)} s): ${res.error}`,
        );
      }
      if (warm) continue;
      runs[s.name][round - warmup] = res;
      if (res.error) failures.push({ scenario: name, system: s.name, round: round - warmup + 1, error: res.error });
    }
    const entries = entriesOf(name, runs, systems, reference, rounds);
    for (const e of entries) {
      log(
        `${e.label.padEnd(26)} ` + systems.filter((s) => runs[s.name])
          .map((s) => `${s.name} ${formatSpread(e.stats[s.name], rounds)}`).join("  ") +
          `  ${e.unit ?? ""}`,
      );
    }
    scenarios.push({ scenario: name, args, runs, ...(Object.keys(skipped).length ? { skipped } : {}), entries });
  }
  if (progressShown) log("");

  const report = {
    date: new Date().toISOString(),
    host: { platform: process.platform, arch: process.arch, cpus, cpuModel: os.cpus()[0]?.model?.trim() },
    versions,
    systems: systems.map((s) => ({
      name: s.name,
      color: s.color,
      multiproc: s.multiproc,
      reference: !!s.reference,
      runtime: s.runtime,
      ...(s.pool ? { pool: s.pool } : {}),
      ...(s.kind ? { kind: s.kind } : {}),
    })),
    reference,
    quick,
    complete: fullSet,
    rounds,
    warmup,
    workers,
    timeoutS: TIMEOUT_MS / 1000,
    totalS: (performance.now() - t0) / 1000,
    entries: scenarios.flatMap((s) => s.entries),
    failures,
    scenarios: scenarios.map(({ entries: _, ...s }) => s),
  };
  writeReport(
    report,
    opts.svg ?? (fullSet ? path.join(ROOT, "docs", "bench.svg") : undefined),
    `${clock(report.totalS)} for ${plan.length} program runs`,
  );
  return failures.length ? 1 : 0;
}

process.exitCode = await main();
