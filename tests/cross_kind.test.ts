// Every primitive across kinds of worker: thread <-> thread, thread <-> process, and a process's
// thread <-> its parent process, over shared memory and over the served path. One case runs every
// primitive at once (fixtures/thread_cross.ts), so each pairing starts only two workers.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  Barrier,
  Condition,
  Event,
  JoinableQueue,
  Lock,
  Manager,
  Pipe,
  Process,
  Queue,
  RLock,
  Semaphore,
  SharedArray,
  SimpleQueue,
  Thread,
  ThreadPool,
  Value,
} from "../mod.ts";
import { backend, forceBackend } from "../src/sync/shm/arena.ts";
import {
  crossA,
  crossB,
  crossBInThread,
  type CrossObjects,
  F,
  holdThenRelease,
  INCREMENTS,
  putTag,
  waitForHeld,
} from "./fixtures/thread_cross.ts";
import { fixture, runScript, tempDir, within } from "./_helpers.ts";

let manager: Manager;
before(async () => {
  manager = await Manager.start();
});
after(async () => {
  await manager.shutdown();
});

async function objects(): Promise<CrossObjects> {
  const [pa, pb] = Pipe<{ x: number }>();
  return {
    q: new Queue<number>(),
    q2: new Queue<number>(),
    jq: new JoinableQueue<number>(),
    sq: new SimpleQueue<{ n: number; d: Date }>(),
    pa,
    pb,
    lock: new Lock(),
    rlock: new RLock(),
    sem: new Semaphore(1),
    ev: new Event(),
    ev2: new Event(),
    cond: new Condition(),
    barrier: new Barrier(2),
    v: new Value("i", 0),
    arr: new SharedArray("d", 16),
    flags: new SharedArray("i", F.SIZE, { lock: false }),
    dict: await manager.dict<number>(),
  };
}

function finished(o: CrossObjects): void {
  assert.equal(o.v.value, 2 * INCREMENTS, "Value: increments under its lock from both sides");
  for (const q of [o.q, o.q2, o.jq]) q.close();
  o.pa.close();
  o.pb.close();
}

/** Exit code and error of a worker, for assertion messages. */
function outcome(w: Thread | Process): string {
  return `${w.name} exitCode=${w.exitCode}${w instanceof Thread && w.error ? ` ${w.error.message}` : ""}`;
}

