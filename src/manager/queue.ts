/**
 * The queue a manager process serves for `Manager.Queue()` / `JoinableQueue()`: Python's
 * `queue.Queue` behind a proxy (FIFO, optional maxsize, `Empty`/`Full`, task accounting). The
 * state is a {@linkcode QueueServer}, the same that serves a `Queue`; this file is the proxies'
 * request protocol on top of it, which checks every argument (requests come over a link).
 *
 * @module
 */
import type { Peer } from "../channel/peer.ts";
import type { Served } from "../core/node.ts";
import { QueueServer } from "../queue/server.ts";
import { _show, blockArg, timeoutArg } from "../sync/served/common.ts";

/** A served FIFO queue: a {@linkcode QueueServer} answering the proxies' requests. */
export class ServedQueue implements Served {
  #label: string;
  #server: QueueServer;

  /**
   * @param maxsize Largest number of items (0: unbounded).
   * @param label Name used in errors.
   * @throws {RangeError} If `maxsize` is not a non-negative integer.
   */
  constructor(maxsize: unknown = 0, label = "Queue") {
    if (typeof maxsize !== "number" || !Number.isInteger(maxsize) || maxsize < 0) {
      throw new RangeError(`${label} maxsize must be a non-negative integer (0 for unbounded), got ${_show(maxsize)}`);
    }
    this.#label = label;
    // Every put counts an unfinished task, also on a Queue (its proxy just has no taskDone()).
    this.#server = new QueueServer(maxsize, true, label);
  }

  /** Runs a request: put(item, block, timeout), get(block, timeout), qsize, empty, full, taskDone, join. */
  call(method: string, args: unknown[], peer: Peer | null): unknown {
    const what = `${this.#label}.${method}()`;
    switch (method) {
      case "put": {
        const block = blockArg(args[1], what);
        const timeout = timeoutArg(args[2], what);
        // A zero timeout answers at once, like block: false.
        return this.#server.put(args[0], block && timeout !== 0, timeout ?? undefined, peer);
      }
      case "get": {
        const block = blockArg(args[0], what);
        const timeout = timeoutArg(args[1], what);
        return this.#server.get("", 0, block && timeout !== 0, timeout ?? undefined, peer);
      }
      case "qsize":
        return this.#server.qsize();
      case "empty":
        return this.#server.qsize() === 0;
      case "full":
        return this.#server.full();
      case "taskDone":
        return this.#server.taskDone();
      case "join":
        return this.#server.join(peer);
    }
    throw new TypeError(`${this.#label} has no method ${_show(method)}`);
  }

  /** A process went away: its blocked gets and puts are dropped. */
  peerClosed(peer: Peer): void {
    this.#server.peerClosed(peer);
  }
}
