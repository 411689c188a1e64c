#!/usr/bin/env node
// Runs every benchmark scenario on Node, Deno and Bun, and Python's multiprocessing as the peer,
// one after another in this run, then prints a Markdown table of values and ratios and writes
// bench/results/latest.{json,md}.
//
//   npm run bench                              all bench/*.bench.ts scenarios
//   npm run bench -- pipe_rtt queue_throughput a subset (a name with no .bench.ts runs Python only)
//   BENCH_RUNTIMES=node,bun npm run bench      restrict runtimes (node, deno, bun, python)
//   BENCH_TIMEOUT=120                          per-run limit in seconds (default 120)
//
// Scenario contract: bench/<scenario>.bench.ts is a program, run as `<runtime> bench/<scenario>.bench.ts
// <scenario>` from the repository root, that prints ONE line of JSON to stdout (other lines are ignored):
//   {"scenario": "<scenario>", "metric": "round trip", "value": 49.0, "unit": "µs",
//    "higherIsBetter": false, "extra": {...}, "peers": {"raw": 31.2}}
// `peers` is optional: values measured in the same program without multiproc (e.g. "raw", the runtime's
// own spawn of an empty script), in the same unit and orientation as `value`. bench/python/peer.py
// prints the same shape for the same scenario names and exits 2 for a scenario it does not know.

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { betterRatio, convertUnit, formatNumber, lowerIsBetterUnit, renderMarkdown } from "./_table.mjs";

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(BENCH);
const SUFFIX = ".bench.ts";
const PEER = path.join(BENCH, "python", "peer.py");
const ALL_RUNTIMES = ["node", "deno", "bun", "python"];
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT ?? 120) * 1000;

const bin = (name) => path.join(ROOT, "node_modules", ".bin", process.platform === "win32" ? `${name}.cmd` : name);

/** How each runtime runs a file: [command, args before the file]. */
const COMMANDS = {
  node: [bin("node"), []],
  deno: [bin("deno"), ["run", "-A"]],
  bun: [bin("bun"), []],
  python: ["python3", []],
};

function log(msg) {
  process.stderr.write(msg + "\n");
}

function usage() {
  log("usage: node bench/run.mjs [scenario ...]   (env BENCH_RUNTIMES=node,deno,bun,python, BENCH_TIMEOUT=seconds)");
}

function versionOf(runtime) {
  const [cmd] = COMMANDS[runtime];
  const res = spawnSync(cmd, ["--version"], { encoding: "utf8", timeout: 30_000 });
  if (res.error || res.status !== 0) return undefined;
  const text = `${res.stdout}${res.stderr}`.trim().split("\n")[0];
  return text.replace(/^(deno|Python)\s+/i, "").replace(/\s*\(.*$/, "").replace(/^v/, "");
}

function pythonScenarios() {
  const res = spawnSync(COMMANDS.python[0], [PEER, "--list"], { cwd: ROOT, encoding: "utf8", timeout: 30_000 });
  if (res.error || res.status !== 0) return new Set();
  return new Set(res.stdout.split("\n").map((s) => s.trim()).filter(Boolean));
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

function killGroup(child) {
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch { /* group already gone */ }
}

/** Runs one program to completion (or timeout) and returns a result record. */
function runOne(runtime, file, scenario) {
  const [cmd, pre] = COMMANDS[runtime];
  const args = [...pre, file, scenario];
  const started = performance.now();
  return new Promise((resolve) => {
    // Own process group, so a timeout (or children left behind) can be ended as one.
    const child = spawn(cmd, args, {
      cwd: ROOT,
      detached: process.platform !== "win32",
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1", BENCH_RUNTIME: runtime },
    });
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
      resolve({ error: `could not start ${cmd}: ${err.message}`, wallS: 0 });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
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
      const peers = {};
      for (const [k, v] of Object.entries(parsed.peers ?? {})) {
        if (typeof v === "number") peers[k] = v;
        else log(`  warning: ${scenario} on ${runtime}: peer "${k}" is not a number, ignored`);
      }
      resolve({
        metric: parsed.metric,
        value: parsed.value,
        unit: parsed.unit,
        higherIsBetter: typeof parsed.higherIsBetter === "boolean" ? parsed.higherIsBetter : undefined,
        extra: parsed.extra ?? {},
        ...(Object.keys(peers).length ? { peers } : {}),
        wallS,
      });
    });
  });
}

