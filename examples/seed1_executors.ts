// Seed: 001_e2c67ce1dec34c34.txt (summary: concurrent.futures, ProcessPoolExecutor and its context
// management; "concurrent.futures provides convenient thread-pool and process-pool interfaces")
// Shows: the seed's calc() submitted four times to an executor used as a context manager, first a
// ThreadPoolExecutor, then a ProcessPoolExecutor: the same code with either class. Unlike a plain
// Thread or Process (seed1_calc_threads.ts, seed1_calc_processes.ts), a future gives calc()'s return
// value back. In Python the thread pool gains nothing on this CPU-bound work (the GIL); here both
// run the four calls in parallel, and the times differ by what starting the workers costs.
// The seed's text is cut off before this program; it is written from the summary, as
// `with ProcessPoolExecutor(max_workers=4) as executor: fs = [executor.submit(calc, i) ...]`.
// The loop of 100,000,000 is scaled to LOOPS so one call takes roughly 0.2 s.
// expect: ^ThreadPoolExecutor \[(\[300000000,300000000\],?){4}\] \d+\.\d+\nProcessPoolExecutor \[(\[300000000,300000000\],?){4}\] \d+\.\d+\n$
import { isMainProcess, ProcessPoolExecutor, ThreadPoolExecutor, waitFutures } from "../mod.ts";

const LOOPS = 300_000_000;

export function calc(i = 0): [number, number] {
  let sum = 0;
  for (i = 0; i < LOOPS; i++) sum += 1;
  return [i, sum];
}

if (isMainProcess(import.meta)) {
  for (const Executor of [ThreadPoolExecutor, ProcessPoolExecutor]) {
    const start = performance.now();
    // with Executor(max_workers=4) as executor: (shut down at the end of the block)
    await using executor = new Executor({ maxWorkers: 4 });
    const fs = [0, 1, 2, 3].map((i) => executor.submit(calc, i));
    await waitFutures(fs); // concurrent.futures.wait(fs)
    const results = await Promise.all(fs.map((f) => f.result()));
    const delta = (performance.now() - start) / 1000;
    console.log(Executor.name, JSON.stringify(results), delta.toFixed(3));
  }
}
