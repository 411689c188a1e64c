// Runs every examples/*.ts under Node, Deno (run -A) and Bun, one at a time, and checks each run:
// exit code 0 within the timeout, and stdout matching every `// expect: <regex>` line of the file's
// header. Prints one line per run, then `examples: N passed, M failed`; exits 1 on any failure.
//
//   node scripts/run_examples.mjs                  # everything
//   node scripts/run_examples.mjs --runtime=bun    # one runtime (repeatable)
//   node scripts/run_examples.mjs pool seed4       # only examples whose file name contains a word
//   node scripts/run_examples.mjs --timeout=30000 --verbose
//
// Plain JS so it runs on Node 20 as well as 24; the examples themselves run under the pinned
// binaries in node_modules/.bin.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const examplesDir = join(root, "examples");

const bin = (name) => {
  const local = join(root, "node_modules", ".bin", name);
  return existsSync(local) ? local : name;
};
const RUNTIMES = {
  node: (file) => [bin("node"), [file]],
  deno: (file) => [bin("deno"), ["run", "-A", file]],
  bun: (file) => [bin("bun"), [file]],
};

let timeoutMs = 60_000;
let verbose = false;
const runtimes = [];
const words = [];
for (const arg of process.argv.slice(2)) {
  if (arg.startsWith("--runtime=")) runtimes.push(arg.slice("--runtime=".length));
  else if (arg.startsWith("--timeout=")) timeoutMs = Number(arg.slice("--timeout=".length));
  else if (arg === "--verbose" || arg === "-v") verbose = true;
  else if (arg === "--help" || arg === "-h") {
    console.log(
      "usage: node scripts/run_examples.mjs [--runtime=node|deno|bun]... [--timeout=ms] [--verbose] [word...]",
    );
    process.exit(0);
  } else words.push(arg);
}
for (const r of runtimes) {
  if (!RUNTIMES[r]) {
    console.error(`Unknown runtime "${r}": use node, deno or bun`);
    process.exit(2);
  }
}
if (!(timeoutMs > 0)) {
  console.error("--timeout must be a positive number of milliseconds");
  process.exit(2);
}

const files = readdirSync(examplesDir)
  .filter((f) => f.endsWith(".ts"))
  .filter((f) => words.length === 0 || words.some((w) => f.includes(w)))
  .sort();

/** The `// expect: <regex>` lines of a file's leading comment block. */
function expectations(file) {
  const out = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line.startsWith("//")) break;
    const m = /^\/\/\s*expect:\s?(.*)$/.exec(line);
    if (m) out.push(new RegExp(m[1]));
  }
  return out;
}

/** Runs one command in its own process group; kills the whole group on timeout. */
function run(cmd, args) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(cmd, args, {
      cwd: root,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1" },
    });
    const stdout = [];
    const stderr = [];
    child.stdout.on("data", (b) => stdout.push(b));
    child.stderr.on("data", (b) => stderr.push(b));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch { /* already gone */ }
    }, timeoutMs);
    const finish = (code, signal, error) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        error,
        timedOut,
        ms: performance.now() - started,
        stdout: Buffer.concat(stdout).toString("utf8").replace(/\x1b\[[0-9;]*m/g, ""), // no colours
        stderr: Buffer.concat(stderr).toString("utf8"),
      });
    };
    child.on("error", (e) => finish(null, null, e));
    child.on("close", (code, signal) => finish(code, signal, null));
  });
}

const tail = (text, n = 15) => text.trimEnd().split("\n").slice(-n).map((l) => `      | ${l}`).join("\n");

let passed = 0;
let failed = 0;
const failures = [];
for (const name of files) {
  const file = join(examplesDir, name);
  const expects = expectations(file);
  for (const rt of runtimes.length ? runtimes : Object.keys(RUNTIMES)) {
    const [cmd, args] = RUNTIMES[rt](relative(root, file));
    const r = await run(cmd, args);
    const problems = [];
    if (r.error) problems.push(`could not start: ${r.error.message}`);
    else if (r.timedOut) problems.push(`timed out after ${timeoutMs} ms`);
    else if (r.code !== 0) problems.push(r.signal ? `killed by ${r.signal}` : `exit code ${r.code}`);
    for (const re of expects) {
      if (!re.test(r.stdout)) problems.push(`stdout does not match /${re.source}/`);
    }
    const label = `${name} [${rt}]`.padEnd(50);
    const secs = `${(r.ms / 1000).toFixed(1)}s`.padStart(6);
    if (problems.length === 0) {
      passed++;
      console.log(`ok    ${label} ${secs}`);
      if (verbose) console.log(tail(r.stdout));
    } else {
      failed++;
      failures.push(`${name} [${rt}]`);
      console.log(`FAIL  ${label} ${secs}  ${problems.join("; ")}`);
      if (r.stdout.trim()) console.log(`    stdout:\n${tail(r.stdout)}`);
      if (r.stderr.trim()) console.log(`    stderr:\n${tail(r.stderr)}`);
    }
  }
}

if (failures.length) console.log(`\nfailed: ${failures.join(", ")}`);
console.log(`examples: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
