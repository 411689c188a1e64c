/**
 * What a child process and a thread both do with their setup: import the modules that register
 * the library objects inside the args, import the target's module with the guard flag set, decode
 * the args, and run the target (a function, or the `run()` of a rebuilt `Process`/`Thread`
 * subclass instance).
 *
 * @module
 */
import { decode } from "../channel/codec.ts";
import { node } from "../core/node.ts";
import { importModule, resolveClass, resolveFunction } from "../core/target.ts";
import type { ChildSetup } from "../process/setup.ts";
import { runtime } from "../runtime/adapter.ts";

/** Rebuilds the current `Process` or `Thread` object of a subclass target. */
export type CurrentObject = (
  cls: new (...a: unknown[]) => unknown,
  fields: Record<string, unknown> | undefined,
) => { run(): unknown };

/**
 * Runs the target of `setup`; resolves with what it returned (awaited).
 * @param setup The setup the parent sent.
 * @param current Rebuilds the instance of a subclass target.
 * @returns The target's result.
 * @example
 * ```ts
 * await runTarget(setup, currentProcessObject);
 * ```
 */
export async function runTarget(
  setup: Pick<ChildSetup, "needs" | "target" | "payload">,
  current: CurrentObject,
): Promise<unknown> {
  await Promise.all(setup.needs.map((m) => importModule(m)));
  if (!setup.target) return undefined;
  // Import the target's module before decoding the args: it may register classes (of errors, say)
  // that the args hold, as pickle imports a class's module while unpickling.
  node.importing = true;
  let run: (decoded: { args: unknown[]; fields?: Record<string, unknown> }) => unknown;
  try {
    if (setup.target.k === "cls") {
      const cls = await resolveClass(setup.target);
      run = ({ fields }) => current(cls, fields).run();
    } else {
      const fn = await resolveFunction(setup.target);
      run = ({ args }) => fn(...args);
    }
  } finally {
    node.importing = false;
  }
  // Node writes its compile cache only at a normal exit, and a terminated child (a pool worker,
  // `await using`) never gets there: write what this start compiled now, so the next child loads
  // it compiled (a no-op when everything came from the cache, and off Node).
  runtime.flushCompileCache();
  return await run(decode(setup.payload) as { args: unknown[]; fields?: Record<string, unknown> });
}

/**
 * The report of an error that ended a process or thread, as Python prints an uncaught exception:
 * the heading, the error's stack (led by its name and message when the stack lacks them), and the
 * stack of its cause.
 * @param heading E.g. "Exception in thread worker-1:".
 * @param e What was thrown.
 * @returns The text for stderr, ending in a newline.
 */
export function errorReport(heading: string, e: unknown): string {
  const text = e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e);
  const fromName = e instanceof Error && !text.includes(e.message) ? `${e.name}: ${e.message}\n` : "";
  const cause = e instanceof Error && e.cause instanceof Error
    ? `Caused by: ${e.cause.stack ?? e.cause.message}\n`
    : "";
  return `${heading}\n${fromName}${text}\n${cause}`;
}
