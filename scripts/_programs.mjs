// Shared by the scripts that check programs shown to users (scripts/doc_examples.mjs for the JSDoc
// examples, scripts/check_readme.mjs for README.md, scripts/check_examples_types.mjs and
// scripts/run_examples.mjs for examples/): write snippets out as .ts files, type-check files with
// `deno check` and strict `tsc`, and run a program on one runtime with a timeout.
//
// Snippets are written inside the repository (under .snippets/), not to the OS temp directory:
// `import ... from "multiproc"` is rewritten to a relative import of ./mod.ts, which both `tsc` and
// the three runtimes resolve, and tsc finds @types/node from there.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** A binary from node_modules/.bin (the pinned Node, Deno, Bun, tsc), else from PATH. */
export function bin(name) {
  const local = join(root, "node_modules", ".bin", name);
  return existsSync(local) ? local : name;
}

/** How each runtime runs a .ts file. */
export const RUNTIMES = {
  node: (file) => [bin("node"), [file]],
  deno: (file) => [bin("deno"), ["run", "-A", file]],
  bun: (file) => [bin("bun"), [file]],
};

/**
 * Parses `--runtime=`, `--timeout=`, `--verbose` and plain words; exits 2 on a bad value.
 * @returns {{ runtimes: string[], timeoutMs: number, verbose: boolean, words: string[], flags: Set<string> }}
 */
export function parseArgs(argv, usage, defaultTimeoutMs) {
  const out = { runtimes: [], timeoutMs: defaultTimeoutMs, verbose: false, words: [], flags: new Set() };
  for (const arg of argv) {
    if (arg.startsWith("--runtime=")) out.runtimes.push(arg.slice("--runtime=".length));
    else if (arg.startsWith("--timeout=")) out.timeoutMs = Number(arg.slice("--timeout=".length));
    else if (arg === "--verbose" || arg === "-v") out.verbose = true;
    else if (arg === "--help" || arg === "-h") {
      console.log(usage);
      process.exit(0);
    } else if (arg.startsWith("--")) out.flags.add(arg.slice(2));
    else out.words.push(arg);
  }
  for (const r of out.runtimes) {
    if (!RUNTIMES[r]) {
      console.error(`Unknown runtime "${r}": use node, deno or bun`);
      process.exit(2);
    }
  }
  if (!(out.timeoutMs > 0)) {
    console.error("--timeout must be a positive number of milliseconds");
    process.exit(2);
  }
  if (out.runtimes.length === 0) out.runtimes = Object.keys(RUNTIMES);
  return out;
}

/**
 * A fresh folder under .snippets/ for one run of one script; `dispose()` removes it (and
 * .snippets/ itself once empty).
 */
export function snippetDir(label) {
  const base = join(root, ".snippets");
  const dir = join(base, `${label}-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return {
    dir,
    /** Writes `code` as `<name>.ts`, importing this checkout's mod.ts for "multiproc" (redis.ts for "multiproc/redis"). */
    write(name, code) {
      const file = join(dir, `${name}.ts`);
      const mod = relative(dir, join(root, "mod.ts"));
      const redis = relative(dir, join(root, "redis.ts"));
      writeFileSync(
        file,
        code.replace(
          /(from\s+|import\s*\(\s*)(["'])multiproc(\/redis)?\2/g,
          (_, a, q, sub) => `${a}${q}${sub ? redis : mod}${q}`,
        ),
      );
      return file;
    },
    dispose() {
      rmSync(dir, { recursive: true, force: true });
      try {
        if (readdirSync(base).length === 0) rmdirSync(base);
      } catch { /* another run still uses it */ }
    },
  };
}

/** Drops ANSI colour codes. */
export const plain = (text) => text.replace(new RegExp(String.fromCharCode(27) + "\\[[0-9;]*m", "g"), "");

/** Deno's warnings about @types/node's own references, which say nothing about the checked code. */
const _noise = /^(Warning Failed resolving types\. .*|\s+at file:\/\/\/.*node_modules\/@types\/node\/.*)$/;

/**
 * Type-checks `files` with `deno check` and with `tsc` (this repository's tsconfig.json, strict, minus
 * its isolatedDeclarations: a user's program need not annotate its exports).
 * @returns {{ ok: boolean, output: string }[]} One result per checker, named in its output.
 */
export function typeCheck(files, scratchDir) {
  const results = [];
  const rel = files.map((f) => relative(root, f));
  const deno = spawnSync(bin("deno"), ["check", ...rel], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
  const denoOut = plain(`${deno.stdout}${deno.stderr}`).split("\n").filter((l) => !_noise.test(l) && !/^Check /.test(l))
    .join("\n").replace(/\nStack backtrace:[\s\S]*$/, "").trim();
  results.push({ name: "deno check", ok: deno.status === 0, output: denoOut });
  const config = join(scratchDir, "tsconfig.json");
  writeFileSync(
    config,
    JSON.stringify({
      extends: relative(scratchDir, join(root, "tsconfig.json")),
      compilerOptions: { strict: true, noEmit: true, isolatedDeclarations: false, declaration: false },
      include: files.map((f) => relative(scratchDir, f)),
    }),
  );
  const tsc = spawnSync(bin("tsc"), ["--noEmit", "-p", config], { cwd: root, encoding: "utf8" });
  results.push({ name: "tsc --strict", ok: tsc.status === 0, output: `${tsc.stdout}${tsc.stderr}`.trim() });
  rmSync(config, { force: true });
  return results;
}

/**
 * Runs one command in its own process group and kills the whole group on timeout.
 * @param {Record<string, string>} [env] Variables added to this process's environment.
 * @returns {Promise<{ code: number | null, signal: string | null, error: Error | null, timedOut: boolean, ms: number, stdout: string, stderr: string }>}
 */
export function runProgram(cmd, args, timeoutMs, env = {}) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(cmd, args, {
      cwd: root,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1", ...env },
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
        stdout: plain(Buffer.concat(stdout).toString("utf8")),
        stderr: Buffer.concat(stderr).toString("utf8"),
      });
    };
    child.on("error", (e) => finish(null, null, e));
    child.on("close", (code, signal) => finish(code, signal, null));
  });
}

/** What went wrong in a run, or an empty list. */
export function problemsOf(r, timeoutMs) {
  if (r.error) return [`could not start: ${r.error.message}`];
  if (r.timedOut) return [`timed out after ${timeoutMs} ms`];
  if (r.code !== 0) return [r.signal ? `killed by ${r.signal}` : `exit code ${r.code}`];
  return [];
}

/** The last `n` lines of `text`, indented. */
export const tail = (text, n = 15) => text.trimEnd().split("\n").slice(-n).map((l) => `      | ${l}`).join("\n");
