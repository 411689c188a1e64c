/**
 * Built-in modules loaded on first use instead of by a static import. An ESM import of a Node
 * built-in evaluates all of it, lazy getters included, when the importing module loads: a child
 * that never spawns or starts a thread would still pay for `node:child_process` (which pulls in
 * `dgram` and stream internals) and `node:worker_threads` at every start.
 *
 * @module
 */
import process from "node:process";

/**
 * The built-in module `id`, loaded now if it is not yet (`process.getBuiltinModule`: Node >= 20.16,
 * Deno 2, Bun).
 * @param id A built-in module id, `node:` prefix included.
 * @returns The module's exports.
 * @example
 * ```ts
 * const { isMainThread } = builtin<typeof import("node:worker_threads")>("node:worker_threads");
 * ```
 */
export function builtin<T>(id: string): T {
  return (process as unknown as { getBuiltinModule(id: string): T }).getBuiltinModule(id);
}
