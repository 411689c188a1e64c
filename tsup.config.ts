import { defineConfig } from "tsup";

// One entry per public entry point, plus the files a child process or thread runs by path.
//
// ES modules only. CommonJS programs load this same build through require(esm) (Node ^20.19 and
// >=22.12, Bun, Deno), so a process has one copy of the library however it was loaded. The CommonJS
// build this replaced could not start a Pool, executor or Manager: tsup's CommonJS chunks turn
// `import(url)` into `require(url)`, which loads neither a file URL nor an ES module with top-level
// await; and as a second copy beside the ES one it did not recognise the other's objects (a Queue
// made through require() could not be sent by a Process made through import()).
// scripts/smoke_dist.mjs runs both module systems from the packed tarball.
export default defineConfig({
  entry: {
    mod: "mod.ts",
    redis: "redis.ts",
    // The `multiproc` command (package.json "bin"): it keeps its shebang and is made executable.
    cli: "src/redis/cli.ts",
    bootstrap: "src/child/bootstrap.ts",
    thread_bootstrap: "src/child/thread_bootstrap.ts",
    watchdog_worker: "src/runtime/watchdog_worker.ts",
    shm_waiter_worker: "src/runtime/shm_waiter_worker.ts",
    pool_worker: "src/pool/worker.ts",
    manager_server: "src/manager/server.ts",
  },
  format: ["esm"],
  dts: { entry: { mod: "mod.ts", redis: "redis.ts" } },
  splitting: true,
  shims: true,
  clean: true,
  target: "es2022",
  platform: "node",
  // ioredis is an optional peer dependency, loaded only by the Redis backend: never bundled.
  external: ["koffi", "ioredis"],
});
