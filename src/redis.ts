/**
 * Beyond one machine: the same `Pool`, `ProcessPoolExecutor`, queues, dicts and locks, over Redis
 * (≥ 7, or Valkey), with worker nodes that run local pools. Import it from `multiproc/redis`; it
 * needs the `ioredis` package, loaded only when this backend is used.
 *
 * @module
 */
import * as fs from "node:fs";
import process from "node:process";
import { Pool } from "./pool.ts";
import { ProcessPoolExecutor } from "./executor.ts";
import type { EngineFactory } from "./pool/engine.ts";
import { cpuCount } from "./process/current.ts";
import { parseUrl } from "./redis/client.ts";
import { type ClusterCore, openCore, RECONNECT_TIMEOUT } from "./redis/core.ts";
import { RemoteEngine } from "./redis/engine.ts";
import { type ServeOptions, startNode, WorkerNode } from "./redis/node.ts";
import type { AcquireOptions } from "./sync/served/client.ts";
import { checkName } from "./redis/_prim.ts";
import { ClusterDict } from "./redis/dict.ts";
import { ClusterEvent } from "./redis/event.ts";
import { type Fence, type FenceOptions, StaleTokenError } from "./redis/fence.ts";
import { leaseOption, type LeaseOptions } from "./redis/lease.ts";
import { ClusterList } from "./redis/list.ts";
import { ClusterLock } from "./redis/lock.ts";
import { ClusterNamespace } from "./redis/namespace.ts";
import { ClusterJoinableQueue, ClusterQueue, type ClusterQueueWaitOptions } from "./redis/queue.ts";
import { ClusterSemaphore } from "./redis/semaphore.ts";

export {
  type AcquireOptions,
  ClusterDict,
  ClusterEvent,
  ClusterJoinableQueue,
  ClusterList,
  ClusterLock,
  ClusterNamespace,
  ClusterQueue,
  type ClusterQueueWaitOptions,
  ClusterSemaphore,
  type Fence,
  type FenceOptions,
  type LeaseOptions,
  StaleTokenError,
};

export { type ServeOptions, WorkerNode };

/**
 * Options of {@linkcode connect}.
 *
 * @example
 * ```ts
 * import type { ConnectOptions } from "multiproc/redis";
 * const options: ConnectOptions = { authkey: "a long random shared secret", namespace: "jobs" };
 * ```
 */
export interface ConnectOptions {
  /**
   * The cluster's shared secret (at least 16 bytes): every task, result and value in Redis is
   * signed with it, and nothing unsigned is decoded or run. Read it from a private file
   * ({@linkcode readAuthkey}), never from an environment variable.
   */
  authkey: string | Uint8Array;
  /** Separates clusters sharing one Redis (default `"default"`). */
  namespace?: string;
  /**
   * How long calls wait for a lost Redis to come back before they reject (ms, default 30 000).
   */
  reconnectTimeout?: number;
}

function _authkey(k: unknown): Uint8Array {
  const bytes = typeof k === "string" ? new TextEncoder().encode(k) : k;
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(
      "connect() needs options.authkey, the cluster's shared secret (a string or Uint8Array): " +
        "read it from a private file with readAuthkey(path)",
    );
  }
  if (bytes.length < 16) throw new RangeError(`The authkey must be at least 16 bytes, got ${bytes.length}`);
  return bytes.slice();
}

/**
 * Reads an authkey (or a password) from a file that only its owner can read: a regular file, owned
 * by this user, with no permission bits for group or others (e.g. mode 0600). Surrounding
 * whitespace is trimmed.
 * @param path The file.
 * @returns Its contents.
 * @throws {Error} If the file is missing, not a regular file, someone else's, or readable by others.
 * @example
 * ```ts
 * import { readAuthkey } from "multiproc/redis";
 * import * as fs from "node:fs";
 * import * as os from "node:os";
 * import * as path from "node:path";
 * const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "key-")), "authkey");
 * fs.writeFileSync(file, "0123456789abcdef0123456789abcdef\n", { mode: 0o600 });
 * console.log(readAuthkey(file).length); // 32
 * fs.rmSync(path.dirname(file), { recursive: true });
 * ```
 */
