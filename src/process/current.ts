/**
 * The process this code runs in: `currentProcess`, `parentProcess`, `activeChildren`, `cpuCount`,
 * `isMainProcess` and `exit`, and the registry of the children it started (daemon ones are
 * terminated when it exits; a child's bootstrap waits for the others with `finishChildren`).
 *
 * @module
 */
import * as fs from "node:fs";
import * as os from "node:os";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { runtime } from "../runtime/adapter.ts";
import { node } from "../core/node.ts";
import type { Process } from "../process.ts";

const _children = new Set<Process>();
let _exitHook = false;

/**
 * Counts `p` as a child of this process until it exits (`Process.start()` calls it).
 * @param p The started process.
 * @returns A function to call once it has exited.
 */
export function trackChild(p: Process): () => void {
  if (!_exitHook) {
    _exitHook = true;
    runtime.onExit(() => {
      for (const c of _children) if (c.daemon && c.exitCode === null) c.terminate();
    });
  }
  _children.add(p);
  return () => void _children.delete(p);
}

/**
 * Name, pid and daemon flag of the process this code runs in ("MainProcess" in the root).
 *
 * @example
 * ```ts
 * import { currentProcess, isMainProcess, Process } from "multiproc";
 * import assert from "node:assert/strict";
 * import process from "node:process";
 * export function whoAmI() {
 *   assert.equal(currentProcess().name, "worker-1");
 *   assert.equal(currentProcess().pid, process.pid);
 * }
 * if (isMainProcess(import.meta)) {
 *   assert.equal(currentProcess().name, "MainProcess");
 *   const p = new Process({ target: whoAmI, name: "worker-1" });
 *   p.start();
 *   await p.join();
 *   assert.equal(p.exitCode, 0);
 * }
 * ```
 */
export function currentProcess(): { name: string; pid: number; daemon: boolean } {
  return { name: node.name, pid: process.pid, daemon: node.daemon };
}

/**
 * Name and pid of the parent process, or null in the root process.
 *
 * @example
 * ```ts
 * import { isMainProcess, parentProcess, Process } from "multiproc";
 * import assert from "node:assert/strict";
 * import process from "node:process";
 * export function child(parentPid: number) {
 *   assert.deepEqual(parentProcess(), { name: "MainProcess", pid: parentPid });
 * }
 * if (isMainProcess(import.meta)) {
 *   assert.equal(parentProcess(), null);
 *   const p = new Process({ target: child, args: [process.pid] });
 *   p.start();
 *   await p.join();
 *   assert.equal(p.exitCode, 0);
 * }
 * ```
 */
export function parentProcess(): { name: string; pid: number } | null {
  return node.parent ? { ...node.parent } : null;
}

/**
 * Children started by this process that have not exited yet.
 *
 * @example
 * ```ts
 * import { activeChildren, isMainProcess, Process } from "multiproc";
 * import assert from "node:assert/strict";
 * export function nap(ms: number) { return new Promise((r) => setTimeout(r, ms)); }
 * if (isMainProcess(import.meta)) {
 *   const p = new Process({ target: nap, args: [50] });
 *   p.start();
 *   assert.ok(activeChildren().includes(p));
 *   await p.join();
 *   assert.equal(activeChildren().length, 0);
 * }
 * ```
 */
export function activeChildren(): Process[] {
  return [..._children].filter((p) => p.exitCode === null);
}

/**
 * Number of CPUs this process may use: the default size of a `Pool` and of a
 * `ProcessPoolExecutor`.
 *
 * @example
 * ```ts
 * import { cpuCount } from "multiproc";
 * import assert from "node:assert/strict";
 * const n = cpuCount();
 * assert.ok(Number.isInteger(n) && n >= 1);
 * console.log(`${n} CPUs`);
 * ```
 */
export function cpuCount(): number {
  return typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
}

/**
 * True only for the entry module of the root process: the guard that keeps a child, which imports
 * its target's module, from running the script's main code again. Works on Node versions without
 * `import.meta.main` too.
 *
 * @param meta The caller's `import.meta`.
 * @example
 * ```ts
 * import { isMainProcess } from "multiproc";
 * if (isMainProcess(import.meta)) console.log("entry point of the root process");
 * ```
 */
export function isMainProcess(meta: ImportMeta): boolean {
  if (node.isChild) return false;
  const known = runtime.isMainModule(meta);
  if (typeof known === "boolean") return known;
  const main = runtime.mainScript();
  if (!main || !meta?.url) return false;
  try {
    const a = fs.realpathSync(fileURLToPath(meta.url));
    const b = fs.realpathSync(fileURLToPath(main));
    return a === b || a.replace(/\.[cm]?[jt]s$/, "") === b;
  } catch {
    return meta.url === main;
  }
}

/**
 * Ends the current process at once with `code` (like Python's `sys.exit` in a child); the parent
 * sees it as `exitCode`.
 * @param code Exit status, 0–255 (default 0).
 * @returns Never: the process ends.
 * @throws {TypeError} If `code` is not an integer.
 * @example
 * ```ts
 * import { exit, isMainProcess, Process } from "multiproc";
 * import assert from "node:assert/strict";
 * export function quit(code: number) {
 *   exit(code);
 * }
 * if (isMainProcess(import.meta)) {
 *   const p = new Process({ target: quit, args: [3] });
 *   p.start();
 *   await p.join();
 *   assert.equal(p.exitCode, 3);
 * }
 * ```
 */
export function exit(code = 0): never {
  if (!Number.isInteger(code)) throw new TypeError(`exit() code must be an integer, got ${code}`);
  return runtime.exit(code);
}

/** Waits for every non-daemon child to exit and terminates daemon ones (Python's exit handler). */
export async function finishChildren(): Promise<void> {
  for (const p of _children) if (p.daemon) p.terminate();
  await Promise.all([..._children].map((p) => p.join().catch(() => {})));
}
