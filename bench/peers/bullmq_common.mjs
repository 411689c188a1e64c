// What the BullMQ peer's worker and caller (bench/peers/bullmq_worker.mjs, bullmq_client.mjs) share:
// the private config file bench/redis.mjs writes, and BullMQ's connection options from its URL.
import * as fs from "node:fs";
import process from "node:process";

/** Reads the runner's config file, refusing one that others can read (it holds the Redis password). */
export function readConfig(file) {
  const st = fs.statSync(file);
  if ((st.mode & 0o077) !== 0) throw new Error(`${file} can be read by others`);
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

/** BullMQ's `connection` for a `redis://:password@host:port` URL. */
export function connection(url) {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    password: u.password ? decodeURIComponent(u.password) : undefined,
    maxRetriesPerRequest: null, // what BullMQ asks of a Worker's connection
  };
}

/** Exits on SIGTERM after `close()`. */
export function closeOnSigterm(close) {
  process.on("SIGTERM", async () => {
    await close().catch(() => {});
    process.exit(0);
  });
}
