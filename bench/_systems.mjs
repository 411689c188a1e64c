// The systems bench/run.mjs compares. A system is a name and a command: for each scenario it runs
// `<command ...> <scenario> [scenario args]` from the repository root and reads the one JSON result
// line from stdout (see run.mjs for the contract). Each system is
//   { name, color, multiproc, reference?, env(), versionCommand, scenarios(), argv(scenario) }
// where argv(scenario) is the command, or undefined when the system does not run that scenario.
// `runtime` (node, deno, bun, python) groups a system with the multiproc run it is compared with;
// `pool` marks the JavaScript thread pools (bench/peers/js_pool.mjs <pool>), the "vs best JS pool"
// columns of the table; `kind: "thread"` marks the thread systems (`node-threads`, …, `python-threads`):
// the same programs with threads for workers (bench/_kind.ts; peer.py --threads), set against the
// process system of their runtime round by round (the report's Threads table). Adding a system is one more entry in systems(), e.g. a peer program that
// answers `--list`:
//
//   peerProgram("piscina", [bin("node"), "bench/peers/js_pool.mjs", "piscina"], { color, cwd: root }),

import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const SUFFIX = ".bench.ts";

/**
 * The scenarios with a thread twin: the pool ones run ThreadPool for Pool, the others Thread for
 * Process. The thread systems run only these.
 */
export const THREAD_SCENARIOS = [
  "dispatch",
  "map",
  "data_in",
  "data_roundtrip",
  "data_size",
  "cpu_bound",
  "pool_start",
  "tree_rss",
  "thread_start",
  "threads_100",
  "queue_threads",
  "lock_threads",
];

/**
 * The scenarios that exist for the comparison of the two kinds (their process run is the twin of the
 * thread run, e.g. thread_start's is the spawn scenario's work): the report shows them in its Threads
 * table only.
 */
export const KIND_SCENARIOS = ["thread_start", "threads_100", "queue_threads", "lock_threads"];

/**
 * multiproc itself on one runtime: runs bench/<scenario>.bench.ts with `command`.
 * @param {string} name
 * @param {string[]} command the runtime and its arguments before the file
 * @param {{ color: string, benchDir: string, env?: () => Record<string, string>, threads?: boolean }} options
 *   threads: the thread system of the runtime, `<name>-threads`, running THREAD_SCENARIOS with BENCH_KIND=thread
 */
function multiprocRuntime(name, command, { color, benchDir, env = () => ({}), threads = false }) {
  let files = new Set(readdirSync(benchDir).filter((f) => f.endsWith(SUFFIX)).map((f) => f.slice(0, -SUFFIX.length)));
  if (threads) files = new Set(THREAD_SCENARIOS.filter((n) => files.has(n)));
  return {
    name: threads ? `${name}-threads` : name,
    color,
    runtime: name,
    ...(threads ? { kind: "thread" } : {}),
    multiproc: true,
    env: threads ? () => ({ ...env(), BENCH_KIND: "thread" }) : env,
    versionCommand: [command[0], "--version"],
    scenarios: () => files,
    argv: (scenario) => (files.has(scenario) ? [...command, path.join("bench", scenario + SUFFIX)] : undefined),
  };
}

/**
 * A program that measures the same scenarios with something other than multiproc: run as
 * `<command ...> <scenario> [args]`, it prints the same JSON line, and lists the scenarios it knows,
 * one a line, for `<command ...> --list` (exiting 2 for a scenario it does not know).
 * @param {string} name
 * @param {string[]} command
 * @param {{ color: string, cwd: string, runtime: string, pool?: string, kind?: string, reference?: boolean,
 *   versionCommand?: string[], env?: () => Record<string, string> }} options
 */
function peerProgram(
  name,
  command,
  { color, cwd, runtime, pool, kind, reference = false, versionCommand = [command[0], "--version"], env = () => ({}) },
) {
  let known;
  const scenarios = () => {
    if (!known) {
      const res = spawnSync(command[0], [...command.slice(1), "--list"], { cwd, encoding: "utf8", timeout: 30_000 });
      known = new Set(res.error || res.status !== 0 ? [] : res.stdout.split("\n").map((s) => s.trim()).filter(Boolean));
    }
    return known;
  };
  return {
    name,
    color,
    runtime,
    ...(pool ? { pool } : {}),
    ...(kind ? { kind } : {}),
    reference,
    multiproc: false,
    env,
    versionCommand,
    scenarios,
    argv: (scenario) => (scenarios().has(scenario) ? command : undefined),
  };
}

