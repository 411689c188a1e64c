import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  CodecError,
  decode,
  decodeError,
  encode,
  encodeError,
  registerErrorClass,
  registerType,
} from "../src/channel/codec.ts";

const rt = <T>(v: T): T => decode(encode(v)) as T;

describe("codec round trip", () => {
  test("decode(encode()) keeps primitives exactly, also -0 and NaN", () => {
    const values = [
      undefined,
      null,
      true,
      false,
      0,
      -0,
      NaN,
      Infinity,
      -Infinity,
      1.5,
      -2.25,
      Number.MAX_VALUE,
      Number.MIN_VALUE,
      Number.MAX_SAFE_INTEGER,
      -Number.MAX_SAFE_INTEGER,
      2 ** 53 + 2,
      "",
      "x",
    ];
    for (const v of values) assert.ok(Object.is(rt(v), v), `value ${String(v)}`);
    assert.ok(Object.is(rt([-0])[0], -0));
  });

  test("decode(encode()) keeps integers at every size boundary", () => {
    const edges = [
      127,
      128,
      255,
      256,
      65535,
      65536,
      -1,
      -32,
      -33,
      -128,
      -129,
      -32768,
      -32769,
      2 ** 31 - 1,
      -(2 ** 31),
      2 ** 31,
      2 ** 32,
      -(2 ** 32),
      2 ** 40,
    ];
    for (const v of edges) {
      for (const x of [v - 1, v, v + 1]) assert.ok(Object.is(rt(x), x), `integer ${x}`);
    }
  });

  test("decode(encode()) keeps strings of every length and script, also lone surrogates", () => {
    const parts = ["a", "é", "€", "😀", "\ud800", "\udc00"];
    for (const p of parts) {
      for (let n = 0; n < 70; n++) {
        const s = p.repeat(n);
        assert.equal(rt(s), s, `${JSON.stringify(p)} x ${n}`);
      }
    }
    const mixed = ["a\ud800", "\udc00b", "x😀\ud83d", "\ud83d\ude00\ud83d", "é".repeat(40) + "\ud800"];
    for (const s of mixed) assert.equal(rt(s), s);
    const long = "lorem ipsum €😀 ".repeat(7000);
    assert.equal(rt(long), long);
    assert.equal(rt(long + "\udfff"), long + "\udfff");
    assert.deepEqual(rt({ ["k\ud800"]: 1, ["é".repeat(30)]: 2, ["x".repeat(300)]: 3 }), {
      ["k\ud800"]: 1,
      ["é".repeat(30)]: 2,
      ["x".repeat(300)]: 3,
    });
  });

  test("decode(encode()) keeps bigints of any size and sign", () => {
    const values = [
      0n,
      1n,
      -1n,
      2n ** 63n - 1n,
      -(2n ** 63n),
      2n ** 63n,
      -(2n ** 63n) - 1n,
      2n ** 64n,
      3n ** 500n,
      -(7n ** 300n),
    ];
    for (const v of values) assert.equal(rt(v), v);
  });

  test("decode(encode()) keeps plain objects, arrays and nesting", () => {
    const v = {
      id: 3,
      v: "hello",
      list: [1, "two", [3, [4, { five: 5 }]], { six: [6] }],
      empty: {},
      none: [],
      deep: { a: { b: { c: { d: [null, undefined, true] } } } },
      long: Array.from({ length: 300 }, (_, i) => ({ i, s: "s" + i })),
    };
    assert.deepStrictEqual(rt(v), v);
    assert.deepStrictEqual(rt([1, "get", 42]), [1, "get", 42]);
  });

  test("decode(encode()) keeps odd property names (__proto__, numbers, unicode, many keys)", () => {
    const odd = JSON.parse('{"__proto__": {"x": 1}, "0": "zero", "10": "ten", "é😀": 1, "": 2, "a b": 3}');
    const back = rt(odd);
    assert.equal(Object.getPrototypeOf(back), Object.prototype);
    assert.deepStrictEqual(Object.keys(back), Object.keys(odd));
    assert.deepStrictEqual(back["__proto__"], { x: 1 });
    const many: Record<string, number> = {};
    for (let i = 0; i < 20000; i++) many["key" + i] = i;
    assert.deepStrictEqual(rt(many), many);
    const records = Array.from({ length: 50 }, (_, i) => {
      const r: Record<string, number> = {};
      for (let k = 0; k < 200; k++) r["f" + ((k + i) % 200)] = k; // 200 names, ids above 127
      return r;
    });
    assert.deepStrictEqual(rt(records), records);
  });

  test("decode(encode()) turns sparse-array holes into undefined", () => {
    // deno-lint-ignore no-sparse-arrays
    const back = rt([1, , 3]);
    assert.equal(back.length, 3);
    assert.ok(1 in back);
    assert.equal(back[1], undefined);
  });

  test("decode(encode()) gives a null-prototype object Object.prototype", () => {
    const o = Object.assign(Object.create(null), { a: 1, b: [2] });
    const back = rt(o);
    assert.equal(Object.getPrototypeOf(back), Object.prototype);
    assert.deepStrictEqual(back, { a: 1, b: [2] });
  });

  test("decode(encode()) keeps cycles and shared references", () => {
    const shared = { s: 1 };
    const a: Record<string, unknown> = { shared, again: shared, list: [shared] };
    a.self = a;
    const arr: unknown[] = [a];
    arr.push(arr);
    const m = new Map<unknown, unknown>();
    m.set(m, m);
    const set = new Set<unknown>();
    set.add(set);
    const back = rt({ a, arr, m, set, shared });
    assert.equal(back.a.self, back.a);
    assert.equal(back.a.shared, back.a.again);
    assert.equal(back.a.shared, (back.a.list as unknown[])[0]);
    assert.equal(back.shared, back.a.shared);
    assert.equal(back.arr[1], back.arr);
    assert.equal(back.arr[0], back.a);
    assert.equal(back.m.get(back.m), back.m);
    assert.ok(back.set.has(back.set));
    const ta = new Float64Array([1, 2]);
    const d = new Date(5);
    const pair = rt([ta, ta, d, d]);
    assert.equal(pair[0], pair[1]);
    assert.equal(pair[2], pair[3]);
  });

  test("decode(encode()) keeps Map with any keys, and Set", () => {
    const objKey = { k: 1 };
    const m = new Map<unknown, unknown>([
      [1, "one"],
      ["1", "string one"],
      [NaN, "nan"],
      [objKey, objKey],
      [null, 0],
      [undefined, 1],
      [2n, [2]],
      [new Date(3), "date"],
    ]);
    const back = rt(m);
    assert.ok(back instanceof Map);
    assert.deepStrictEqual(back, m);
    const keys = [...back.keys()];
    assert.equal(back.get(keys[3]), keys[3]); // an object key and value that are one object stay one
    const s = new Set<unknown>([1, "1", NaN, { a: 1 }, -0]);
    const sBack = rt(s);
    assert.ok(sBack instanceof Set);
    assert.deepStrictEqual(sBack, s);
    assert.deepStrictEqual(rt(new Map()), new Map());
    const big = new Map(Array.from({ length: 1000 }, (_, i) => [i, String(i)] as const));
    assert.deepStrictEqual(rt(big), big);
  });

  test("decode(encode()) keeps Date, invalid Date and RegExp", () => {
    const d = new Date(Date.UTC(2024, 1, 29, 12, 30, 15, 123));
    assert.equal(rt(d).getTime(), d.getTime());
    assert.ok(rt(d) instanceof Date);
    assert.ok(Number.isNaN(rt(new Date(NaN)).getTime()));
    assert.equal(rt(new Date(-8.64e15)).getTime(), -8.64e15);
    const r = /a(b+)\/c[\]]?/gimsuy;
    r.lastIndex = 3;
    const back = rt(r);
    assert.ok(back instanceof RegExp);
    assert.equal(back.source, r.source);
    assert.equal(back.flags, r.flags);
    assert.equal(back.lastIndex, 0); // lastIndex is not sent
  });

  test("decode(encode()) keeps ArrayBuffer, DataView and every typed array", () => {
    const g = globalThis as Record<string, unknown>;
    const names = [
      "Int8Array",
      "Uint8Array",
      "Uint8ClampedArray",
      "Int16Array",
      "Uint16Array",
      "Int32Array",
      "Uint32Array",
      "Float32Array",
      "Float64Array",
      "BigInt64Array",
      "BigUint64Array",
      "Float16Array",
    ];
    for (const name of names) {
      const Ctor = g[name] as (new (n: number) => { [i: number]: unknown; length: number }) | undefined;
      if (Ctor === undefined) continue; // Float16Array where missing
      const ta = new Ctor(5);
      for (let i = 0; i < 5; i++) ta[i] = name.startsWith("Big") ? BigInt(i * 3 - 5) : i * 3 - 5;
      const back = rt(ta);
      assert.equal(Object.getPrototypeOf(back), Ctor.prototype, name);
      assert.deepStrictEqual(back, ta, name);
    }
    const ab = new Uint8Array([9, 8, 7]).buffer;
    const abBack = rt(ab);
    assert.ok(abBack instanceof ArrayBuffer);
    assert.deepStrictEqual(new Uint8Array(abBack), new Uint8Array([9, 8, 7]));
    const dv = new DataView(new Uint8Array([1, 2, 3, 4]).buffer);
    const dvBack = rt(dv);
    assert.ok(dvBack instanceof DataView);
    assert.equal(dvBack.getUint32(0), 0x01020304);
    assert.deepStrictEqual(rt(new Uint8Array(0)), new Uint8Array(0));
  });

  test("decode(encode()) sends only the bytes of a view, over a fresh buffer", () => {
    const buf = new ArrayBuffer(64);
    new Uint8Array(buf).forEach((_, i, a) => (a[i] = i));
    const view = new Uint16Array(buf, 6, 3); // bytes 6..11
    const back = rt(view);
    assert.equal(back.byteOffset, 0);
    assert.equal(back.buffer.byteLength, 6);
    assert.deepStrictEqual(back, new Uint16Array(new Uint8Array([6, 7, 8, 9, 10, 11]).buffer));
    const odd = new Float64Array(new Uint8Array(17).buffer, 8, 1); // aligned copy even from odd input
    odd[0] = 2.5;
    const texts = ["a string longer than a few bytes", "ünïcödé text, also long", "x".repeat(100)];
    const bytes = encode({ pad: 1, odd, texts });
    const shifted = new Uint8Array(bytes.length + 9).fill(0x41).subarray(1, bytes.length + 1); // odd offset
    shifted.set(bytes);
    const fromShifted = decode(shifted) as { odd: Float64Array; texts: string[] };
    assert.equal(fromShifted.odd[0], 2.5);
    assert.deepStrictEqual(fromShifted.texts, texts);
    const dv = new DataView(buf, 60, 4);
    assert.deepStrictEqual(new Uint8Array(rt(dv).buffer), new Uint8Array([60, 61, 62, 63]));
  });

  test("decode(encode()) turns a Node Buffer into a Uint8Array", () => {
    const B = (globalThis as { Buffer?: { from(a: number[]): Uint8Array } }).Buffer;
    if (B === undefined) return;
    const back = rt(B.from([1, 2, 3]));
    assert.equal(Object.getPrototypeOf(back), Uint8Array.prototype);
    assert.deepStrictEqual(back, new Uint8Array([1, 2, 3]));
  });

  test("decode(encode()) carries a 16 MiB Uint8Array quickly and intact", () => {
    const big = new Uint8Array(16 * 1024 * 1024);
    const words = new Uint32Array(big.buffer);
    for (let i = 0; i < words.length; i += 1021) words[i] = i * 2654435761;
    const t0 = performance.now();
    const bytes = encode({ id: 1, data: big });
    const back = decode(bytes) as { data: Uint8Array };
    const ms = performance.now() - t0;
    assert.ok(bytes.length < big.length + 64, "one copy of the data, no expansion");
    assert.equal(back.data.length, big.length);
    const backWords = new Uint32Array(back.data.buffer);
    for (let i = 0; i < words.length; i += 1021) assert.equal(backWords[i], words[i]);
    assert.ok(ms < 2000, `round trip took ${ms.toFixed(0)} ms`);
    assert.deepStrictEqual(rt([1, "small", 2]), [1, "small", 2]); // the codec shrinks back afterwards
  });

  test("encode() results stay valid after later encodes", () => {
    const kept = Array.from({ length: 2000 }, (_, i) => [encode({ i, s: "x".repeat(i % 50) }), i] as const);
    for (const [bytes, i] of kept) assert.deepStrictEqual(decode(bytes), { i, s: "x".repeat(i % 50) });
  });
});

