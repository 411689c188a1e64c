/**
 * Node adapter: `node:child_process` spawns, Unix sockets through `node:net`.
 *
 * @module
 */
import { spawn as cpSpawn } from "node:child_process";
import process from "node:process";
import { pathToFileURL } from "node:url";
import type { ChildHandle, RuntimeAdapter, SpawnOptions } from "./adapter.ts";
import { commonOps, exitCodeOf } from "./_common.ts";
import { netConnect, netListen } from "./_net.ts";

// Flags that belong to the parent's own invocation and must not reach a child.
const _DROP = /^--(test|watch|inspect|eval|print|input-type|check|interactive|experimental-test|env-file)/;

/**
 * The parent's `execArgv` minus flags that only make sense for the parent (test runner, inspector,
 * eval). Loader flags (`--import tsx`, `--experimental-strip-types`, ...) are kept so a child can
 * import what the parent can.
 */
export function forwardedExecArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "-e" || a === "-p") {
      i++;
      continue;
    }
    if (_DROP.test(a)) {
      if (!a.includes("=") && i + 1 < argv.length && !argv[i + 1].startsWith("-") && /^--(eval|print|input-type|inspect-port|env-file)$/.test(a)) i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

function _spawn(options: SpawnOptions): ChildHandle {
  const child = cpSpawn(process.execPath, [...forwardedExecArgv(process.execArgv), options.script], {
    env: { ...process.env, ...options.env },
    cwd: options.cwd,
    stdio: ["pipe", "inherit", "inherit"],
  });
  // stdin stays open and unwritten: the child's watchdog reads EOF on it when we die.
  child.stdin?.on("error", () => {});
  const exited = new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code, signal) => resolve(exitCodeOf(code, signal)));
  });
  if (child.pid === undefined) throw new Error("Could not start a Node child process");
  const stdinHandle = child.stdin as unknown as { unref?(): void; ref?(): void };
  stdinHandle.unref?.();
  return {
    pid: child.pid,
    exited,
    kill: (sig) => void (child.exitCode === null && child.signalCode === null && child.kill(sig)),
    unref: () => child.unref(),
    ref: () => child.ref(),
  };
}

/** The Node implementation of {@linkcode RuntimeAdapter}. */
export const nodeAdapter: RuntimeAdapter = {
  name: "node",
  spawn: _spawn,
  listen: netListen,
  connect: netConnect,
  ...commonOps,
  exit: (code) => process.exit(code),
  mainScript: () => (process.argv[1] ? pathToFileURL(process.argv[1]).href : undefined),
  isMainModule: (meta) => (meta as { main?: boolean }).main,
};
