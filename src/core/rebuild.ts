/**
 * How a handle that travels between processes is rebuilt from what its codec type wrote.
 *
 * One idiom for every handle class registered with `registerType` (`Queue`, `SimpleQueue`,
 * `Connection`, the `sync/` primitives, `Value`, `SharedArray`): the class registers itself in a
 * `static {}` block, so its `reduce` reads the instance's `#private` fields (`Lock` and `RLock`
 * through `registerLock`, which reads their shared base's); its `rebuild` calls the ordinary
 * constructor with {@linkcode REBUILD} as the first argument and the reduced state as the second,
 * and the constructor adopts that state (a reference to the served object, or where it lives in
 * shared memory) instead of creating a new one. The tag is a symbol no user code holds, so
 * `new Queue(...)` can never take that path by accident; the overload that takes it is marked
 * `@internal`. `Connection` has no public construction at all: `Pipe()` builds both ends through
 * the same tagged constructor.
 * (Manager proxies need no tag: their only constructor already takes the reference.)
 *
 * @module
 */

/**
 * The first constructor argument of a handle being rebuilt in a receiving process.
 *
 * @example
 * ```ts
 * import { REBUILD } from "./rebuild.ts";
 * // in a handle class: static { registerType({ tag, cls, reduce, rebuild: (s) => new Handle(REBUILD, s) }); }
 * console.log(typeof REBUILD); // "symbol"
 * ```
 */
export const REBUILD: unique symbol = Symbol("multiproc.rebuild");