describe("codec errors", () => {
  test("decode(encode()) keeps built-in error classes with message, stack, cause and props", () => {
    const classes = [Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError];
    for (const C of classes) {
      const e = new C("bad " + C.name, { cause: new Error("root", { cause: 7 }) });
      (e as Error & { code: number }).code = 42;
      const back = rt(e);
      assert.equal(Object.getPrototypeOf(back), C.prototype);
      assert.equal(back.name, C.name);
      assert.equal(back.message, e.message);
      assert.equal(back.stack, e.stack);
      assert.equal((back as Error & { code: number }).code, 42);
      assert.ok(back.cause instanceof Error);
      assert.equal((back.cause as Error).message, "root");
      assert.equal((back.cause as Error).cause, 7);
      assert.deepStrictEqual(Object.keys(back), ["code"]);
      assert.equal(Object.getOwnPropertyDescriptor(back, "cause")?.enumerable, false);
    }
    assert.equal(Object.hasOwn(rt(new Error("no cause")), "cause"), false);
  });

  test("decode(encode()) keeps AggregateError.errors", () => {
    const agg = new AggregateError([new TypeError("one"), "two"], "many");
    const back = rt(agg);
    assert.ok(back instanceof AggregateError);
    assert.equal(back.message, "many");
    assert.equal(back.errors.length, 2);
    assert.ok(back.errors[0] instanceof TypeError);
    assert.equal(back.errors[1], "two");
  });

  test("decode(encode()) rebuilds a class registered with registerErrorClass() without running its constructor", () => {
    let constructed = 0;
    class HttpError extends Error {
      status: number;
      constructor(status: number) {
        super(`HTTP ${status}`);
        constructed++;
        this.status = status;
      }
    }
    class NotFound extends HttpError {}
    registerErrorClass(HttpError);
    registerErrorClass(NotFound, "codec.test.NotFound");
    const back = rt([new HttpError(500), new NotFound(404)]);
    assert.equal(constructed, 2);
    assert.ok(back[0] instanceof HttpError);
    assert.equal(back[0].status, 500);
    assert.equal(back[0].message, "HTTP 500");
    assert.ok(back[1] instanceof NotFound);
    assert.equal(back[1].status, 404);
  });

  test("decode(encode()) gives an unknown error class a plain Error with the original name", () => {
    class Unregistered extends Error {}
    class Named extends RangeError {
      override name = "CustomName";
    }
    const back = rt([new Unregistered("u"), new Named("n")]);
    assert.equal(Object.getPrototypeOf(back[0]), Error.prototype);
    assert.equal(back[0].name, "Unregistered");
    assert.equal(back[0].message, "u");
    assert.equal(Object.getPrototypeOf(back[1]), Error.prototype);
    assert.equal(back[1].name, "CustomName");
  });

  test("decode(encode()) keeps errors inside values and cycles through errors", () => {
    const e = new Error("loop") as Error & { self?: unknown; data?: unknown };
    e.self = e;
    e.data = { owner: e, list: [1] };
    const back = rt(new Map([["err", e]])).get("err") as typeof e;
    assert.equal(back.self, back);
    assert.equal((back.data as { owner: unknown }).owner, back);
    const c = new Error("cause loop");
    (c as { cause?: unknown }).cause = c;
    const cBack = rt(c);
    assert.equal(cBack.cause, cBack);
  });

  test("encodeError() returns a plain record that encode() always accepts", () => {
    const e = new TypeError("bad", { cause: new RangeError("inner") }) as TypeError & Record<string, unknown>;
    e.code = "E_BAD";
    e.fn = () => 1;
    e.nested = { when: new Date(0) };
    const rec = encodeError(e);
    assert.equal(rec.name, "TypeError");
    assert.equal(rec.message, "bad");
    assert.equal(rec.stack, e.stack);
    assert.equal(rec.props.code, "E_BAD");
    assert.match(String(rec.props.fn), /^\[unsendable: functions cannot be sent/);
    assert.deepStrictEqual(rec.props.nested, { when: new Date(0) });
    const back = decodeError(decode(encode(rec)));
    assert.ok(back instanceof TypeError);
    assert.equal(back.stack, e.stack);
    assert.ok(back.cause instanceof RangeError);
    assert.equal((back.cause as Error).message, "inner");
    assert.equal((back as TypeError & Record<string, unknown>).code, "E_BAD");
    const agg = decodeError(encodeError(new AggregateError([new SyntaxError("s")], "agg")));
    assert.ok(agg instanceof AggregateError);
    assert.ok(agg.errors[0] instanceof SyntaxError);
    const loop = new Error("loop");
    (loop as { cause?: unknown }).cause = loop;
    assert.doesNotThrow(() => encode(encodeError(loop)));
  });

  test("encodeError() describes a thrown non-Error value", () => {
    assert.deepStrictEqual(encodeError("boom"), { name: "Error", message: "boom", stack: undefined, props: {} });
    assert.equal(encodeError(42).message, "42");
    assert.equal(encodeError(Object.create(null)).message, "[object Object]");
    const back = decodeError(encodeError(undefined));
    assert.ok(back instanceof Error);
    assert.equal(back.message, "undefined");
  });

  test("decodeError() rejects what is not a record with CodecError, and returns an Error as is", () => {
    assert.throws(() => decodeError({ hello: 1 }), CodecError);
    assert.throws(() => decodeError("x"), CodecError);
    const e = new Error("x");
    assert.equal(decodeError(e), e);
  });

  test("registerErrorClass() rejects non-Error classes and built-in names", () => {
    class NotAnError {}
    assert.throws(() => registerErrorClass(NotAnError as unknown as new () => Error), TypeError);
    class Mine extends Error {}
    assert.throws(() => registerErrorClass(Mine, "TypeError"), RangeError);
    assert.throws(() => registerErrorClass(Mine, ""), RangeError);
  });
});

describe("codec unsendable values", () => {
  const message = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      assert.ok(e instanceof TypeError, `expected TypeError, got ${String(e)}`);
      return e.message;
    }
    throw new assert.AssertionError({ message: "expected encode() to throw" });
  };

  test("encode() names the path of a function", () => {
    const m = message(() => encode([1, { fn() {} }], "args"));
    assert.match(m, /^Cannot send value at args\[1\]\.fn: functions cannot be sent to another process; /);
    assert.match(message(() => encode(() => 1)), /^Cannot send value at value: functions/);
  });

  test("encode() names the path of a symbol inside Map, Set, errors and odd keys", () => {
    const s = Symbol("s");
    assert.match(message(() => encode({ m: new Map([["k", s]]) }, "x")), /at x\.m\.get\("k"\): symbols/);
    assert.match(message(() => encode({ m: new Map([[s, 1]]) }, "x")), /at x\.m\.<Map key #0>: symbols/);
    assert.match(message(() => encode({ set: new Set([1, s]) }, "x")), /at x\.set\.<Set item #1>: symbols/);
    assert.match(message(() => encode({ "odd key": [s] }, "x")), /at x\["odd key"\]\[0\]: symbols/);
    const e = new Error("e", { cause: { deep: s } });
    assert.match(message(() => encode({ e }, "x")), /at x\.e\.cause\.deep: symbols/);
    const p = Object.assign(new Error("p"), { extra: [s] });
    assert.match(message(() => encode(p, "x")), /at x\.extra\[0\]: symbols/);
  });

  test("encode() rejects an instance of an unregistered class, naming the class", () => {
    class Point {
      #secret = 1;
      x = 1;
      get secret(): number {
        return this.#secret;
      }
    }
    assert.match(
      message(() => encode({ p: [new Point()] }, "args")),
      /^Cannot send value at args\.p\[0\]: instances of class Point cannot be sent .*registerType\(\)/,
    );
    class MyMap extends Map {}
    assert.match(message(() => encode(new MyMap())), /class MyMap \(a subclass of Map\)/);
    class MyArray extends Array {}
    assert.match(message(() => encode(new MyArray())), /class MyArray \(a subclass of Array\)/);
    assert.match(message(() => encode(Promise.resolve())), /class Promise/);
    assert.match(message(() => encode(new WeakMap())), /class WeakMap/);
  });

  test("encode() rejects a SharedArrayBuffer but sends a typed array over one", () => {
    if (typeof SharedArrayBuffer !== "function") return;
    const sab = new SharedArrayBuffer(8);
    assert.match(message(() => encode(sab)), /SharedArrayBuffer cannot be shared/);
    const back = rt(new Int32Array(sab));
    assert.ok(back.buffer instanceof ArrayBuffer);
    assert.equal(back.length, 2);
  });

  test("encode() stays usable after a failed encode", () => {
    const shared = { a: 1 };
    assert.throws(() => encode({ shared, bad: Symbol("x") }), TypeError);
    const back = rt({ first: { a: 1 }, shared, again: shared });
    assert.deepStrictEqual(back, { first: { a: 1 }, shared: { a: 1 }, again: { a: 1 } });
    assert.equal(back.shared, back.again);
    assert.notEqual(back.first, back.shared);
  });
});

describe("codec registerType", () => {
  class Handle {
    id = 0;
    label = "";
  }
  class SubHandle extends Handle {}
  class Special extends Handle {}
  const reduced: unknown[] = [];
  registerType<Handle>({
    tag: "codec.test.Handle",
    cls: Handle,
    reduce: (h) => (reduced.push(h), { id: h.id }),
    rebuild: (s) => Object.assign(new Handle(), { id: (s as { id: number }).id, label: "rebuilt" }),
  });
  registerType<Special>({
    tag: "codec.test.Special",
    cls: Special,
    reduce: (h) => h.id,
    rebuild: (id) => Object.assign(new Special(), { id: id as number, label: "special" }),
  });

  test("encode() sends a registered object through reduce() and decode() rebuilds it", () => {
    const h = Object.assign(new Handle(), { id: 7, label: "local" });
    const back = rt({ h });
    assert.ok(back.h instanceof Handle);
    assert.equal(back.h.id, 7);
    assert.equal(back.h.label, "rebuilt");
  });

  test("registerType() lets the most-derived registered class win", () => {
    const back = rt([Object.assign(new Special(), { id: 1 }), Object.assign(new SubHandle(), { id: 2 })]);
    assert.ok(back[0] instanceof Special);
    assert.equal(back[0].label, "special");
    assert.equal(Object.getPrototypeOf(back[1]), Handle.prototype); // SubHandle is not registered: Handle's spec
    assert.equal(back[1].id, 2);
  });

  test("decode() rebuilds an object that occurs twice once", () => {
    const h = Object.assign(new Handle(), { id: 9 });
    reduced.length = 0;
    const back = rt({ a: h, b: [h], c: { h } });
    assert.equal(reduced.length, 1);
    assert.equal(back.a, back.b[0]);
    assert.equal(back.a, back.c.h);
  });

  test("registerType() state may share objects with the message but not contain the object itself", () => {
    class Box {
      inner: unknown = null;
    }
    registerType<Box>({
      tag: "codec.test.Box",
      cls: Box,
      reduce: (b) => ({ inner: b.inner }),
      rebuild: (s) => Object.assign(new Box(), s as object),
    });
    const shared = { x: 1 };
    const back = rt([shared, Object.assign(new Box(), { inner: shared })]);
    assert.equal((back[1] as Box).inner, back[0]);
    const selfish = new Box();
    selfish.inner = { me: selfish };
    assert.throws(
      () => encode([selfish], "args"),
      /^TypeError: Cannot send value at args\[0\]\[\[codec\.test\.Box state\]\]\.inner\.me: an object registered/,
    );
  });

  test("reduce() and rebuild() may call encode() and decode() themselves", () => {
    class Wrapped {
      payload: unknown = null;
    }
    registerType<Wrapped>({
      tag: "codec.test.Wrapped",
      cls: Wrapped,
      reduce: (w) => encode(w.payload),
      rebuild: (bytes) => Object.assign(new Wrapped(), { payload: decode(bytes as Uint8Array) }),
    });
    const value = {
      before: { k: 1 },
      w: Object.assign(new Wrapped(), { payload: { k: [1, 2], m: new Map([[1, 2]]) } }),
      after: { k: 2 },
    };
    const back = rt(value);
    assert.deepStrictEqual(back.before, { k: 1 });
    assert.deepStrictEqual(back.after, { k: 2 });
    assert.deepStrictEqual(back.w.payload, { k: [1, 2], m: new Map([[1, 2]]) });
  });

  test("decode() lets an error thrown by rebuild() through unchanged", () => {
    class Fragile {}
    const boom = new RangeError("cannot rebuild");
    registerType<Fragile>({
      tag: "codec.test.Fragile",
      cls: Fragile,
      reduce: () => 0,
      rebuild: () => {
        throw boom;
      },
    });
    assert.throws(() => decode(encode([new Fragile()])), (e) => e === boom);
    assert.deepStrictEqual(rt([1]), [1]); // and the decoder is fine afterwards
  });

  test("decode() rejects an unregistered type tag with CodecError", () => {
    // version, T_CUSTOM, key "Nope" (fixstr), state 0
    const bytes = new Uint8Array([0x01, 0xd8, 0x84, 0x4e, 0x6f, 0x70, 0x65, 0x00]);
    assert.throws(() => decode(bytes), (e) => e instanceof CodecError && /"Nope".*registerType/.test(e.message));
  });

  test("registerType() rejects an incomplete spec", () => {
    assert.throws(
      () => registerType({ tag: "", cls: Handle, reduce: (h) => h, rebuild: (s) => s as Handle }),
      TypeError,
    );
    assert.throws(() => registerType({ tag: "x", cls: null as never, reduce: (h) => h, rebuild: (s) => s }), TypeError);
    assert.throws(
      () => registerType({ tag: "x", cls: Handle, reduce: null as never, rebuild: (s) => s as Handle }),
      TypeError,
    );
  });

  test("registerType() on a subclass of Map wins over Map", () => {
    class Registry extends Map<string, number> {}
    registerType<Registry>({
      tag: "codec.test.Registry",
      cls: Registry,
      reduce: (r) => [...r],
      rebuild: (entries) => new Registry(entries as [string, number][]),
    });
    const back = rt(new Registry([["a", 1]]));
    assert.ok(back instanceof Registry);
    assert.equal(back.get("a"), 1);
  });
});

describe("codec garbage input", () => {
  const sample = (): unknown => ({
    id: 3,
    list: [1, -1, 300, -300, 70000, 1.5, "short", "a longer string of text", "é😀\ud800", 2n ** 80n, -5n],
    map: new Map<unknown, unknown>([["k", new Set([1])], [1, new Date(1)]]),
    bin: [new Uint8Array([1, 2]), new Float64Array([1]), new DataView(new ArrayBuffer(2)), new ArrayBuffer(1)],
    err: new AggregateError([new TypeError("t")], "a", { cause: /re/g }),
    recs: [{ a: 1, b: 2 }, { a: 3, b: 4 }],
  });
  const onlyCodecError = (bytes: Uint8Array): void => {
    try {
      decode(bytes);
    } catch (e) {
      if (!(e instanceof CodecError)) throw new assert.AssertionError({ message: `not a CodecError: ${String(e)}` });
    }
  };

  test("decode() rejects empty input, a wrong version byte and trailing bytes with CodecError", () => {
    assert.throws(() => decode(new Uint8Array(0)), CodecError);
    assert.throws(() => decode(new Uint8Array([0x02, 0x01])), /format version/);
    const ok = encode([1, 2]);
    const longer = new Uint8Array(ok.length + 1);
    longer.set(ok);
    assert.throws(() => decode(longer), (e) => e instanceof CodecError && /left over/.test(e.message));
  });

  test("decode() rejects every truncation of a message with CodecError", () => {
    const bytes = encode(sample()).slice();
    for (let n = 0; n < bytes.length; n++) {
      assert.throws(() => decode(bytes.subarray(0, n)), CodecError, `truncated to ${n} bytes`);
    }
  });

  test("decode() answers corrupted and random bytes with a value or CodecError, never another error", () => {
    const good = encode(sample()).slice();
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (let i = 0; i < 3000; i++) {
      const bad = good.slice();
      for (let k = 1 + rand(4); k > 0; k--) bad[1 + rand(bad.length - 1)] = rand(256);
      onlyCodecError(bad);
    }
    for (let i = 0; i < 3000; i++) {
      const bad = new Uint8Array(1 + rand(40)).map(() => rand(256));
      bad[0] = 0x01;
      onlyCodecError(bad);
    }
  });

  test("decode() refuses huge lengths and counts without allocating, and too-deep nesting", () => {
    const u32max = [0xff, 0xff, 0xff, 0xff];
    for (
      const body of [
        [0xc9, ...u32max],
        [0xd3, ...u32max],
        [0xd4, 1, ...u32max],
        [0xca, ...u32max],
        [0xcb, 0xff, 0xff, 0xff, 0xff, 0x0f],
        [0xcc, 0xff, 0xff, 0xff, 0x7f],
        [0xcd, 0xff, 0xff, 0xff, 0x7f],
        [0xd7, 0x05],
        [0xd7, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
      ]
    ) {
      assert.throws(() => decode(new Uint8Array([0x01, ...body])), CodecError, body.join(","));
    }
    const deep = new Uint8Array(300000).fill(0xa1); // [[[[...]]]] far deeper than any stack
    deep[0] = 0x01;
    assert.throws(() => decode(deep), CodecError);
    assert.deepStrictEqual(rt({ still: ["fine"] }), { still: ["fine"] });
  });

  test("decode() accepts a Buffer, another view or an ArrayBuffer, and copies binary data out", () => {
    const bytes = encode({ data: new Uint8Array([5, 6, 7]) }).slice();
    const fromAb = decode(bytes.buffer as unknown as Uint8Array) as { data: Uint8Array };
    assert.deepStrictEqual(fromAb.data, new Uint8Array([5, 6, 7]));
    const B = (globalThis as { Buffer?: { from(a: Uint8Array): Uint8Array } }).Buffer;
    if (B !== undefined) assert.deepStrictEqual(decode(B.from(bytes)), { data: new Uint8Array([5, 6, 7]) });
    const viaDataView = decode(new DataView(bytes.buffer) as unknown as Uint8Array) as { data: Uint8Array };
    bytes.fill(0);
    assert.deepStrictEqual(viaDataView.data, new Uint8Array([5, 6, 7]));
    assert.deepStrictEqual(fromAb.data, new Uint8Array([5, 6, 7]));
    assert.throws(() => decode("nope" as unknown as Uint8Array), TypeError);
  });
});

describe("codec wire format", () => {
  // Bytes written once by Node 24; every runtime must read them and write exactly the same.
  const GOLDEN =
    "01cc12816eab00ff7fc480d9dfffc670110100c690eefeffc7000000000000f83fc70000000000000080c7000000000000f8" +
    "7fc7000000000000f07f8173a58085617363696989c3a9e282acf09f9880ca0100000000d8c9640000006c6f6e67206c6f6e" +
    "67206c6f6e67206c6f6e67206c6f6e67206c6f6e67206c6f6e67206c6f6e67206c6f6e67206c6f6e67206c6f6e67206c6f6e" +
    "67206c6f6e67206c6f6e67206c6f6e67206c6f6e67206c6f6e67206c6f6e67206c6f6e67206c6f6e67208162a2d101000000" +
    "00000000d201120000003430303030303030303030303030303030308164cf00000000000000008172d082782b8167816dcd" +
    "02018161b1817801c183736574ce018178827538d4010300000001020383663332d407040000000000003f826162d3020000" +
    "000708826476d5010000000986736861726564d70785616761696ed7078175c08174c38166c2836e756cc183657272d68a52" +
    "616e67654572726f7281729b52616e67654572726f723a20720a20202020617420676f6c64656e000184636f646501";
  const goldenValue = () => {
    const shared = { x: 1 };
    return {
      n: [0, -1, 127, 128, -33, 70000, -70000, 1.5, -0, NaN, Infinity],
      s: ["", "ascii", "é€😀", "\ud800", "long ".repeat(20)],
      b: [1n, -(2n ** 70n)],
      d: new Date(0),
      r: /x+/g,
      m: new Map<unknown, unknown>([[1, "a"], [shared, null]]),
      set: new Set(["x"]),
      u8: new Uint8Array([1, 2, 3]),
      f32: new Float32Array([0.5]),
      ab: new Uint8Array([7, 8]).buffer,
      dv: new DataView(new Uint8Array([9]).buffer),
      shared,
      again: shared,
      u: undefined,
      t: true,
      f: false,
      nul: null,
      err: Object.assign(new RangeError("r"), { stack: "RangeError: r\n    at golden", code: 1 }),
    };
  };
  const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

  test("encode() writes the same bytes in every runtime", () => {
    assert.equal(hex(encode(goldenValue())), GOLDEN);
  });

  test("decode() reads bytes written by another runtime", () => {
    const bytes = new Uint8Array(GOLDEN.length / 2).map((_, i) => parseInt(GOLDEN.slice(2 * i, 2 * i + 2), 16));
    const back = decode(bytes) as ReturnType<typeof goldenValue>;
    const { err, ...rest } = goldenValue();
    const { err: backErr, ...backRest } = back;
    assert.deepStrictEqual(backRest, rest);
    assert.equal(back.shared, back.again);
    assert.ok(backErr instanceof RangeError);
    assert.equal(backErr.stack, err.stack);
    assert.equal((backErr as RangeError & { code: number }).code, 1);
  });
});
