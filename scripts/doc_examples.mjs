// The `@example` blocks of the JSDoc of the package's entry points (mod.ts, and redis.ts for
// multiproc/redis), checked three ways:
//
//   node scripts/doc_examples.mjs coverage   # every export of each entry has an @example that is a program
//   node scripts/doc_examples.mjs check      # every such program type-checks (deno check, strict tsc)
//   node scripts/doc_examples.mjs run        # ... and runs on Node, Deno and Bun: exit 0 within the timeout
//   node scripts/doc_examples.mjs            # all three, in that order
//
//   node scripts/doc_examples.mjs run --runtime=bun Pool Queue   # one runtime, only these exports
//   node scripts/doc_examples.mjs run --timeout=20000 --verbose
//   node scripts/doc_examples.mjs coverage --fragments           # also list the snippets that are not run
//
// The examples come from `deno doc --json <entry>`: the module doc, every exported symbol and its
// members. A ```ts block that imports from "multiproc" (or "multiproc/redis") is a program: it is
// written to .snippets/ with the import mapped to this checkout's entry, then checked and run.
// Programs that need a Redis server skip their work without REDIS_URL. Any other block is a
// fragment (a method-level snippet that uses a variable from its class's example, such as
// `await q.put(1)`): it is counted, not run. An export passes coverage only with a program of its own.
// Exits 1 on any failure.
import { spawnSync } from "node:child_process";
import process from "node:process";
import { pathToFileURL } from "node:url";
import { join } from "node:path";
import {
  bin,
  parseArgs,
  plain,
  problemsOf,
  root,
  runProgram,
  RUNTIMES,
  snippetDir,
  tail,
  typeCheck,
} from "./_programs.mjs";

const USAGE = "usage: node scripts/doc_examples.mjs [coverage|check|run]... [--runtime=node|deno|bun]... " +
  "[--timeout=ms] [--verbose] [--fragments] [export name...]";
const SLOW_MS = 2000;

const STEPS = ["coverage", "check", "run"];
const argv = process.argv.slice(2);
const steps = argv.filter((a) => STEPS.includes(a));
const opts = parseArgs(argv.filter((a) => !STEPS.includes(a)), USAGE, 30_000);
if (steps.length === 0) steps.push(...STEPS);

/** The entry points, as `deno doc` names them. */
const ENTRIES = ["mod.ts", "redis.ts"];

/** The JSON that `deno doc` prints for one entry point. */
function docJson(entry) {
  const r = spawnSync(bin("deno"), ["doc", "--json", entry], { cwd: root, encoding: "utf8", maxBuffer: 1 << 28 });
  if (r.status !== 0) {
    console.error(`deno doc --json ${entry} failed (exit ${r.status}):\n${plain(r.stderr).slice(-3000)}`);
    process.exit(1);
  }
  const json = JSON.parse(r.stdout);
  const key = pathToFileURL(join(root, entry)).href;
  const mod = json.nodes?.[key];
  if (!mod) {
    console.error(`deno doc printed no node for ${key}: has its JSON format changed? (version ${json.version})`);
    process.exit(1);
  }
  return mod;
}

