// Runs every examples/*.ts under Node, Deno (run -A) and Bun, one at a time, and checks each run:
// exit code 0 within the timeout, and stdout matching every `// expect: <regex>` line of the file's
// header. Prints one line per run, then `examples: N passed, M failed`; exits 1 on any failure.
//
// An example whose header says `// needs: redis-server` gets a throwaway cluster for each run
// (scripts/_local_cluster.mjs): a redis-server on a Unix socket in a private temp dir and the worker
// nodes its `// nodes: <n> × multiproc worker <args>` line asks for, started with the CLI on the same
// runtime. The example finds them through REDIS_URL and MULTIPROC_AUTHKEY_FILE (a path, not the key).
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
import { startLocalCluster } from "./_local_cluster.mjs";
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

/** The lines of a file's leading comment block, without their `//`. */
function header(file) {
  const out = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line.startsWith("//")) break;
    out.push(line.slice(2).trim());
  }
  return out;
}

/** The `// expect: <regex>` lines of a file's header. */
function expectations(file) {
  return header(file).flatMap((l) => /^expect:\s?(.*)$/.exec(l)?.[1] ?? []).map((re) => new RegExp(re));
}

/** What a `// needs: redis-server` example needs: how many worker nodes, with which arguments. */
function clusterNeeds(file) {
  const lines = header(file);
  if (!lines.some((l) => /^needs:.*\bredis-server\b/.test(l))) return undefined;
  const m = lines.map((l) => /^nodes:\s*(\d+)\s*×\s*multiproc worker\s+(.*)$/.exec(l)).find(Boolean);
  return { nodes: m ? Number(m[1]) : 0, nodeArgs: m ? m[2].trim().split(/\s+/) : [] };
}

let passed = 0;
let failed = 0;
const failures = [];
for (const name of files) {
  const file = join(examplesDir, name);
  const expects = expectations(file);
  const needs = clusterNeeds(file);
  for (const rt of runtimes) {
    const [cmd, args] = RUNTIMES[rt](relative(root, file));
    let cluster;
    let r;
    const problems = [];
    try {
      if (needs) cluster = await startLocalCluster({ root, command: RUNTIMES[rt], ...needs });
      r = await runProgram(cmd, args, timeoutMs, cluster?.env);
      problems.push(...problemsOf(r, timeoutMs));
    } catch (e) {
      r = { ms: 0, stdout: "", stderr: "" };
      problems.push(`could not start its cluster: ${e.message}`);
    } finally {
      await cluster?.stop();
    }
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
