/**
 * `cluster.namespace(name)`: named attributes by name across the cluster, with the methods of the
 * manager's `NamespaceProxy`. Stored like a cluster dict (`dict.ts`), under its own kind, so a
 * namespace and a dict of the same name are different objects.
 *
 * @module
 */
import type { ClusterCore } from "./core.ts";
import { ClusterDict } from "./dict.ts";
import type { FenceOptions } from "./fence.ts";

/**
 * Named attributes across the cluster (from `cluster.namespace(name)`): `get`, `set` and
 * `toObject` as on the manager's `NamespaceProxy`. A missing name reads as `undefined`.
 *
 * @example
 * ```ts
 * import { connect } from "multiproc/redis";
 * if (process.env.REDIS_URL) {
 *   await using cluster = await connect(process.env.REDIS_URL, { authkey: "0123456789abcdef" });
 *   const run = cluster.namespace("run");
 *   await run.set("phase", "loading");
 *   console.log(await run.toObject()); // { phase: "loading" }
 * }
 * ```
 */
export class ClusterNamespace {
  /** The namespace's name. */
  readonly name: string;
  #d: ClusterDict<unknown>;

  /** Use `cluster.namespace(name)`. @internal */
  constructor(core: ClusterCore, name: string) {
    this.name = name;
    this.#d = new ClusterDict(core, name, "ns");
  }

  /**
   * Reads attribute `name`.
   * @returns A copy of attribute `name`, or undefined.
   * @throws {AuthenticationError} If the value there was not written with the cluster's authkey.
   * @example
   * ```ts
   * console.log(await run.get("phase"));
   * ```
   */
  get(name: string): Promise<unknown> {
    return this.#d.get(name);
  }

  /**
   * Sets attribute `name`.
   * @param options `fence`: a held `cluster.Lock` (or its token), as for `ClusterDict.set`.
   * @throws {StaleTokenError} If the fence's token is older than one this namespace has seen.
   * @example
   * ```ts
   * await run.set("phase", "done");
   * ```
   */
  set(name: string, v: unknown, options?: FenceOptions): Promise<void> {
    return this.#d.set(name, v, options);
  }

  /**
   * Copies every attribute.
   * @returns A copy of all attributes.
   * @example
   * ```ts
   * console.log(await run.toObject());
   * ```
   */
  toObject(): Promise<Record<string, unknown>> {
    return this.#d.toObject();
  }
}
