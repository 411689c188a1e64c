/**
 * The orphan watchdog: a child must die when its parent dies, even by SIGKILL and even while its
 * main thread is stuck in a synchronous loop. The parent holds the write end of the child's stdin
 * and never writes; a worker thread in the child blocks reading stdin and, on EOF (the kernel
 * closes the pipe when the parent dies), kills its own process.
 *
 * @module
 */
import { Worker } from "node:worker_threads";

let _started = false;

/** Starts the watchdog thread once (it never keeps the process alive). */
export function startWatchdog(): void {
  if (_started) return;
  _started = true;
  const ext = import.meta.url.endsWith(".ts") ? ".ts" : import.meta.url.endsWith(".cjs") ? ".cjs" : ".js";
  const url = new URL(ext === ".ts" ? "./watchdog_worker.ts" : `./watchdog_worker${ext}`, import.meta.url);
  try {
    const w = new Worker(url);
    w.unref();
    w.on("error", () => {});
  } catch { /* no worker support: the parent's exit handler and link EOF remain */ }
}
