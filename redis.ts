/**
 * multiproc/redis — the same `Pool`, `ProcessPoolExecutor`, queues, dicts and locks across
 * machines, over Redis, with worker nodes that run local pools. Needs the `ioredis` package.
 *
 * @example
 * ```ts
 * import { connect } from "multiproc/redis";
 * import { isMainProcess } from "multiproc";
 * export function square(x: number) { return x * x; }
 * if (isMainProcess(import.meta) && process.env.REDIS_URL) {
 *   await using cluster = await connect(process.env.REDIS_URL, { authkey: "0123456789abcdef" });
 *   await using pool = new cluster.Pool();
 *   console.log(await pool.map(square, [1, 2, 3])); // [1, 4, 9], run by the worker nodes
 * }
 * ```
 *
 * @module
 */
export {
  type AcquireOptions,
  Cluster,
  ClusterDict,
  ClusterEvent,
  ClusterJoinableQueue,
  ClusterList,
  ClusterLock,
  ClusterNamespace,
  ClusterQueue,
  type ClusterQueueWaitOptions,
  ClusterSemaphore,
  connect,
  type ConnectOptions,
  type Fence,
  type FenceOptions,
  type LeaseOptions,
  readAuthkey,
  type ServeOptions,
  StaleTokenError,
  WorkerNode,
} from "./src/redis.ts";
