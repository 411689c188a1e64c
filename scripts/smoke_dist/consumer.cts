// A strict TypeScript consumer of the shipped declarations (CommonJS: this file compiles to
// require("multiproc"), which loads the ES module build through require(esm)). Type-checked with
// tsc by scripts/smoke_dist.mjs under moduleResolution nodenext.
import { Manager, Pool, Process, Queue } from "multiproc";

export function twice(x: number): number {
  return x * 2;
}

async function main(): Promise<void> {
  const pool = new Pool({ processes: 2, module: __filename });
  const many: number[] = await pool.map(twice, [1, 2, 3]);
  // @ts-expect-error twice returns a number
  const wrong: string = await pool.apply(twice, [1]);
  await pool.terminate();
  const q = new Queue<string>();
  const p = new Process({ target: twice, args: [1], module: __filename });
  p.start();
  await p.join();
  const m = await Manager.start();
  const d = await m.dict<string>();
  await d.set("k", "v");
  // @ts-expect-error a DictProxy<string> holds strings
  await d.set("n", 1);
  await m.shutdown();
  console.log(many, wrong, q, p.exitCode);
}

if (require.main === module) void main();