/**
 * NODE_COMPILE_CACHE for the Node programs: the folder multiproc's Node adapter already gives its
 * children (src/runtime/node.ts), when it exists and is private to us. The program's own start is
 * not measured by any scenario, but type-stripping the library on every start costs ~0.5 s of CPU a
 * run (0.1 s cached), which adds up over a run's hundreds of programs; children see the same
 * NODE_COMPILE_CACHE they would get anyway.
 */
function nodeCompileCache() {
  const dir = path.join(os.tmpdir(), `multiproc-node-cache-${process.getuid?.() ?? "u"}`);
  try {
    const st = statSync(dir);
    if (st.isDirectory() && (st.mode & 0o777) === 0o700 && st.uid === process.getuid?.()) {
      return { NODE_COMPILE_CACHE: dir };
    }
  } catch { /* not there yet: the first child creates it */ }
  return {};
}

/**
 * Every system, in the order rounds run them. `reference` is the one ratios are taken against.
 * @param {string} root repository root
 */
export function systems(root) {
  const bin = (name) => path.join(root, "node_modules", ".bin", process.platform === "win32" ? `${name}.cmd` : name);
  const benchDir = path.join(root, "bench");
  // Okabe–Ito colours: told apart with the common colour-vision deficiencies. A thread system has its
  // runtime's colour (the chart draws it dashed).
  const runtimes = [
    ["node", [bin("node")], { color: "#009E73", benchDir, env: nodeCompileCache }],
    ["deno", [bin("deno"), "run", "-A"], { color: "#0072B2", benchDir }],
    ["bun", [bin("bun")], { color: "#D55E00", benchDir }],
  ];
  const python = (threads) =>
    peerProgram(
      threads ? "python-threads" : "python",
      ["python3", path.join("bench", "python", "peer.py"), ...(threads ? ["--threads"] : [])],
      { color: "#6F6F6F", cwd: root, runtime: "python", reference: !threads, ...(threads ? { kind: "thread" } : {}) },
    );
  return [
    ...runtimes.map(([name, command, options]) => multiprocRuntime(name, command, options)),
    python(false),
    ...runtimes.map(([name, command, options]) => multiprocRuntime(name, command, { ...options, threads: true })),
    python(true),
    ...jsPools(root, bin),
  ];
}

/**
 * The JavaScript thread pools on each runtime where they work (probed with this bench on node 24,
 * deno 2.9, bun 1.4): tinypool on Deno hangs once two tasks are in flight; workerpool on Bun hangs with
 * worker_threads and runs with its "web" worker type (bench/peers/workerpool.mjs picks it there).
 * Named "<pool>" on Node and "<pool>@<runtime>" elsewhere.
 */
function jsPools(root, bin) {
  const runtimes = { node: [bin("node")], deno: [bin("deno"), "run", "-A"], bun: [bin("bun")] };
  const colors = {
    piscina: ["#56B4E9", "#3A8AB8", "#1F5F87"],
    tinypool: ["#E69F00", "#B07800", "#7A5300"],
    workerpool: ["#CC79A7", "#A05581", "#73345C"],
  };
  const works = { piscina: ["node", "deno", "bun"], tinypool: ["node", "bun"], workerpool: ["node", "deno", "bun"] };
  const out = [];
  for (const [i, runtime] of ["node", "deno", "bun"].entries()) {
    for (const pool of ["piscina", "tinypool", "workerpool"]) {
      if (!works[pool].includes(runtime)) continue;
      const name = runtime === "node" ? pool : `${pool}@${runtime}`;
      const command = [...runtimes[runtime], path.join("bench", "peers", "js_pool.mjs"), pool];
      const versionCommand = [
        bin("node"),
        "-p",
        `JSON.parse(require("fs").readFileSync("node_modules/${pool}/package.json", "utf8")).version`,
      ];
      out.push(peerProgram(name, command, { color: colors[pool][i], cwd: root, runtime, pool, versionCommand }));
    }
  }
  return out;
}
