/**
 * Node adapter: `node:child_process` spawns, Unix sockets through `node:net` (`net.ts`), shared
 * memory through the optional `koffi` package (`shm.ts`).
 *
 * @module
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { pathToFileURL } from "node:url";
import type { ChildHandle, RuntimeAdapter, SpawnOptions } from "../adapter.ts";
import { commonOps } from "../_common.ts";
import { builtin } from "../builtin.ts";
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

let _setpriv: string | null | undefined;

/**
 * util-linux's `setpriv`, when it can start a child with `--pdeathsig` (Linux, util-linux >= 2.33),
 * looked up once at fixed system paths (never through PATH). `setpriv --pdeathsig KILL -- node ...`
 * sets the child's parent-death signal before it execs Node, so the kernel SIGKILLs the child when
 * this process dies, however it dies and whatever the child's main thread is doing: the orphan
 * guarantee at no cost in the child, where koffi's `prctl` took ~30 ms of its start and a watchdog
 * thread ~40 ms of CPU and ~10 MiB (`watchdog.ts`). The signal follows the thread that forks the
 * child, so only the main thread, which lives as long as the process, uses it.
 */
function _deathSignalLauncher(): string | undefined {
  if (_setpriv === undefined) {
    _setpriv = null;
    if (process.platform === "linux" && builtin<{ isMainThread: boolean }>("node:worker_threads").isMainThread) {
      for (const p of ["/usr/bin/setpriv", "/bin/setpriv", "/usr/sbin/setpriv", "/sbin/setpriv"]) {
        let bin: Buffer;
        try {
          bin = fs.readFileSync(p);
        } catch {
          continue;
        }
        // A setpriv that knows the option names it in its option table (util-linux >= 2.33); an older
        // one would refuse it and the child would never start. Reading the ~60 KiB binary costs far
        // less than running it once to ask (a fork of this whole process).
        if (bin.includes("pdeathsig")) _setpriv = p;
        break;
      }
    }
  }
  return _setpriv ?? undefined;
}

/**
 * The command that starts a Node child running `script`: through `setpriv --pdeathsig KILL` where
 * it can (the child is told by `MULTIPROC_PDEATHSIG=1` in `env`, and then needs no watchdog of its
 * own), else Node directly. `MULTIPROC_WATCHDOG=thread|ffi` (tests: the child's own mechanisms)
 * skips setpriv.
 */
function _command(script: string, env: Record<string, string | undefined>): string[] {
  const node = [process.execPath, ...forwardedExecArgv(process.execArgv), script];
  const launcher = env.MULTIPROC_WATCHDOG ? undefined : _deathSignalLauncher();
  if (!launcher) {
    delete env.MULTIPROC_PDEATHSIG;
    return node;
  }
  env.MULTIPROC_PDEATHSIG = "1";
  return [launcher, "--pdeathsig", "KILL", "--", ...node];
}

function _spawn(options: SpawnOptions): ChildHandle {
  const env: Record<string, string | undefined> = { ...process.env, ...options.env };
  if (env.NODE_COMPILE_CACHE === undefined) {
    const dir = _compileCache();
    if (dir) env.NODE_COMPILE_CACHE = dir;
  }
  const [cmd, ...args] = _command(options.script, env);
  const { spawn } = builtin<typeof import("node:child_process")>("node:child_process");
  const child = spawn(cmd, args, {
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
  // Writes what this process compiled into NODE_COMPILE_CACHE now: Node writes it only at a normal
  // exit, and pool workers end by SIGTERM (Node >= 22.10 has the call; on Node 20 it is a no-op).
  flushCompileCache: () => builtin<{ flushCompileCache?: () => void }>("node:module").flushCompileCache?.(),
};
