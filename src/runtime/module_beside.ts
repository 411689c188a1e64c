/**
 * Where a module that a child process or thread runs by path lives, in the TypeScript source and in
 * the built bundle alike.
 *
 * @module
 */

/**
 * A module that a child process or thread runs by path, next to the calling module: `source`
 * (relative to `base`) when running from TypeScript source, else `built` + `.js` beside the bundle
 * (the npm build is ES modules only; CommonJS programs load it through require(esm)). Each `built`
 * name is an entry of `tsup.config.ts`.
 * @param base The caller's `import.meta.url`.
 * @param source Path of the TypeScript source, relative to `base`.
 * @param built File name (no extension) of the built entry, beside the bundle.
 * @returns The module's URL.
 * @example
 * ```ts
 * const url = moduleBeside(import.meta.url, "./watchdog_worker.ts", "watchdog_worker");
 * ```
 */
export function moduleBeside(base: string, source: string, built: string): URL {
  if (base.endsWith(".ts")) return new URL(source, base);
  return new URL(`./${built}.js`, base);
}
