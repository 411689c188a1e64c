// A strict TypeScript consumer of the shipped declarations (ES module): type-checked with tsc by
// scripts/smoke_dist.mjs against the installed tarball, with skipLibCheck off, under
// moduleResolution nodenext and bundler. Each @ts-expect-error fails the check if the declarations
// lose their types (an `any` would accept the wrong value).
import {
  BrokenProcessPool,
  isMainProcess,
  Manager,
  Pool,
  Process,
  ProcessPoolExecutor,
  Queue,
  registerErrorClass,
} from "multiproc";
import type { DictProxy, PoolOptions, Target } from "multiproc";
import { type Cluster, connect, type ConnectOptions, readAuthkey } from "multiproc/redis";

export class Boom extends Error {
  override name = "Boom";
}

export function twice(x: number): number {
  return x * 2;
}

export async function produce(n: number, q: Queue<number>): Promise<void> {
  await q.put(n * 2);
}

registerErrorClass(Boom);

// Type-checked only (it needs a server): a cluster's Pool keeps the local Pool's types.
export async function onCluster(url: string): Promise<number[]> {
  const options: ConnectOptions = { authkey: readAuthkey("authkey"), namespace: "smoke" };
  await using cluster: Cluster = await connect(url, options);
  await using pool = new cluster.Pool();
  // @ts-expect-error twice returns numbers
  const wrong: string[] = await pool.map(twice, [1]);
  console.log(wrong, cluster.processes);
  return await pool.map(twice, [1, 2]);
}

if (isMainProcess(import.meta)) {
  const options: PoolOptions = { processes: 2, module: import.meta.url };
  await using pool = new Pool(options);
  const one: number = await pool.apply(twice, [1]);
  const many: number[] = await pool.map(twice, [1, 2, 3]);
  // @ts-expect-error twice returns a number
  const wrong: string = await pool.apply(twice, [1]);
  const target: Target<number> = twice;

  const ex = new ProcessPoolExecutor({ maxWorkers: 1 });
  const fromFuture: number = await ex.submit(twice, 21).result();
  await ex.shutdown();

  const q = new Queue<number>();
  // @ts-expect-error a Queue<number> takes numbers
  await q.put("x");
  const p = new Process({ target: produce, args: [21, q] });
  p.start();
  const got: number = await q.get();
  await p.join();
  const code: number | null = p.exitCode;

  await using m = await Manager.start();
  const d: DictProxy<number> = await m.dict<number>({ a: 1 });
  const a: number | undefined = await d.get("a");
  // @ts-expect-error a DictProxy<number> holds numbers
  await d.set("b", "two");
  const broken: boolean = new Error() instanceof BrokenProcessPool;
  console.log(one, many, wrong, target, fromFuture, got, code, a, broken);
}
