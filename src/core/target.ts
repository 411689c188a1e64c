/**
 * How code reaches a child: a function exported from a module (module given or inferred
 * from the caller's stack frame), a self-contained function sent by its source text, or a
 * `Process` subclass exported from its module.
 *
 * @module
 */
import * as fs from "node:fs";
import { stackFrameUrl } from "../channel/_stack.ts";
import { fileURLToPath, pathToFileURL } from "node:url";

/** A target as it travels to the child. */
export type TargetSpec =
  | { k: "fn"; m?: string; n: string; s: string }
  | { k: "cls"; m?: string; c: string };

/** Root of the library's own files; stack frames under it are never "the caller". */
export const LIB_ROOT: string = new URL(import.meta.url.includes("/src/core/") ? "../" : "./", import.meta.url).href;

/** URL of the first module on the call stack outside this library (the user's module). */
export function callerModule(): string | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 50;
  const stack = new Error().stack ?? "";
  Error.stackTraceLimit = limit;
  for (const line of stack.split("\n").slice(1)) {
    const url = stackFrameUrl(line);
    if (!url) continue;
    if (url.startsWith(LIB_ROOT) || url.includes("/node_modules/multiproc/")) continue;
    return url;
  }
  return undefined;
}

const _sources = new Map<string, string | undefined>();

function _source(url: string): string | undefined {
  if (!_sources.has(url)) {
    let text: string | undefined;
    try {
      text = url.startsWith("file:") ? fs.readFileSync(fileURLToPath(url), "utf8") : undefined;
    } catch { /* unreadable: no inference */ }
    _sources.set(url, text);
  }
  return _sources.get(url);
}

function _escape(name: string): string {
  return name.replace(/[$]/g, "\\$");
}

/**
 * The module that exports `name`, judged from the caller module's source text: the caller itself
 * when it exports `name`, or the module it imports `name` from (relative specifiers). Undefined
 * when the caller neither exports nor imports it: the function then travels by source text, and
 * the child does not import the caller (which may be a test file or have other side effects).
 */
