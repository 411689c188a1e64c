// The README idiom with a task that throws, from an entry script in its top-level await: the error
// must settle (the parent must not wait for this module's import to rebuild its class), arriving as
// an Error named Boom.
import { isMainProcess, Pool, ProcessPoolExecutor } from "multiproc";

export class Boom extends Error {}

export function explode(x) {
  throw new Boom("exploded on " + x);
}

if (isMainProcess(import.meta)) {
  const pool = new Pool(2);
  const a = await pool.apply(explode, [1]).catch((e) => e.name);
  await pool.terminate();
  const ex = new ProcessPoolExecutor({ maxWorkers: 1 });
  const b = await ex.submit(explode, 2).result().catch((e) => e.name);
  await ex.shutdown();
  console.log("settled", a, b);
}
