// Thread: lifecycle, args, errors, exit codes, terminate, subclasses, the current-thread helpers,
// lifetimes of programs with threads, and threads and processes started inside threads.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import {
  activeCount,
  currentThread,
  enumerateThreads,
  isMainThread,
  mainThread,
  Process,
  StateError,
  Thread,
} from "../mod.ts";
import { decode } from "../src/channel/codec.ts";
import {
  echoArgs,
  exitWith,
  FieldThread,
  nap,
  nestedStarts,
  noop,
  processExitWith,
  processStartsThread,
  recordWho,
  rejectRegistered,
  spin,
  ThreadTestError,
  throwRange,
} from "./fixtures/thread_targets.ts";
import { fixture, readJson, runScript, tempDir, until } from "./_helpers.ts";

const program = fixture("thread_program.ts");

describe("Thread", () => {
  test("Thread.start()/join() runs the target with args of every kind the codec sends, exitCode 0", async () => {
    const t = tempDir();
    const shared = { x: 1 };
    const cyclic: Record<string, unknown> = { a: shared, b: shared };
    cyclic.self = cyclic;
    const args: unknown[] = [
      undefined,
      null,
      true,
      false,
      0,
      -0,
      NaN,
      Infinity,
      -Infinity,
      2 ** 53 + 2,
      "text \u{1F600} \ud800",
      12345678901234567890123456789n,
      -1n,
      [1, [2, [3]], { deep: { deeper: [null] } }],
      { plain: "object", nested: { n: 1 } },
      new Map<unknown, unknown>([["k", new Set([1, "2"])], [3, { v: 4 }]]),
      new Set(["a", 1]),
      new Date(1234567890123),
      new Date(NaN),
      /ab+c/gi,
      new Uint8Array([1, 2, 255]),
      new Float64Array([1.5, -0]),
      new Int32Array([-7]),
      new BigInt64Array([-5n]),
      new Uint8Array([9, 8, 7]).buffer,
      new DataView(new Uint8Array([4, 5]).buffer),
      new RangeError("a range", { cause: new Error("root") }),
      new AggregateError([new TypeError("inner")], "agg"),
      cyclic,
    ];
    const th = new Thread({ target: echoArgs, args: [t.file("out.json"), ...args] });
    assert.equal(th.ident, undefined);
    assert.equal(th.exitCode, null);
    assert.equal(th.isAlive(), false);
    assert.match(th.name, /^Thread-\d+$/);
    assert.equal(th.daemon, false);
    th.start();
    assert.equal(typeof th.ident, "number");
    assert.ok(th.ident! > 0);
    await th.join();
    assert.equal(th.exitCode, 0);
    assert.equal(th.isAlive(), false);
    assert.equal(th.error, undefined);
    assert.deepEqual(readJson(t.file("out.json")), { shared: true, cycle: true, main: false });
    const back = decode(new Uint8Array(fs.readFileSync(t.file("out.json") + ".bin"))) as unknown[];
    assert.equal(back.length, args.length);
    for (let i = 0; i < args.length; i++) assert.deepStrictEqual(back[i], args[i], `arg ${i}`);
    assert.ok(Object.is(back[5], -0));
    assert.equal((back[26] as Error).constructor, RangeError);
    assert.equal(((back[26] as Error).cause as Error).message, "root");
    assert.equal((back[27] as AggregateError).errors[0].constructor, TypeError);
    t.cleanup();
  });

  test("Thread name, daemon and ident: given, inherited, settable before start only", async () => {
    const a = new Thread({ target: noop, name: "named", daemon: true });
    assert.equal(a.name, "named");
    assert.equal(a.daemon, true);
    a.name = "renamed";
    a.daemon = false;
    assert.equal(a.daemon, false);
    a.start();
    assert.throws(() => (a.daemon = true), StateError);
    a.name = "renamed again"; // a name is only for display: settable while running
    await a.join();
    assert.equal(a.exitCode, 0);
    const b = new Thread({ target: noop });
    const c = new Thread({ target: noop });
    assert.notEqual(b.name, c.name);
    b.start();
    c.start();
    await Promise.all([b.join(), c.join()]);
    // Threads alive at the same time have different idents; as in Python, an ended thread's ident
    // may come back (its worker runs the next thread: thread_reuse.test.ts).
    assert.notEqual(b.ident, c.ident);
    assert.ok(Number.isInteger(a.ident) && a.ident! > 0);
  });

  test("Thread.join(timeout) returns on a running thread with isAlive() true", async () => {
    const th = new Thread({ target: nap, args: [60_000] });
    th.start();
    const t0 = Date.now();
    await th.join(100);
    assert.ok(Date.now() - t0 >= 90, "join(100) waited");
    assert.equal(th.isAlive(), true);
    assert.equal(th.exitCode, null);
    await th.join(0);
    assert.equal(th.isAlive(), true);
    th.terminate();
    await th.join();
    assert.equal(th.isAlive(), false);
    assert.equal(th.exitCode, -15);
  });

  test("Thread errors: start twice, join/terminate before start, join itself, bad options", async () => {
    const th = new Thread({ target: noop });
    await assert.rejects(th.join(), StateError);
    assert.throws(() => th.terminate(), StateError);
    th.start();
    assert.throws(() => th.start(), StateError);
    await th.join();
    assert.throws(() => th.start(), StateError);
    await assert.rejects(currentThread().join(), StateError);
    assert.throws(() => currentThread().start(), StateError);
    for (
      const bad of [
        { target: 3 },
        { target: "noop" },
        { args: "x" },
        { args: { length: 1 } },
        { name: 5 },
      ]
    ) {
      assert.throws(() => new Thread(bad as any), TypeError, JSON.stringify(bad));
    }
    assert.throws(() => new Thread(null as any), TypeError);
    assert.throws(() => new Thread(7 as any), TypeError);
    assert.throws(() => (new Thread({ target: noop }).name = 3 as any), TypeError);
    const unsendable = new Thread({ target: noop, args: [() => 1] });
    assert.throws(() => unsendable.start(), TypeError);
    const started = new Thread({ target: nap, args: [10] });
    started.start();
    await assert.rejects(started.join("soon" as any), TypeError);
    await started.join();
  });

  test("Thread target that throws: exitCode 1, error rebuilt with its class (built-in and registered)", async () => {
    const a = new Thread({ target: throwRange, args: ["range!"] });
    const b = new Thread({ target: rejectRegistered, args: ["registered!"] });
    a.start();
    b.start();
    await Promise.all([a.join(), b.join()]);
    assert.equal(a.exitCode, 1);
    assert.ok(a.error instanceof RangeError, String(a.error));
    assert.equal(a.error.message, "range!");
    assert.match(a.error.stack ?? "", /throwRange/);
    assert.equal(b.exitCode, 1);
    assert.ok(b.error instanceof ThreadTestError, String(b.error));
    assert.equal(b.error.message, "registered!");
    assert.equal((b.error as ThreadTestError).code, 42);
  });

  test("Thread target that throws prints 'Exception in thread <name>:' and the stack on stderr", async () => {
    const r = await runScript(program, ["throws", "-"], { timeout: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /exitCode=1 error=TypeError:thrown on purpose/);
    assert.match(r.stderr, /Exception in thread thrower:\n(.*\n)*TypeError: thrown on purpose\n\s+at throwInThread /);
    // The cause is reported too, as a child process reports it (the same errorReport).
    assert.match(r.stderr, /Caused by: RangeError: the cause, on purpose\n\s+at throwInThread /);
  });

  test("Thread.terminate() ends a target that loops forever: exitCode -15; await using terminates", async () => {
    const t = tempDir();
    const th = new Thread({ target: spin, args: [t.file("spin")] });
    th.start();
    assert.ok(await until(() => fs.existsSync(t.file("spin")), 30_000), "thread started spinning");
    assert.equal(th.isAlive(), true);
    th.terminate();
    await th.join();
    assert.equal(th.exitCode, -15);
    assert.equal(th.isAlive(), false);
    th.terminate(); // no-op once ended
    let held: Thread;
    {
      await using u = new Thread({ target: spin });
      held = u;
      u.start();
      await u.join(50);
      assert.equal(u.isAlive(), true);
    }
    assert.equal(held.exitCode, -15);
    // Disposing an unstarted thread does nothing; a finished one keeps its code.
    {
      await using _unstarted = new Thread({ target: noop });
    }
    let done: Thread;
    {
      await using d = new Thread({ target: noop });
      done = d;
      d.start();
      await d.join();
    }
    assert.equal(done.exitCode, 0);
    t.cleanup();
  });

  test("Thread: exit(n) and process.exit(n) in a thread end only that thread with code n", async () => {
    // On every runtime, process.exit() inside a worker thread ends that worker (Node, Deno and Bun
    // all give worker_threads this behaviour), and the library's exit(n) is the same.
    const a = new Thread({ target: exitWith, args: [7] });
    const b = new Thread({ target: processExitWith, args: [9] });
    const c = new Thread({ target: exitWith, args: [0] });
    for (const x of [a, b, c]) x.start();
    await Promise.all([a.join(), b.join(), c.join()]);
    assert.deepEqual([a.exitCode, b.exitCode, c.exitCode], [7, 9, 0]);
    // This process goes on, and starts threads as before.
    const d = new Thread({ target: noop });
    d.start();
    await d.join();
    assert.equal(d.exitCode, 0);
  });

  test("Thread subclass overriding run(): own fields travel, the instance is current in the thread", async () => {
    const t = tempDir();
    const th = new FieldThread({ name: "fielder" });
    th.file = t.file("sub.json");
    th.label = "custom";
    th.values = [1, 2, 3];
    th.when = new Date(42);
    th.start();
    await th.join();
    assert.equal(th.exitCode, 0);
    assert.deepEqual(readJson(t.file("sub.json")), {
      label: "custom",
      values: [1, 2, 3],
      when: 42,
      name: "fielder",
      isCurrent: true,
      isThreadSub: true,
      alive: true,
    });
    t.cleanup();
  });

  test("currentThread/mainThread/activeCount/enumerateThreads/isMainThread in the main thread", async () => {
    assert.equal(isMainThread(), true);
    assert.equal(currentThread(), mainThread());
    assert.equal(mainThread().name, "MainThread");
    assert.equal(mainThread().ident, 0);
    assert.equal(mainThread().isAlive(), true);
    assert.equal(activeCount(), 1);
    const th = new Thread({ target: nap, args: [60_000], name: "sleeper" });
    th.start();
    assert.equal(activeCount(), 2);
    assert.deepEqual(enumerateThreads().map((x) => x.name), ["MainThread", "sleeper"]);
    assert.ok(enumerateThreads().includes(th));
    th.terminate();
    await th.join();
    assert.equal(activeCount(), 1);
    assert.deepEqual(enumerateThreads(), [mainThread()]);
  });

  test("currentThread and friends inside a thread; isMainProcess is false there; no self join/start", async () => {
    const t = tempDir();
    const th = new Thread({ target: recordWho, args: [t.file("who.json"), true], name: "worker-1", daemon: true });
    th.start();
    await th.join();
    assert.equal(th.exitCode, 0);
    const who = readJson(t.file("who.json"));
    assert.equal(who.name, "worker-1");
    assert.equal(who.ident, th.ident);
    assert.equal(who.daemon, true);
    assert.equal(who.alive, true);
    assert.equal(who.isMainThread, false);
    assert.equal(who.mainName, "MainThread");
    assert.equal(who.mainIdent, 0);
    assert.equal(who.currentIsMain, false);
    assert.equal(who.isMainProcess, false);
    assert.equal(who.pid, process.pid);
    assert.equal(who.activeCount, 2);
    assert.deepEqual(who.names, ["MainThread", "worker-1"]);
    assert.equal(who.joinSelf, "StateError");
    assert.equal(who.startSelf, "StateError");
    // A thread started by a thread inherits its daemon flag and is counted by its starter.
    assert.equal(who.withInner.activeCount, 3);
    assert.deepEqual(who.withInner.names, ["MainThread", "worker-1", "inner"]);
    assert.equal(who.afterInner.activeCount, 2);
    t.cleanup();
  });

  test("currentThread and friends inside a thread started by a child process", async () => {
    const t = tempDir();
    const p = new Process({ target: processStartsThread, args: [t.file("proc.json"), t.file("thread.json")] });
    p.start();
    await p.join();
    assert.equal(p.exitCode, 0);
    const proc = readJson(t.file("proc.json"));
    const thr = readJson(t.file("thread.json"));
    assert.equal(proc.exitCode, 0);
    assert.equal(proc.during.isMainThread, true);
    assert.equal(proc.during.name, "MainThread");
    assert.equal(proc.during.activeCount, 2);
    assert.deepEqual(proc.during.names, ["MainThread", "from-child"]);
    assert.equal(proc.after.activeCount, 1);
    assert.equal(proc.during.isMainProcess, false);
    assert.equal(thr.name, "from-child");
    assert.equal(thr.isMainThread, false);
    assert.equal(thr.isMainProcess, false);
    assert.equal(thr.pid, p.pid);
    assert.equal(thr.processName, p.name);
    assert.equal(thr.daemon, false);
    assert.equal(thr.joinSelf, "StateError");
    t.cleanup();
  });

  test("isMainProcess guard: a thread importing the entry module does not run its guarded code", async () => {
    const r = await runScript(program, ["guard", "-"], { timeout: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    // Top level ran twice (main + the thread's import), guarded code once.
    assert.equal(r.stdout.match(/top-level main=true/g)?.length, 1, r.stdout);
    assert.equal(r.stdout.match(/top-level main=false/g)?.length, 1, r.stdout);
    assert.match(r.stdout, /in thread guarded main=false\nexitCode=0\n/);
  });

  test("Thread lifetimes: a non-daemon thread keeps its program alive until it ends", async () => {
    const r = await runScript(program, ["nondaemon", "-"], { timeout: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /main done\n(.*\n)*late output from thread\n/);
  });

  test("Thread lifetimes: daemon threads looping forever do not keep their program alive", async () => {
    const t0 = Date.now();
    const r = await runScript(program, ["daemon", "-"], { timeout: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /main done\n/);
    assert.ok(Date.now() - t0 < 50_000);
  });

  test("Thread lifetimes: a child process waits for the non-daemon thread its target started", async () => {
    const t = tempDir();
    const r = await runScript(program, ["child-thread", t.dir], { timeout: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /exitCode=0 file=done\n/);
    t.cleanup();
  });

  test("Thread inside a thread, and a Process inside a thread (joined there)", async () => {
    const t = tempDir();
    const th = new Thread({ target: nestedStarts, args: [t.file("n.json"), t.file("t.json"), t.file("p.json")] });
    th.start();
    await th.join();
    assert.equal(th.exitCode, 0);
    const n = readJson(t.file("n.json"));
    assert.deepEqual([n.thread, n.process], [0, 0]);
    const inner = readJson(t.file("t.json"));
    assert.equal(inner.name, "grandthread");
    assert.equal(inner.isMainThread, false);
    assert.equal(inner.pid, process.pid);
    const proc = readJson(t.file("p.json"));
    assert.notEqual(proc.pid, process.pid);
    assert.equal(proc.isMainThread, true);
    assert.equal(proc.isMainProcess, false);
    t.cleanup();
  });

  test("Thread: no thread left alive after the tests", () => {
    assert.deepEqual(enumerateThreads().map((t) => t.name), ["MainThread"]);
    assert.equal(activeCount(), 1);
  });
});
