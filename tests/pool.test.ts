// Pool, ThreadPool and AsyncResult: every method, chunking, laziness, errors, lifecycle, dead workers,
// limits. Every case runs for both kinds of worker; where one is process-only by nature (a SIGKILL
// from outside, a pid gone), the thread kind runs its counterpart (terminate(), a thread gone).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { AsyncResult, Pool, Process, StateError, Thread, ThreadPool, TimeoutError, WorkerLostError } from "../mod.ts";
import {
  add,
  announceThenHang,
  exitWith,
  failOn,
  identity,
  init,
  initState,
  killSelf,
  nestedPoolToFile,
  returnsFunction,
  sleepThen,
  square,
  TaskError,
  throwTaskError,
  workerId,
} from "./fixtures/pool_tasks.ts";
import { readJson, tempDir, waitForFile, workerGone, type WorkerKind } from "./_helpers.ts";

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

const KINDS: Array<[label: "Pool" | "ThreadPool", PoolClass: typeof Pool, kind: WorkerKind]> = [
  ["Pool", Pool, "process"],
  ["ThreadPool", ThreadPool, "thread"],
];

for (const [label, PoolClass, kind] of KINDS) {
  const isGone = workerGone(kind);
  // One pool of two workers per kind serves most cases (each runtime runs this file on a 2-core CI box).
  let _shared: Pool | undefined;
  const shared = (): Pool => (_shared ??= new PoolClass(2));

  describe(label, () => {
    test(`${label}.map() returns results in input order (seed: Pool(5).map over 100 items); await using terminates`, async () => {
      let pids: number[];
      {
        await using pool = new PoolClass(5);
        assert.deepEqual(await pool.map(square, range(100)), range(100).map((x) => x * x));
        pids = pool._pids;
        assert.equal(pids.length, 5);
      }
      assert.ok(pids.every(isGone), "workers are gone after the await using block");
    });

    test(`${label}.apply() runs sequential calls; starmap() and starmapAsync() spread argument arrays`, async () => {
      const pool = shared();
      for (let i = 0; i < 5; i++) assert.equal(await pool.apply(add, [i, 10]), i + 10);
      assert.equal(await pool.apply((a: number, b: number) => a * b, [6, 7]), 42, "a self-contained function");
      assert.deepEqual(await pool.starmap(add, [[1, 2], [3, 4], [5, 6]]), [3, 7, 11]);
      assert.deepEqual(await pool.starmapAsync(add, [[1, 1], [2, 2]], { chunksize: 1 }).get(), [2, 4]);
      assert.deepEqual(await pool.mapAsync(square, [2, 3]), [4, 9], "an AsyncResult is awaitable");
    });

    test(`${label}.applyAsync() calls exactly one of callback/errorCallback, in the parent`, async () => {
      const pool = shared();
      const calls: string[] = [];
      const ok = pool.applyAsync(square, [4], {
        callback: (v) => calls.push(`ok ${v} ${typeof process}`),
        errorCallback: () => calls.push("error for ok"),
      });
      const bad = pool.applyAsync(failOn, [1, 1], {
        callback: () => calls.push("ok for bad"),
        errorCallback: (e) => calls.push(`error ${e.name}`),
      });
      const many = range(20).map((i) => pool.applyAsync(identity, [i], { callback: (v) => calls.push(`v${v}`) }));
      assert.equal(await ok.get(), 16);
      await assert.rejects(bad.get(), RangeError);
      await Promise.all(many.map((r) => r.wait()));
      assert.ok(calls.includes("ok 16 object"));
      assert.ok(calls.includes("error RangeError"));
      assert.equal(calls.filter((c) => c.startsWith("v")).length, 20);
      assert.equal(calls.length, 22, calls.join(", "));
      assert.equal(ok.successful(), true);
      assert.equal(bad.successful(), false);
    });

    test(`${label}: AsyncResult.get(timeout) rejects with TimeoutError; wait(), ready(), successful()`, async () => {
      const r = shared().applyAsync(sleepThen, [400, "late"]);
      assert.ok(r instanceof AsyncResult);
      assert.equal(r.ready(), false);
      assert.throws(() => r.successful(), StateError);
      await assert.rejects(r.get(50), TimeoutError);
      await r.wait(10);
      assert.equal(r.ready(), false);
      await r.wait();
      assert.equal(r.ready(), true);
      assert.equal(r.successful(), true);
      assert.equal(await r.get(0), "late");
    });

    test(`${label}.map() rejects chunksize < 1 with RangeError and returns [] for empty input`, async () => {
      const pool = shared();
      await assert.rejects(pool.map(square, [1], { chunksize: 0 }), RangeError);
      await assert.rejects(pool.map(square, [1], { chunksize: 1.5 }), RangeError);
      assert.throws(() => pool.imap(square, [1], { chunksize: -1 }), RangeError);
      assert.throws(() => pool.mapAsync(square, [1], { chunksize: 0 }), RangeError);
      assert.deepEqual(await pool.map(square, []), []);
      assert.deepEqual(await pool.starmap(add, []), []);
      assert.deepEqual(await pool.map(square, new Set([3])), [9]);
      const out: unknown[] = [];
      for await (const v of pool.imapUnordered(square, [])) out.push(v);
      assert.deepEqual(out, []);
    });

    test(`${label}.imap() yields in input order and imapUnordered() in completion order`, async () => {
      const pool = shared();
      const args = [[500, "slow"], [10, "fast1"], [10, "fast2"]];
      const ordered: unknown[] = [];
      for await (
        const v of pool.imap((a: [number, string]) => new Promise((r) => setTimeout(() => r(a[1]), a[0])), args)
      ) ordered.push(v);
      assert.deepEqual(ordered, ["slow", "fast1", "fast2"]);
      const unordered: unknown[] = [];
      for await (
        const v of pool.imapUnordered(
          (a: [number, string]) => new Promise((r) => setTimeout(() => r(a[1]), a[0])),
          args,
        )
      ) {
        unordered.push(v);
      }
      assert.deepEqual(unordered, ["fast1", "fast2", "slow"]);
      const fromAsync: unknown[] = [];
      async function* gen() {
        for (let i = 0; i < 10; i++) yield i;
      }
      for await (const v of pool.imap(square, gen(), { chunksize: 3 })) fromAsync.push(v);
      assert.deepEqual(fromAsync, range(10).map((x) => x * x));
    });

    test(`${label}.imap() is lazy and back-pressured over infinite sync and async generators`, async () => {
      const pool = shared();
      for (const kind of ["sync", "async"]) {
        let pulled = 0;
        const naturals = function* () {
          for (let i = 0;; i++) {
            pulled++;
            yield i;
          }
        };
        const asyncNaturals = async function* () {
          yield* naturals();
        };
        const got: number[] = [];
        const it = kind === "sync" ? naturals() : asyncNaturals();
        for await (const v of pool.imap<number>(square, it, { chunksize: 2 })) {
          got.push(v);
          if (got.length === 40) break;
        }
        assert.deepEqual(got, range(40).map((x) => x * x));
        // at most 4 × processes chunks of 2 beyond what was consumed
        assert.ok(pulled <= 40 + 4 * 2 * 2 + 2, `${kind}: pulled ${pulled} items for 40 results`);
        let unorderedPulled = 0;
        const counted = function* () {
          for (let i = 0;; i++) {
            unorderedPulled++;
            yield i;
          }
        };
        let n = 0;
        for await (const _ of pool.imapUnordered(square, counted())) if (++n === 30) break;
        assert.ok(unorderedPulled <= 30 + 4 * 2 + 1, `unordered pulled ${unorderedPulled} items for 30 results`);
      }
    });

    test(`${label}.imap() re-throws the input iterable's error unchanged, after the earlier chunks' results`, async () => {
      const boom = new SyntaxError("input broke");
      const items = function* () {
        yield 1;
        yield 2;
        yield 3;
        yield 4;
        yield 5;
        throw boom;
      };
      for (const method of ["imap", "imapUnordered"] as const) {
        const got: number[] = [];
        let caught: unknown;
        try {
          for await (const v of shared()[method]<number>(square, items(), { chunksize: 2 })) got.push(v);
        } catch (e) {
          caught = e;
        }
        assert.equal(caught, boom, `${method} re-throws the very same error`);
        assert.deepEqual(got.sort((a, b) => a - b), [1, 4, 9, 16], method);
      }
    });

    test(`${label}.map() is not fail-fast; worker errors keep class, message, props, cause and the worker's stack`, async () => {
      const pool = shared();
      const started = Date.now();
      const mapped = pool.map(
        (x: number) => {
          if (x === 0) throw new RangeError("first item fails");
          return new Promise((r) => setTimeout(() => r(x), 400));
        },
        [0, 1],
        { chunksize: 1 },
      );
      await assert.rejects(mapped, (e: Error) => e instanceof RangeError && e.message === "first item fails");
      assert.ok(Date.now() - started >= 350, "map reported the error only after the slow chunk finished");
      await assert.rejects(
        pool.starmap(failOn, range(10).map((x) => [x, 3])),
        (e: Error) => e instanceof RangeError && /bad item 3/.test(e.message),
      );
      const err = await pool.apply(throwTaskError, [7]).then(() => null, (e) => e);
      assert.ok(
        err instanceof TaskError,
        `a class exported by the task's module arrives as itself (got ${err?.constructor?.name})`,
      );
      assert.equal(err.message, "task failed with code 7");
      assert.equal(err.code, 7);
      assert.ok(err.cause instanceof TypeError && err.cause.message === "root cause");
      assert.match(
        String(err.stack),
        /throwTaskError .*pool_tasks\.ts:\d+:\d+/,
        "the worker's stack names the throwing line",
      );
    });

    test(`${label}.apply() rejects with TypeError for an argument or result that cannot be sent, and keeps working`, async () => {
      const pool = shared();
      await assert.rejects(
        pool.apply(identity, [{ ok: 1, fn: () => 1 }]),
        (e: Error) => e instanceof TypeError && /fn/.test(e.message),
      );
      await assert.rejects(
        pool.apply(returnsFunction),
        (e: Error) => e instanceof TypeError && /result/.test(e.message),
      );
      assert.equal(await pool.apply(square, [5]), 25);
    });

    test(
      `${label} worker killed ${
        kind === "process" ? "by SIGKILL" : "from outside (terminate())"
      } mid-task: that task rejects with WorkerLostError, the worker is replaced, others complete`,
      async () => {
        const pool = shared();
        const before = pool._pids;
        const t = tempDir();
        try {
          // A process kills itself; a thread cannot be SIGKILLed alone, so the test ends it from outside.
          const victim = kind === "process"
            ? pool.applyAsync(killSelf)
            : pool.applyAsync(announceThenHang, [t.file("victim")]);
          const others = pool.map(square, range(30), { chunksize: 1 });
          if (kind === "thread") pool._killWorker(Number(await waitForFile(t.file("victim"))));
          const [signal, code] = kind === "process" ? [/SIGKILL/, /-9\b/] : [/was terminated/, /-15\b/];
          await assert.rejects(
            victim.get(),
            (e: Error) => e instanceof WorkerLostError && signal.test(e.message) && code.test(e.message),
          );
          assert.deepEqual(await others, range(30).map((x) => x * x));
        } finally {
          t.cleanup();
        }
        const w = await pool.apply(workerId);
        assert.equal(pool._pids.length, 2);
        assert.notDeepEqual(pool._pids.sort(), before.sort(), "a new worker replaced the dead one");
        assert.ok(pool._pids.includes(w));
        assert.ok(before.filter((id) => !pool._pids.includes(id)).every(isGone), "the dead worker is gone");
      },
    );

    test(`${label}: a task that calls exit(n) rejects with WorkerLostError carrying n; the worker is replaced`, async () => {
      const pool = shared();
      const before = pool._pids;
      await assert.rejects(
        pool.apply(exitWith, [3]),
        (e: Error) => e instanceof WorkerLostError && (e as WorkerLostError).exitCode === 3 && /code 3/.test(e.message),
      );
      assert.deepEqual(await pool.map(square, range(6), { chunksize: 1 }), range(6).map((x) => x * x));
      assert.equal(pool._pids.length, 2);
      assert.notDeepEqual(pool._pids.sort(), before.sort(), "a new worker replaced the one that exited");
    });

    test(`${label} per-call timeout and signal kill the running worker, which is replaced`, async () => {
      const pool = shared();
      const before = new Set(pool._pids);
      await assert.rejects(pool.apply(sleepThen, [60_000, 1], { timeout: 200 }), TimeoutError);
      const reason = new Error("stop now");
      const ac = new AbortController();
      setTimeout(() => ac.abort(reason), 100);
      await assert.rejects(pool.apply(sleepThen, [60_000, 1], { signal: ac.signal }), (e) => e === reason);
      await assert.rejects(pool.map(sleepThen, [60_000], { signal: AbortSignal.abort(reason) }), (e) => e === reason);
      await assert.rejects(
        pool.mapAsync((ms: number) => new Promise((r) => setTimeout(r, ms)), [60_000, 60_000], { timeout: 200 }).get(),
        TimeoutError,
      );
      assert.equal(await pool.apply(square, [3]), 9);
      assert.ok(pool._pids.some((p) => !before.has(p)), "killed workers were replaced");
    });

    test(`${label} maxTasksPerChild recycles workers; initializer runs once per worker start; default chunksize is Python's`, async () => {
      assert.throws(() => new PoolClass({ processes: 1, maxTasksPerChild: 0 }), RangeError);
      assert.throws(() => new PoolClass({ processes: 1, maxTasksPerChild: -1 }), RangeError);
      assert.throws(() => new PoolClass({ processes: 1, maxTasksPerChild: 0.5 }), RangeError);
      assert.throws(() => new PoolClass(0), RangeError);
      assert.throws(() => new PoolClass("2" as never), TypeError);
      await using pool = new PoolClass({ processes: 2, maxTasksPerChild: 1, initializer: init, initargs: ["hi"] });
      // 20 items on 2 workers: chunksize ceil(20 / 8) = 3, so 7 chunks; each worker runs one chunk.
      const out = await pool.map(initState, range(20));
      assert.equal(out.length, 20);
      for (const [, calls, arg] of out) {
        assert.equal(calls, 1, "initializer ran once in this worker");
        assert.equal(arg, "hi");
      }
      const runs: number[] = [];
      for (let i = 0; i < out.length; i++) {
        if (i === 0 || out[i][0] !== out[i - 1][0]) runs.push(1);
        else runs[runs.length - 1]++;
      }
      assert.deepEqual(runs, [3, 3, 3, 3, 3, 3, 2], "one pid per chunk of Python's default size");
      assert.equal(new Set(out.map((r) => r[0])).size, 7, "each chunk ran in a fresh worker");
      const explicit = await pool.map(initState, range(5), { chunksize: 5 });
      assert.equal(new Set(explicit.map((r) => r[0])).size, 1);
    });

    test(`${label} lifecycle: join before close throws StateError; a closed pool refuses work; close()+join() waits for tasks`, async () => {
      const pool = new PoolClass(1);
      await assert.rejects(pool.join(), StateError);
      const pending = pool.apply(sleepThen, [200, "done"]);
      pool.close();
      await assert.rejects(pool.apply(square, [1]), StateError);
      assert.throws(() => pool.applyAsync(square, [1]), StateError);
      assert.throws(() => pool.imap(square, [1]), StateError);
      const pids = pool._pids;
      await pool.join();
      assert.equal(await pending, "done");
      assert.ok(pids.every(isGone));
    });

    test(`${label}.terminate() returns without waiting for long tasks; their calls reject`, async () => {
      const pool = new PoolClass(2);
      const long = [
        pool.apply(sleepThen, [60_000, 1]),
        pool.apply((ms: number) => {
          const end = Date.now() + ms;
          while (Date.now() < end) { /* busy */ }
        }, [60_000]),
      ].map((p) => p.then(() => null, (e) => e));
      await new Promise((r) => setTimeout(r, 500));
      const pids = pool._pids;
      const t0 = Date.now();
      await pool.terminate();
      // Far below the tasks' 60 s (not a speed claim: a loaded 2-core machine may take seconds to reap).
      assert.ok(Date.now() - t0 < 30_000, `terminate() took ${Date.now() - t0} ms`);
      for (const p of long) assert.ok((await p) instanceof StateError);
      assert.ok(pids.every(isGone));
      await assert.rejects(pool.apply(square, [1]), StateError);
    });

    test(`${label} works inside a child process and inside a Thread`, async () => {
      const t = tempDir();
      try {
        for (const Starter of [Process, Thread]) {
          const out = t.file(`${Starter.name}.json`);
          const p = new Starter({ target: nestedPoolToFile, args: [out, [1, 2, 3], label] });
          p.start();
          await p.join();
          assert.equal(p.exitCode, 0, `${label} in a ${Starter.name}`);
          assert.deepEqual(readJson(out), [1, 4, 9]);
        }
      } finally {
        t.cleanup();
      }
    });

    test(`${label}.terminate() ends the shared pool`, async () => {
      const pool = shared();
      const pids = pool._pids;
      await pool.terminate();
      assert.ok(pids.every(isGone));
    });
  });
}
