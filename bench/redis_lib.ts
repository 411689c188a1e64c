// The Redis backend as users load it, for bench/redis_node.ts and bench/redis_client.ts: on Node and
// Bun the built package (dist/redis.js beside dist/mod.js; bench/redis.mjs builds it with
// the package build), on Deno the TypeScript source, as bench/_lib.ts does for the core.
import process from "node:process";

type Redis = typeof import("../redis.ts");
type Mod = typeof import("../mod.ts");

const deno = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";
/** Which copy this process loaded: "dist" or "source". */
export const flavour: "dist" | "source" = deno || process.env.BENCH_SOURCE === "1" ? "source" : "dist";
const at = (dist: string, source: string) => new URL(flavour === "dist" ? dist : source, import.meta.url).href;
const load = <T>(url: string): Promise<T> =>
  import(url).catch((err) => {
    throw new Error(`bench: cannot load ${url} (run \`node bench/redis.mjs\`, which builds it): ${err.message}`);
  });
const redis: Redis = await load(at("../dist/redis.js", "../redis.ts"));
const mod: Mod = await load(at("../dist/mod.js", "../mod.ts"));

export const connect: Redis["connect"] = redis.connect;
export const readAuthkey: Redis["readAuthkey"] = redis.readAuthkey;
export const isMainProcess: Mod["isMainProcess"] = mod.isMainProcess;