for (const path of ["shm", "served"] as const) {
  describe(`cross-kind over ${path === "shm" ? "shared memory" : "the served path"}`, () => {
    before(() => forceBackend(path === "served" ? "served" : undefined));
    after(() => forceBackend(undefined));

    if (path === "shm") {
      test("cross-kind: the shared-memory path is taken on this runtime", () => {
        assert.equal(backend(), "shm");
      });
    }

    test(`Queue, JoinableQueue, SimpleQueue, Pipe, Lock, RLock, Semaphore, Event, Condition, Barrier, Value, SharedArray, Manager dict: thread <-> thread (${path})`, async () => {
      const o = await objects();
      const a = new Thread({ target: crossA, args: [o], name: "A" });
      const b = new Thread({ target: crossB, args: [o], name: "B" });
      a.start();
      b.start();
      await within(Promise.all([a.join(), b.join()]), 150_000, "thread <-> thread");
      assert.deepEqual([a.exitCode, b.exitCode], [0, 0], `${outcome(a)}\n${outcome(b)}`);
      finished(o);
    });

    test(`every primitive: thread <-> process (the thread holds, the process waits) (${path})`, async () => {
      const o = await objects();
      const a = new Thread({ target: crossA, args: [o], name: "A" });
      const b = new Process({ target: crossB, args: [o], name: "B" });
      a.start();
      b.start();
      await within(Promise.all([a.join(), b.join()]), 150_000, "thread <-> process");
      assert.deepEqual([a.exitCode, b.exitCode], [0, 0], `${outcome(a)}\n${outcome(b)}`);
      finished(o);
    });

    test(`every primitive: a child process's thread <-> the parent process (${path})`, async () => {
      const o = await objects();
      const b = new Process({ target: crossBInThread, args: [o], name: "B" });
      b.start();
      let aError: unknown;
      await within(
        Promise.all([crossA(o).catch((e) => (aError = e)), b.join()]),
        150_000,
        "process's thread <-> parent",
      );
      assert.equal(aError, undefined);
      assert.equal(b.exitCode, 0, outcome(b));
      finished(o);
    });

    test(`Lock and RLock held by a thread while a child process waits: it gets them only after release (${path})`, async () => {
      for (const lock of [new Lock(), new RLock()]) {
        const flags = new SharedArray("i", 4, { lock: false });
        const holder = new Thread({ target: holdThenRelease, args: [lock, flags, 300] });
        const waiter = new Process({ target: waitForHeld, args: [lock, flags] });
        holder.start();
        waiter.start();
        await within(Promise.all([holder.join(), waiter.join()]), 150_000, "holder and waiter");
        assert.deepEqual([holder.exitCode, waiter.exitCode], [0, 0]);
        assert.equal(flags.get(3), 2, "the waiter's try-acquire failed while the thread held it");
        assert.equal(flags.get(2), 1, "the waiter got it after the thread released it");
      }
    });

    test(`RLock held by one thread is not re-entered by another thread of the same process (${path})`, async () => {
      const lock = new RLock();
      const flags = new SharedArray("i", 4, { lock: false });
      const holder = new Thread({ target: holdThenRelease, args: [lock, flags, 300] });
      const waiter = new Thread({ target: waitForHeld, args: [lock, flags] });
      holder.start();
      waiter.start();
      await within(Promise.all([holder.join(), waiter.join()]), 150_000, "two threads");
      assert.deepEqual([holder.exitCode, waiter.exitCode], [0, 0]);
      assert.equal(flags.get(3), 2, "the other thread's try-acquire failed while the first held it");
      assert.equal(flags.get(2), 1, "the other thread got it after release");
    });
  });
}

test("a Queue made in main is used by a Thread, a Process and a ThreadPool task", async () => {
  const q = new Queue<string>();
  const t = new Thread({ target: putTag, args: [q, "thread"] });
  const p = new Process({ target: putTag, args: [q, "process"] });
  t.start();
  p.start();
  const pool = new ThreadPool(1);
  try {
    assert.equal(await pool.apply(putTag, [q, "pool"]), "pool");
  } finally {
    await pool.close();
    await pool.join();
  }
  await Promise.all([t.join(), p.join()]);
  assert.deepEqual([t.exitCode, p.exitCode], [0, 0]);
  const got = [await q.get({ timeout: 30_000 }), await q.get({ timeout: 30_000 }), await q.get({ timeout: 30_000 })];
  assert.deepEqual(got.sort(), ["pool", "process", "thread"]);
  q.close();
});

test("threads terminated while blocked in Lock.acquire, Event.wait, Queue.get, Condition.wait, Semaphore.acquire do not crash the process; the primitives work afterwards", async () => {
  const t = tempDir();
  const r = await runScript(fixture("thread_terminate_blocked.ts"), [t.dir], { timeout: 110_000 });
  t.cleanup();
  assert.equal(r.signal, null, r.stderr);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^ok shm served\n$/);
});

test("A thread's Queue or Pipe handle that closes, or ends with its thread, leaves the main thread's waiting get()/recv() alone", async () => {
  // Handle ids were counted per thread: a thread's first handle had the id of the main thread's
  // first one, and closing it cancelled the main thread's wait.
  for (const mode of ["queue-close", "queue-end", "pipe-close"]) {
    const r = await runScript(fixture("thread_handles.ts"), [mode]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "got after\n", `${mode}: ${r.stdout}${r.stderr}`);
  }
});
