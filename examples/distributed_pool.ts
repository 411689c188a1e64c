// Shows: a Pool.map program moved from one machine to a cluster by changing one line,
// `new Pool()` to `new cluster.Pool()`. The tasks run on the worker nodes, which any machine starts
// with `npx multiproc worker <url> --authkey-file <file> --module examples/distributed_tasks.ts`.
// Needs REDIS_URL (e.g. redis://host:6379) and MULTIPROC_AUTHKEY_FILE, the path of a file (mode
// 0600) holding the cluster's shared secret; `npm run examples` provides both, and the nodes:
// needs: redis-server
// nodes: 2 × multiproc worker --processes 2 --module examples/distributed_tasks.ts
// expect: ^4 worker processes on the cluster\n
// expect: \nprimes below 1000000: 78498\n$
import process from "node:process";
import { isMainProcess } from "../mod.ts";
import { connect, readAuthkey } from "../redis.ts";
import { countPrimes } from "./distributed_tasks.ts";

if (isMainProcess(import.meta)) {
  const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const authkey = readAuthkey(process.env.MULTIPROC_AUTHKEY_FILE ?? ".multiproc-authkey");
  await using cluster = await connect(url, { authkey });
  console.log(`${cluster.processes} worker processes on the cluster`);

  const ranges: [number, number][] = [];
  for (let lo = 0; lo < 1_000_000; lo += 62_500) ranges.push([lo, lo + 62_500]);

  // On one machine this line was: await using pool = new Pool();
  await using pool = new cluster.Pool();
  const counts = await pool.map(countPrimes, ranges);
  console.log(`primes below 1000000: ${counts.reduce((a, b) => a + b, 0)}`);
}
