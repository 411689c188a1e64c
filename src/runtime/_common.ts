/**
 * Pieces every adapter shares: signal numbers, process-level hooks and the environment, all through
 * `node:process`/`node:os`, which the three runtimes implement alike.
 *
 * @module
 */
import * as fs from "node:fs";
import process from "node:process";
import * as os from "node:os";

/** Signal name → number ("SIGTERM" → 15). */
export function signalNumber(name: string): number {
  const n = (os.constants.signals as Record<string, number>)[name];
  return typeof n === "number" ? n : 0;
}

/** Python's exit code from an OS exit report: the code, or minus the signal number. */
export function exitCodeOf(code: number | null | undefined, signal: string | number | null | undefined): number {
  if (signal !== null && signal !== undefined) {
    return -(typeof signal === "number" ? signal : signalNumber(signal));
  }
  return code ?? 0;
}

/** Common process-level operations (signal, exit hook, env). */
export const commonOps = {
  signal(pid: number, signal: "SIGTERM" | "SIGKILL" | "SIGINT" | 0): boolean {
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  },
  onExit(fn: () => void): void {
    process.on("exit", fn);
  },
  getEnv(name: string): string | undefined {
    try {
      return process.env[name];
    } catch {
      return undefined;
    }
  },
  deleteEnv(name: string): void {
    try {
      delete process.env[name];
    } catch { /* not permitted */ }
  },
  readStdin(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let got = 0;
    let nap: Int32Array | undefined;
    while (got < n) {
      let r: number;
      try {
        r = fs.readSync(0, out, got, n - got, null);
      } catch (e) {
        // stdin may be non-blocking (inherited that way): wait a little for the parent's write.
        const code = (e as { code?: string }).code;
        if (code !== "EAGAIN" && code !== "EWOULDBLOCK" && code !== "EINTR") break;
        Atomics.wait(nap ??= new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
        continue;
      }
      if (r === 0) break;
      got += r;
    }
    return out.subarray(0, got);
  },
};

/**
 * True when no process `pid` runs. A zombie (or dead) entry in `/proc` counts as gone: PID 1 on some
 * machines never reaps. A process of another user (EPERM) counts as running.
 * @param pid The process id.
 * @returns Whether it is gone.
 */
export function processGone(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as { code?: string }).code !== "EPERM";
  }
  const s = _startAndState(pid);
  return s ? _dead(s.state) : false;
}

/** A zombie or dead entry: the process has ended (PID 1 here may never reap it). */
function _dead(state: string): boolean {
  return state === "Z" || state === "X";
}

/** Our own pid namespace (its inode number), or undefined when `/proc` does not say. */
let _ownNs: string | null | undefined;
function _pidNamespace(): string | undefined {
  if (_ownNs === undefined) {
    try {
      _ownNs = /^pid:\[(\d+)\]$/.exec(fs.readlinkSync("/proc/self/ns/pid"))?.[1] ?? null;
    } catch {
      _ownNs = null;
    }
  }
  return _ownNs ?? undefined;
}

/** Field 22 of `/proc/<pid>/stat` (start time in clock ticks since boot) and the state, or undefined. */
function _startAndState(pid: number): { start: string; state: string } | undefined | null {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch (e) {
    return (e as { code?: string }).code === "ENOENT" ? null : undefined;
  }
  // Fields after the parenthesised command name (which may contain ") "): state is field 3.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return rest.length > 19 ? { start: rest[19], state: rest[0] } : undefined;
}

/**
 * A proof of which process `pid` is, beyond its pid: `"<pid>-<start time>-<pid namespace>"`. A pid is
 * reused, and means another process in another pid namespace; the three together name one process.
 * Files a process tree leaves behind carry its root's stamp, so a sweep can tell a dead tree from a
 * live one ({@linkcode stampGone}).
 * @param pid The process id (usually `process.pid`).
 * @returns The stamp, or undefined when `/proc` cannot tell (not Linux, or not permitted).
 */
export function processStamp(pid: number): string | undefined {
  const ns = _pidNamespace();
  const s = _startAndState(pid);
  return ns && s ? `${pid}-${s.start}-${ns}` : undefined;
}

/**
 * Whether the process a {@linkcode processStamp} names is proven gone: true when its pid is free, a
 * zombie, or now another process (another start time); false when it runs; undefined when this
 * process cannot tell (another pid namespace, a malformed stamp, `/proc` unreadable). Sweeps
 * remove only what is proven gone.
 * @param stamp A stamp as made by {@linkcode processStamp}.
 * @returns true, false or undefined (see above).
 */
export function stampGone(stamp: string): boolean | undefined {
  const m = /^(\d+)-(\d+)-(\d+)$/.exec(stamp);
  const ns = _pidNamespace();
  if (!m || !ns || m[3] !== ns) return undefined;
  const s = _startAndState(Number(m[1]));
  if (s === null) return true;
  if (s === undefined) return undefined;
  return s.start !== m[2] || _dead(s.state);
}

/**
 * Whether a sweep may remove `path`: a real directory (mode exactly 0700) or regular file (exactly
 * 0600), not a symlink, owned by this uid. Anything else was not made by this library as this user.
 * @param path The entry.
 * @param kind What it must be.
 * @returns Whether it passes.
 */
export function privateEntry(path: string, kind: "dir" | "file"): boolean {
  try {
    const st = fs.lstatSync(path);
    if (kind === "dir" ? !st.isDirectory() : !st.isFile()) return false;
    if ((st.mode & 0o777) !== (kind === "dir" ? 0o700 : 0o600)) return false;
    return process.getuid === undefined || st.uid === process.getuid();
  } catch {
    return false;
  }
}

/**
 * A module that a child process or thread runs by path, next to the calling module: `source`
 * (relative to `base`) when running from TypeScript source, else `built` plus the calling
 * bundle's own extension (`.js`, or `.cjs` in the CommonJS build).
 * @param base The caller's `import.meta.url`.
 * @param source Path of the TypeScript source, relative to `base`.
 * @param built File name (no extension) of the built entry, beside the bundle.
 * @returns The module's URL.
 */
export function moduleBeside(base: string, source: string, built: string): URL {
  if (base.endsWith(".ts")) return new URL(source, base);
  return new URL(`./${built}${base.endsWith(".cjs") ? ".cjs" : ".js"}`, base);
}
