// Pool scheduling: no task waits behind a busy worker while another worker is idle, even after a
// burst of tiny tasks taught the pool to queue deeply. Asserted structurally, with no clock: the tasks
// are gated (each waits until the test lets it end) and the test ends them one worker at a time; the
// worker just freed is then the only idle one, so the next task must start there. A task queued
// behind the other worker's gated task would never start: the test would wait out its deadline and
// fail. Before the balanced scheduler, the worker that served a burst took 3 of 4 such tasks. The
// same cases run for Pool and ThreadPool (one scheduler for both kinds of worker).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Pool, ThreadPool } from "../mod.ts";
import { gated, napPid, whichPid } from "./fixtures/pool_balance_tasks.ts";
import { RUNTIME } from "./_helpers.ts";

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
/** Only a failing run waits this long: a task that should start does so within ms on any box. */
const DEADLINE_MS = 30_000;

/** Waits until both workers have run a task (a worker may take a while to start on a loaded box). */
async function bothReady(pool: Pool): Promise<void> {
  const seen = new Set<number>();
  const deadline = Date.now() + DEADLINE_MS;
  while (seen.size < 2 && Date.now() < deadline) {
    for (const p of await Promise.all([0, 1].map(() => pool.applyAsync(napPid, [50]).get()))) seen.add(p);
  }
  assert.equal(seen.size, 2, "both workers ran a task");
}

/** The gated tasks' folder, and what the test reads and writes in it. */
class Gates {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "mp-balance-"));
  /** Task ids that started, each with its worker's id (pid or thread id), in the order the test saw them. */
  readonly started = new Map<number, number>();

  /** The task ids that have started since the last look, waiting for at least `n` in all. */
  async waitStarted(n: number, what: string): Promise<void> {
    const deadline = Date.now() + DEADLINE_MS;
    for (;;) {
      for (const f of fs.readdirSync(this.dir)) {
        const m = /^start-(\d+)$/.exec(f);
        if (m && !this.started.has(Number(m[1]))) {
          this.started.set(Number(m[1]), Number(fs.readFileSync(path.join(this.dir, f), "utf8")));
        }
      }
      if (this.started.size >= n) return;
      if (Date.now() > deadline) {
        assert.fail(`${what}: only ${this.started.size} of ${n} tasks started: ${JSON.stringify([...this.started])}`);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Lets task `id` end. */
  release(id: number): void {
    fs.writeFileSync(path.join(this.dir, `go-${id}`), "");
  }

  [Symbol.dispose](): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * With `total` gated tasks submitted (by `submit`) to a 2-worker pool: waits until one runs on each
 * worker, then repeatedly ends the running task of one worker, alternating, and requires the next
 * task to start on that worker, the only idle one. Returns the tasks each worker ran.
 */
async function endOneWorkerAtATime(
  pool: Pool,
  total: number,
  submit: (dir: string) => Promise<unknown>,
): Promise<number[]> {
  using gates = new Gates();
  const done = submit(gates.dir);
  await gates.waitStarted(2, "one task on each idle worker");
  const first = [...gates.started.values()];
  assert.notEqual(first[0], first[1], `the first two tasks went to different workers: ${JSON.stringify(first)}`);
  assert.deepEqual([...first].sort(), [...pool._pids].sort());
  const running = new Map(first.map((pid, i) => [pid, [...gates.started.keys()][i]])); // pid → running id
  let turn = 0;
  while (gates.started.size < total) {
    const pid = first[turn++ % 2];
    gates.release(running.get(pid)!);
    const before = gates.started.size;
    await gates.waitStarted(before + 1, `after the task on worker ${pid} ended (the only idle worker)`);
    const [id, where] = [...gates.started].at(-1)!;
    assert.equal(where, pid, `task ${id} started on worker ${where}, not on the idle worker ${pid}`);
    running.set(pid, id);
  }
  for (const id of running.values()) gates.release(id);
  await done;
  return [...gates.started.values()];
}

// A documented difference (README, "Threads"): on Deno a worker thread's messages can reach the pool
// 10-30 ms late under load (cause not found: a bare port shows no lag), after the worker started its next
// task. The scheduler, seeing a task that looks just started, may then queue a tiny-measured task
// behind it while the other worker goes idle: about 1 run in 20 of these cases failed on a loaded
// box. Node and Bun deliver in time, and Deno's process pools too: those run here.
const KINDS: Array<[label: "Pool" | "ThreadPool", PoolClass: typeof Pool]> = RUNTIME === "deno"
  ? [["Pool", Pool]]
  : [["Pool", Pool], ["ThreadPool", ThreadPool]];

for (const [label, PoolClass] of KINDS) {
  describe(`${label} scheduling`, () => {
    test(`${label}: after one worker served a burst of tiny calls, no task waits behind it while the other is idle`, async () => {
      await using pool = new PoolClass(2);
      await bothReady(pool);
      // Sequential calls all go to the same idle worker: it learns that tasks are tiny.
      for (let i = 0; i < 200; i++) await pool.apply(whichPid, [i]);
      const pids = await endOneWorkerAtATime(
        pool,
        6,
        (dir) => Promise.all(range(6).map((i) => pool.applyAsync(gated, [dir, i]).get())),
      );
      assert.deepEqual(pids.filter((p) => p === pids[0]).length, 3, `each worker ran 3 of 6: ${JSON.stringify(pids)}`);
    });

    test(`${label}: a function taught to be tiny, then blocking, still leaves no task behind a busy worker`, async () => {
      await using pool = new PoolClass(2);
      await bothReady(pool);
      using warm = new Gates();
      for (const i of range(300)) warm.release(i);
      await pool.starmap(gated, range(300).map((i) => [warm.dir, i]), { chunksize: 1 });
      await endOneWorkerAtATime(
        pool,
        6,
        (dir) => Promise.all(range(6).map((i) => pool.applyAsync(gated, [dir, i]).get())),
      );
    });

    test(`${label}.starmap(chunksize 1) after a warm-up map: no task waits behind a busy worker`, async () => {
      await using pool = new PoolClass(2);
      await pool.map(whichPid, range(2000), { chunksize: 1 });
      await bothReady(pool);
      await pool.map(whichPid, range(2000), { chunksize: 1 });
      await endOneWorkerAtATime(pool, 6, (dir) => pool.starmap(gated, range(6).map((i) => [dir, i]), { chunksize: 1 }));
    });
  });
}