export function inferModule(name: string, caller: string | undefined): string | undefined {
  if (!caller || !name) return undefined;
  const src = _source(caller);
  if (src === undefined) return caller;
  const n = _escape(name);
  const exported = new RegExp(
    `export\\s+(?:default\\s+)?(?:async\\s+)?(?:function\\s*\\*?|const|let|var|class)\\s+${n}\\b|export\\s*\\{[^}]*\\b${n}\\b[^}]*\\}`,
  );
  if (exported.test(src)) return caller;
  const imported = new RegExp(`import\\s*(?:type\\s+)?\\{([^}]*)\\}\\s*from\\s*["']([^"']+)["']`, "g");
  for (const m of src.matchAll(imported)) {
    const names = m[1].split(",").map((x) => x.trim().split(/\s+as\s+/)[0].trim());
    if (!names.includes(name)) continue;
    const spec = m[2];
    if (/^\.{0,2}\//.test(spec) || spec.startsWith("file:")) return new URL(spec, caller).href;
    return caller;
  }
  return undefined;
}

/** Normalises a `module` option (URL, file URL string or path) to a URL string. */
export function moduleUrl(module: string | URL | undefined): string | undefined {
  if (module === undefined) return undefined;
  if (module instanceof URL) return module.href;
  if (typeof module !== "string") {
    throw new TypeError(`The module option must be a string or URL, got ${typeof module}`);
  }
  return /^[a-z][a-z0-9+.-]*:/i.test(module) ? module : pathToFileURL(module).href;
}

/**
 * Describes a function target for the child.
 * @throws {TypeError} If `fn` is not a function, or is built-in or bound (no source to send).
 */
export function describeFunction(fn: unknown, module: string | undefined, what = "target"): TargetSpec {
  if (typeof fn !== "function") {
    throw new TypeError(`The ${what} must be a function, got ${fn === null ? "null" : typeof fn}`);
  }
  const s = Function.prototype.toString.call(fn);
  if (/\{\s*\[native code\]\s*\}\s*$/.test(s) && !module) {
    throw new TypeError(
      `The ${what} ${
        fn.name || "(anonymous)"
      } is a built-in or bound function: pass a function exported from a module instead`,
    );
  }
  if (/^class[\s{]/.test(s)) throw new TypeError(`The ${what} ${fn.name} is a class, not a function`);
  return { k: "fn", m: module ?? inferModule(fn.name, callerModule()), n: fn.name, s };
}

function _compile(source: string): (...a: unknown[]) => unknown {
  const attempts = [source, `function ${source}`, source.replace(/^async\s+/, "async function ")];
  let first: unknown;
  for (const src of attempts) {
    try {
      const f = new Function(`"use strict"; return (${src});`)();
      if (typeof f === "function") return f;
    } catch (e) {
      first ??= e;
    }
  }
  throw first;
}

const _UNDEFINED = [/^(\S+) is not defined$/, /^Can't find variable: (\S+)$/];

/** Wraps a source-compiled function so a captured variable gives a clear error. */
function _explainCaptures(fn: (...a: unknown[]) => unknown, name: string): (...a: unknown[]) => unknown {
  const explain = (e: unknown): never => {
    if (e instanceof ReferenceError) {
      for (const re of _UNDEFINED) {
        const m = re.exec(e.message);
        if (m) {
          throw new ReferenceError(
            `The target function ${name || "(anonymous)"} uses "${m[1]}", which does not exist in the child process: ` +
              `a function sent by source text cannot capture variables from its surroundings. ` +
              `Export the function from its module (and pass \`module: import.meta.url\`) instead.`,
            { cause: e },
          );
        }
      }
    }
    throw e;
  };
  return function (this: unknown, ...args: unknown[]) {
    try {
      const r = fn.apply(this, args);
      if (r && typeof (r as Promise<unknown>).then === "function") {
        return (r as Promise<unknown>).then(undefined, explain);
      }
      return r;
    } catch (e) {
      return explain(e);
    }
  };
}

const _modules = new Map<string, Promise<Record<string, unknown>>>();

/**
 * Throws unless `url` is a `file:` URL. Module URLs arrive in messages (target specs, a child's
 * setup, pool and manager tasks), and `import()` would also run `data:` and `http:` code, built-in
 * (`node:`) or bare specifiers: only modules on this machine's disk may be loaded.
 */
function _checkModuleUrl(url: unknown): string {
  if (typeof url !== "string") {
    throw new TypeError(`A module URL must be a string, got ${url === null ? "null" : typeof url}`);
  }
  let protocol: string | undefined;
  try {
    protocol = new URL(url).protocol;
  } catch { /* a bare specifier or garbage */ }
  if (protocol !== "file:") {
    const shown = url.length > 80 ? `${url.slice(0, 80)}...` : url;
    throw new TypeError(
      `Refusing to import the module "${shown}": only file: URLs are accepted ` +
        `(${
          protocol ? `not ${protocol} URLs` : "not bare specifiers"
        }); pass the module as a path or file URL, e.g. \`module: import.meta.url\``,
    );
  }
  return url;
}

/**
 * Imports a target module once per process.
 * @throws {TypeError} (as a rejection) If `url` is not a `file:` URL.
 */
export function importModule(url: string): Promise<Record<string, unknown>> {
  let p = _modules.get(url);
  if (!p) {
    try {
      p = import(_checkModuleUrl(url)) as Promise<Record<string, unknown>>;
    } catch (e) {
      return Promise.reject(e);
    }
    _modules.set(url, p);
  }
  return p;
}

/** Resolves a function target in the child: the module's export, else the source text. */
export async function resolveFunction(spec: TargetSpec & { k: "fn" }): Promise<(...a: unknown[]) => unknown> {
  if (spec.m) {
    const mod = await importModule(spec.m);
    const byName = spec.n ? mod[spec.n] : undefined;
    if (typeof byName === "function") return byName as (...a: unknown[]) => unknown;
    for (const v of Object.values(mod)) {
      if (typeof v === "function" && Function.prototype.toString.call(v) === spec.s) {
        return v as (...a: unknown[]) => unknown;
      }
    }
  }
  return _explainCaptures(_compile(spec.s), spec.n);
}

/** Resolves an exported class (a `Process` subclass, or an error class) in the child. */
export async function resolveClass(spec: TargetSpec & { k: "cls" }): Promise<new (...a: unknown[]) => unknown> {
  if (!spec.m) {
    throw new Error(`Cannot find the module of class ${spec.c}: pass \`module: import.meta.url\` to its constructor`);
  }
  const mod = await importModule(spec.m);
  const cls = mod[spec.c];
  if (typeof cls !== "function") {
    throw new Error(
      `Class ${spec.c} is not exported by ${spec.m}: export it so the child process can re-create the instance`,
    );
  }
  return cls as new (...a: unknown[]) => unknown;
}

/** What `Process` and `Thread` take from their options. */
export interface RunOptions {
  target?: unknown;
  module?: string | URL;
  args?: unknown;
  name?: unknown;
}

/**
 * Checks the run options of a `Process` or `Thread` and finds the target's module (given, or
 * inferred from the caller's stack for the target, or for the subclass being built).
 * @param kind The class, named in errors.
 * @param options The options.
 * @param subclass The subclass being built (`new.target`), when it is not `kind` itself.
 * @returns The target, a copy of the args, and the module.
 * @throws {TypeError} If an option has the wrong type.
 */
export function runOptions(
  kind: "Process" | "Thread",
  options: RunOptions,
  subclass: { name: string } | undefined,
): { target: ((...a: unknown[]) => unknown) | undefined; args: unknown[]; module: string | undefined } {
  if (typeof options !== "object" || options === null) throw new TypeError(`${kind} options must be an object`);
  const { target, args = [], name } = options;
  if (target !== undefined && typeof target !== "function") {
    throw new TypeError(`${kind} target must be a function, got ${typeof target}`);
  }
  if (!Array.isArray(args)) throw new TypeError(`${kind} args must be an array, got ${typeof args}`);
  if (name !== undefined && typeof name !== "string") {
    throw new TypeError(`${kind} name must be a string, got ${typeof name}`);
  }
  const fn = target as ((...a: unknown[]) => unknown) | undefined;
  const module = moduleUrl(options.module) ??
    (subclass ? inferModule(subclass.name, callerModule()) : fn ? inferModule(fn.name, callerModule()) : undefined);
  return { target: fn, args: [...args], module };
}

/**
 * What a `Process` or `Thread` sends its child to run: a subclass instance's class and own fields,
 * or the target function.
 * @param self The instance.
 * @param base `Process` or `Thread`.
 * @param target The target function, if any.
 * @param module The module of the target or subclass.
 * @returns The spec (null: nothing to run) and the fields to encode with the args.
 * @throws {TypeError} If the target cannot be sent.
 */
export function runSpec(
  self: object,
  base: abstract new (...a: never[]) => unknown,
  target: ((...a: unknown[]) => unknown) | undefined,
  module: string | undefined,
): { spec: TargetSpec | null; fields: Record<string, unknown> | undefined } {
  if (self.constructor !== base) {
    return { spec: { k: "cls", m: module, c: self.constructor.name }, fields: { ...self } as Record<string, unknown> };
  }
  return { spec: target ? describeFunction(target, module) : null, fields: undefined };
}
