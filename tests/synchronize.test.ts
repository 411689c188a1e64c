// Lock, RLock, Semaphore, BoundedSemaphore, Event, Condition, Barrier: one suite run twice, over
// shared memory and over the served path (this process serves what it creates; children reach it
// over the channel), plus the served fallback of a root started with MULTIPROC_SHM=0.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  Barrier,
  BoundedSemaphore,
  BrokenBarrierError,
  Condition,
  Event,
  Lock,
  Process,
  RLock,
  Semaphore,
  SharedArray,
  StateError,
  TimeoutError,
  Value,
} from "../mod.ts";
import { typesByTag } from "../src/channel/_codec_shared.ts";
import { backend, forceBackend } from "../src/sync/shm/arena.ts";
import {
  barrierExpectBroken,
  barrierRounds,
  barrierRoundsWithAction,
  blockInAcquire,
  blockInBarrier,
  blockInWait,
  conditionWaiter,
  countAction,
  eventEcho,
  foreignRelease,
  holdForever,
  lockedIncrements,
  semaphoreVisit,
  viaGrandchild,
} from "./fixtures/sync_tasks.ts";
import { fixture, runScript, until } from "./_helpers.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `cond()` resolves true; false after `ms` (a bound against hangs, not a timing claim). */
async function _eventually(cond: () => Promise<boolean>, ms = 60_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return true;
    await sleep(10);
  }
  return await cond();
}

function start(target: (...a: any[]) => unknown, args: unknown[]): Process {
  const p = new Process({ target, args });
  p.start();
  return p;
}

async function joinAll(ps: Process[]): Promise<(number | null)[]> {
  await Promise.all(ps.map((p) => p.join()));
  return ps.map((p) => p.exitCode);
}

/** Which path a primitive took, read from the reference it travels as: `{ s, o }` or `{ r }`. */
function pathOf(tag: string, x: object): "shm" | "served" {
  const st = typesByTag.get(`multiproc.${tag}`)!.reduce(x) as Record<string, any>;
  const where = tag === "Condition" || tag === "Barrier" ? st.st : st;
  return "r" in where ? "served" : "shm";
}

for (const path of ["shm", "served"] as const) {
  describe(`synchronize over ${path === "shm" ? "shared memory" : "the served path"}`, () => {
    before(() => forceBackend(path === "served" ? "served" : undefined));
    after(() => forceBackend(undefined));
    suite(path);
  });
}

