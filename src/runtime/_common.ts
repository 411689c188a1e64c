/**
 * Pieces every adapter shares: signal numbers, process-level hooks and the environment, all through
 * `node:process`/`node:os`, which the three runtimes implement alike.
 *
 * @module
 */
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
};
