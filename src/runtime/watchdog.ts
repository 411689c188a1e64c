/**
 * The orphan watchdog: a child must die when its parent dies, even by SIGKILL and even while its
 * main thread is stuck in a synchronous loop, so the mechanism must live off the main thread.
 *
 * - Bun: the parent starts children with `BUN_FEATURE_FLAG_NO_ORPHANS=1`; Bun's runtime then ties
 *   the child's life to its parent (checked by the orphan test).
 * - Deno with `--allow-ffi`: `prctl(PR_SET_PDEATHSIG, SIGKILL)` through `Deno.dlopen`: the kernel kills
 *   us when the parent dies (children are spawned from Deno's main thread, which lives as long as the
 *   process). Cheap: a worker thread would cost Deno ~30-90 ms of blocked start-up per child.
 * - Node on Linux with util-linux's `setpriv`: the parent starts the child through
 *   `setpriv --pdeathsig KILL` (`node/adapter.ts`, which sets `MULTIPROC_PDEATHSIG=1`), so the kernel
 *   already kills us when the parent dies; we only check that it had not died before that took effect.
 * - Node with the optional `koffi` package: the same `prctl` through koffi (~9 ms at start, where a
 *   worker thread costs ~40 ms of CPU that competes with the child's own start-up).
 * - Otherwise (Node without koffi; Deno without FFI): a worker thread blocks reading stdin, a pipe whose write end
 *   only the parent holds; when the parent dies the kernel closes it, the thread reads EOF and
 *   SIGKILLs its own process. (The parent's only write on it, the one-time token, is read by
 *   `child/bootstrap.ts` before the watchdog starts.)
 *
 * @module
 */
import process from "node:process";
import { runtime } from "./adapter.ts";
import { builtin } from "./builtin.ts";
import { moduleBeside } from "./module_beside.ts";

let _started = false;
// Read (and removed, so this process's own children do not inherit the claim) when this module loads.
const _deathSignalSet = runtime.name === "node" && runtime.getEnv("MULTIPROC_PDEATHSIG") === "1";
if (_deathSignalSet) runtime.deleteEnv("MULTIPROC_PDEATHSIG");

interface _DenoFfi {
  permissions: { querySync(d: { name: string }): { state: string } };
  dlopen(path: string, symbols: Record<string, { parameters: string[]; result: string }>): {
    symbols: Record<string, (...a: unknown[]) => number>;
  };
}

function _denoDeathSignal(parentPid: number): boolean {
  const D = (globalThis as unknown as { Deno: _DenoFfi }).Deno;
  try {
    if (process.platform !== "linux" || D.permissions.querySync({ name: "ffi" }).state !== "granted") return false;
    const libc = D.dlopen("libc.so.6", {
      prctl: { parameters: ["i32", "u64", "u64", "u64", "u64"], result: "i32" },
      getppid: { parameters: [], result: "i32" },
    });
    if (libc.symbols.prctl(1, /* PR_SET_PDEATHSIG */ 9, 0, 0, 0) !== 0) return false;
    // The parent may have died before prctl took effect.
    if (libc.symbols.getppid() !== parentPid) process.kill(process.pid, "SIGKILL");
    return true;
  } catch {
    return false;
  }
}

interface _Koffi {
  load(path: string): { func(signature: string): (...a: number[]) => number };
}

function _koffiDeathSignal(parentPid: number): boolean {
  if (process.platform !== "linux") return false;
  try {
    const { createRequire } = builtin<typeof import("node:module")>("node:module");
    const koffi = createRequire(import.meta.url)("koffi") as _Koffi;
    const libc = koffi.load("libc.so.6");
    const prctl = libc.func(
      "int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)",
    );
    const getppid = libc.func("int getppid()");
    if (prctl(1, /* PR_SET_PDEATHSIG */ 9, 0, 0, 0) !== 0) return false;
    if (getppid() !== parentPid) process.kill(process.pid, "SIGKILL");
    return true;
  } catch {
    return false;
  }
}

function _workerUrl(): URL {
  return moduleBeside(import.meta.url, "./watchdog_worker.ts", "watchdog_worker");
}

/**
 * Ties this child's life to its parent's, once. Never keeps the process alive.
 * @param parentPid The parent's pid.
 */
export function startWatchdog(parentPid: number): void {
  if (_started) return;
  _started = true;
  const rt = runtime.name;
  // MULTIPROC_WATCHDOG=thread forces the portable thread; =ffi makes a Node parent skip setpriv, so
  // the child's own prctl runs (the tests check every way).
  const threadOnly = process.env.MULTIPROC_WATCHDOG === "thread";
  if (threadOnly) return _startThread(rt);
  if (rt === "bun" && process.env.BUN_FEATURE_FLAG_NO_ORPHANS === "1") return;
  if (rt === "node" && _deathSignalSet) {
    // setpriv set it before Node started; a parent that died before that left us to another parent.
    if (process.ppid !== parentPid) process.kill(process.pid, "SIGKILL");
    return;
  }
  if (rt === "node" && _koffiDeathSignal(parentPid)) return;
  if (rt === "deno" && _denoDeathSignal(parentPid)) return;
  _startThread(rt);
}

function _startThread(rt: string): void {
  if (rt === "deno") {
    try {
      // Deno's web Worker starts faster than its node:worker_threads polyfill. The child always ends
      // with an explicit exit, so the worker cannot hold it open.
      new (globalThis as unknown as { Worker: new (u: URL, o: { type: string }) => unknown }).Worker(_workerUrl(), {
        type: "module",
      });
      return;
    } catch { /* fall through */ }
  }
  try {
    const { Worker } = builtin<typeof import("node:worker_threads")>("node:worker_threads");
    const w = new Worker(_workerUrl());
    w.unref();
    w.on("error", () => {});
  } catch { /* no worker support: the parent's exit hook remains */ }
}
