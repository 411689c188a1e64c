// A multiproc worker node for the Redis benchmark (bench/redis.mjs): reads the URL, authkey and
// options from a private JSON file (argv[2]), serves bench/fixtures/redis_tasks.mjs with a local pool,
// prints "ready <ms since start> <pids of the node and its workers>", and serves until SIGTERM (or a
// SIGKILL from the recovery scenario).
import process from "node:process";
import { connect, isMainProcess, readAuthkey } from "./redis_lib.ts";

if (isMainProcess(import.meta)) {
  const t0 = performance.now();
  const config = JSON.parse(readAuthkey(process.argv[2])); // checks owner and mode
  const cluster = await connect(config.url, { authkey: config.authkey, namespace: config.namespace });
  const node = await cluster.serve({
    processes: config.processes,
    modules: [new URL("./fixtures/redis_tasks.mjs", import.meta.url)],
    name: config.name,
  });
  process.on("SIGTERM", async () => {
    await node.close();
    await cluster.close();
    process.exit(0);
  });
  console.log(`ready ${(performance.now() - t0).toFixed(1)} ${[process.pid, ...node.pids].join(",")}`);
}
