/**
 * The functions a pool runs, by number: a function travels to a worker as a target spec (module
 * and export name, or source text) the first time that worker runs it, and by its number after.
 *
 * @module
 */
import { describeFunction, type TargetSpec } from "../core/target.ts";
import { scanErrorClasses } from "./error_classes.ts";
import type { PoolTask } from "./task.ts";

/** Numbers the functions submitted to one pool and describes each once. */
export class FunctionRegistry {
  #byObject = new WeakMap<object, number>();
  #specs: TargetSpec[] = [];
  #module: string | undefined;

  /** @param module Default module for function targets. */
  constructor(module: string | undefined) {
    this.#module = module;
  }

  /**
   * The number `fn` travels under; describes it (module or source) on first use.
   * @param fn The function.
   * @param what What to call it in errors.
   * @param module Its module, when known (else the pool's default, else inferred).
   * @returns Its number.
   * @throws {TypeError} If `fn` cannot be sent (not a function, built-in, a class).
   */
  idOf(fn: unknown, what = "function", module?: string): number {
    if ((typeof fn === "function") && this.#byObject.has(fn)) return this.#byObject.get(fn)!;
    const spec = describeFunction(fn, module ?? this.#module, what);
    const id = this.#specs.length;
    this.#specs.push(spec);
    this.#byObject.set(fn as object, id);
    // Errors from the worker arrive with their class when the module exports it (like pickle),
    // once the scan has finished; no result waits for it (see pool/error_classes.ts).
    if (spec.m) scanErrorClasses(spec.m);
    return id;
  }

  /**
   * The fields of a `run` message (`TASK_FIELDS` per task, see `pool/worker.ts`) for a worker
   * that knows the functions in `known`: the spec goes along where the worker does not know it.
   * @param tasks The tasks.
   * @param known Function numbers the worker has been sent (not changed here).
   * @returns The flat fields.
   */
  runFields(tasks: PoolTask[], known: ReadonlySet<number>): unknown[] {
    const out: unknown[] = [];
    for (const t of tasks) out.push(t.id, t.fnId, known.has(t.fnId) ? 0 : this.#specs[t.fnId], t.mode, t.payload);
    return out;
  }
}
