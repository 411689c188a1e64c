// Checks every complete program in README.md (a ```ts block that uses the guard idiom) against this
// checkout's mod.ts, so the README cannot drift from the library: each must type-check under
// `deno check` and strict `tsc`, then run (exit 0 within the timeout) on Node, Deno and Bun.
//
//   node scripts/check_readme.mjs                    # type-check and run everything
//   node scripts/check_readme.mjs --no-run           # type-check only
//   node scripts/check_readme.mjs --runtime=deno --timeout=30000 --verbose
import { readFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { parseArgs, problemsOf, root, runProgram, RUNTIMES, snippetDir, tail, typeCheck } from "./_programs.mjs";

const opts = parseArgs(
  process.argv.slice(2),
  "usage: node scripts/check_readme.mjs [--no-run] [--runtime=node|deno|bun]... [--timeout=ms] [--verbose]",
  60_000,
);
const blocks = [...readFileSync(join(root, "README.md"), "utf8").matchAll(/```ts\n([\s\S]*?)```/g)]
  .map((m) => m[1])
  .filter((b) => b.includes("isMainProcess(import.meta)"));

const scratch = snippetDir("readme");
let failed = 0;
try {
  const programs = blocks.map((code, i) => ({ code, n: i + 1, file: scratch.write(`readme_${i + 1}`, code) }));

  for (const r of typeCheck(programs.map((p) => p.file), scratch.dir)) {
    console.log(`${r.ok ? "ok  " : "FAIL"}  ${r.name} of ${programs.length} README programs`);
    if (!r.ok) {
      failed++;
      console.log(r.output.replaceAll(`file://${root}/`, "").replaceAll(`${root}/`, ""));
    }
  }

  if (!opts.flags.has("no-run")) {
    let passed = 0;
    for (const p of programs) {
      for (const rt of opts.runtimes) {
        const [cmd, args] = RUNTIMES[rt](p.file);
        const r = await runProgram(cmd, args, opts.timeoutMs);
        const problems = problemsOf(r, opts.timeoutMs);
        const label = `README program ${p.n} [${rt}]`.padEnd(34);
        const secs = `${(r.ms / 1000).toFixed(1)}s`.padStart(6);
        if (problems.length === 0) {
          passed++;
          console.log(`ok    ${label} ${secs}`);
          if (opts.verbose) console.log(tail(r.stdout));
        } else {
          failed++;
          console.log(`FAIL  ${label} ${secs}  ${problems.join("; ")}`);
          console.log(`    program:\n${tail(p.code, 40)}`);
          if (r.stdout.trim()) console.log(`    stdout:\n${tail(r.stdout)}`);
          if (r.stderr.trim()) console.log(`    stderr:\n${tail(r.stderr)}`);
        }
      }
    }
    console.log(
      `readme programs: ${passed} runs passed, ${failed} failed (${programs.length} programs × ${opts.runtimes.length} runtimes)`,
    );
  }
} finally {
  scratch.dispose();
}
process.exit(failed ? 1 : 0);
