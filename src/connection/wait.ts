/**
 * `wait()`: Python's `multiprocessing.connection.wait`, over pipe ends and processes.
 *
 * @module
 */
import { Connection, pollCancelable } from "../connection.ts";
import { StateError } from "../errors.ts";
import { Process } from "../process.ts";

/**
 * Waits until at least one of `objects` is ready, or `timeout` ms pass: a connection is ready
 * when `recv` would not wait (a message, or EOF), a process when it has exited.
 * @param objects Connections and started processes.
 * @param timeout Milliseconds; omitted waits without limit; 0 or negative answers at once.
 * @returns The ready objects (empty after a timeout), in the order given.
 * @throws {TypeError} If `objects` holds something else.
 * @example
 * ```ts
 * import { isMainProcess, Pipe, Process, wait, type Connection } from "multiproc";
 * import assert from "node:assert/strict";
 * export async function reply(conn: Connection<string>) { await conn.send("done"); }
 * if (isMainProcess(import.meta)) {
 *   const [quiet] = Pipe<string>();
 *   const [mine, theirs] = Pipe<string>();
 *   const p = new Process({ target: reply, args: [theirs] });
 *   p.start();
 *   assert.deepEqual(await wait([quiet, mine], 10_000), [mine]); // mine has a message to read
 *   await p.join();
 *   assert.deepEqual(await wait([quiet, p], 0), [p]); // an exited process is ready
 * }
 * ```
 */
export async function wait(
  objects: Array<Connection | Process>,
  timeout?: number,
): Promise<Array<Connection | Process>> {
  if (!Array.isArray(objects)) throw new TypeError("wait() expects an array of Connection and Process objects");
  for (const o of objects) {
    if (!(o instanceof Connection) && !(o instanceof Process)) {
      throw new TypeError(`wait() accepts Connection and Process objects, got ${o === null ? "null" : typeof o}`);
    }
    if (o instanceof Process && o._exited === undefined) {
      throw new StateError(`Cannot wait() for ${o.name}: it has not been started`);
    }
  }
  if (timeout !== undefined && timeout !== null && typeof timeout !== "number") {
    throw new TypeError(`wait() timeout must be a number of milliseconds, got ${typeof timeout}`);
  }
  const now = await _readyNow(objects);
  const limit = timeout ?? Infinity;
  if (now.length > 0 || !(limit > 0)) return now;
  const polls: Array<{ cancel(): void }> = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const first = new Promise<boolean>((resolve) => {
    for (const o of objects) {
      if (o instanceof Connection) {
        const p = pollCancelable(o, Infinity);
        polls.push(p);
        p.done.then((r) => r && resolve(true), () => resolve(true));
      } else void o._exited!.then(() => resolve(true));
    }
    if (Number.isFinite(limit)) timer = setTimeout(() => resolve(false), limit);
  });
  const any = await first;
  clearTimeout(timer);
  for (const p of polls) p.cancel();
  return any ? await _readyNow(objects) : [];
}

async function _readyNow(objects: Array<Connection | Process>): Promise<Array<Connection | Process>> {
  const flags = await Promise.all(objects.map((o) => {
    if (o instanceof Process) return o.exitCode !== null;
    if (o.closed || !o.readable) return false;
    return pollCancelable(o, 0).done.catch(() => true);
  }));
  return objects.filter((_, i) => flags[i]);
}
