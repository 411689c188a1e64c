// The smoke program, ES module form: run by scripts/smoke_dist.mjs from a fresh install of the
// packed tarball on each runtime. It prints one line that the script compares with what it expects.
// No `await using` here: Node 20 runs this file too.
import {
  currentProcess,
  Event,
  isMainProcess,
  Lock,
  Manager,
  Pool,
  Process,
  ProcessPoolExecutor,
  Queue,
  Thread,
  ThreadPool,
} from "multiproc";

export class Boom extends Error {
  constructor(message) {
    super(message);
    this.name = "Boom";
  }
}

export function twice(x) {
  return x * 2;
}

export function explode(x) {
  throw new Boom(`exploded on ${x}`);
}

// Uses an import of this module (currentProcess): it works in the child only through the module.
export async function produce(n, q, lock) {
  await lock.acquire();
  try {
    await q.put(`${currentProcess().name.startsWith("Process-")}:${n * 2}`);
  } finally {
    await lock.release();
  }
}

const caught = (p) => p.then((v) => `no error (${v})`, (e) => `${e instanceof Boom}:${e.name}:${e.message}`);

// The main code runs in a function, so this module finishes evaluating at once: the parent's scan
// of its exports then knows Boom when a task's error arrives (from a top-level await it would
// arrive as a plain Error named Boom; hang.mjs checks that case).
async function main() {
  const out = [];
  const pool = new Pool(2);
  try {
    out.push(`pool=${(await pool.map(twice, [1, 2, 3])).join(",")}`);
    out.push(`poolError=${await caught(pool.apply(explode, [7]))}`);
  } finally {
    await pool.terminate();
  }
  const ex = new ProcessPoolExecutor({ maxWorkers: 1 });
  try {
    out.push(`executor=${await ex.submit(twice, 21).result()}`);
    out.push(`executorError=${await caught(ex.submit(explode, 8).result())}`);
  } finally {
    await ex.shutdown();
  }
  const q = new Queue();
  const lock = new Lock();
  const p = new Process({ target: produce, args: [21, q, lock] });
  p.start();
  out.push(`queue=${await q.get({ timeout: 30_000 })}`);
  await p.join();
  out.push(`exit=${p.exitCode}`);
  // The same through threads: a thread pool's workers, and a Thread sharing the Queue and Lock.
  const tp = new ThreadPool(2);
  try {
    out.push(`threadPool=${(await tp.map(twice, [4, 5])).join(",")}`);
  } finally {
    await tp.terminate();
  }
  const t = new Thread({ target: produce, args: [5, q, lock] });
  t.start();
  out.push(`thread=${await q.get({ timeout: 30_000 })}`);
  await t.join();
  out.push(`threadExit=${t.exitCode}`);
  q.close();
  // A contended lock is handed over when released (the waiter thread wakes this process).
  await lock.acquire();
  const late = lock.acquire({ timeout: 5_000 });
  setTimeout(() => lock.release(), 20);
  out.push(`lock=${await late}`);
  await lock.release();
  out.push(`event=${await new Event().wait(10)}`);
  const m = await Manager.start();
  try {
    const d = await m.dict({ a: 1 });
    await d.set("b", 2);
    out.push(`dict=${await d.get("a")},${await d.get("b")},${(await d.keys()).join("")}`);
  } finally {
    await m.shutdown();
  }
  console.log(out.join(" "));
}

if (isMainProcess(import.meta)) main();
