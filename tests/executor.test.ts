// ProcessPoolExecutor, ThreadPoolExecutor, Future, asCompleted, waitFutures: on-demand workers,
// futures, broken pools. Every case runs for both kinds of worker; a worker killed from outside is a
// SIGKILLed process or a terminated thread.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  asCompleted,
  BrokenProcessPool,
  CancelledError,
  Future,
  ProcessPoolExecutor,
  StateError,
  ThreadPoolExecutor,
  TimeoutError,
  waitFutures,
  WorkerLostError,
} from "../mod.ts";
import {
  announceThenHang,
  badInit,
  exitWith,
  failOn,
  identity,
  init,
  initState,
  killSelf,
  sleepThen,
  square,
  whenFileThen,
  workerId,
} from "./fixtures/pool_tasks.ts";
import { tempDir, waitForFile, workerGone, type WorkerKind } from "./_helpers.ts";
import * as fs from "node:fs";

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

const KINDS: Array<
  [label: "ProcessPoolExecutor" | "ThreadPoolExecutor", Executor: typeof ProcessPoolExecutor, kind: WorkerKind]
> = [
  ["ProcessPoolExecutor", ProcessPoolExecutor, "process"],
  ["ThreadPoolExecutor", ThreadPoolExecutor, "thread"],
];

