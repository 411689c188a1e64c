/**
 * A pool task (one call, or a chunk of calls) with its state, and how a worker's end is described.
 *
 * @module
 */
import { signalName } from "../runtime/signals.ts";

/** Task states. */
export const TASK_QUEUED = 0;
/** In a worker's window. */
export const TASK_DISPATCHED = 1;
/** Settled. */
export const TASK_DONE = 2;
const _QUEUED = TASK_QUEUED;
const _DONE = TASK_DONE;

/** One unit of work: a call, or a chunk of calls, and what to do with its outcome. */
export class PoolTask {
  /** Engine-wide id. */
  id = 0;
  /** 0 queued, 1 in a worker's window, 2 settled. */
  state: number = _QUEUED;
  /** The worker whose window holds the task. */
  worker: unknown;
  /** Function number (see {@linkcode PoolEngine.functionId}). */
  readonly fnId: number;
  /** Task mode (see `pool/worker.ts`). */
  readonly mode: number;
  /** Args (apply) or items (chunks). */
  readonly payload: unknown;
  /** Receives the result (ok) or an Error. Called exactly once. */
  readonly settle: (ok: boolean, value: unknown) => void;
  /** When it was sent to an idle worker (performance.now()), else 0: its round trip measures the overhead. */
  sentAt = 0;
  /** Called when the task enters a worker's window. */
  onDispatch: (() => void) | undefined;

  /**
   * @param fnId Function number.
   * @param mode Task mode.
   * @param payload Args or items.
   * @param settle Outcome handler.
   */
  constructor(fnId: number, mode: number, payload: unknown, settle: (ok: boolean, value: unknown) => void) {
    this.fnId = fnId;
    this.mode = mode;
    this.payload = payload;
    this.settle = settle;
  }

  /** Whether the task has not settled yet. */
  get pending(): boolean {
    return this.state !== _DONE;
  }

  /** Whether the task waits in the queue (no worker has it yet). */
  get queued(): boolean {
    return this.state === _QUEUED;
  }
}

/** Signals another process sends (a user, a supervisor, the OOM killer); a crash raises others. */
const _OUTSIDE_SIGNALS: ReadonlySet<string> = new Set(["SIGKILL", "SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT"]);

/**
 * Whether an exit code means the process was killed from outside (SIGKILL, SIGTERM, SIGINT,
 * SIGHUP, SIGQUIT) rather than ending by itself (an exit code, or a crash such as SIGSEGV/SIGABRT).
 */
export function killedFromOutside(code: number): boolean {
  return code < 0 && _OUTSIDE_SIGNALS.has(signalName(-code));
}

/** Describes how a worker ended, for error messages (a thread's -15 is its `terminate()`). */
export function describeExit(code: number, thread = false): string {
  if (thread && code === -15) return "was terminated (exit code -15)";
  return code < 0 ? `was killed by ${signalName(-code)} (exit code ${code})` : `exited with code ${code}`;
}
