// The multiproc library as its users load it, for the scenarios: on Node and Bun the built package
// (dist/mod.js, what `npm install multiproc` gives; bench/run.mjs builds it first), on Deno the
// TypeScript source (what JSR gives). Children then run the same copy's entry files: the built
// bootstrap.js and pool_worker.js beside the bundle, or the source on Deno (src/runtime/module_beside.ts).
// BENCH_SOURCE=1 loads the source on every runtime. Types come from the source either way.
import process from "node:process";

type Lib = typeof import("../mod.ts");

const deno = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";
/** Which copy this process loaded: "dist" or "source". */
export const flavour: "dist" | "source" = deno || process.env.BENCH_SOURCE === "1" ? "source" : "dist";
const url = new URL(flavour === "dist" ? "../dist/mod.js" : "../mod.ts", import.meta.url).href;
const lib: Lib = await import(url).catch((err) => {
  throw new Error(`bench: cannot load ${url} (run \`npm run build\` first, or set BENCH_SOURCE=1): ${err.message}`);
});

export const Barrier: Lib["Barrier"] = lib.Barrier;
export const cpuCount: Lib["cpuCount"] = lib.cpuCount;
export const Event: Lib["Event"] = lib.Event;
export const isMainProcess: Lib["isMainProcess"] = lib.isMainProcess;
export const Lock: Lib["Lock"] = lib.Lock;
export const Manager: Lib["Manager"] = lib.Manager;
export const move: Lib["move"] = lib.move;
export const Pipe: Lib["Pipe"] = lib.Pipe;
export const Pool: Lib["Pool"] = lib.Pool;
export const Process: Lib["Process"] = lib.Process;
export const Queue: Lib["Queue"] = lib.Queue;
export const Thread: Lib["Thread"] = lib.Thread;
export const ThreadPool: Lib["ThreadPool"] = lib.ThreadPool;
export const Value: Lib["Value"] = lib.Value;

// The classes as types too, for the scenarios' annotations.
export type AsyncResult<R> = import("../mod.ts").AsyncResult<R>;
export type Lock = import("../mod.ts").Lock;
export type Pool = import("../mod.ts").Pool;
export type Queue<T> = import("../mod.ts").Queue<T>;
export type { Connection } from "../mod.ts";
