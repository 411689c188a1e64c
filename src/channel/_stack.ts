/**
 * Reading module URLs off stack traces (V8's and JavaScriptCore's formats): how the library finds
 * the module that called it, to name a target's module or a registered type's module.
 *
 * @module
 */
import { pathToFileURL } from "node:url";

const _FRAME = /(file:\/\/[^\s()]+?|\/[^\s()][^()]*?):\d+:\d+\)?\s*$/;

/**
 * The file URL of the module a stack-trace line points into, or undefined for lines without one
 * (the message, native frames).
 * @param line One line of `Error.prototype.stack`.
 * @returns A `file:` URL.
 */
export function stackFrameUrl(line: string): string | undefined {
  const m = _FRAME.exec(line.trim());
  if (!m) return undefined;
  return m[1].startsWith("file:") ? m[1] : pathToFileURL(m[1]).href;
}