export function readAuthkey(path: string): string {
  const st = fs.lstatSync(path);
  if (!st.isFile()) throw new Error(`${path} is not a regular file`);
  const me = typeof process.getuid === "function" ? process.getuid() : undefined;
  if (me !== undefined && st.uid !== me) throw new Error(`${path} belongs to uid ${st.uid}, not to this user (${me})`);
  if ((st.mode & 0o077) !== 0) {
    throw new Error(
      `${path} can be read by others (mode ${(st.mode & 0o777).toString(8)}): chmod 600 ${path}`,
    );
  }
  return fs.readFileSync(path, "utf8").trim();
}

/**
 * A connection to a cluster: its classes and objects work like the local ones, across every
 * process on every machine that connects with the same URL, authkey and namespace.
 *
 * @example
 * ```ts
 * import { connect } from "multiproc/redis";
 * import { isMainProcess } from "multiproc";
 * export function square(x: number) { return x * x; }
 * if (isMainProcess(import.meta) && process.env.REDIS_URL) {
 *   await using cluster = await connect(process.env.REDIS_URL, { authkey: "0123456789abcdef" });
 *   await using pool = new cluster.Pool(); // worker nodes run `multiproc worker` with this module
 *   console.log(await pool.map(square, [1, 2, 3]));
 * }
 * ```
 */
export class Cluster implements AsyncDisposable {
  /** @internal */
  readonly _core: ClusterCore;
  /** The total worker processes of the live nodes when this handle connected (at least 1). */
  readonly processes: number;
  /**
   * A `Pool` whose workers are the cluster's worker nodes: the same methods and semantics, with
   * the differences listed in the README (no initializer; a timed-out task is abandoned, not
   * killed; functions must be exported from a module the nodes serve).
   */
  readonly Pool: typeof Pool;
  /** A `ProcessPoolExecutor` whose workers are the cluster's worker nodes. */
  readonly ProcessPoolExecutor: typeof ProcessPoolExecutor;

  /** Use {@linkcode connect}. @internal */
  constructor(core: ClusterCore, processes: number) {
    this._core = core;
    this.processes = processes;
    const engine: EngineFactory = (kind, size, _sizeName, o) => new RemoteEngine(core, kind, size, o);
    const defaultSize = () => this.processes;
    this.Pool = class extends Pool {
      static override readonly _engine: EngineFactory = engine;
      static override readonly _defaultSize: () => number = defaultSize;
    };
    this.ProcessPoolExecutor = class extends ProcessPoolExecutor {
      static override readonly _engine: EngineFactory = engine;
      static override readonly _defaultSize: () => number = defaultSize;
    };
  }

  /** The cluster's namespace (`connect`'s `namespace` option). */
  get namespaceName(): string {
    return this._core.namespace;
  }

  /**
   * Makes this process a worker node: a local pool of `processes` workers that runs the cluster's
   * tasks whose functions come from `modules`.
   * @param options `processes` (default: CPUs), `modules`, `name`.
   * @returns The node; `close()` it (or `await using`) to stop it.
   * @throws {TypeError} If `modules` is empty or an option has the wrong type.
   * @example
   * ```ts
   * import { connect } from "multiproc/redis";
   * if (process.env.REDIS_URL) {
   *   const cluster = await connect(process.env.REDIS_URL, { authkey: "0123456789abcdef" });
   *   await using node = await cluster.serve({ processes: 2, modules: [new URL("./tasks.ts", import.meta.url)] });
   * }
   * ```
   */
  serve(options: ServeOptions): Promise<WorkerNode> {
    return startNode(this._core, options, cpuCount());
  }

  // The named primitives: every connected process that names one reaches the same object.

  /**
   * The queue `name`, shared by every process connected to the cluster: the methods and errors of
   * the local `Queue`. An item is never lost when a consumer dies inside `get()`.
   * @param name The queue's name (1-200 characters, no braces or whitespace).
   * @param maxsize Most items at once (0, the default: no limit); give the same in every process.
   * @returns A handle (cheap: make as many as you like).
   * @throws {TypeError} If the name is malformed or `maxsize` is not a number.
   * @throws {RangeError} If `maxsize` is negative or not an integer.
   * @example
   * ```ts
   * import { connect } from "multiproc/redis";
   * if (process.env.REDIS_URL) {
   *   await using cluster = await connect(process.env.REDIS_URL, { authkey: "0123456789abcdef" });
   *   const jobs = cluster.Queue<number>("jobs");
   *   await jobs.put(1);
   *   console.log(await jobs.get()); // 1
   * }
   * ```
   */
  Queue<T = unknown>(name: string, maxsize = 0): ClusterQueue<T> {
    return new ClusterQueue<T>(this._core, checkName("Queue", name), maxsize);
  }

