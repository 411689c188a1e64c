// The codec's nesting limit (MAX_DEPTH): values exactly that deep round-trip on every runtime, also
// when encode is called from deep inside a program's own stack; one level more fails cleanly, with
// a TypeError on encode and a CodecError on decode, however deep the bytes claim to go.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { CodecError, decode, encode } from "../src/channel/codec.ts";
import { MAX_DEPTH } from "../src/channel/_codec_shared.ts";

type Wrap = (inner: unknown) => unknown;

const kinds: Array<[string, Wrap]> = [
  ["arrays", (v) => [v]],
  ["plain objects", (v) => ({ a: v })],
  ["Maps", (v) => new Map([["k", v]])],
  ["Sets", (v) => new Set([v])],
  ["Errors (cause chains)", (v) => new Error("e", { cause: v })],
  ["a mix", (v) => [{ m: new Map([[1, new Set([v])]]) }]],
];

/** A value with `depth` nested objects (the mix adds four per step, so it is cut to the exact depth). */
function nest(wrap: Wrap, depth: number): unknown {
  let v: unknown = 7n; // a primitive leaf: does not count
  let d = 0;
  while (d < depth) {
    v = wrap(v);
    d += wrap === kinds[5][1] ? 4 : 1;
  }
  return d === depth ? v : undefined;
}

function depthOf(v: unknown): number {
  let d = 0;
  for (;;) {
    if (v instanceof Map) v = [...v.values()][0];
    else if (v instanceof Set) v = [...v][0];
    else if (v instanceof Error) v = v.cause;
    else if (Array.isArray(v)) v = v[0];
    else if (typeof v === "object" && v !== null) v = Object.values(v)[0];
    else return v === 7n ? d : -1;
    d++;
  }
}

/** Runs `fn` under `frames` extra stack frames (a program that encodes from deep in its own calls). */
function deepCall<T>(frames: number, fn: () => T): T {
  return frames === 0 ? fn() : deepCall(frames - 1, fn);
}

/** Codec bytes of `depth` nested one-item arrays around 0, made by hand (encode refuses them). */
function deepBytes(depth: number): Uint8Array {
  const b = new Uint8Array(depth + 2);
  b[0] = 0x01;
  b.fill(0xa1, 1, depth + 1);
  return b;
}

describe("codec nesting limit", () => {
  test(`encode() and decode() round-trip values nested exactly MAX_DEPTH (${MAX_DEPTH}) deep, from a deep caller too`, () => {
    assert.equal(MAX_DEPTH, 1000);
    for (const [name, wrap] of kinds) {
      const v = nest(wrap, MAX_DEPTH);
      assert.equal(depthOf(v), MAX_DEPTH, name);
      for (const frames of [0, 2000]) {
        const back = deepCall(frames, () => decode(encode(v)));
        assert.equal(depthOf(back), MAX_DEPTH, `${name}, from ${frames} frames deep`);
      }
    }
  });

  test("encode() throws a TypeError naming the limit one level deeper", () => {
    for (const [name, wrap] of kinds) {
      const v = nest(wrap, MAX_DEPTH + (name === "a mix" ? 4 : 1));
      assert.throws(() => encode(v), { name: "TypeError", message: /more than 1000 levels deep/ }, name);
      // The codec is fine afterwards.
      assert.deepEqual(decode(encode([1, { a: 2 }])), [1, { a: 2 }]);
    }
    // A cycle is not depth: it travels as a back-reference.
    const a: unknown[] = [];
    a.push(a);
    const back = decode(encode(a)) as unknown[];
    assert.equal(back[0], back);
  });

  test("decode() refuses bytes nested deeper than the limit with a CodecError, without running out of stack", () => {
    assert.deepEqual(decode(deepBytes(3)), [[[0]]]);
    let v = decode(deepBytes(MAX_DEPTH));
    let d = 0;
    for (; Array.isArray(v); d++) v = v[0];
    assert.equal(d, MAX_DEPTH);
    const tooDeep = (e: unknown) => e instanceof CodecError && /more than 1000 levels deep/.test(e.message);
    for (const depth of [MAX_DEPTH + 1, 5000, 1_000_000]) {
      assert.throws(() => decode(deepBytes(depth)), tooDeep, `${depth}`);
      // Sets (tag 0xce, one item) go through the reader of the rarer types.
      const sets = new Uint8Array(2 * depth + 2);
      sets[0] = 0x01;
      for (let i = 0; i < depth; i++) sets.set([0xce, 0x01], 1 + 2 * i);
      assert.throws(() => decode(sets), tooDeep, `Sets ${depth}`);
    }
    assert.deepEqual(decode(encode([1, new Set([2])])), [1, new Set([2])]);
  });
});
