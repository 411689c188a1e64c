/**
 * How a task names its function's module on another machine: by the module's path relative to its
 * project root (the nearest directory above it with a `package.json`, `deno.json` or `jsr.json`),
 * e.g. `examples/tasks.ts`. A caller and a worker node running the same checkout or package compute
 * the same key wherever the project sits on each machine's disk.
 *
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const _MARKERS = ["package.json", "deno.json", "deno.jsonc", "jsr.json"];
const _roots = new Map<string, string>();

function _root(dir: string): string {
  let d = dir;
  for (;;) {
    const known = _roots.get(d);
    if (known !== undefined) return known;
    if (_MARKERS.some((m) => fs.existsSync(path.join(d, m)))) break;
    const up = path.dirname(d);
    if (up === d) {
      d = dir; // no project: the module's own directory
      break;
    }
    d = up;
  }
  _roots.set(dir, d);
  return d;
}

/**
 * The key of a module.
 * @param url The module's `file:` URL.
 * @returns Its path relative to its project root, with `/` separators.
 * @throws {TypeError} If `url` is not a `file:` URL.
 */
export function moduleKey(url: string): string {
  if (!url.startsWith("file:")) throw new TypeError(`A task's module must be a file, got ${url}`);
  const file = fileURLToPath(url);
  return path.relative(_root(path.dirname(file)), file).split(path.sep).join("/");
}