function summarize(scenario, file, runtimes, results) {
  const ts = runtimes.filter((r) => r !== "python");
  const ok = (r) => results[r] && !results[r].error && !results[r].skipped;
  // metric, unit and orientation come from the first TypeScript run that worked, else from Python
  const lead = results[ts.find(ok) ?? (ok("python") ? "python" : "")];
  const unit = lead?.unit;
  const higherIsBetter = lead?.higherIsBetter ?? (ok("python") ? results.python.higherIsBetter : undefined) ??
    !lowerIsBetterUnit(unit);
  const ratios = {};
  const peerRatios = {};
  for (const r of ts) {
    if (!ok(r)) continue;
    if (ok("python")) {
      const py = convertUnit(results.python.value, results.python.unit, results[r].unit);
      if (py === undefined) log(`  warning: ${scenario}: units differ (${results[r].unit} vs python ${results.python.unit})`);
      const ratio = betterRatio(results[r].value, py, higherIsBetter);
      if (ratio !== undefined) ratios[r] = ratio;
    }
    for (const [p, v] of Object.entries(results[r].peers ?? {})) {
      const ratio = betterRatio(results[r].value, v, higherIsBetter);
      if (ratio !== undefined) (peerRatios[r] ??= {})[p] = ratio;
    }
  }
  return { scenario, file, metric: lead?.metric, unit, higherIsBetter, results, ratios, peerRatios };
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv.includes("-h") || argv.includes("--help")) return usage(), 0;
  const unknownFlag = argv.find((a) => a.startsWith("-"));
  if (unknownFlag) return usage(), log(`unknown option ${unknownFlag}`), 2;

  const requested = (process.env.BENCH_RUNTIMES ?? ALL_RUNTIMES.join(","))
    .split(",").map((s) => s.trim()).filter(Boolean);
  const bad = requested.filter((r) => !ALL_RUNTIMES.includes(r));
  if (bad.length) return log(`BENCH_RUNTIMES: unknown runtime(s) ${bad.join(", ")}; use ${ALL_RUNTIMES.join(", ")}`), 2;
  const runtimes = ALL_RUNTIMES.filter((r) => requested.includes(r));

  const versions = {};
  const available = new Set();
  for (const r of runtimes) {
    const v = versionOf(r);
    if (v) {
      versions[r] = v;
      available.add(r);
    } else log(`${r}: not available (${COMMANDS[r][0]}), skipped`);
  }
  const pyKnows = available.has("python") ? pythonScenarios() : new Set();

  const files = new Map(
    readdirSync(BENCH).filter((f) => f.endsWith(SUFFIX)).sort()
      .map((f) => [f.slice(0, -SUFFIX.length), path.join("bench", f)]),
  );
  const names = argv.length ? [...new Set(argv)] : [...files.keys()];
  for (const n of names) {
    if (!files.has(n) && !pyKnows.has(n)) return log(`unknown scenario "${n}": no bench/${n}${SUFFIX} and no Python peer`), 2;
  }
  if (!names.length) {
    log(`no bench/*${SUFFIX} scenarios found; name scenarios to run the Python peer alone, e.g. npm run bench -- spawn`);
    return 0;
  }

  const scenarios = [];
  const t0 = performance.now();
  for (const name of names) {
    const file = files.get(name);
    const results = {};
    for (const r of runtimes) {
      if (!available.has(r)) {
        results[r] = { skipped: "runtime not available" };
        continue;
      }
      if (r === "python" ? !pyKnows.has(name) : !file) {
        results[r] = { skipped: r === "python" ? "no Python peer for this scenario" : "no TypeScript scenario file" };
        continue;
      }
      const res = await runOne(r, r === "python" ? path.relative(ROOT, PEER) : file, name);
      results[r] = res;
      log(res.error
        ? `${name.padEnd(20)} ${r.padEnd(6)} FAILED (${res.wallS.toFixed(1)} s): ${res.error}`
        : `${name.padEnd(20)} ${r.padEnd(6)} ${formatNumber(res.value).padStart(8)} ${res.unit ?? ""}` +
          (res.peers ? `  peers ${JSON.stringify(res.peers)}` : "") + `  (${res.wallS.toFixed(1)} s)`);
    }
    scenarios.push(summarize(name, file, runtimes, results));
  }

  const report = {
    date: new Date().toISOString(),
    host: {
      platform: process.platform,
      arch: process.arch,
      cpus: os.availableParallelism?.() ?? os.cpus().length,
      cpuModel: os.cpus()[0]?.model?.trim(),
    },
    versions,
    runtimes,
    timeoutS: TIMEOUT_MS / 1000,
    totalS: (performance.now() - t0) / 1000,
    scenarios,
  };
  const md = renderMarkdown(report);
  const outDir = path.join(BENCH, "results");
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, "latest.json"), JSON.stringify(report, null, 2) + "\n");
  writeFileSync(path.join(outDir, "latest.md"), md);
  process.stdout.write("\n" + md);
  log(`\nwrote ${path.relative(process.cwd(), path.join(outDir, "latest.json"))} and latest.md ` +
    `(${report.totalS.toFixed(1)} s)`);
  return scenarios.some((s) => Object.values(s.results).some((r) => r.error)) ? 1 : 0;
}

if (!existsSync(PEER)) log(`warning: ${PEER} is missing; Python column will be empty`);
process.exitCode = await main();
