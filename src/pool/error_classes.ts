/**
 * Which error classes a pool task's module exports, so that an error thrown by the task arrives in
 * the parent as an instance of its class (like pickle, which finds a class by module and name).
 *
 * The parent imports the task's module once, in the background, when a function from it is first
 * submitted, and registers every exported `Error` subclass with the codec. No result waits for
 * that import: it may never finish while a result is pending, for example when the module is the
 * entry script whose top-level `await` is waiting for that very result. An error that arrives
 * before the scan has finished is rebuilt by name alone (a plain `Error` whose `name`, message,
 * stack, cause and props are the original's), unless its class is registered already.
 *
 * The scans are kept per module URL, for the whole process, and reference no pool: a pool whose
 * scan is still pending can be collected once it is terminated.
 *
 * @module
 */
import { registerErrorClass } from "../channel/codec.ts";
import { importModule } from "../core/target.ts";

/** URLs whose scan has started. */
const _scans = new Set<string>();

function _register(mod: Record<string, unknown>): void {
  for (const v of Object.values(mod)) {
    if (typeof v === "function" && v.prototype instanceof Error) {
      try {
        registerErrorClass(v as new () => Error);
      } catch { /* a name clash with a built-in: keep the rebuild by name */ }
    }
  }
}

/**
 * Starts scanning `url` for exported error classes, once per process; returns at once.
 * @param url The module URL of a task function.
 */
export function scanErrorClasses(url: string): void {
  if (_scans.has(url)) return;
  _scans.add(url);
  importModule(url).then(_register).catch(() => {/* not importable here: errors keep their name */});
}
