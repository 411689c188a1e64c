// Manager: proxies' interfaces, errors crossing as their class, nesting, copies, many processes,
// shutdown, and a server that survives bad requests and bad connections.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { Empty, Full, Manager, Process, StateError } from "../mod.ts";
import type { DictProxy, ListProxy } from "../mod.ts";
import { connectAuthenticated } from "../src/channel/auth.ts";
import { runtime } from "../src/runtime/adapter.ts";
import { node } from "../src/core/node.ts";
import { managedRef } from "../src/_manager_proxies.ts";
import { appendNested, consume, fill, pollUntilGone } from "./fixtures/manager_tasks.ts";
import { tempDir } from "./_helpers.ts";

async function rejectsWith(p: Promise<unknown>, cls: new (...a: any[]) => Error, re?: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${(e as Error)?.name}: ${(e as Error)?.message}`);
    if (re) assert.match((e as Error).message, re);
    return;
  }
  assert.fail(`expected a rejection with ${cls.name}`);
}

describe("Manager", () => {
  let m: Manager;
  before(async () => {
    m = await Manager.start();
  });
  after(async () => {
    await m.shutdown();
  });

  test("Manager.dict() proxy has the DictProxy interface and reads are copies", async () => {
    const d = await m.dict<{ n: number } | number>({ a: 1 });
    await d.set("b", { n: 2 });
    assert.equal(await d.get("a"), 1);
    assert.equal(await d.get("missing"), undefined);
    assert.equal(await d.has("b"), true);
    assert.equal(await d.size(), 2);
    assert.deepEqual(await d.keys(), ["a", "b"]);
    assert.deepEqual(await d.values(), [1, { n: 2 }]);
    assert.deepEqual(await d.entries(), [["a", 1], ["b", { n: 2 }]]);
    const copy = (await d.get("b")) as { n: number };
    copy.n = 99;
    assert.deepEqual(await d.get("b"), { n: 2 });
    await d.update({ c: 3 });
    assert.deepEqual(await d.toObject(), { a: 1, b: { n: 2 }, c: 3 });
    assert.equal(await d.delete("a"), true);
    assert.equal(await d.delete("a"), false);
    await d.clear();
    assert.equal(await d.size(), 0);
    const fromMap = await m.dict(new Map([["k", "v"]]));
    assert.deepEqual(await fromMap.toObject(), { k: "v" });
  });

  test("Manager.list() proxy has the ListProxy interface with Python's indexing", async () => {
    const l = await m.list([1, 2, 3]);
    await l.append(4);
    await l.extend([5, 6]);
    await l.insert(0, 0);
    assert.deepEqual(await l.toArray(), [0, 1, 2, 3, 4, 5, 6]);
    assert.equal(await l.get(-1), 6);
    await l.set(1, 10);
    assert.equal(await l.pop(), 6);
    assert.equal(await l.pop(0), 0);
    assert.equal(await l.length(), 5);
    await rejectsWith(l.get(5), RangeError, /out of range/);
    await l.clear();
    await rejectsWith(l.pop(), RangeError);
  });

  test("Manager.namespace(), Value() and Array() proxies get and set", async () => {
    const ns = await m.namespace({ x: 1 });
    await ns.set("y", [2]);
    assert.equal(await ns.get("x"), 1);
    assert.deepEqual(await ns.toObject(), { x: 1, y: [2] });
    const v = await m.Value("i", 5);
    await v.set((await v.get()) + 1);
    assert.equal(await v.get(), 6);
    await rejectsWith(v.set(2 ** 40), RangeError);
    await rejectsWith(v.set(1.5), TypeError);
    await rejectsWith(m.Value("z", 1), RangeError, /typecode/);
    const a = await m.Array("d", [1, 2, 3]);
    await a.set(0, 9.5);
    assert.equal(await a.get(0), 9.5);
    assert.equal(await a.length(), 3);
    assert.deepEqual(await a.toArray(), [9.5, 2, 3]);
    await rejectsWith(a.get(3), RangeError);
    assert.deepEqual(await (await m.Array("b", 2)).toArray(), [0, 0]);
  });

  test("Manager.Queue() proxy raises Empty and Full as their classes", async () => {
    const q = await m.Queue<number>(1);
    await rejectsWith(q.getNowait(), Empty);
    await q.put(1);
    await rejectsWith(q.putNowait(2), Full);
    await rejectsWith(q.put(2, { timeout: 20 }), Full);
    assert.equal(await q.full(), true);
    assert.equal(await q.qsize(), 1);
    assert.equal(await q.get(), 1);
    assert.equal(await q.empty(), true);
    await rejectsWith(q.get({ timeout: 20 }), Empty);
    const later = q.get();
    await q.put(7);
    assert.equal(await later, 7);
  });

  test("Manager.JoinableQueue() across processes: join() waits for every taskDone()", async () => {
    const q = await m.JoinableQueue<number>();
    const out = await m.list<number>();
    const p = new Process({ target: consume, args: [q, out, 3] });
    p.start();
    for (const v of [1, 2, 3]) await q.put(v);
    await q.join();
    assert.deepEqual(await out.toArray(), [10, 20, 30]);
    await p.join();
    await rejectsWith(q.taskDone(), StateError, /too many times/);
  });

  test("DictProxy and ListProxy are filled by 10 processes", async () => {
    const d = await m.dict<number>();
    const l = await m.list<number>();
    const ps = Array.from({ length: 10 }, (_, i) => new Process({ target: fill, args: [d, l, i] }));
    for (const p of ps) p.start();
    for (const p of ps) await p.join();
    assert.deepEqual(ps.map((p) => p.exitCode), ps.map(() => 0));
    assert.equal(await d.size(), 10);
    assert.deepEqual((await l.toArray()).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (let i = 0; i < 10; i++) assert.equal(await d.get(`k${i}`), i);
  });

  test("A proxy stored in a dict stays a proxy to the same referent, also in a child", async () => {
    const inner = await m.list<string>(["x"]);
    const d = await m.dict<ListProxy<string>>();
    await d.set("inner", inner);
    const back = (await d.get("inner"))!;
    assert.notEqual(back, inner);
    await back.append("parent");
    const p = new Process({ target: appendNested, args: [d, "child"] });
    p.start();
    await p.join();
    assert.equal(p.exitCode, 0);
    assert.deepEqual(await inner.toArray(), ["x", "parent", "child"]);
    const outer = await m.list<DictProxy<ListProxy<string>>>([d]);
    const viaList = (await (await outer.get(0)).get("inner"))!;
    assert.equal(await viaList.length(), 3);
  });

  test("Manager serves on after malformed requests and failed authentication", async () => {
    const d = await m.dict<number>({ a: 1 });
    const { ref } = managedRef(d)!;
    await rejectsWith(node.call(ref, "noSuchMethod", []), TypeError, /no method/);
    await rejectsWith(node.call(ref, "get", [42]), TypeError, /keys must be strings/);
    await rejectsWith(node.call(ref, "update", ["nope"]), TypeError);
    await rejectsWith(node.call({ a: ref.a, i: "999999" }, "get", ["a"]), StateError);
    const stream = await runtime.connect(ref.a);
    await assert.rejects(connectAuthenticated(stream, new Uint8Array(32), { role: "peer", pid: 1 }));
    assert.equal(await d.get("a"), 1);
    await d.set("a", 2);
    assert.equal(await d.get("a"), 2);
  });

  test("Manager.shutdown() makes every proxy call reject with StateError, here and in a child", async () => {
    const t = tempDir();
    const m2 = await Manager.start();
    const d = await m2.dict({ x: 1 });
    const lock = await m2.Lock();
    const p = new Process({ target: pollUntilGone, args: [d, t.file("out.txt")] });
    p.start();
    while (!fs.existsSync(t.file("out.txt"))) await new Promise((r) => setTimeout(r, 20));
    await m2.shutdown();
    await m2.shutdown(); // again: nothing
    await rejectsWith(d.get("x"), StateError, /shut down/);
    await rejectsWith(lock.acquire(), StateError);
    await rejectsWith(m2.dict(), StateError);
    await p.join();
    assert.match(fs.readFileSync(t.file("out.txt"), "utf8"), /^StateError: /);
    t.cleanup();
  });

  test("Manager supports await using", async () => {
    let d: DictProxy;
    {
      await using m3 = await Manager.start();
      d = await m3.dict({ y: 2 });
      assert.equal(await d.get("y"), 2);
    }
    await rejectsWith(d.get("y"), StateError);
  });
});