/** The ```ts / ```typescript blocks of one @example text. */
const codeBlocks = (text) => [...text.matchAll(/```(?:ts|typescript)\s*\n([\s\S]*?)```/g)].map((m) => m[1]);
const isProgram = (code) => /\bfrom\s+["']multiproc(?:\/redis)?["']/.test(code);

/** Every @example block under `node` (a symbol's declarations and their members), with a path for its name. */
function examplesIn(node, path, out) {
  if (Array.isArray(node)) {
    for (const x of node) examplesIn(x, path, out);
    return out;
  }
  if (node === null || typeof node !== "object") return out;
  const here = typeof node.name === "string" && node.name !== path[0] ? [...path, node.name] : path;
  for (const tag of node.jsDoc?.tags ?? []) {
    if (tag.kind !== "example") continue;
    for (const code of codeBlocks(tag.doc ?? "")) out.push({ path: here, code, program: isProgram(code) });
  }
  for (const [k, v] of Object.entries(node)) if (k !== "jsDoc" && v && typeof v === "object") examplesIn(v, here, out);
  return out;
}

const selected = (name) => opts.words.length === 0 || opts.words.includes(name);
const docs = ENTRIES.map((entry) => ({ entry, mod: docJson(entry) }));
const exports = docs.flatMap(({ mod }) =>
  mod.symbols.map((s) => ({
    name: s.name,
    kinds: [...new Set(s.declarations.map((d) => d.kind))].join("+"),
    location: s.declarations[0]?.location,
    examples: examplesIn(s.declarations, [s.name], []),
  }))
);
const moduleExamples = docs.flatMap(({ entry, mod }) =>
  selected(entry) ? examplesIn(mod.module_doc ?? {}, [entry], []) : []
);

let failed = false;

/** Programs to check and run: the module doc's, then each export's (and its members'), in order. */
const programs = [];
const sources = [
  ...moduleExamples,
  ...exports.filter((e) => selected(e.name)).flatMap((e) => e.examples),
];
for (const ex of sources) {
  if (!ex.program) continue;
  const base = ex.path.join("_").replace(/[^A-Za-z0-9_]/g, "_");
  const n = programs.filter((p) => p.base === base).length + 1;
  programs.push({ base, name: `${base}_${n}`, label: `${ex.path.join(".")} #${n}`, code: ex.code });
}

if (steps.includes("coverage")) {
  const missing = exports.filter((e) => selected(e.name) && !e.examples.some((x) => x.program && x.path.length === 1));
  const all = exports.flatMap((e) => e.examples);
  const fragments = all.filter((x) => !x.program);
  const rel = (loc) => (loc ? `${loc.filename.replace(pathToFileURL(root).href + "/", "")}:${loc.line}` : "?");
  for (const e of missing) console.log(`MISSING  ${e.name.padEnd(24)} ${e.kinds.padEnd(10)} ${rel(e.location)}`);
  if (opts.flags.has("fragments")) {
    for (const f of fragments) console.log(`fragment ${f.path.join(".")}: ${f.code.split("\n")[0]}`);
  }
  const withExample = exports.length -
    exports.filter((e) => !e.examples.some((x) => x.program && x.path.length === 1)).length;
  console.log(
    `doc examples coverage: ${withExample} of ${exports.length} exports of ${
      ENTRIES.join(" and ")
    } have a runnable @example; ` +
      `${all.length - fragments.length} programs, ${fragments.length} fragments (not run)`,
  );
  if (missing.length) failed = true;
}

const scratch = programs.length && (steps.includes("check") || steps.includes("run")) ? snippetDir("doc") : null;
try {
  for (const p of programs) if (scratch) p.file = scratch.write(p.name, p.code);

  if (steps.includes("check") && programs.length) {
    for (const r of typeCheck(programs.map((p) => p.file), scratch.dir)) {
      console.log(`${r.ok ? "ok  " : "FAIL"}  ${r.name} of ${programs.length} doc example programs`);
      if (!r.ok) {
        failed = true;
        console.log(r.output.replaceAll(`file://${root}/`, "").replaceAll(`${root}/`, ""));
      }
    }
  }

  if (steps.includes("run") && programs.length) {
    let passed = 0;
    const failures = [];
    const slow = [];
    for (const p of programs) {
      for (const rt of opts.runtimes) {
        const [cmd, args] = RUNTIMES[rt](p.file);
        const r = await runProgram(cmd, args, opts.timeoutMs);
        const problems = problemsOf(r, opts.timeoutMs);
        const label = `${p.label} [${rt}]`.padEnd(50);
        const secs = `${(r.ms / 1000).toFixed(1)}s`.padStart(6);
        if (r.ms > SLOW_MS && !problems.length) slow.push(`${p.label} [${rt}] ${secs.trim()}`);
        if (problems.length === 0) {
          passed++;
          console.log(`ok    ${label} ${secs}`);
          if (opts.verbose) console.log(tail(r.stdout));
        } else {
          failures.push(`${p.label} [${rt}]`);
          console.log(`FAIL  ${label} ${secs}  ${problems.join("; ")}`);
          console.log(`    program:\n${tail(p.code, 40)}`);
          if (r.stdout.trim()) console.log(`    stdout:\n${tail(r.stdout)}`);
          if (r.stderr.trim()) console.log(`    stderr:\n${tail(r.stderr)}`);
        }
      }
    }
    if (slow.length) console.log(`\nslower than ${SLOW_MS / 1000} s (not a failure): ${slow.join(", ")}`);
    if (failures.length) console.log(`\nfailed: ${failures.join(", ")}`);
    console.log(
      `doc examples: ${passed} runs passed, ${failures.length} failed (${programs.length} programs × ${opts.runtimes.length} runtimes)`,
    );
    if (failures.length) failed = true;
  }
} finally {
  scratch?.dispose();
}
process.exit(failed ? 1 : 0);
