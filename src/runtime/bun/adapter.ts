/**
 * Bun adapter: `Bun.spawn` spawns, Unix sockets through `Bun.listen`/`Bun.connect` (`net.ts`), shared
 * memory through `bun:ffi` (`shm.ts`).
 *
 * Bun takes Node's command line and `process` model, so this adapter reuses the Node adapter's
 * pieces for them: the flags passed on to a child (`forwardedExecArgv`), `exit` and `mainScript`.
 *
 * @module
 */
import process from "node:process";
import type { ChildHandle, RuntimeAdapter, SpawnOptions } from "../adapter.ts";
import { commonOps } from "../_common.ts";
import { exitCodeOf } from "../signals.ts";
import { forwardedExecArgv, nodeAdapter } from "../node/adapter.ts";
import { bunConnect, bunListen } from "./net.ts";
import { loadBunNative } from "./shm.ts";

interface _BunProc {
  pid: number;
  stdin: { write(data: Uint8Array): number; flush(): unknown };
  exited: Promise<number>;
  exitCode: number | null;
  signalCode: string | null;
  kill(sig?: string | number): void;
  ref(): void;
  unref(): void;
}
declare const Bun: {
  spawn(o: {
    cmd: string[];
    env: Record<string, string | undefined>;
    cwd?: string;
    stdin: "pipe";
    stdout: "inherit";
    stderr: "inherit";
  }): _BunProc;
};

function _spawn(options: SpawnOptions): ChildHandle {
  const proc = Bun.spawn({
    cmd: [process.execPath, ...forwardedExecArgv(process.execArgv), options.script],
    // Bun ties the child's life to ours (even by SIGKILL): see watchdog.ts.
    env: {
      ...process.env,
      ...options.env,
      ...(process.env.MULTIPROC_WATCHDOG === "thread" ? {} : { BUN_FEATURE_FLAG_NO_ORPHANS: "1" }),
    },
    cwd: options.cwd,
    stdin: "pipe",
    stdout: "inherit",
    stderr: "inherit",
  });
  // After the secret, stdin stays open and unwritten: the child's watchdog reads EOF on it when we die.
  if (options.stdin) {
    try {
      proc.stdin.write(options.stdin);
      proc.stdin.flush();
    } catch { /* the child is gone already; it fails on its own */ }
  }
  const exited = proc.exited.then(() => exitCodeOf(proc.exitCode, proc.signalCode));
  return {
    pid: proc.pid,
    exited,
    kill: (sig) => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(sig);
    },
    unref: () => proc.unref(),
    ref: () => proc.ref(),
  };
}

/** The Bun implementation of {@linkcode RuntimeAdapter}. */
export const bunAdapter: RuntimeAdapter = {
  name: "bun",
  spawn: _spawn,
  listen: bunListen,
  connect: bunConnect,
  ...commonOps,
  exit: nodeAdapter.exit,
  mainScript: nodeAdapter.mainScript,
  flushCompileCache: () => {},
  loadShmNative: loadBunNative,
};
