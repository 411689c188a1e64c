/**
 * Node adapter: `node:child_process` spawns, Unix sockets through `node:net` (`net.ts`), shared
 * memory through the optional `koffi` package (`shm.ts`).
 *
 * @module
 */
import { spawn as cpSpawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { pathToFileURL } from "node:url";
import type { ChildHandle, RuntimeAdapter, SpawnOptions } from "../adapter.ts";
import { commonOps } from "../_common.ts";
import { privateEntry } from "../private_entry.ts";
import { exitCodeOf } from "../signals.ts";
import { nodeConnect, nodeListen } from "./net.ts";
import { loadNodeNative } from "./shm.ts";

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
      if (
        !a.includes("=") && i + 1 < argv.length && !argv[i + 1].startsWith("-") &&
        /^--(eval|print|input-type|inspect-port|env-file)$/.test(a)
      ) i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

let _cacheDir: string | undefined | null;

/**
 * `dir` made (or found) private: a real directory, not a symlink, owned by this uid, mode 0700 (the
 * check sweeps use too, `privateEntry`). Anything else at that path is left alone and refused
 * (another user may have planted a symlink or an open directory in the shared temp folder to make
 * us write where they choose).
 * @param dir The directory.
 * @returns `dir`, or undefined when it cannot be used.
 * @internal
 */
export function privateCacheDir(dir: string): string | undefined {
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as { code?: string }).code !== "EEXIST") return undefined;
  }
  return privateEntry(dir, "dir") ? dir : undefined;
}

/**
 * A private (0700, ours) directory for Node's compile cache, so children skip re-compiling (and
 * re-stripping TypeScript in) the modules every child loads: ~150 ms → ~25 ms per child start.
 * When the path is taken by something that is not ours and private, children run without a cache.
 */
function _compileCache(): string | undefined {
  if (_cacheDir === undefined) {
    _cacheDir = privateCacheDir(path.join(os.tmpdir(), `multiproc-node-cache-${process.getuid?.() ?? "u"}`)) ?? null;
  }
  return _cacheDir ?? undefined;
}

function _spawn(options: SpawnOptions): ChildHandle {
  const env: Record<string, string | undefined> = { ...process.env, ...options.env };
  if (env.NODE_COMPILE_CACHE === undefined) {
    const dir = _compileCache();
    if (dir) env.NODE_COMPILE_CACHE = dir;
  }
  const child = cpSpawn(process.execPath, [...forwardedExecArgv(process.execArgv), options.script], {
    env,
    cwd: options.cwd,
    stdio: ["pipe", "inherit", "inherit"],
  });
  // After the secret, stdin stays open and unwritten: the child's watchdog reads EOF on it when we die.
  child.stdin?.on("error", () => {});
  if (options.stdin) child.stdin?.write(options.stdin);
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
  listen: nodeListen,
  connect: nodeConnect,
  ...commonOps,
  exit: (code) => process.exit(code),
  mainScript: () => (process.argv[1] ? pathToFileURL(process.argv[1]).href : undefined),
  loadShmNative: loadNodeNative,
};
