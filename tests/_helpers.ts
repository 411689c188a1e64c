// Shared test helpers: temp files, running a fixture script as its own root process, process liveness.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import assert from "node:assert/strict";
import { enumerateThreads } from "../src/thread/current.ts";
import { detect } from "../src/runtime/adapter.ts";
import { processGone } from "../src/runtime/liveness.ts";

/** Which runtime runs this test file. */
export const RUNTIME: "node" | "deno" | "bun" = detect();

/** A fresh temp directory, removed by the returned cleanup. */
export function tempDir(): { dir: string; file(name: string): string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mp-test-"));
  return { dir, file: (n) => path.join(dir, n), cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Reads and parses a JSON file written by a child. */
export function readJson<T = any>(file: string): T {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

/** Path of a fixture. */
export function fixture(name: string): string {
  return path.join(path.dirname(new URL(import.meta.url).pathname), "fixtures", name);
}

/** The command line that runs a script on this runtime. */
export function scriptCommand(script: string, args: string[] = []): [string, string[]] {
  if (RUNTIME === "deno") return [process.execPath, ["run", "-A", script, ...args]];
  return [process.execPath, [script, ...args]];
}

/** `p`, or a rejection naming `what` after `ms` (a wait that hangs fails its test, not the run). */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((
        _,
        rej,
      ) => (timer = setTimeout(() => rej(new Error(`${what}: no answer within ${ms} ms`)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs a fixture script as an independent root process and collects its output.
 * `exposeGc` runs it with the garbage collector exposed (`globalThis.gc`) on every runtime.
 */
export function runScript(
  script: string,
  args: string[] = [],
  options: { timeout?: number; env?: Record<string, string>; exposeGc?: boolean } = {},
): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  const [cmd, plain] = scriptCommand(script, args);
  const argv = !options.exposeGc
    ? plain
    : RUNTIME === "deno"
    ? [plain[0], "--v8-flags=--expose-gc", ...plain.slice(1)]
    : ["--expose-gc", ...plain];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(
          `${script} did not finish within ${options.timeout ?? 30000} ms\nstdout: ${stdout}\nstderr: ${stderr}`,
        ),
      );
    }, options.timeout ?? 30000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** True when no process `pid` runs (zombies count as gone: PID 1 here does not reap them). */
export const isGone: (pid: number) => boolean = processGone;

/** Waits until `cond()` holds, checking every 20 ms; false after `timeout` ms. */
export async function until(cond: () => boolean, timeout: number): Promise<boolean> {
  const end = Date.now() + timeout;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}

/** What a pool's workers are: processes, or threads of this process (ThreadPool, ThreadPoolExecutor). */
export type WorkerKind = "process" | "thread";

/**
 * Whether pool worker `id` (an entry of `_pids`) has ended: its process is gone, or no live thread of
 * this process has that id (the pool's worker threads are threads this process started).
 */
export function workerGone(kind: WorkerKind): (id: number) => boolean {
  if (kind === "process") return processGone;
  return (id) => !enumerateThreads().some((t) => t.ident === id);
}

/** Waits until `file` exists (a fixture wrote it with writeAtomic) and returns its text. */
export async function waitForFile(file: string, timeout = 30_000): Promise<string> {
  assert.ok(await until(() => fs.existsSync(file), timeout), `${file} did not appear within ${timeout} ms`);
  return fs.readFileSync(file, "utf8");
}
