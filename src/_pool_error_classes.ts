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
import { registerErrorClass } from "./channel/codec.ts";
import { importModule } from "./core/target.ts";

/** URLs whose scan has started; a URL maps to true once its scan has finished (or failed). */
const _scans = new Map<string, boolean>();

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
  _scans.set(url, false);
  const done = () => void _scans.set(url, true);
  importModule(url).then(_register).then(done, done);
}

/**
 * Whether the scan of `url` has finished (tests and docs: until then errors keep only their name).
 * @param url A module URL.
 * @returns True once the module's exported error classes are registered.
 */
export function errorClassesScanned(url: string): boolean {
  return _scans.get(url) === true;
}
