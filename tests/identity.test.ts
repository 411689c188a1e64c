// Identity: an error keeps its class, `name`, `message`, `cause` and own fields across every hop:
// a worker (Pool, executor), a Process's args and a pipe, a queue, a queue owned by another
// process, and a manager (errors its proxies raise, and errors stored in it as values).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  BrokenBarrierError,
  Empty,
  Full,
  Manager,
  Pipe,
  Pool,
  Process,
  ProcessPoolExecutor,
  Queue,
  SimpleQueue,
  StateError,
  TimeoutError,
} from "../mod.ts";
import {
  echoFromManager,
  LABELS,
  ownQueues,
  putSamples,
  rejectSample,
  sample,
  sendSamples,
  throwSample,
} from "./fixtures/identity_tasks.ts";

/** Asserts that `got` is the same error as `want`: class, name, message, own fields, and cause (recursively). */
function assertSameError(got: unknown, want: Error, where: string): void {
  assert.ok(got instanceof Error, `${where}: expected an Error, got ${String(got)}`);
  assert.equal(
    Object.getPrototypeOf(got),
    Object.getPrototypeOf(want),
    `${where}: class ${want.constructor.name} became ${got.constructor.name}`,
  );
  assert.ok(got instanceof want.constructor, `${where}: not an instance of ${want.constructor.name}`);
  assert.equal(got.name, want.name, `${where}: name`);
  assert.equal(got.message, want.message, `${where}: message`);
  for (const k of Object.keys(want)) assert.deepEqual((got as any)[k], (want as any)[k], `${where}: field ${k}`);
  if (want.cause === undefined) assert.equal(got.cause, undefined, `${where}: cause`);
  else assertSameError(got.cause, want.cause as Error, `${where}.cause`);
}

/** Awaits `p`, which must reject; returns the rejection. */
async function rejection(p: PromiseLike<unknown>, where: string): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail(`${where}: expected a rejection`);
}

/** Asserts that `p` rejects with an instance of `cls` whose name is the class's name. */
async function rejectsAs(p: PromiseLike<unknown>, cls: new (...a: any[]) => Error, where: string): Promise<void> {
  const e = await rejection(p, where);
  assert.ok(
    e instanceof cls,
    `${where}: expected ${cls.name}, got ${(e as Error)?.constructor?.name} ${(e as Error)?.name}: ${
      (e as Error)?.message
    }`,
  );
  assert.equal(Object.getPrototypeOf(e), cls.prototype, `${where}: exact class`);
  assert.equal((e as Error).name, cls.name, `${where}: name`);
}

describe("error identity across a worker", () => {
  test("Pool.apply() rejects with the task's error: class, name, message, fields and cause", async () => {
    await using pool = new Pool(2);
    for (const label of LABELS) {
      assertSameError(await rejection(pool.apply(throwSample, [label]), label), sample(label), `Pool ${label}`);
      assertSameError(await rejection(pool.apply(rejectSample, [label]), label), sample(label), `Pool async ${label}`);
    }
  });

  test("ProcessPoolExecutor futures reject with the task's error, class and name intact", async () => {
    await using ex = new ProcessPoolExecutor({ maxWorkers: 2 });
    for (const label of LABELS) {
      assertSameError(
        await rejection(ex.submit(throwSample, label).result(), label),
        sample(label),
        `executor ${label}`,
      );
    }
  });
});

describe("error identity across a Process and a pipe", () => {
  test("errors passed as a child's args and sent back through a Pipe, and errors the child sends", async () => {
    const [r, w] = Pipe<Error>({ duplex: false });
    const given = LABELS.map(sample);
    const p = new Process({ target: sendSamples, args: [w, given] });
    p.start();
    for (const label of LABELS) assertSameError(await r.recv(), sample(label), `pipe ${label}`);
    for (const label of LABELS) assertSameError(await r.recv(), sample(label), `args+pipe ${label}`);
    await p.join();
    assert.equal(p.exitCode, 0);
    r.close();
    w.close();
  });
});

