// Pool and ThreadPool under fire: workers killed at random (on an idle and on a saturated CPU) and
// right after they spawn. A Pool heals: every task settles with its value or WorkerLostError, the
// pool never breaks, nothing hangs and no worker is left. Only a deterministic start failure breaks
// it. A worker process is SIGKILLed from outside; a worker thread, which no signal can end alone, is
// terminated by the pool's test hook `_killWorker`, the same abrupt end from the pool's view.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import process from "node:process";
import {
  type AsyncResult,
  BrokenProcessPool,
  Pool,
  ProcessPoolExecutor,
  ThreadPool,
  ThreadPoolExecutor,
  WorkerLostError,
} from "../mod.ts";
import { double, exitInit, gateInit, slowDouble } from "./fixtures/pool_chaos_tasks.ts";
import { tempDir, until, workerGone, type WorkerKind } from "./_helpers.ts";

const TASKS = 2000;
const KILL_EVERY_MS = 150;
/** Caps a run on a slow machine, where a replacement worker may take seconds to start. */
const MAX_KILLS = 15;
const SETTLE_MS = 90_000;

/** A pool or executor as these tests see it. */
interface Killable {
  _pids: number[];
  _killWorker(id: number): void;
}

function kill(pid: number): boolean {
  try {
    process.kill(pid, "SIGKILL");
    return true;
  } catch {
    return false; // gone already
  }
}

/** Kills worker `id` of `pool` from outside: SIGKILL for a process, terminate() for a thread. */
function killWorker(pool: Killable, kind: WorkerKind, id: number): boolean {
  if (kind === "process") return kill(id);
  if (!pool._pids.includes(id)) return false; // gone already
  pool._killWorker(id);
  return true;
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

async function assertAllGone(pids: Iterable<number>, what: string, kind: WorkerKind = "process"): Promise<void> {
  const all = [...pids];
  const gone = await until(() => all.every(workerGone(kind)), 5000);
  const left = all.filter((p) => !workerGone(kind)(p));
  if (kind === "process") { for (const p of left) kill(p); }
  assert.ok(gone, `${what} still alive: ${left.join(", ")}`);
}

async function chaos(loaded: boolean, PoolClass: typeof Pool, kind: WorkerKind): Promise<void> {
  const load = loaded ? busyLoops(2) : undefined;
  const pool = new PoolClass(4);
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
      if (killWorker(pool, kind, pids[Math.floor(Math.random() * pids.length)])) kills++;
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
  await assertAllGone(watch.seen, "pool workers", kind);
  if (load) await assertAllGone(load.pids, "busy loops");
}

const KINDS: Array<
  [pool: "Pool" | "ThreadPool", PoolClass: typeof Pool, Executor: typeof ProcessPoolExecutor, kind: WorkerKind]
> = [
  ["Pool", Pool, ProcessPoolExecutor, "process"],
  ["ThreadPool", ThreadPool, ThreadPoolExecutor, "thread"],
];

for (const [label, PoolClass, Executor, kind] of KINDS) {
  const killed = kind === "process" ? "SIGKILLed" : "terminated from outside";
  const executor = Executor === ThreadPoolExecutor ? "ThreadPoolExecutor" : "ProcessPoolExecutor";
  describe(`${label} chaos`, () => {
    test(`${label}(4): ${TASKS} tasks while a random worker is ${killed} every ${KILL_EVERY_MS} ms each settle with their value or WorkerLostError`, async () => {
      await chaos(false, PoolClass, kind);
    });

    test(`${label}(4): ${TASKS} tasks while a worker is ${killed} every ${KILL_EVERY_MS} ms with the CPU saturated by two busy loops: the pool never breaks`, async () => {
      await chaos(true, PoolClass, kind);
    });

    test(`${label}: workers ${killed} right after they spawn are replaced; the pool recovers and runs its tasks`, async () => {
      // The workers' initializer holds each one in its start until the sixth kill: no worker can
      // become ready (a thread may start within the watcher's 5 ms) and take a task before it is killed.
      const t = tempDir();
      const gate = t.file("gate");
      const pool = new PoolClass({ processes: 2, initializer: gateInit, initargs: [gate] });
      let kills = 0;
      const watch = watchPids(pool, (pid) => {
        if (kills < 6 && killWorker(pool, kind, pid) && ++kills === 6) fs.writeFileSync(gate, "");
      });
      try {
        const done = pool.map(double, [1, 2, 3, 4, 5, 6], { chunksize: 1, timeout: SETTLE_MS });
        assert.deepEqual(await done, [2, 4, 6, 8, 10, 12]);
        assert.equal(kills, 6, "six workers were killed while starting");
      } finally {
        await pool.terminate();
        watch.stop();
        t.cleanup();
      }
      await assertAllGone(watch.seen, "pool workers", kind);
    });

    test(`${label}: an initializer that exits breaks the pool with BrokenProcessPool after three workers in a row, without hanging`, async () => {
      const pool = new PoolClass({ processes: 1, initializer: exitInit });
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
      await assertAllGone(watch.seen, "pool workers", kind);
    });

    test(`${executor}: a worker ${killed} while starting breaks it (like Python); its futures reject and shutdown() returns`, async () => {
      const ex = new Executor({ maxWorkers: 2 });
      const watch = watchPids(ex, (id) => killWorker(ex, kind, id));
      try {
        const futures = [1, 2, 3].map((x) => ex.submit(double, x));
        for (const f of futures) await assert.rejects(f.result(SETTLE_MS), BrokenProcessPool);
      } finally {
        await ex.shutdown();
        watch.stop();
      }
      await assertAllGone(watch.seen, "executor workers", kind);
    });
  });
}