function suite(path: "shm" | "served"): void {
  if (path === "shm") {
    test("the shared-memory path is taken on this runtime", () => {
      assert.equal(backend(), "shm");
    });
  }

  test(`Lock, RLock, Semaphore, BoundedSemaphore, Event, Condition and Barrier made now take the ${path} path`, () => {
    const made: [string, object][] = [
      ["Lock", new Lock()],
      ["RLock", new RLock()],
      ["Semaphore", new Semaphore(1)],
      ["BoundedSemaphore", new BoundedSemaphore(1)],
      ["Event", new Event()],
      ["Condition", new Condition()],
      ["Condition", new Condition(new Lock())],
      ["Barrier", new Barrier(2)],
    ];
    for (const [tag, x] of made) assert.equal(pathOf(tag, x), path, tag);
  });

  test("Lock.acquire() answers true/false at the right time; block:false ignores timeout", async () => {
    const lock = new Lock();
    assert.equal(await lock.acquire(), true);
    assert.equal(await lock.locked(), true);
    assert.equal(await lock.acquire({ block: false }), false);
    assert.equal(await lock.acquire({ block: false, timeout: 5000 }), false);
    let t = performance.now();
    assert.equal(await lock.acquire({ timeout: -5 }), false);
    // Answered without waiting (the bound is far above any stall of a loaded machine, far below a wait).
    assert.ok(performance.now() - t < 30_000);
    t = performance.now();
    assert.equal(await lock.acquire({ timeout: 80 }), false);
    assert.ok(performance.now() - t >= 70);
    setTimeout(() => lock.release(), 50);
    assert.equal(await lock.acquire({ timeout: 5000 }), true);
    await lock.release();
    assert.equal(await lock.locked(), false);
    await assert.rejects(lock.release(), StateError);
    await assert.rejects(lock.acquire({ timeout: "x" as never }), TypeError);
  });

  test("Lock excludes async tasks of one process; hold() releases on throw and rejects with TimeoutError", async () => {
    const lock = new Lock();
    const v = new Value("i", 0, { lock: false });
    await Promise.all([lockedIncrements(lock, v, 500), lockedIncrements(lock, v, 500), lockedIncrements(lock, v, 500)]);
    assert.equal(v.value, 1500);
    await assert.rejects(async () => {
      await using _ = await lock.hold();
      throw new Error("inside");
    }, /inside/);
    assert.equal(await lock.locked(), false);
    await lock.acquire();
    const err = await lock.hold({ timeout: 30 }).catch((e) => e);
    assert.ok(err instanceof TimeoutError);
    assert.match(err.message, new RegExp(`pid ${process.pid}`));
    await assert.rejects(lock.hold({ block: false }), TimeoutError);
    await lock.release();
  });

  test("Lock: 4 processes x 1000 increments under the lock give exactly 4000; any process may release", async () => {
    const lock = new Lock();
    const v = new Value("i", 0, { lock: false });
    const ps = [0, 1, 2].map(() => start(lockedIncrements, [lock, v, 1000]));
    ps.push(start(viaGrandchild, [lock, v, 1000]));
    assert.deepEqual(await joinAll(ps), [0, 0, 0, 0]);
    assert.equal(v.value, 4000);
    await lock.acquire();
    assert.deepEqual(await joinAll([start(foreignRelease, [lock])]), [0]);
    assert.equal(await lock.locked(), false);
  });

  test("RLock is re-entrant for its task; another task or process releasing it gets StateError", async () => {
    const r = new RLock();
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    // Started before the acquire below, so they are other tasks.
    const otherRelease = (async () => {
      await gate;
      return await r.release().catch((e) => e);
    })();
    const otherAcquire = (async () => {
      await gate;
      return await r.acquire({ timeout: 50 });
    })();
    assert.equal(await r.acquire(), true);
    assert.equal(await r.acquire({ block: false }), true);
    assert.deepEqual(await joinAll([start(foreignRelease, [r])]), [5]);
    open();
    assert.ok((await otherRelease) instanceof StateError);
    assert.equal(await otherAcquire, false);
    await r.release();
    assert.equal(await r.locked(), true);
    await r.release();
    assert.equal(await r.locked(), false);
    await assert.rejects(r.release(), StateError);
  });

  test("Semaphore: 5 processes through Semaphore(2) never exceed 2 inside; BoundedSemaphore over-release throws", async () => {
    const sem = new Semaphore(2);
    const stats = new SharedArray("i", 2, { lock: false });
    const lock = new Lock();
    assert.deepEqual(await joinAll([0, 1, 2, 3, 4].map(() => start(semaphoreVisit, [sem, stats, lock]))), [
      0,
      0,
      0,
      0,
      0,
    ]);
    assert.equal(stats.get(0), 0);
    assert.ok(stats.get(1) >= 1 && stats.get(1) <= 2, `max inside ${stats.get(1)}`);
    assert.equal(await sem.getValue(), 2);
    await sem.release(3);
    assert.equal(await sem.getValue(), 5);
    const b = new BoundedSemaphore(2);
    assert.equal(await b.acquire(), true);
    assert.equal(await b.acquire({ block: false }), true);
    assert.equal(await b.acquire({ timeout: 20 }), false);
    await b.release();
    await b.release();
    await assert.rejects(b.release(), StateError);
    assert.equal(await b.getValue(), 2);
    assert.throws(() => new Semaphore(-1), RangeError);
  });

  test("Event: wait(timeout) is false on timeout and true once set; set/clear visible across processes", async () => {
    const ping = new Event(), pong = new Event();
    assert.equal(await ping.wait(30), false);
    const p = start(eventEcho, [ping, pong]);
    await sleep(50);
    await ping.set();
    assert.equal(await pong.wait(10_000), true);
    assert.equal(await pong.isSet(), true);
    await pong.clear();
    assert.equal(await pong.isSet(), false);
    assert.deepEqual(await joinAll([p]), [0]);
  });

  test("Condition: notify(n) wakes exactly n waiters across processes; notifyAll the rest; wait needs the lock", async () => {
    const cond = new Condition();
    const woken = new SharedArray("i", 1, { lock: false });
    const ready = new Semaphore(0);
    await assert.rejects(cond.wait(10), StateError);
    await assert.rejects(cond.notify(), StateError);
    const ps = [0, 1, 2, 3].map(() => start(conditionWaiter, [cond, woken, ready, 20_000]));
    for (let i = 0; i < 4; i++) await ready.acquire();
    await cond.acquire(); // every waiter is inside wait() once we get the lock after its release
    await cond.notify(2);
    await cond.release();
    // Two waiters wake (however slowly a loaded machine runs them), and no third follows.
    assert.ok(await until(() => woken.get(0) >= 2, 20_000), `woken ${woken.get(0)} of the 2 notified`);
    await sleep(300);
    assert.equal(woken.get(0), 2);
    await cond.acquire();
    await cond.notifyAll();
    await cond.release();
    assert.deepEqual(await joinAll(ps), [0, 0, 0, 0]);
    assert.equal(woken.get(0), 4);
    await cond.acquire();
    assert.equal(await cond.wait(30), false);
    let flag = false;
    setTimeout(async () => {
      await using _ = await cond.hold();
      flag = true;
      await cond.notifyAll();
    }, 20);
    assert.equal(await cond.waitFor(() => flag, 5000), true);
    await cond.release();
  });

  test("Barrier: 4 processes stay in lockstep for 10 rounds; exactly one wait() per round returns 0", async () => {
    const b = new Barrier(4);
    const log = new SharedArray("i", 10, { lock: false });
    const zeros = new SharedArray("i", 10, { lock: false });
    const lock = new Lock();
    assert.deepEqual(await joinAll([0, 1, 2, 3].map(() => start(barrierRounds, [b, 10, log, zeros, lock]))), [
      0,
      0,
      0,
      0,
    ]);
    assert.deepEqual(zeros.toArray(), new Array(10).fill(1));
    assert.equal(b.parties, 4);
  });

  test("Barrier action runs once per round before release; abort, reset and timeout break every party", async () => {
    const actions = new SharedArray("i", 1, { lock: false });
    const b = new Barrier(3, { action: countAction });
    // A served Barrier runs its action in this process (the one serving it), so it counts here too.
    const g = globalThis as { __actionLog?: SharedArray };
    g.__actionLog = actions;
    try {
      assert.deepEqual(await joinAll([0, 1, 2].map(() => start(barrierRoundsWithAction, [b, 10, actions]))), [0, 0, 0]);
    } finally {
      delete g.__actionLog;
    }
    assert.equal(actions.get(0), 10);

    for (const how of ["abort", "reset", "timeout"] as const) {
      const bb = new Barrier(3);
      const ready = new Event();
      const kid = start(barrierExpectBroken, [bb, ready]);
      assert.equal(await ready.wait(60_000), true);
      // The child must be inside wait() first: after a reset, a late child would wait for good.
      assert.ok(await _eventually(async () => (await bb.nWaiting()) === 1), "the child waits");
      const mine = bb.wait(how === "timeout" ? 150 : undefined).catch((e) => e);
      if (how !== "timeout") assert.ok(await _eventually(async () => (await bb.nWaiting()) === 2), "both wait");
      if (how === "abort") await bb.abort();
      if (how === "reset") await bb.reset();
      assert.ok((await mine) instanceof BrokenBarrierError, how);
      assert.deepEqual(await joinAll([kid]), [8], how);
      if (how !== "reset") {
        assert.equal(await bb.broken(), true);
        await assert.rejects(bb.wait(), BrokenBarrierError);
        await bb.reset();
      }
      assert.equal(await bb.broken(), false);
      assert.equal(await bb.nWaiting(), 0);
    }
    assert.throws(() => new Barrier(0), RangeError);
  });

  test("a process that dies blocked in acquire()/wait() does not wedge; one that dies holding a Lock leaves it held", async () => {
    const lock = new Lock();
    const cond = new Condition();
    const barrier = new Barrier(2);
    const sem = new Semaphore(0);
    const evs = [new Event(), new Event(), new Event(), new Event()];
    await lock.acquire();
    const kids = [
      start(blockInAcquire, [lock, evs[0]]),
      start(blockInWait, [cond, evs[1]]),
      start(blockInBarrier, [barrier, evs[2]]),
      start(blockInAcquire, [sem, evs[3]]),
    ];
    for (const e of evs) assert.equal(await e.wait(60_000), true);
    await sleep(200);
    for (const k of kids) k.kill();
    await joinAll(kids);
    await lock.release();
    assert.equal(await lock.acquire({ timeout: 2000 }), true);
    await lock.release();
    await cond.acquire();
    let inWait = false;
    const waiter = (async () => {
      await cond.acquire();
      inWait = true; // under the lock, which only wait() gives up
      const ok = await cond.wait(60_000);
      await cond.release();
      return ok;
    })();
    await cond.release();
    // Once we hold the lock again after the waiter set inWait, it is inside wait() (not merely late).
    for (;;) {
      await cond.acquire();
      if (inWait) break;
      await cond.release();
      await sleep(10);
    }
    await cond.notify(1); // must reach the live waiter, not the dead one
    await cond.release();
    assert.equal(await waiter, true);
    const [i, j] = await Promise.all([barrier.wait(5000), barrier.wait(5000)]);
    assert.deepEqual([i, j].sort(), [0, 1]);
    await sem.release();
    assert.equal(await sem.acquire({ timeout: 2000 }), true);

    const held = new Lock();
    const ready = new Event();
    const holder = start(holdForever, [held, ready]);
    assert.equal(await ready.wait(60_000), true);
    holder.kill();
    await joinAll([holder]);
    assert.equal(await held.acquire({ timeout: 50 }), false);
    const err = await held.hold({ timeout: 20 }).catch((e) => e);
    assert.ok(err instanceof TimeoutError);
    assert.match(err.message, new RegExp(`pid ${holder.pid}, which has exited`));
  });
}

describe("synchronize, served fallback", () => {
  test("served fallback (MULTIPROC_SHM=0): the same semantics over the channel", async () => {
    const r = await runScript(fixture("sync_served_root.ts"), [], { env: { MULTIPROC_SHM: "0" }, timeout: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
    assert.deepEqual(out, {
      backend: "served",
      counter: 2000,
      lockFlags: [true, false, false, true],
      unlockedRelease: "StateError",
      rlockForeign: 5,
      bounded: "StateError",
      event: [false, true],
      notified: 2,
      zeros: 3,
      valueError: "StateError",
    });
  });
});
