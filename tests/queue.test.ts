// Queue, JoinableQueue, SimpleQueue: limits and timeouts, many processes, killed consumers, nesting.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Empty, Full, JoinableQueue, Process, Queue, SimpleQueue, StateError } from "../mod.ts";
import {
  blockInGet,
  doubler,
  drain,
  echoItem,
  produce,
  relayQueue,
  simpleEcho,
  takeOneThenBlock,
} from "./fixtures/queues.ts";

function start(target: (...a: any[]) => unknown, args: unknown[], daemon = false): Process {
  const p = new Process({ target, args, daemon });
  p.start();
  return p;
}

async function stop(...ps: Process[]): Promise<void> {
  for (const p of ps) {
    if (p.exitCode === null) p.kill();
    await p.join();
  }
}

describe("Queue", () => {
  test("Queue.put() and get() keep FIFO order in one process", async () => {
    const q = new Queue<unknown>();
    for (const v of [1, "two", { three: [3n] }, null]) await q.put(v);
    assert.deepEqual([await q.get(), await q.get(), await q.get(), await q.get()], [1, "two", { three: [3n] }, null]);
    q.close();
  });

  test("Queue.get() rejects with Empty after timeout, and at once with block: false (timeout ignored)", async () => {
    const q = new Queue();
    let t0 = Date.now();
    await assert.rejects(q.get({ timeout: 80 }), Empty);
    assert.ok(Date.now() - t0 >= 70);
    t0 = Date.now();
    await assert.rejects(q.get({ block: false, timeout: 60_000 }), Empty);
    await assert.rejects(q.getNowait(), Empty);
    // Far below the 60 s timeout it must ignore (a loaded machine may stall this process for a second).
    assert.ok(Date.now() - t0 < 30_000);
    await assert.rejects(q.get({ timeout: -1 }), RangeError);
    q.close();
  });

  test("Queue.put() rejects with Full on a full bounded queue; qsize/empty/full report it", async () => {
    const q = new Queue(2);
    assert.equal(await q.empty(), true);
    await q.put(1);
    await q.putNowait(2);
    assert.equal(await q.qsize(), 2);
    assert.equal(await q.full(), true);
    assert.equal(await q.empty(), false);
    await assert.rejects(q.putNowait(3), Full);
    const t0 = Date.now();
    await assert.rejects(q.put(3, { timeout: 60 }), Full);
    assert.ok(Date.now() - t0 >= 50);
    await assert.rejects(q.put(3, { block: false, timeout: 5000 }), Full);
    const waiting = q.put(3);
    assert.equal(await q.get(), 1);
    await waiting;
    assert.deepEqual([await q.get(), await q.get()], [2, 3]);
    assert.throws(() => new Queue(-1), RangeError);
    q.close();
  });

  test("Queue.put() of an unsendable item rejects with TypeError and frees its slot", async () => {
    const q = new Queue(1);
    await assert.rejects(q.put({ fn: () => 1 }), TypeError);
    await q.putNowait("ok");
    assert.equal(await q.get(), "ok");
    q.close();
  });

  test("Queue.close() makes later put/get reject and ends iteration", async () => {
    const q = new Queue<number>();
    await q.put(1);
    await q.put(2);
    const seen: number[] = [];
    for await (const v of q) {
      seen.push(v);
      if (seen.length === 2) setTimeout(() => q.close(), 20);
    }
    assert.deepEqual(seen, [1, 2]);
    await assert.rejects(q.put(3), StateError);
    await assert.rejects(q.get(), StateError);
  });

  test("Queue delivers every item exactly once, FIFO per producer, with 4 producers and 4 consumers", async () => {
    const q = new Queue();
    const out = new Queue<Array<[number, number]>>();
    const N = 300;
    const producers = [0, 1, 2, 3].map((tag) => start(produce, [q, tag, N]));
    const consumers = [0, 1, 2, 3].map(() => start(drain, [q, out]));
    try {
      for (const p of producers) await p.join();
      for (let i = 0; i < 4; i++) await q.put(null);
      const seen = new Map<string, number>();
      for (let i = 0; i < 4; i++) {
        const got = await out.get({ timeout: 60_000 });
        const last = [-1, -1, -1, -1];
        for (const [tag, n] of got) {
          assert.ok(n > last[tag], `producer ${tag}: ${n} after ${last[tag]}`);
          last[tag] = n;
          const k = `${tag}:${n}`;
          seen.set(k, (seen.get(k) ?? 0) + 1);
        }
      }
      assert.equal(seen.size, 4 * N);
      assert.ok([...seen.values()].every((c) => c === 1));
      for (const c of consumers) await c.join();
      assert.ok(consumers.every((c) => c.exitCode === 0));
    } finally {
      await stop(...producers, ...consumers);
      q.close();
    }
  });

  test("Queue carries a 16 MiB item intact to a child and back", async () => {
    const a = new Queue<Uint8Array>();
    const b = new Queue<Uint8Array>();
    const p = start(echoItem, [a, b]);
    try {
      const big = new Uint8Array(16 * 1024 * 1024);
      for (let i = 0; i < big.length; i += 4099) big[i] = (i >> 3) & 0xff;
      await a.put(big);
      const back = await b.get({ timeout: 60_000 });
      assert.equal(back.length, big.length);
      assert.ok(Buffer.compare(back, big) === 0);
      await p.join();
    } finally {
      await stop(p);
    }
  });

  test("Queue loses nothing when a consumer is killed while blocked in get() or holding fetched items", async () => {
    const q = new Queue<number>();
    const out = new Queue<unknown>();
    const never = new Queue();
    const blocked = start(blockInGet, [q, out]);
    assert.equal(await out.get({ timeout: 30_000 }), "ready");
    await new Promise((r) => setTimeout(r, 100)); // its get() is waiting at the server
    blocked.kill();
    await blocked.join();
    for (let i = 0; i < 100; i++) await q.put(i);
    const holder = start(takeOneThenBlock, [q, out, never]);
    try {
      const first = await out.get({ timeout: 30_000 });
      assert.equal(first, 0);
      holder.kill();
      await holder.join();
      const rest: number[] = [];
      for (let i = 1; i < 100; i++) rest.push(await q.get({ timeout: 10_000 }));
      assert.deepEqual(rest, Array.from({ length: 99 }, (_, i) => i + 1));
      assert.equal(await q.qsize(), 0);
    } finally {
      await stop(blocked, holder);
    }
  });

  test("Queue recalls items a live consumer fetched but did not take when another consumer waits", async () => {
    const q = new Queue<number>();
    const out = new Queue<unknown>();
    const never = new Queue();
    for (let i = 0; i < 50; i++) await q.put(i);
    const holder = start(takeOneThenBlock, [q, out, never]);
    try {
      assert.equal(await out.get({ timeout: 30_000 }), 0);
      const rest: number[] = [];
      for (let i = 1; i < 50; i++) rest.push(await q.get({ timeout: 10_000 }));
      assert.deepEqual(rest, Array.from({ length: 49 }, (_, i) => i + 1));
    } finally {
      await stop(holder);
    }
  });

  test("Queue travels nested inside an item to a grandchild", async () => {
    const ctl = new Queue();
    const target = new Queue();
    const p = start(relayQueue, [ctl, "from grandchild"]);
    try {
      await ctl.put({ queue: target });
      assert.equal(await target.get({ timeout: 30_000 }), "from grandchild");
      await p.join();
      assert.equal(p.exitCode, 0);
    } finally {
      await stop(p);
    }
  });
});

describe("JoinableQueue", () => {
  test("JoinableQueue.join() resolves after taskDone() for every item; extra taskDone() rejects with StateError", async () => {
    const q = new JoinableQueue<number>();
    const out = new Queue<number>();
    const workers = [start(doubler, [q, out], true), start(doubler, [q, out], true)];
    try {
      for (let i = 0; i < 20; i++) await q.put(i);
      await q.join();
      const got: number[] = [];
      for (let i = 0; i < 20; i++) got.push(await out.get());
      assert.deepEqual(got.sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i * 2));
      await assert.rejects(q.taskDone(), (e: Error) => e instanceof StateError && /too many times/.test(e.message));
    } finally {
      await stop(...workers);
    }
  });
});

describe("SimpleQueue", () => {
  test("SimpleQueue.put() and get() work across processes; empty() and close()", async () => {
    const a = new SimpleQueue<string>();
    const b = new SimpleQueue<string>();
    assert.equal(await a.empty(), true);
    const p = start(simpleEcho, [a, b]);
    try {
      await a.put("hi");
      assert.equal(await b.get(), "hi");
      await p.join();
      a.close();
      await assert.rejects(a.put("x"), StateError);
    } finally {
      await stop(p);
    }
  });
});