  /**
   * The joinable queue `name`: a cluster `Queue` with `taskDone()` and `join()`, counted across
   * every process.
   * @param name The queue's name (a JoinableQueue and a Queue of one name are the same items).
   * @param maxsize Most items at once (0, the default: no limit).
   * @returns A handle.
   * @throws {TypeError} If the name is malformed or `maxsize` is not a number.
   * @throws {RangeError} If `maxsize` is negative or not an integer.
   * @example
   * ```ts
   * import { connect } from "multiproc/redis";
   * if (process.env.REDIS_URL) {
   *   await using cluster = await connect(process.env.REDIS_URL, { authkey: "0123456789abcdef" });
   *   const q = cluster.JoinableQueue<number>("batch");
   *   await q.put(1);
   *   await q.get();
   *   await q.taskDone();
   *   await q.join();
   * }
   * ```
   */
  JoinableQueue<T = unknown>(name: string, maxsize = 0): ClusterJoinableQueue<T> {
    return new ClusterJoinableQueue<T>(this._core, checkName("JoinableQueue", name), maxsize);
  }

  /**
   * The dict `name`: the methods of the manager's `DictProxy`; writes take `{ fence: lock }`.
   * @param name The dict's name.
   * @returns A handle.
   * @throws {TypeError} If the name is malformed.
   * @example
   * ```ts
   * import { connect } from "multiproc/redis";
   * if (process.env.REDIS_URL) {
   *   await using cluster = await connect(process.env.REDIS_URL, { authkey: "0123456789abcdef" });
   *   const d = cluster.dict<number>("scores");
   *   await d.set("ada", 3);
   *   console.log(await d.toObject()); // { ada: 3 }
   * }
   * ```
   */
  dict<V = unknown>(name: string): ClusterDict<V> {
    return new ClusterDict<V>(this._core, checkName("dict", name));
  }

  /**
   * The list `name`: the methods of the manager's `ListProxy`.
   * @param name The list's name.
   * @returns A handle.
   * @throws {TypeError} If the name is malformed.
   * @example
   * ```ts
   * import { connect } from "multiproc/redis";
   * if (process.env.REDIS_URL) {
   *   await using cluster = await connect(process.env.REDIS_URL, { authkey: "0123456789abcdef" });
   *   const l = cluster.list<number>("samples");
   *   await l.extend([1, 2]);
   *   console.log(await l.pop(0)); // 1
   * }
   * ```
   */
  list<V = unknown>(name: string): ClusterList<V> {
    return new ClusterList<V>(this._core, checkName("list", name));
  }

  /**
   * The namespace object `name`: the methods of the manager's `NamespaceProxy`, named as the
   * manager's `namespace()` (the cluster's namespace string is {@linkcode namespaceName}).
   * @param name The namespace object's name.
   * @returns A handle.
   * @throws {TypeError} If the name is malformed.
   * @example
   * ```ts
   * import { connect } from "multiproc/redis";
   * if (process.env.REDIS_URL) {
   *   await using cluster = await connect(process.env.REDIS_URL, { authkey: "0123456789abcdef" });
   *   const run = cluster.namespace("run");
   *   await run.set("phase", 1);
   *   console.log(await run.get("phase")); // 1
   * }
   * ```
   */
  namespace(name: string): ClusterNamespace {
    return new ClusterNamespace(this._core, checkName("namespace", name));
  }

  /**
   * The lock `name`: `acquire`, `release`, `locked`, `hold` as on the local `Lock`, held with a
   * lease renewed while held, and a fencing `token` per acquire.
   * @param name The lock's name.
   * @param options `lease` in ms (default 10 000): a dead holder's lock frees after it.
   * @returns A handle (one holder: a handle holds the lock at most once).
   * @throws {TypeError} If the name is malformed.
   * @throws {RangeError} If the lease is not an integer ≥ 100.
   * @example
   * ```ts
   * import { connect } from "multiproc/redis";
   * if (process.env.REDIS_URL) {
   *   await using cluster = await connect(process.env.REDIS_URL, { authkey: "0123456789abcdef" });
   *   const lock = cluster.Lock("migrations", { lease: 5000 });
   *   await using _ = await lock.hold();
   *   console.log(lock.token); // a fencing token, larger than every earlier holder's
   * }
   * ```
   */
  Lock(name: string, options?: LeaseOptions): ClusterLock {
    return new ClusterLock(this._core, checkName("Lock", name), leaseOption(options, "cluster.Lock()"));
  }

