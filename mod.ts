/**
 * multiproc — Python's `multiprocessing` for TypeScript, one API on Deno, Bun and Node.
 *
 * Start real OS processes, talk between them, coordinate them and fan work out.
 *
 * @example
 * ```ts
 * import { Process, isMainProcess } from "multiproc";
 *
 * export function worker(n: number) {
 *   console.log("hello from child", n);
 * }
 *
 * if (isMainProcess(import.meta)) {
 *   const p = new Process({ target: worker, args: [1] });
 *   p.start();
 *   await p.join();
 * }
 * ```
 *
 * @module
 */
export { Process, type ProcessOptions, type Target } from "./src/process.ts";
export { activeChildren, cpuCount, currentProcess, exit, isMainProcess, parentProcess } from "./src/process/current.ts";
export { Thread, type ThreadOptions } from "./src/thread.ts";
export { move } from "./src/move.ts";
export { activeCount, currentThread, enumerateThreads, isMainThread, mainThread } from "./src/thread/current.ts";
export {
  AuthenticationError,
  BrokenBarrierError,
  BrokenProcessPool,
  BufferTooShort,
  CancelledError,
  Empty,
  EOFError,
  Full,
  RemoteError,
  StateError,
  TimeoutError,
  WorkerLostError,
} from "./src/errors.ts";
export { registerErrorClass } from "./src/channel/codec.ts";
export { Connection, Pipe } from "./src/connection.ts";
export { wait } from "./src/connection/wait.ts";
export {
  type ApplyAsyncOptions,
  AsyncResult,
  type CallOptions,
  type MapAsyncOptions,
  type MapOptions,
  Pool,
  type PoolOptions,
  ThreadPool,
} from "./src/pool.ts";
export {
  asCompleted,
  type ExecutorOptions,
  Future,
  ProcessPoolExecutor,
  type ReturnWhen,
  ThreadPoolExecutor,
  waitFutures,
} from "./src/executor.ts";
export {
  type ArrayProxy,
  type BarrierProxy,
  type ConditionProxy,
  type DictProxy,
  type EventProxy,
  type JoinableQueueProxy,
  type ListProxy,
  type LockProxy,
  type NamespaceProxy,
  type QueueProxy,
  type SemaphoreProxy,
  type ValueProxy,
} from "./src/manager/proxies.ts";
export { Manager } from "./src/manager.ts";
export { JoinableQueue, Queue, type QueueWaitOptions, SimpleQueue } from "./src/queue.ts";
export { type AcquireOptions, Lock } from "./src/sync/lock.ts";
export { RLock } from "./src/sync/rlock.ts";
export { BoundedSemaphore, Semaphore } from "./src/sync/semaphore.ts";
export { Event } from "./src/sync/event.ts";
export { Condition } from "./src/sync/condition.ts";
export { Barrier, type BarrierOptions } from "./src/sync/barrier.ts";
export { SharedArray, type SharedOptions, type SharedView, type Typecode, Value, type Widen } from "./src/shared.ts";