for (const [label, Executor, kind] of KINDS) {
  const isGone = workerGone(kind);
  // One executor of two workers per kind serves the cases that do not break or shut it down.
  let _shared: ProcessPoolExecutor | undefined;
  const shared = (): ProcessPoolExecutor => (_shared ??= new Executor({ maxWorkers: 2 }));

  describe(label, () => {
    test(`${label}.submit() starts workers on demand and reuses them: three sequential submits use one worker`, async () => {
      const ex = shared();
      assert.deepEqual(ex._pids, [], "no worker before the first submit");
      const pids = [await ex.submit(workerId), await ex.submit(workerId), await ex.submit(workerId)];
      assert.equal(new Set(pids).size, 1);
      assert.deepEqual(ex._pids, [pids[0]]);
      assert.equal(await ex.submit(square, 12), 144);
    });

    test(`${label}: Future: result/exception with timeout, done/running, addDoneCallback, await`, async () => {
      const ex = shared();
      const slow = ex.submit(sleepThen, 300, "slow");
      const bad = ex.submit(failOn, 2, 2);
      assert.equal(slow.done(), false);
      await assert.rejects(slow.result(20), TimeoutError);
      await assert.rejects(slow.exception(20), TimeoutError);
      const seen: Array<Future<unknown>> = [];
      slow.addDoneCallback((f) => seen.push(f));
      assert.equal(await slow, "slow");
      assert.equal(slow.done(), true);
      assert.equal(slow.running(), false);
      assert.equal(await slow.exception(), null);
      assert.deepEqual(seen, [slow]);
      const err = await bad.exception();
      assert.ok(err instanceof RangeError && /bad item 2/.test(err.message));
      await assert.rejects(bad.result(), RangeError);
      let late = 0;
      bad.addDoneCallback(() => late++);
      assert.equal(late, 1, "a callback added to a done future runs at once");
      assert.equal(slow.cancel(), false, "a finished future cannot be cancelled");
    });

    test(`${label}: Future.cancel() cancels a queued future only; running() turns true once a worker has it`, async () => {
      await using ex = new Executor({ maxWorkers: 1 });
      const first = ex.submit(sleepThen, 300, 1);
      const queued = ex.submit(square, 3);
      assert.equal(queued.cancel(), true);
      assert.equal(queued.cancelled(), true);
      assert.equal(queued.done(), true);
      assert.equal(queued.cancel(), true);
      await assert.rejects(queued.result(), CancelledError);
      await assert.rejects(queued.exception(), CancelledError);
      // The worker may take seconds to start on a loaded machine: wait for it (bounded against a hang).
      for (let i = 0; i < 6000 && !first.running() && !first.done(); i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(first.running(), true);
      assert.equal(first.cancel(), false);
      assert.equal(await first.result(), 1);
    });

    test(`${label}: asCompleted() yields futures in completion order and throws TimeoutError when time runs out`, async () => {
      const ex = shared();
      const t = tempDir();
      try {
        // a ends only once b has been yielded: the order does not depend on how fast workers start.
        const a = ex.submit(whenFileThen, t.file("go"), "a");
        const b = ex.submit(sleepThen, 10, "b");
        const order: unknown[] = [];
        for await (const f of asCompleted([a, b])) {
          order.push(await f.result());
          if (order.length === 1) fs.writeFileSync(t.file("go"), "");
        }
        assert.deepEqual(order, ["b", "a"]);
        const c = ex.submit(whenFileThen, t.file("c"), "c");
        try {
          await assert.rejects(async () => {
            for await (const _ of asCompleted([a, c], 100)) { /* a is done, c is not */ }
          }, TimeoutError);
        } finally {
          fs.writeFileSync(t.file("c"), "");
        }
        await c;
      } finally {
        t.cleanup();
      }
    });

    test(`${label}: asCompleted() yields the Future objects themselves, typed as futures: f.result() and Map lookups type-check`, async () => {
      const ex = shared();
      const inputs = new Map(range(4).map((x) => [ex.submit(square, x), x]));
      const seen: Array<Future<number>> = [];
      for await (const f of asCompleted(inputs.keys())) {
        // Type level: f is a Future<number> (Python's `f.result()`), not the number it resolves to.
        const value: number = await f.result();
        assert.equal(value, inputs.get(f)! ** 2);
        // @ts-expect-error f is a future, not its value (tsc and deno check fail here if it were typed as a number)
        const wrong: number = f;
        assert.notEqual(typeof wrong, "number");
        // At run time `for await` does not unwrap a thenable an async iterator yields: f is the Future.
        assert.ok(f instanceof Future);
        assert.ok(inputs.has(f));
        seen.push(f);
      }
      assert.deepEqual(new Set(seen), new Set(inputs.keys()));
    });

    test(`${label}: waitFutures() returns on FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED or timeout`, async () => {
      const ex = shared();
      const t = tempDir();
      // slow ends only when the test says so (a fixed sleep could end before a loaded parent looks).
      const fast = ex.submit(sleepThen, 10, 1);
      const slow = ex.submit(whenFileThen, t.file("go"), 2);
      try {
        let r = await waitFutures([fast, slow], { returnWhen: "FIRST_COMPLETED" });
        assert.deepEqual([...r.done], [fast]);
        assert.deepEqual([...r.notDone], [slow]);
        r = await waitFutures([slow], { timeout: 50 });
        assert.equal(r.notDone.size, 1);
        const fails = ex.submit(failOn, 1, 1);
        r = await waitFutures([slow, fails], { returnWhen: "FIRST_EXCEPTION" });
        assert.ok(r.done.has(fails) && r.notDone.has(slow));
        fs.writeFileSync(t.file("go"), "");
        r = await waitFutures([fast, slow, fails]);
        assert.equal(r.done.size, 3);
      } finally {
        fs.writeFileSync(t.file("go"), "");
        await slow.exception().catch(() => {});
        t.cleanup();
      }
      await assert.rejects(waitFutures([fast], { returnWhen: "SOMETIMES" as never }), TypeError);
    });

    test(`${label}: an argument that cannot be sent rejects that submit only; a task's exit(n) is reported as that exit`, async () => {
      const ex = shared();
      await assert.rejects(
        ex.submit(identity, { fn: () => 1 }).result(),
        (e: Error) => e instanceof TypeError && /fn/.test(e.message),
      );
      await assert.rejects(
        ex.submit(exitWith, 3).result(),
        (e: Error) => e instanceof WorkerLostError && (e as WorkerLostError).exitCode === 3 && /code 3/.test(e.message),
      );
      assert.equal(await ex.submit(square, 5), 25, "the executor is not broken");
    });

    test(`${label} rejects maxWorkers < 1 with RangeError; maxTasksPerChild recycles; initializer runs per worker`, async () => {
      assert.throws(() => new Executor({ maxWorkers: 0 }), RangeError);
      assert.throws(() => new Executor({ maxWorkers: -2 }), RangeError);
      assert.throws(() => new Executor({ maxTasksPerChild: 0 }), RangeError);
      await using ex = new Executor({ maxWorkers: 1, maxTasksPerChild: 2, initializer: init, initargs: [5] });
      const out = [];
      for (let i = 0; i < 4; i++) out.push(await ex.submit(initState));
      assert.equal(out[0][0], out[1][0]);
      assert.equal(out[2][0], out[3][0]);
      assert.notEqual(out[0][0], out[2][0], "a worker is replaced after 2 tasks");
      assert.ok(out.every(([, calls, arg]) => calls === 1 && arg === 5));
    });

    test(
      `${label}: a worker killed ${
        kind === "process" ? "by SIGKILL" : "from outside (terminate())"
      } breaks the pool for its futures and later submits`,
      async () => {
        const ex = new Executor({ maxWorkers: 2 });
        const t = tempDir();
        try {
          // A process kills itself; a thread cannot be SIGKILLed alone, so the test ends it from outside.
          const victim = kind === "process" ? ex.submit(killSelf) : ex.submit(announceThenHang, t.file("victim"));
          if (kind === "thread") ex._killWorker(Number(await waitForFile(t.file("victim"))));
          const signal = kind === "process" ? /SIGKILL/ : /was terminated/;
          await assert.rejects(
            victim.result(),
            (e: Error) => e instanceof BrokenProcessPool && signal.test(e.message) && e.message.includes(label),
          );
          assert.throws(() => ex.submit(square, 1), BrokenProcessPool);
          await ex.shutdown();
        } finally {
          t.cleanup();
        }
      },
    );

    test(`${label}: an initializer that throws breaks the pool with BrokenProcessPool`, async () => {
      const ex = new Executor({ maxWorkers: 1, initializer: badInit });
      await assert.rejects(
        ex.submit(square, 2).result(),
        (e: Error) =>
          e instanceof BrokenProcessPool && /initializer exploded/.test(e.message) &&
          (e.cause as Error).message === "initializer exploded",
      );
      assert.throws(() => ex.submit(square, 1), BrokenProcessPool);
      await ex.shutdown();
    });

    test(`${label}.shutdown() waits, cancels queued futures on request, and refuses later submits`, async () => {
      const ex = new Executor({ maxWorkers: 1 });
      const running = ex.submit(sleepThen, 200, "r");
      // Bounded against a hang only: a worker may take seconds to start on a loaded machine.
      for (let i = 0; i < 6000 && !running.running() && !running.done(); i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(running.running(), true, "the first task runs before shutdown()");
      const queued = range(5).map((i) => ex.submit(square, i));
      await ex.shutdown({ cancelFutures: true });
      assert.equal(await running, "r");
      assert.ok(queued.every((f) => f.cancelled()));
      assert.throws(() => ex.submit(square, 1), StateError);
      assert.ok(ex._pids.every(isGone));
      const ex2 = new Executor({ maxWorkers: 1 });
      const f = ex2.submit(sleepThen, 100, "w");
      await ex2.shutdown({ wait: false });
      assert.equal(await f, "w", "pending work still finishes after shutdown({ wait: false })");
      await ex2.shutdown();
    });

    test(`${label}.map() yields in input order, honours chunksize and timeout`, async () => {
      const ex = shared();
      const out: number[] = [];
      for await (const v of ex.map(square, range(10), { chunksize: 3 })) out.push(v);
      assert.deepEqual(out, range(10).map((x) => x * x));
      assert.throws(() => ex.map(square, [1], { chunksize: 0 }), RangeError);
      const slow: unknown[] = [];
      await assert.rejects(async () => {
        // The timeout runs from the call: 3 s for the 10 ms item, even on a loaded machine; the 6 s one cannot make it.
        for await (
          const v of ex.map((ms: number) => new Promise((r) => setTimeout(() => r(ms), ms)), [10, 6000], {
            timeout: 3000,
          })
        ) slow.push(v);
      }, TimeoutError);
      assert.deepEqual(slow, [10]);
    });

    test(`${label}.shutdown() ends the shared executor`, async () => {
      const ex = shared();
      const pids = ex._pids;
      await ex.shutdown();
      assert.ok(pids.every(isGone));
    });
  });
}