describe("error identity across a queue", () => {
  for (
    const [what, make] of [["Queue", () => new Queue<Error>()], [
      "SimpleQueue",
      () => new SimpleQueue<Error>(),
    ]] as const
  ) {
    test(`${what}: errors put by a child (made there, or received as args) arrive intact`, async () => {
      const q = make();
      const p = new Process({ target: putSamples, args: [q, LABELS.map(sample)] });
      p.start();
      for (const label of LABELS) assertSameError(await q.get(), sample(label), `${what} ${label}`);
      for (const label of LABELS) assertSameError(await q.get(), sample(label), `${what} args ${label}`);
      await p.join();
      assert.equal(p.exitCode, 0);
      if (q instanceof Queue) q.close();
      else q.close();
    });
  }

  test("Queue owned by another process raises Empty and Full as their classes", async () => {
    const [mine, theirs] = Pipe<unknown>();
    const p = new Process({ target: ownQueues, args: [theirs] });
    p.start();
    try {
      const [empty, full] = (await mine.recv()) as [Queue<number>, Queue<number>];
      await rejectsAs(empty.getNowait(), Empty, "remote getNowait");
      await rejectsAs(empty.get({ timeout: 30 }), Empty, "remote get timeout");
      await rejectsAs(full.putNowait(2), Full, "remote putNowait");
      await rejectsAs(full.put(2, { timeout: 30 }), Full, "remote put timeout");
    } finally {
      await mine.send("done");
      await p.join();
      mine.close();
      theirs.close();
    }
    assert.equal(p.exitCode, 0);
  });
});

describe("error identity across a manager", () => {
  let m: Manager;
  before(async () => {
    m = await Manager.start();
  });
  after(async () => {
    await m.shutdown();
  });

  test('Manager.Queue(): getNowait() on an empty queue rejects with Empty named "Empty"', async () => {
    const q = await m.Queue<number>();
    await rejectsAs(q.getNowait(), Empty, "getNowait");
    await rejectsAs(q.get({ timeout: 30 }), Empty, "get timeout");
    const one = await m.Queue<number>(1);
    await one.put(1);
    await rejectsAs(one.putNowait(2), Full, "putNowait");
    await rejectsAs(one.put(2, { timeout: 30 }), Full, "put timeout");
    const jq = await m.JoinableQueue<number>();
    await rejectsAs(jq.taskDone(), StateError, "taskDone");
    await rejectsAs(jq.getNowait(), Empty, "joinable getNowait");
  });

  test("every proxy kind rejects with the server's error class and name", async () => {
    await rejectsAs((await m.dict()).get(1 as unknown as string), TypeError, "dict key");
    await rejectsAs((await m.list([1])).get(5), RangeError, "list index");
    await rejectsAs((await m.list()).pop(), RangeError, "list pop");
    await rejectsAs((await m.namespace()).set(2 as unknown as string, 1), TypeError, "namespace name");
    await rejectsAs((await m.Value("b", 1)).set(1000), RangeError, "Value range");
    await rejectsAs((await m.Value("i", 1)).set("x" as unknown as number), TypeError, "Value type");
    await rejectsAs(m.Value("b", 1000), RangeError, "Value create");
    await rejectsAs((await m.Array("i", 2)).get(2), RangeError, "Array index");
    await rejectsAs((await m.Lock()).release(), StateError, "Lock release");
    await rejectsAs((await m.RLock()).release(), StateError, "RLock release");
    await rejectsAs((await m.BoundedSemaphore(1)).release(), StateError, "BoundedSemaphore release");
    const cond = await m.Condition();
    await rejectsAs(cond.wait(10), StateError, "Condition wait");
    await rejectsAs(cond.notify(), StateError, "Condition notify");
    const lock = await m.Lock();
    await lock.acquire();
    await rejectsAs(lock.hold({ timeout: 20 }), TimeoutError, "Lock hold timeout");
    const b = await m.Barrier(2);
    await rejectsAs(b.wait(30), BrokenBarrierError, "Barrier wait timeout");
    await rejectsAs(b.wait(), BrokenBarrierError, "Barrier broken");
    const e = await m.Event();
    await rejectsAs(e.wait("soon" as unknown as number), TypeError, "Event wait");
  });

  test("errors stored in a dict, list, namespace and queue read back intact, here and in a child", async () => {
    const d = await m.dict<Error>();
    const l = await m.list<Error>();
    const ns = await m.namespace();
    const q = await m.Queue<Error>();
    for (const label of LABELS) {
      await d.set(label, sample(label));
      await l.append(sample(label));
      await ns.set(label, sample(label));
      await q.put(sample(label));
    }
    for (const [i, label] of LABELS.entries()) {
      assertSameError(await d.get(label), sample(label), `dict ${label}`);
      assertSameError(await l.get(i), sample(label), `list ${label}`);
      assertSameError(await ns.get(label), sample(label), `namespace ${label}`);
      assertSameError(await q.get(), sample(label), `queue ${label}`);
    }
    const [r, w] = Pipe<unknown>({ duplex: false });
    const p = new Process({ target: echoFromManager, args: [d, w] });
    p.start();
    for (const label of LABELS) assertSameError(await r.recv(), sample(label), `dict → child → pipe ${label}`);
    await p.join();
    assert.equal(p.exitCode, 0);
    r.close();
    w.close();
  });
});
