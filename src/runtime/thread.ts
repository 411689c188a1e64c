/**
 * Threads of this process: starting a worker thread on a script, the thread this code runs in, and
 * a {@linkcode ByteStream} over a `MessagePort`, the link between two threads of one process. All
 * three runtimes run `node:worker_threads`: Web Workers started faster bare on Deno and Bun (README,
 * Threads), but only `node:worker_threads` gives the ports, transfers and `unref` the link needs
 * alike on all three, and a finished thread's worker is reused anyway. A port is reachable only by
 * the threads it was handed to, so a link over one needs no handshake.
 *
 * @module
 */
import process from "node:process";
import type { MessagePort, Worker } from "node:worker_threads";
import type { ByteStream } from "./adapter.ts";
import { builtin } from "./builtin.ts";

/** The buffers of a side list to transfer (the shared ones are not), each once. */
function transferList(side: (ArrayBuffer | SharedArrayBuffer)[]): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const b of side) if (b instanceof ArrayBuffer && !out.includes(b)) out.push(b);
  return out;
}

type _WorkerThreads = typeof import("node:worker_threads");

function _wt(): _WorkerThreads {
  return builtin<_WorkerThreads>("node:worker_threads");
}

/** How long an ended thread's port may take to report its close before its stream ends anyway. */
const _CLOSE_WAIT_MS = 2000;

/** A started thread, seen from the thread that started it. */
export interface ThreadHandle {
  /** The runtime's thread id (unique within the process). */
  readonly threadId: number;
  /** Resolves with the thread's exit code once it has ended. */
  readonly exited: Promise<number>;
  /** The stream to the thread (the other end of the port handed to it). */
  readonly stream: ByteStream;
  /** Stops the thread at once, wherever its code is. */
  terminate(): void;
  /** Let the thread keep this thread's event loop alive until it ends. */
  ref(): void;
  /** Stop the thread from keeping this thread's event loop alive. */
  unref(): void;
}

/** The thread this code runs in. */
export interface ThreadContext {
  /** Whether this is the process's main thread. */
  isMain: boolean;
  /** The runtime's id of this thread (0 in the main thread). */
  threadId: number;
  /** What the starting thread handed over (undefined in the main thread). */
  data: unknown;
}

/**
 * The thread this code runs in.
 * @returns Whether it is the main thread, its id, and the data it was started with.
 * @example
 * ```ts
 * const { isMain } = threadContext();
 * ```
 */
export function threadContext(): ThreadContext {
  const wt = _wt();
  return { isMain: wt.isMainThread, threadId: wt.isMainThread ? 0 : wt.threadId, data: wt.workerData };
}

/**
 * A {@linkcode ByteStream} over one end of a `MessageChannel`. Each write is one message (a copy
 * made at once, so the caller may reuse its buffer). A posted message is queued at the other end at
 * once, and the port's close comes after the messages queued before it, so nothing written is lost
 * when the writer's thread ends right after: `flushed()` is always done. (Node's
 * `receiveMessageOnPort` would drain the queue at once, but crashes the process on a port the other
 * end has closed.) The stream closes when either end closes the port, or when {@linkcode ThreadHandle} sees
 * the thread end (a terminated thread's port reports no close on every runtime).
 * @param port One end of a channel.
 * @returns The stream, and `end()` to close it from outside.
 * @example
 * ```ts
 * const { port1 } = new MessageChannel();
 * const { stream } = portStream(port1);
 * ```
 */
export function portStream(port: MessagePort): { stream: ByteStream; end(): void } {
  const closeCbs: Array<() => void> = [];
  let closed = false;
  let onData: ((chunk: Uint8Array, side?: (ArrayBuffer | SharedArrayBuffer)[]) => void) | undefined;
  const receive = (m: unknown): void => {
    if (m instanceof Uint8Array) onData?.(m);
    else if (Array.isArray(m) && m.length === 2 && m[0] instanceof Uint8Array && Array.isArray(m[1])) {
      onData?.(m[0], m[1]);
    } else end(); // only this library writes to the port: anything else is a broken link
  };
  const end = (): void => {
    if (closed) return;
    closed = true;
    try {
      port.close();
    } catch { /* already closed */ }
    for (const cb of closeCbs.splice(0)) cb();
  };
  port.on("close", end);
  const stream: ByteStream = {
    write(data: Uint8Array, side?: (ArrayBuffer | SharedArrayBuffer)[]): boolean {
      if (closed) return true;
      // A view of a larger buffer would be cloned whole: send just its bytes.
      const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
      const bytes = whole ? data : data.slice();
      if (side === undefined) port.postMessage(bytes);
      else port.postMessage([bytes, side], transferList(side));
      return true;
    },
    flushed: () => undefined,
    onData(cb: (chunk: Uint8Array, side?: (ArrayBuffer | SharedArrayBuffer)[]) => void): void {
      onData = cb;
      port.on("message", receive);
    },
    onClose(cb: () => void): void {
      if (closed) queueMicrotask(cb);
      else closeCbs.push(cb);
    },
    onDrain(): void {},
    close: end,
    ref: () => port.ref(),
    unref: () => port.unref(),
  };
  return { stream, end };
}

