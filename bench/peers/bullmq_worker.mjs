// The BullMQ peer's worker node for bench/redis.mjs: one Worker process on the queue named in the
// config file (argv[2]), running the job's named function from bench/fixtures/redis_tasks.mjs with
// the job's data as its arguments, at the config's concurrency; BullMQ's defaults otherwise (lock
// 30 s, stalled check every 30 s). Prints "ready <ms since start> <pid>".
import process from "node:process";
import { Worker } from "bullmq";
import * as tasks from "../fixtures/redis_tasks.mjs";
import { closeOnSigterm, connection, readConfig } from "./bullmq_common.mjs";

const t0 = performance.now();
const config = readConfig(process.argv[2]);
const worker = new Worker(config.queue, (job) => tasks[job.name](...job.data), {
  connection: connection(config.url),
  concurrency: config.concurrency,
});
worker.on("error", () => {}); // a dropped connection while being killed
await worker.waitUntilReady();
closeOnSigterm(() => worker.close());
console.log(`ready ${(performance.now() - t0).toFixed(1)} ${process.pid}`);
