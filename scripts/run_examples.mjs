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
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import process from "node:process";
import { parseArgs, problemsOf, root, runProgram, RUNTIMES, tail } from "./_programs.mjs";

const examplesDir = join(root, "examples");
const { runtimes, timeoutMs, verbose, words } = parseArgs(
  process.argv.slice(2),
  "usage: node scripts/run_examples.mjs [--runtime=node|deno|bun]... [--timeout=ms] [--verbose] [word...]",
  60_000,
);

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

let passed = 0;
let failed = 0;
const failures = [];
for (const name of files) {
  const file = join(examplesDir, name);
  const expects = expectations(file);
  for (const rt of runtimes) {
    const [cmd, args] = RUNTIMES[rt](relative(root, file));
    const r = await runProgram(cmd, args, timeoutMs);
    const problems = problemsOf(r, timeoutMs);
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
