/**
 * What a thread's starter hands it: a child's setup, plus the thread's own address, the counters
 * shared by the threads of its process, and its name and daemon flag. `Thread.start()` passes it
 * with the thread's port in the worker's data; `child/thread_bootstrap.ts` reads it.
 *
 * @module
 */
import type { ChildSetup } from "../process/setup.ts";

/** The setup of a thread. */
export interface ThreadSetup extends Omit<ChildSetup, "parent"> {
  /** The process's parent (null in the root process). */
  parent: { name: string; pid: number } | null;
  /** The thread's own address (it listens there only if it serves objects). */
  self: string;
  /** Counters shared by the threads of the process (`ProcessNode.counters`). */
  counters: Int32Array;
  /** The thread's name and daemon flag, and whether its worker may run the next thread after it. */
  thread: { name: string; daemon: boolean; reuse: boolean };
}
