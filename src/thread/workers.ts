/**
 * The worker threads behind `Thread` objects. A worker starts for a thread; when that thread's
 * target has returned and the worker's event loop has nothing left to run (no timer, socket or
 * request the runtime reports), the worker is _parked_: it waits, unref'ed (it never keeps the
 * process alive), for the next `Thread` this thread starts, which then runs in it without the cost
 * of a new worker (~20–60 ms of a runtime's start). A parked worker is stopped after
 * {@linkcode IDLE_MS}, and at most {@linkcode MAX_IDLE} wait at once. A worker whose thread threw,
 * called `exit()` or was terminated is never reused.
 *
 * @module
 */
import type { Peer } from "../channel/peer.ts";
import { node } from "../core/node.ts";
import { moduleBeside } from "../runtime/module_beside.ts";
import { startThread, type ThreadHandle } from "../runtime/thread.ts";
import type { ThreadSetup } from "./setup.ts";

const _BOOTSTRAP: URL = moduleBeside(import.meta.url, "../child/thread_bootstrap.ts", "thread_bootstrap");

/** How long a parked worker waits for the next thread before it is stopped, in ms. */
export const IDLE_MS = 2000;
/** Most parked workers at once. */
export const MAX_IDLE = 4;

/** The id under which a thread's starter hears from the thread (its error, its end). @internal */
export const THREAD_INBOX = "thread";
/** The id under which a parked worker takes its next thread (or is told to stop). @internal */
export const THREAD_NEXT = "thread-next";

/** The `Thread` a worker runs now: told what the thread sends, and when it has ended. */
export interface ThreadOwner {
  message(method: string, args: unknown[]): void;
  ended(code: number): void;
}

/** A worker thread, seen from the thread that starts `Thread`s on it. */
export interface ThreadWorker {
  readonly handle: ThreadHandle;
  readonly peer: Peer;
  /** The worker's address (it keeps one for its whole life, whichever thread it runs). */
  readonly address: string;
}

interface _Worker extends ThreadWorker {
  owner: ThreadOwner | undefined;
  idle: ReturnType<typeof setTimeout> | undefined;
}

const _parked: _Worker[] = [];

function _unpark(w: _Worker): void {
  const i = _parked.indexOf(w);
  if (i >= 0) _parked.splice(i, 1);
  clearTimeout(w.idle);
  w.idle = undefined;
}

function _park(w: _Worker): void {
  w.handle.unref();
  if (_parked.length >= MAX_IDLE) {
    w.peer.notify(THREAD_NEXT, "stop", []);
    return;
  }
  _parked.push(w);
  w.idle = setTimeout(() => {
    _unpark(w);
    w.peer.notify(THREAD_NEXT, "stop", []);
  }, IDLE_MS);
  (w.idle as { unref?(): void }).unref?.();
}

function _ended(w: _Worker, code: number): void {
  const owner = w.owner;
  w.owner = undefined;
  owner?.ended(code);
}

/**
 * Runs a thread with `setup` on a parked worker, or on a new one.
 * @param setup The thread's setup (its `self` is set to the worker's address).
 * @param owner The `Thread` object, told what the thread sends and when it ends.
 * @param daemon Whether the thread may keep the process alive (false) or not (true).
 * @param fresh Start a new worker even if one is parked.
 * @returns The worker.
 * @throws {Error} If the runtime refuses a thread.
 */
export function runThread(
  setup: Omit<ThreadSetup, "self">,
  owner: ThreadOwner,
  daemon: boolean,
  fresh = false,
): ThreadWorker {
  let w = fresh ? undefined : _parked.pop();
  if (w !== undefined) {
    _unpark(w);
    w.owner = owner;
    w.peer.notify(THREAD_NEXT, "run", [{ ...setup, self: w.address }]);
  } else {
    const parentAddress = setup.parentAddress;
    const address = `${parentAddress.replace(/(\.t\d+)?\.sock$/, "")}.t${node.nextNumber(2)}.sock`;
    const handle = startThread(_BOOTSTRAP, { setup: { ...setup, self: address } });
    const fresh: _Worker = { handle, address, owner, idle: undefined, peer: undefined as unknown as Peer };
    (fresh as { peer: Peer }).peer = node.threadPeer(handle.stream, address, (p, t, m, a) => {
      if (t !== THREAD_INBOX) return node.dispatch(p, t, m, a);
      if (m === "done") {
        _ended(fresh, 0);
        _park(fresh);
      } else fresh.owner?.message(m, a);
    });
    void handle.exited.then((code) => {
      _unpark(fresh);
      _ended(fresh, code);
    });
    w = fresh;
  }
  if (daemon) w.handle.unref();
  else w.handle.ref();
  return w;
}
