/**
 * Signal names and numbers, both ways, and Python's exit code for a process that ended: one table,
 * `node:os`'s `constants.signals`, which Node, Deno and Bun all provide.
 *
 * @module
 */
import * as os from "node:os";

const _byName = os.constants.signals as Readonly<Record<string, number>>;
let _byNumber: Map<number, string> | undefined;

/**
 * The number of a signal.
 * @param name A signal name such as `"SIGTERM"`.
 * @returns Its number on this platform (`15`), or 0 when the platform has no such signal.
 * @example
 * ```ts
 * signalNumber("SIGKILL"); // 9 on Linux
 * ```
 */
export function signalNumber(name: string): number {
  const n = _byName[name];
  return typeof n === "number" ? n : 0;
}

/**
 * The name of a signal.
 * @param n A signal number (positive; an exit code of `-n` means "killed by signal n").
 * @returns Its name (`"SIGKILL"` for 9), or `"signal <n>"` when the platform has none for it.
 * @example
 * ```ts
 * signalName(15); // "SIGTERM"
 * ```
 */
export function signalName(n: number): string {
  if (!_byNumber) {
    // First name wins where two share a number (SIGIOT/SIGABRT, SIGPOLL/SIGIO): the table lists
    // the usual name first.
    _byNumber = new Map();
    for (const [name, num] of Object.entries(_byName)) if (!_byNumber.has(num)) _byNumber.set(num, name);
  }
  return _byNumber.get(n) ?? `signal ${n}`;
}

/**
 * Python's exit code from an OS exit report.
 * @param code The exit status, when the process exited.
 * @param signal The signal (name or number) that ended it, when one did.
 * @returns `code` (0 when absent), or minus the signal's number.
 * @example
 * ```ts
 * exitCodeOf(null, "SIGTERM"); // -15
 * ```
 */
export function exitCodeOf(code: number | null | undefined, signal: string | number | null | undefined): number {
  if (signal !== null && signal !== undefined) {
    return -(typeof signal === "number" ? signal : signalNumber(signal));
  }
  return code ?? 0;
}