/**
 * Starts a worker thread running the module `script`, handing it `data` and a port whose other end
 * becomes the returned handle's stream.
 * @param script URL of the module the thread runs.
 * @param data Anything structured clone can copy (a secret may go here: it never leaves the process).
 * @returns The handle.
 * @throws {Error} If the runtime refuses a thread.
 * @example
 * ```ts
 * const t = startThread(new URL("./thread_bootstrap.ts", import.meta.url), { setup });
 * ```
 */
export function startThread(script: URL, data: Record<string, unknown>): ThreadHandle {
  const wt = _wt();
  const { port1, port2 } = new wt.MessageChannel();
  const worker: Worker = new wt.Worker(script, {
    workerData: { ...data, port: port2 },
    transferList: [port2],
  });
  const threadId = worker.threadId;
  const { stream, end } = portStream(port1);
  let ended = false;
  let terminated = false;
  let portClosed = false;
  stream.onClose(() => (portClosed = true));
  const exited = new Promise<number>((resolve) => {
    const done = (code: number): void => {
      if (ended) return;
      ended = true;
      // A thread that ended by itself closes its port after the messages it posted: wait for the
      // close, so they are read first (bounded, in case a runtime does not report it). A terminated
      // thread's port may never report a close: what it posted is dropped, as a killed process's
      // unsent bytes are.
      if (portClosed || terminated) {
        end();
        resolve(code);
        return;
      }
      const timer = setTimeout(end, _CLOSE_WAIT_MS);
      stream.onClose(() => {
        clearTimeout(timer);
        resolve(code);
      });
    };
    worker.once("exit", (code: number) => done(typeof code === "number" ? code : 1));
    worker.once("error", () => done(1));
  });
  return {
    threadId,
    exited,
    stream,
    terminate: () => {
      terminated = true;
      void worker.terminate().catch(() => {});
    },
    ref: () => worker.ref(),
    unref: () => worker.unref(),
  };
}

/**
 * Watches this thread's `process.stdout`/`stderr` for writes (`console.log` writes there on Node
 * and Bun). Output a worker thread wrote reaches the process's stdout only asynchronously, through
 * the runtime's own channel, and is flushed when the worker exits: a thread that wrote must end its
 * worker, so that its output comes before its `join()` returns.
 * @returns `wrote()`: whether anything was written since `reset()`.
 * @example
 * ```ts
 * const out = watchOutput();
 * console.log(out.wrote());
 * ```
 */
export function watchOutput(): { wrote(): boolean; reset(): void } {
  let wrote = false;
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...a: unknown[]) => boolean;
    (stream as unknown as { write: (...a: unknown[]) => boolean }).write = (...a: unknown[]) => {
      wrote = true;
      return write(...a);
    };
  }
  return { wrote: () => wrote, reset: () => void (wrote = false) };
}

/**
 * Whether this thread's event loop has nothing left to run that the runtime reports
 * (`process.getActiveResourcesInfo()`: handles and requests on Node, timers on Deno; Bun reports
 * none). Checked a macrotask later, so that what just finished has been closed.
 * @returns True when idle (or the runtime reports nothing).
 * @example
 * ```ts
 * if (await loopIsIdle()) console.log("nothing pending");
 * ```
 */
export async function loopIsIdle(): Promise<boolean> {
  await new Promise((r) => setTimeout(r, 0));
  const info = (process as unknown as { getActiveResourcesInfo?: () => string[] }).getActiveResourcesInfo?.();
  return info === undefined || info.length === 0;
}
