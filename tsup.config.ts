import { defineConfig } from "tsup";

// One entry per public entry point, plus the files a child process or thread runs by path.
export default defineConfig({
  entry: {
    mod: "mod.ts",
    bootstrap: "src/child/bootstrap.ts",
    watchdog_worker: "src/runtime/watchdog_worker.ts",
    shm_waiter_worker: "src/runtime/shm_waiter_worker.ts",
    pool_worker: "src/pool/worker.ts",
    manager_server: "src/manager/server.ts",
  },
  format: ["esm", "cjs"],
  dts: { entry: { mod: "mod.ts" } },
  splitting: true,
  shims: true,
  clean: true,
  target: "es2022",
  platform: "node",
  external: ["koffi"],
});
