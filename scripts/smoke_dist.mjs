// Smoke test of the built npm package, as a consumer gets it: pack it, install the tarball in a fresh
// directory outside the source tree, and run the programs of scripts/smoke_dist/ there:
// - program.mjs / program.cjs (ES module and CommonJS; the second loads the ES module build through
//   require(esm)): a Pool with an exported target and a throwing task whose error keeps its class, a
//   ProcessPoolExecutor, a Process with a Queue and a Lock, a ThreadPool and a Thread with the same Queue
//   and Lock, an Event, and a Manager dict; on Node 24,
//   Bun, Deno (through `npm:multiproc` and the bare name, resolved from the local install with no
//   registry reachable) and, when the machine has one, a Node 20 or 22;
// - hang.mjs: a task's error settles from an entry script still in its top-level await;
// - redis.mjs: `multiproc/redis` imports (ioredis, its optional peer, installed beside it) and
//   connect() to a closed port fails with the clear error; no server needed. The `multiproc` bin
//   prints its usage through its shebang, `deno run npm:multiproc` and `bun x --bun multiproc`;
// - unguarded.cjs: a CommonJS script without the guard fails with the error naming its guard;
// - consumer.mts / consumer.cts: strict TypeScript consumers type-check against the shipped
//   declarations (skipLibCheck off) under moduleResolution nodenext and bundler.
// Every run has a deadline and its own process group; no process may be left running in the
// directory after a run. Run after `npm run build`.
import { spawn, spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";

const root = resolve(".");
const fixtures = join(root, "scripts", "smoke_dist");
const bin = (n) => join(root, "node_modules", ".bin", n);
const version = (pkg) => JSON.parse(readFileSync(join(root, "node_modules", pkg, "package.json"), "utf8")).version;
const dir = mkdtempSync(join(tmpdir(), "mp-smoke-"));
const RUN_MS = 120_000;
const INSTALL_MS = 300_000;
let failed = 0;
let passed = 0;

function report(ok, name, detail) {
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${detail ? `: ${detail}` : ""}`);
  if (ok) passed++;
  else failed++;
}

/** Pids of processes (other than this one) whose working directory is the smoke directory. */
function inDir() {
  if (!existsSync("/proc")) return [];
  const pids = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const cwd = readlinkSync(`/proc/${e}/cwd`);
      if (cwd === dir || cwd.startsWith(dir + "/")) pids.push(Number(e));
    } catch { /* gone, or not ours to read */ }
  }
  return pids;
}

/** Runs a command in the smoke directory in its own process group, killed (group and all) at the deadline. */
function run(cmd, args, { env = {}, ms = RUN_MS } = {}) {
  return new Promise((done) => {
    const child = spawn(cmd, args, {
      cwd: dir,
      env: { ...process.env, ...env },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    let timedOut = false;
    child.stdout.on("data", (b) => (out += b));
    child.stderr.on("data", (b) => (err += b));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch { /* already gone */ }
    }, ms);
    const finish = (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, out: out.trim(), err: err.trim(), timedOut });
    };
    child.on("error", (e) => (err += `${e.message}\n`));
    child.on("close", finish);
    // A process left behind may hold the pipes open: stop waiting for them shortly after the exit
    // (leftovers() then finds that process).
    child.on("exit", (code, signal) => setTimeout(() => finish(code, signal), 2_000).unref());
  });
}

/** Waits up to 5 s for every process in the directory to end; kills and names the ones that do not. */
async function leftovers() {
  const until = Date.now() + 5_000;
  let pids = inDir();
  while (pids.length && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 100));
    pids = inDir();
  }
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch { /* gone */ }
  }
  return pids;
}

/** A Node other than the one in node_modules/.bin (the machine's own, e.g. Node 20), or undefined. */
function otherNode() {
  const own = spawnSync(bin("node"), ["--version"], { encoding: "utf8" }).stdout.trim();
  for (const d of (process.env.PATH ?? "").split(delimiter)) {
    const n = join(d, "node");
    if (!d || d.includes("node_modules") || !existsSync(n)) continue;
    const v = spawnSync(n, ["--version"], { encoding: "utf8" }).stdout?.trim();
    if (v && v !== own) return { path: n, version: v };
  }
  return undefined;
}

const EXPECTED = "pool=2,4,6 poolError=true:Boom:exploded on 7 executor=42 executorError=true:Boom:exploded on 8 " +
  "queue=true:42 exit=0 threadPool=8,10 thread=false:10 threadExit=0 lock=true event=false dict=1,2,ab";
const SETTLED = "settled Boom Boom";
const REDIS = "redis=refused readAuthkey=function";
const USAGE = "Usage: multiproc worker <url> --authkey-file FILE --module PATH [options]";
const GUARD = /must guard its entry point[^]*In CommonJS: if \(require\.main === module\)/;
// Deno resolves `npm:multiproc` and `multiproc` from the install's node_modules (package.json is
// there). Its cache starts empty and the registry is unreachable, so nothing can come from elsewhere.
const DENO_ENV = {
  DENO_DIR: join(dir, ".deno"),
  NPM_CONFIG_REGISTRY: "http://127.0.0.1:9/",
  DENO_NO_UPDATE_CHECK: "1",
};

try {
  // Pack and install, as a consumer would (typescript and @types/node for the TypeScript consumer).
  const pack = spawnSync("npm", ["pack", "--json", "--pack-destination", dir], {
    encoding: "utf8",
    timeout: INSTALL_MS,
  });
  if (pack.status !== 0) throw new Error(`npm pack failed: ${pack.stderr}`);
  const [packed] = JSON.parse(pack.stdout);
  const files = packed.files.map((f) => f.path);
  const children = [
    "mod.js",
    "mod.d.ts",
    "redis.js",
    "redis.d.ts",
    "cli.js",
    "bootstrap.js",
    "pool_worker.js",
    "manager_server.js",
    "watchdog_worker.js",
    "shm_waiter_worker.js",
  ];
  const missing = children.filter((f) => !files.includes(`dist/${f}`));
  const cjs = files.filter((f) => f.endsWith(".cjs") || f.endsWith(".d.cts"));
  report(
    missing.length === 0 && cjs.length === 0,
    "tarball holds the ES module build only",
    missing.length
      ? `missing ${missing}`
      : cjs.length
      ? `unexpected ${cjs}`
      : `${files.length} files, ${packed.size} bytes`,
  );
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "smoke", private: true }));
  const install = await run("npm", [
    "install",
    "--no-audit",
    "--no-fund",
    "--prefer-offline",
    "--loglevel=error",
    join(dir, packed.filename),
    `typescript@${version("typescript")}`,
    `@types/node@${version("@types/node")}`,
    `ioredis@${version("ioredis")}`,
  ], { ms: INSTALL_MS });
  if (install.code !== 0) {
    throw new Error(`npm install failed (${install.timedOut ? "timed out" : install.code}): ${install.err}`);
  }
  for (const f of readdirSync(fixtures)) copyFileSync(join(fixtures, f), join(dir, f));
  writeFileSync(
    join(dir, "program_npm.mjs"),
    readFileSync(join(dir, "program.mjs"), "utf8").replace('from "multiproc"', 'from "npm:multiproc"'),
  );

  const runs = [
    ["node esm", bin("node"), ["program.mjs"], EXPECTED],
    ["node cjs", bin("node"), ["program.cjs"], EXPECTED],
    ["bun esm", bin("bun"), ["program.mjs"], EXPECTED],
    ["bun cjs", bin("bun"), ["program.cjs"], EXPECTED],
    ["deno npm:multiproc", bin("deno"), ["run", "-A", "program_npm.mjs"], EXPECTED, DENO_ENV],
    ["deno esm", bin("deno"), ["run", "-A", "program.mjs"], EXPECTED, DENO_ENV],
    ["deno cjs", bin("deno"), ["run", "-A", "program.cjs"], EXPECTED, DENO_ENV],
    ["node top-level await error", bin("node"), ["hang.mjs"], SETTLED],
    ["bun top-level await error", bin("bun"), ["hang.mjs"], SETTLED],
    ["deno top-level await error", bin("deno"), ["run", "-A", "hang.mjs"], SETTLED, DENO_ENV],
    ["node multiproc/redis", bin("node"), ["redis.mjs"], REDIS],
    ["bun multiproc/redis", bin("bun"), ["redis.mjs"], REDIS],
    ["deno multiproc/redis", bin("deno"), ["run", "-A", "redis.mjs"], REDIS, DENO_ENV],
    ["multiproc bin (shebang)", "sh", ["-c", "node_modules/.bin/multiproc --help | head -1"], USAGE],
    ["deno run npm:multiproc", "sh", ["-c", `${bin("deno")} run -A npm:multiproc --help | head -1`], USAGE, DENO_ENV],
    ["bun x --bun multiproc", "sh", ["-c", `${bin("bun")} x --bun multiproc --help | head -1`], USAGE],
    ["node cjs without the guard", bin("node"), ["unguarded.cjs"], "exitCode=1", {}, GUARD],
    ["bun cjs without the guard", bin("bun"), ["unguarded.cjs"], "exitCode=1", {}, GUARD],
    ["deno cjs without the guard", bin("deno"), ["run", "-A", "unguarded.cjs"], "exitCode=1", DENO_ENV, GUARD],
    ["tsc strict nodenext (.mts, .cts)", bin("node"), [
      join(dir, "node_modules/typescript/bin/tsc"),
      "-p",
      "tsconfig.nodenext.json",
    ], ""],
    [
      "tsc strict bundler",
      bin("node"),
      [join(dir, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.bundler.json"],
      "",
    ],
  ];
  // require(esm) without a warning needs Node ^20.19 or >=22.13 (22.12 works but warns).
  const other = otherNode();
  const [major, minor] = other ? other.version.slice(1).split(".").map(Number) : [];
  if (other && ((major === 20 && minor >= 19) || (major === 22 && minor >= 13))) {
    runs.push([`node ${other.version} esm`, other.path, ["program.mjs"], EXPECTED]);
    runs.push([`node ${other.version} cjs`, other.path, ["program.cjs"], EXPECTED]);
  } else {
    console.log(
      `skip: no Node 20.19+ or 22.13+ besides node_modules/.bin (${other ? `found ${other.version}` : "none found"})`,
    );
  }

  for (const [name, cmd, args, expected, env, stderr] of runs) {
    const started = Date.now();
    const r = await run(cmd, args, { env });
    const left = await leftovers();
    const problems = [];
    if (r.timedOut) problems.push(`timed out after ${RUN_MS} ms`);
    else if (r.code !== 0) problems.push(`exit ${r.code ?? r.signal}`);
    if (r.out !== expected) problems.push(`printed ${JSON.stringify(r.out)}`);
    if (stderr ? !stderr.test(r.err) : r.err) problems.push(`stderr ${JSON.stringify(r.err.slice(0, 2000))}`);
    if (left.length) problems.push(`left processes running: ${left.join(", ")}`);
    report(problems.length === 0, name, problems.length ? problems.join("; ") : `${Date.now() - started} ms`);
  }
} catch (e) {
  report(false, "setup", e.message);
} finally {
  const left = await leftovers();
  if (left.length) report(false, "cleanup", `killed ${left.join(", ")}`);
  rmSync(dir, { recursive: true, force: true });
}
console.log(`smoke: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
