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
import { managedRef } from "../src/manager/proxies.ts";
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
    await rejectsWith(m.Value("z", 1), TypeError, /typecode/);
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

  test("Manager.Value() and Array() accept only the documented typecodes (TypeError otherwise)", async () => {
    for (const code of ["toString", "__proto__", "constructor", "hasOwnProperty", "valueOf", "z", "", "ii"]) {
      await rejectsWith(m.Value(code, 1), TypeError, /typecode must be one of b B h H i I l L q Q f d c/);
      await rejectsWith(m.Array(code, 2), TypeError, /typecode must be one of/);
    }
    await rejectsWith(m.Value(1 as unknown as string, 1), TypeError, /typecode/);
    for (const code of ["b", "B", "h", "H", "i", "I", "l", "L", "q", "Q", "f", "d"]) {
      assert.equal(await (await m.Value(code, 3)).get(), 3, code);
      assert.deepEqual(await (await m.Array(code, [1, 2])).toArray(), [1, 2], code);
    }
    assert.equal(await (await m.Value("c", "x")).get(), "x");
    await rejectsWith(m.Array("i", 2 ** 31), RangeError, /size must be an integer from 0 to 16777216/);
    await rejectsWith(m.Array("d", 1e300), RangeError, /size/);
  });

  test("ListProxy.extend() takes 1,000,000 items in one call", async () => {
    const l = await m.list<number>([-1]);
    const big = Array.from({ length: 1_000_000 }, (_, i) => i);
    await l.extend(big);
    assert.equal(await l.length(), 1_000_001);
    assert.equal(await l.get(-1), 999_999);
    assert.equal(await l.get(500_001), 500_000);
    const fromInit = await m.list(big);
    assert.equal(await fromInit.length(), 1_000_000);
    await l.clear();
  });

  test('DictProxy and NamespaceProxy: "__proto__" is an ordinary key', async () => {
    const d = await m.dict<unknown>(new Map([["__proto__", 1]]));
    assert.equal(await d.get("__proto__"), 1);
    assert.equal(await d.has("__proto__"), true);
    await d.set("__proto__", { polluted: true });
    assert.deepEqual(await d.get("__proto__"), { polluted: true });
    await d.update(JSON.parse('{"__proto__": 2, "constructor": 3}'));
    assert.deepEqual(await d.keys(), ["__proto__", "constructor"]);
    const o = await d.toObject();
    assert.ok(Object.hasOwn(o, "__proto__"));
    assert.equal(Object.getPrototypeOf(o), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(o, "__proto__")!.value, 2);
    assert.equal(await d.get("toString"), undefined);
    assert.equal(await d.has("hasOwnProperty"), false);
    const ns = await m.namespace(JSON.parse('{"__proto__": 5}'));
    assert.equal(await ns.get("__proto__"), 5);
    await ns.set("__proto__", 6);
    assert.equal(Object.getOwnPropertyDescriptor(await ns.toObject(), "__proto__")!.value, 6);
    assert.equal(await ns.get("constructor"), undefined);
  });

  test("Manager serves on after hostile requests: each rejects with a clear error", async () => {
    const d = await m.dict<number>({ a: 1 });
    const l = await m.list<number>([1, 2, 3]);
    const ns = await m.namespace();
    const a = await m.Array("i", 3);
    const v = await m.Value("i", 1);
    const q = await m.Queue<number>();
    const lock = await m.Lock();
    const ref = (p: object) => managedRef(p)!.ref;
    const root = { a: ref(d).a, i: "1" };
    const cases: Array<[string, { a: string; i: string }, string, unknown[], new (...x: any[]) => Error, RegExp]> = [
      ["dict number key", ref(d), "get", [1], TypeError, /keys must be strings, got 1/],
      ["dict object key", ref(d), "set", [{}, 1], TypeError, /keys must be strings/],
      ["dict null key", ref(d), "delete", [null], TypeError, /keys must be strings/],
      ["dict update array", ref(d), "update", [[1]], TypeError, /plain object or a Map/],
      ["dict update Map of numbers", ref(d), "update", [new Map([[1, 2]])], TypeError, /keys must be strings/],
      ["dict method __proto__", ref(d), "__proto__", [], TypeError, /has no method "__proto__"/],
      ["dict method constructor", ref(d), "constructor", [], TypeError, /has no method "constructor"/],
      ["list string index", ref(l), "get", ["1"], TypeError, /index must be an integer, got "1"/],
      ["list fractional index", ref(l), "set", [1.5, 0], TypeError, /index must be an integer/],
      ["list NaN index", ref(l), "insert", [NaN, 0], TypeError, /index must be an integer/],
      ["list -Infinity index", ref(l), "pop", [-Infinity], TypeError, /index must be an integer/],
      ["list huge index", ref(l), "get", [2 ** 60], RangeError, /out of range for length 3/],
      ["list huge negative index", ref(l), "set", [-(2 ** 53), 0], RangeError, /out of range/],
      ["list extend non-array", ref(l), "extend", [{ length: 5 }], TypeError, /expects an array/],
      ["namespace number name", ref(ns), "set", [7, 1], TypeError, /keys must be strings/],
      ["Array huge index", ref(a), "get", [2 ** 60], RangeError, /out of range/],
      ["Array wrong value", ref(a), "set", [0, "x"], TypeError, /holds integers/],
      ["Value huge bigint", ref(v), "set", [2n ** 100n], RangeError, /out of range/],
      ["Queue block not boolean", ref(q), "get", ["yes", null], TypeError, /block must be a boolean/],
      ["Queue timeout not a number", ref(q), "put", [1, true, "soon"], TypeError, /timeout must be a number/],
      ["Lock token not a number", ref(lock), "acquire", ["me", true, null], TypeError, /owner token/],
      ["create unknown kind", root, "create", ["__proto__", []], TypeError, /cannot create "__proto__"/],
      ["create toString", root, "create", ["toString", []], TypeError, /cannot create/],
      ["create args not an array", root, "create", ["dict", { 0: 1 }], TypeError, /arguments must be an array/],
      ["create Value typecode toString", root, "create", ["Value", ["toString", 1]], TypeError, /typecode/],
      ["create Array 2^31 items", root, "create", ["Array", ["b", 2 ** 31]], RangeError, /size/],
      [
        "create Barrier bad action",
        root,
        "create",
        ["Barrier", [2, { k: "fn" }, null]],
        TypeError,
        /action must be a function target/,
      ],
      [
        "create Condition with a non-lock",
        root,
        "create",
        ["Condition", [{ a: 1 }]],
        TypeError,
        /lock must be a Lock or RLock/,
      ],
      ["root unknown method", root, "toString", [], StateError, /no method "toString"/],
    ];
    for (const [what, target, method, args, cls, re] of cases) {
      try {
        await node.call(target, method, args);
        assert.fail(`${what}: expected a rejection`);
      } catch (e) {
        assert.ok(e instanceof cls, `${what}: expected ${cls.name}, got ${(e as Error).name}: ${(e as Error).message}`);
        assert.match((e as Error).message, re, what);
      }
    }
    assert.equal(await d.get("a"), 1);
    assert.deepEqual(await l.toArray(), [1, 2, 3]);
    assert.equal(await (await m.dict({ b: 2 })).get("b"), 2);
  });

  test("A timeout over 2^31 - 1 ms waits (it does not fire at once)", async () => {
    const q = await m.Queue<number>();
    let settled = false;
    const got = q.get({ timeout: 2 ** 31 }).finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(settled, false);
    await q.put(5);
    assert.equal(await got, 5);
    const lock = await m.Lock();
    await lock.acquire();
    let acquired: boolean | undefined;
    const second = lock.acquire({ timeout: 1e12 }).then((ok) => (acquired = ok));
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(acquired, undefined);
    await lock.release();
    await second;
    assert.equal(acquired, true);
    await lock.release();
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
