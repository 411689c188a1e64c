/**
 * Whether a process still runs, judged from `process.kill(pid, 0)` and `/proc`: by pid
 * ({@linkcode processGone}), or by a stamp that names one process beyond its pid
 * ({@linkcode processStamp}, {@linkcode stampGone}), and which stamp a leftover's name carries
 * ({@linkcode nameStamp}). The library's sweeps, the tests and `scripts/check_leftovers.mjs` all
 * ask here.
 *
 * @module
 */
import * as fs from "node:fs";
import process from "node:process";

/**
 * True when no process `pid` runs. A zombie (or dead) entry in `/proc` counts as gone: PID 1 on some
 * machines never reaps. A process of another user (EPERM) counts as running.
 * @param pid The process id.
 * @returns Whether it is gone.
 * @example
 * ```ts
 * processGone(process.pid); // false
 * ```
 */
export function processGone(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as { code?: string }).code !== "EPERM";
  }
  const s = _startAndState(pid);
  // null where /proc exists: it ended (and was reaped) between the two looks.
  if (s === null) return _procMounted();
  return s ? _dead(s.state) : false;
}

let _proc: boolean | undefined;
function _procMounted(): boolean {
  return _proc ??= fs.existsSync("/proc/self/stat");
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

/**
 * Field 22 of `/proc/<pid>/stat` (start time in clock ticks since boot) and the state; null when no
 * such process, undefined when `/proc` cannot tell.
 */
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
 * @example
 * ```ts
 * processStamp(process.pid); // "12345-678901-4026531836" on Linux
 * ```
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
 * @example
 * ```ts
 * stampGone(processStamp(process.pid)!); // false
 * ```
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

const _nameForms = new Map<string, RegExp>();

/**
 * The root stamp in the name of something a process tree leaves behind, `<prefix>-<stamp>-<random>`:
 * its socket folder (`multiproc-…` in the temp folder) and its shared-memory segments (`mp-…` in
 * `/dev/shm`). Names without a stamp (the older, pid-only naming) give undefined.
 * @param name The file or folder name.
 * @param prefix The prefix the name was made with.
 * @returns The stamp, or undefined when `name` is not of that form.
 * @example
 * ```ts
 * nameStamp("mp-12345-678901-4026531836-9f3a", "mp"); // "12345-678901-4026531836"
 * ```
 */
export function nameStamp(name: string, prefix: string): string | undefined {
  let form = _nameForms.get(prefix);
  if (form === undefined) {
    form = new RegExp(`^${prefix.replace(/[^A-Za-z0-9_]/g, "\\$&")}-(\\d+-\\d+-\\d+)-[A-Za-z0-9]+$`);
    _nameForms.set(prefix, form);
  }
  return form.exec(name)?.[1];
}
