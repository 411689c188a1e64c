// Pool and ProcessPoolExecutor, and their thread kinds, never hang: a task's error settles although
// the task's module is the entry script still in its top-level await; a terminated pool is
// collectable; a forgotten pool or executor does not keep its program alive.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { Pool, ThreadPool, WorkerLostError } from "../mod.ts";
import { double, slowDouble } from "./fixtures/pool_chaos_tasks.ts";
import { fixture, isGone, runScript, until, within, workerGone, type WorkerKind } from "./_helpers.ts";

const KINDS: Array<
  [pool: "Pool" | "ThreadPool", executor: string, PoolClass: typeof Pool, kind: WorkerKind]
> = [
  ["Pool", "ProcessPoolExecutor", Pool, "process"],
  ["ThreadPool", "ThreadPoolExecutor", ThreadPool, "thread"],
];

for (const [label, executor, PoolClass, kind] of KINDS) {
  describe(`${label} and ${executor} never hang`, () => {
    for (const how of ["apply", "map", "applyAsync", "submit"]) {
      test(`${how === "submit" ? `${executor}.submit()` : `${label}.${how}()`}: a task exported by an entry script in its top-level await rejects with its error`, async () => {
        const r = await runScript(fixture("pool_tla.ts"), [how, kind], { timeout: 60_000 });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /caught Boom: exploded on 1 class=Error instanceof=false/, r.stderr);
      });
    }

    test(`${label}.apply(): an error class registered with registerErrorClass keeps its class from an entry script in its top-level await`, async () => {
      const r = await runScript(fixture("pool_tla.ts"), ["registered", kind], { timeout: 60_000 });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /exploded on 1 class=Boom instanceof=true/, r.stderr);
    });

    test(`${label}.terminate(): a terminated pool is collected, also while its task module's scan is pending`, async () => {
      const r = await runScript(fixture("pool_tla_gc.ts"), ["3", "5", kind], { timeout: 90_000, exposeGc: true });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /alive=0 /, "no terminated pool is still reachable");
    });

    for (const which of ["pool", "executor"]) {
      const name = which === "pool" ? label : executor;
      test(`${name} never closed: the program exits within 2 s of its last line and leaves no worker`, async () => {
        const arg = kind === "thread" ? `thread${which}` : which;
        const r = await runScript(fixture("pool_forgotten.ts"), [arg], { timeout: 60_000 });
        const ended = Date.now();
        assert.equal(r.code, 0, r.stderr);
        const m = /value=15 pids=(\[[\d,]*\]) last=(\d+)/.exec(r.stdout);
        assert.ok(m, r.stdout + r.stderr);
        const pids: number[] = JSON.parse(m[1]);
        assert.ok(pids.length >= 1);
        assert.ok(ended - Number(m[2]) < 2000, `the program ended ${ended - Number(m[2])} ms after its last line`);
        // Worker threads end with their process: the program's exit is the whole guarantee.
        if (kind === "thread") return;
        // The guarantee is the one lifetimes.test.ts checks: the whole tree is gone within 2 s of the
        // last line. A worker that has closed its stdout (so the program's output has ended) may
        // still be inside the kernel's exit for a moment, so look until that same deadline.
        const deadline = Number(m[2]) + 2000;
        while (Date.now() < deadline && !pids.every(isGone)) await new Promise((r) => setTimeout(r, 10));
        const left = pids.filter((p) => !isGone(p));
        for (const p of left) process.kill(p, "SIGKILL");
        assert.deepEqual(left, [], "no worker outlives the program");
      });
    }

    test(`${label}.terminate() while the workers are still starting returns and leaves no worker`, async () => {
      const pool = new PoolClass(2);
      const ids = pool._pids;
      assert.equal(ids.length, 2);
      await within(pool.terminate(), 10_000, "terminate()");
      assert.ok(await until(() => ids.every(workerGone(kind)), 3000), "the starting workers are gone");
    });

    test(
      `${label}.close() then join() while the running worker is ${
        kind === "process" ? "SIGKILLed" : "terminated from outside"
      }: the task rejects with WorkerLostError and join() returns`,
      async () => {
        const pool = new PoolClass(1);
        try {
          assert.equal(await within(pool.apply(double, [1]), 30_000, "apply()"), 2);
          const [victim] = pool._pids;
          const r = pool.applyAsync(slowDouble, [1, 10_000]);
          await new Promise((res) => setTimeout(res, 200));
          pool.close();
          if (kind === "process") process.kill(victim, "SIGKILL");
          else pool._killWorker(victim);
          await within(pool.join(), 10_000, "join()");
          await assert.rejects(r.get(1000), WorkerLostError);
        } finally {
          await pool.terminate();
        }
      },
    );
  });
}
