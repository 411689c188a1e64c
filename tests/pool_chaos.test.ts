// Pool under fire: workers SIGKILLed at random (on an idle and on a saturated CPU) and right after
// they spawn. A Pool heals: every task settles with its value or WorkerLostError, the pool never
// breaks, nothing hangs and no process is left. Only a deterministic start failure breaks it.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { type AsyncResult, BrokenProcessPool, Pool, ProcessPoolExecutor, WorkerLostError } from "../mod.ts";
import { double, exitInit, slowDouble } from "./fixtures/pool_chaos_tasks.ts";
import { isGone, until } from "./_helpers.ts";

const TASKS = 2000;
const KILL_EVERY_MS = 150;
/** Caps a run on a slow machine, where a replacement worker may take seconds to start. */
const MAX_KILLS = 15;
const SETTLE_MS = 90_000;

function kill(pid: number): boolean {
  try {
    process.kill(pid, "SIGKILL");
    return true;
  } catch {
    return false; // gone already
  }
}

/** Busy-loop processes that saturate the CPU; killed by the returned function. */
function busyLoops(n: number): { pids: number[]; stop(): void } {
  const procs: ChildProcess[] = [];
  for (let i = 0; i < n; i++) procs.push(spawn("sh", ["-c", "while :; do :; done"], { stdio: "ignore" }));
  return { pids: procs.map((p) => p.pid!), stop: () => procs.forEach((p) => p.kill("SIGKILL")) };
}

/** Records every pid the pool has, as often as every 5 ms, and optionally acts on new ones. */
function watchPids(
  pool: { _pids: number[] },
  onNew: (pid: number) => void = () => {},
): { seen: Set<number>; stop(): void } {
  const seen = new Set<number>();
  const look = () => {
    for (const pid of pool._pids) {
      if (seen.has(pid)) continue;
      seen.add(pid);
      onNew(pid);
    }
  };
  look();
  const timer = setInterval(look, 5);
  return { seen, stop: () => (look(), clearInterval(timer)) };
}

async function assertAllGone(pids: Iterable<number>, what: string): Promise<void> {
  const all = [...pids];
  const gone = await until(() => all.every(isGone), 5000);
  const left = all.filter((p) => !isGone(p));
  for (const p of left) kill(p);
  assert.ok(gone, `${what} still alive: ${left.join(", ")}`);
}

async function chaos(loaded: boolean): Promise<void> {
  const load = loaded ? busyLoops(2) : undefined;
  const pool = new Pool(4);
  const watch = watchPids(pool);
  let kills = 0;
  let killer: ReturnType<typeof setInterval> | undefined;
  try {
    const results: AsyncResult<number>[] = [];
    for (let i = 0; i < TASKS; i++) results.push(pool.applyAsync(slowDouble, [i, 2]));
    let pending = TASKS;
    for (const r of results) r.wait().then(() => pending--);
    killer = setInterval(() => {
      const pids = pool._pids;
      if (pending === 0 || kills >= MAX_KILLS || pids.length === 0) return;
      if (kill(pids[Math.floor(Math.random() * pids.length)])) kills++;
    }, KILL_EVERY_MS);
    const deadline = Date.now() + SETTLE_MS;
    let lost = 0;
    for (let i = 0; i < TASKS; i++) {
      await results[i].wait(Math.max(0, deadline - Date.now()));
      assert.ok(results[i].ready(), `task ${i} did not settle within ${SETTLE_MS} ms (${kills} kills)`);
      if (results[i].successful()) assert.equal(await results[i].get(), 2 * i);
      else {
        const e = await results[i].get().then(() => undefined, (e) => e);
        assert.ok(e instanceof WorkerLostError, `task ${i} rejected with ${e?.name}: ${e?.message}`);
        lost++;
      }
    }
    clearInterval(killer);
    assert.ok(kills > 0, "the killer struck");
    assert.ok(lost <= kills, `${lost} tasks lost for ${kills} kills`);
    // The pool still works after the storm.
    assert.deepEqual(await pool.map(double, [1, 2, 3]), [2, 4, 6]);
  } finally {
    clearInterval(killer);
    await pool.terminate();
    watch.stop();
    load?.stop();
  }
  await assertAllGone(watch.seen, "pool workers");
  if (load) await assertAllGone(load.pids, "busy loops");
}

describe("Pool chaos", () => {
  test(`Pool(4): ${TASKS} tasks while a random worker is SIGKILLed every ${KILL_EVERY_MS} ms each settle with their value or WorkerLostError`, async () => {
    await chaos(false);
  });

  test(`Pool(4): ${TASKS} tasks under SIGKILLs every ${KILL_EVERY_MS} ms with the CPU saturated by two busy loops: the pool never breaks`, async () => {
    await chaos(true);
  });

  test("Pool: workers SIGKILLed right after they spawn are replaced; the pool recovers and runs its tasks", async () => {
    const pool = new Pool(2);
    let kills = 0;
    const watch = watchPids(pool, (pid) => {
      if (kills < 6 && kill(pid)) kills++;
    });
    try {
      const done = pool.map(double, [1, 2, 3, 4, 5, 6], { chunksize: 1, timeout: SETTLE_MS });
      assert.deepEqual(await done, [2, 4, 6, 8, 10, 12]);
      assert.equal(kills, 6, "six workers were killed while starting");
    } finally {
      await pool.terminate();
      watch.stop();
    }
    await assertAllGone(watch.seen, "pool workers");
  });

  test("Pool: an initializer that exits breaks the pool with BrokenProcessPool after three workers in a row, without hanging", async () => {
    const pool = new Pool({ processes: 1, initializer: exitInit });
    const watch = watchPids(pool);
    try {
      await assert.rejects(
        pool.apply(double, [1], { timeout: SETTLE_MS }),
        (e: Error) =>
          e instanceof BrokenProcessPool && /exited with code 3 while starting/.test(e.message) &&
          /3 in a row/.test(e.message),
      );
    } finally {
      await pool.terminate();
      watch.stop();
    }
    await assertAllGone(watch.seen, "pool workers");
  });

  test("ProcessPoolExecutor: a worker SIGKILLed while starting breaks it (like Python); its futures reject and shutdown() returns", async () => {
    const ex = new ProcessPoolExecutor({ maxWorkers: 2 });
    const watch = watchPids(ex, kill);
    try {
      const futures = [1, 2, 3].map((x) => ex.submit(double, x));
      for (const f of futures) await assert.rejects(f.result(SETTLE_MS), BrokenProcessPool);
    } finally {
      await ex.shutdown();
      watch.stop();
    }
    await assertAllGone(watch.seen, "executor workers");
  });
});