  /**
   * The semaphore `name`: `acquire`, `release`, `getValue`, `hold` as on the local `Semaphore`;
   * each slot taken is held with a lease renewed while held.
   * @param name The semaphore's name.
   * @param value The initial value, set by the first use anywhere (default 1).
   * @param options `lease` in ms (default 10 000).
   * @returns A handle.
   * @throws {TypeError} If the name is malformed.
   * @throws {RangeError} If `value` is not an integer from 0 to 2^31-1, or the lease not ≥ 100.
   * @example
   * ```ts
   * import { connect } from "multiproc/redis";
   * if (process.env.REDIS_URL) {
   *   await using cluster = await connect(process.env.REDIS_URL, { authkey: "0123456789abcdef" });
   *   const gpu = cluster.Semaphore("gpus", 2);
   *   await using _ = await gpu.hold();
   * }
   * ```
   */
  Semaphore(name: string, value = 1, options?: LeaseOptions): ClusterSemaphore {
    return new ClusterSemaphore(
      this._core,
      checkName("Semaphore", name),
      value,
      leaseOption(options, "cluster.Semaphore()"),
    );
  }

  /**
   * The event `name`: `set`, `clear`, `isSet`, `wait` as on the local `Event`.
   * @param name The event's name.
   * @returns A handle.
   * @throws {TypeError} If the name is malformed.
   * @example
   * ```ts
   * import { connect } from "multiproc/redis";
   * if (process.env.REDIS_URL) {
   *   await using cluster = await connect(process.env.REDIS_URL, { authkey: "0123456789abcdef" });
   *   const go = cluster.Event("go");
   *   await go.set();
   *   console.log(await go.wait(0)); // true
   * }
   * ```
   */
  Event(name: string): ClusterEvent {
    return new ClusterEvent(this._core, checkName("Event", name));
  }

  /** Closes the connections; calls still in flight reject. */
  close(): Promise<void> {
    this._core.close();
    return Promise.resolve();
  }

  /** Same as {@linkcode close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Connects to a cluster.
 * @param url `redis://[user:password@]host[:port][/db]`, `rediss://...` for TLS, or
 *   `unix:///path/redis.sock[?password=...]`.
 * @param options The authkey (required), namespace and reconnect timeout.
 * @returns The cluster handle.
 * @throws {AuthenticationError} If Redis refuses the URL's credentials.
 * @throws {Error} If Redis cannot be reached, or the ioredis package is missing.
 * @throws {TypeError} If the URL or an option is malformed.
 * @example
 * ```ts
 * import { connect } from "multiproc/redis";
 * if (process.env.REDIS_URL) {
 *   await using cluster = await connect(process.env.REDIS_URL, { authkey: "0123456789abcdef", namespace: "demo" });
 *   console.log(cluster.namespace); // demo
 * }
 * ```
 */
export async function connect(url: string, options: ConnectOptions): Promise<Cluster> {
  const endpoint = parseUrl(url);
  if (typeof options !== "object" || options === null) {
    throw new TypeError("connect() needs an options object with the cluster's authkey");
  }
  const key = _authkey(options.authkey);
  const namespace = options.namespace ?? "default";
  if (typeof namespace !== "string" || !/^[\w.-]{1,64}$/.test(namespace)) {
    throw new TypeError(
      `The namespace must be 1-64 letters, digits, '_', '.' or '-', got ${JSON.stringify(namespace)}`,
    );
  }
  const timeout = options.reconnectTimeout ?? RECONNECT_TIMEOUT;
  if (typeof timeout !== "number" || !(timeout >= 0)) throw new TypeError("reconnectTimeout must be a number ≥ 0");
  const core = await openCore(endpoint, key, namespace, timeout);
  let processes = 0;
  try {
    const now = Date.now();
    const nodes = await core.cmd.call("ZRANGEBYSCORE", core.key("pool", "nodes"), String(now), "+inf") as string[];
    for (const n of nodes) processes += Number(JSON.parse(n).processes) || 0;
  } catch { /* no nodes yet */ }
  return new Cluster(core, Math.max(1, processes));
}
