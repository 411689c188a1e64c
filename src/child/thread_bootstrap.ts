/**
 * What a thread runs: take the setup and the port its starter handed over, adopt the process's
 * identity with the thread's own address, run the target as a child process would, wait for the
 * processes and non-daemon threads it started, and end with Python's codes (0 ok, 1 uncaught error,
 * n for exit(n)). An uncaught error is printed as `threading.excepthook` prints it, and sent to the
 * starter, whose `Thread.error` it becomes.
 *
 * After a target that returned, with nothing left on this thread's event loop, the worker tells its
 * starter it is done and waits for the next thread's setup, or to be told to stop
 * (`thread/workers.ts`).
 *
 * @module
 */
import process from "node:process";
import type { MessagePort } from "node:worker_threads";
import { runtime } from "../runtime/adapter.ts";
import { moduleBeside } from "../runtime/module_beside.ts";
import { loopIsIdle, portStream, threadContext, watchOutput } from "../runtime/thread.ts";
import { encodeError, setTypeLoader } from "../channel/codec.ts";
import { node } from "../core/node.ts";
import { importModule } from "../core/target.ts";
import { finishChildren } from "../process/current.ts";
import { currentThreadObject } from "../thread.ts";
import { finishThreads, setCurrentThread } from "../thread/current.ts";
import type { ThreadSetup } from "../thread/setup.ts";
import { THREAD_INBOX, THREAD_NEXT } from "../thread/workers.ts";
import { errorReport, runTarget } from "./run_target.ts";

// The whole library: loaded when a message holds a library object of a type this thread has not
// loaded yet.
const _LIBRARY = moduleBeside(import.meta.url, "../../mod.ts", "mod").href;

async function _main(): Promise<void> {
  const { threadId, data } = threadContext();
  const { setup: first, port } = data as { setup: ThreadSetup; port: MessagePort };
  const parentPeer = node.threadPeer(portStream(port).stream, undefined);
  let next: (s: ThreadSetup | null) => void = () => {};
  node.register(THREAD_NEXT, { call: (m, a) => next(m === "run" ? a[0] as ThreadSetup : null) });
  setTypeLoader(() => importModule(_LIBRARY));
  const output = watchOutput();
  for (let setup: ThreadSetup | null = first; setup !== null;) {
    node.adopt(setup, parentPeer);
    output.reset();
    const info = { name: setup.thread.name, ident: threadId, daemon: setup.thread.daemon };
    setCurrentThread(info);
    try {
      await runTarget(setup, (cls, fields) => {
        const t = currentThreadObject(cls, fields, info);
        setCurrentThread(info, t);
        return t;
      });
    } catch (e) {
      process.stderr.write(errorReport(`Exception in thread ${setup.thread.name}:`, e));
      try {
        parentPeer.notify(THREAD_INBOX, "error", [encodeError(e)]);
        parentPeer.flush();
      } catch { /* the starter is gone */ }
      runtime.exit(1);
    }
    await finishChildren();
    await finishThreads();
    for (const hook of node.beforeExit) await hook();
    // Work the target left running (a timer, a server) ends with the thread, as a child process's
    // does at exit, and output it wrote is flushed when its worker exits: such a worker is not reused.
    if (!setup.thread.reuse || output.wrote() || !(await loopIsIdle())) break;
    const arrived = new Promise<ThreadSetup | null>((r) => (next = r));
    parentPeer.hold(); // parked: alive until told; the starter's side does not keep the process alive
    parentPeer.notify(THREAD_INBOX, "done", []);
    setup = await arrived;
    parentPeer.release();
  }
  parentPeer.flush();
  runtime.exit(0);
}

void _main();
