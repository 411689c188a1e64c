// move() and binary data between threads: moved without a copy (the sender's buffer detached),
// SharedArrayBuffers shared, large data copied once; to processes, copied and kept.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { move, Pool, ThreadPool, ThreadPoolExecutor } from "../mod.ts";
import { decodeFrame, encodeFrame } from "../src/channel/codec.ts";
import { frameSides } from "../src/channel/port_buffers.ts";
import { describeBytes as what, echo, fillAndMove, writeShared } from "./fixtures/move_tasks.ts";

describe("move()", () => {
  test("move() sends a typed array to a ThreadPool task without a copy, detaches it, and a moved result comes back", async () => {
    await using pool = new ThreadPool(1);
    const data = new Uint8Array(1 << 20).fill(1);
    const back = await pool.apply(fillAndMove, [move(data), 9]);
    assert.equal(data.byteLength, 0, "the sender's buffer is detached");
    assert.equal(back.length, 1 << 20);
    assert.ok(back.every((b) => b === 9));
    // Small data moves too (below the size at which unmarked data leaves the frame).
    const small = new Uint16Array([1, 2, 3]);
    assert.deepEqual(await pool.apply(what, [move(small)]), ["Uint16Array", 6, 0, 6, 1]);
    assert.equal(small.byteLength, 0);
  });

  test("move() of a view moves its whole buffer and keeps the view's offset and length", async () => {
    await using ex = new ThreadPoolExecutor({ maxWorkers: 1 });
    const buf = new ArrayBuffer(4096);
    new Uint8Array(buf).fill(5);
    const view = new Float64Array(buf, 1024, 16);
    assert.deepEqual(await ex.submit(what, move(view)), ["Float64Array", 128, 1024, 4096, 5]);
    assert.equal(buf.byteLength, 0);
    const dv = new DataView(new ArrayBuffer(100), 10, 20);
    assert.deepEqual(await ex.submit(what, move(dv)), ["DataView", 20, 10, 100, 0]);
    const ab = new ArrayBuffer(70_000);
    assert.deepEqual(await ex.submit(what, move(ab)), ["ArrayBuffer", 70_000, 0, 70_000, 0]);
    assert.equal(ab.byteLength, 0);
  });

  test("Unmarked data is copied to a thread: the sender keeps it, large or small", async () => {
    await using pool = new ThreadPool(1);
    const big = new Uint8Array(300_000).fill(4);
    const back = await pool.apply(echo, [big]);
    assert.equal(big.byteLength, 300_000);
    assert.deepEqual(back, big);
    back[0] = 99;
    assert.equal(big[0], 4, "the result is a copy");
    const small = new Int8Array([1, -1]);
    assert.deepEqual(await pool.apply(echo, [small]), small);
    assert.equal(small.byteLength, 2);
  });

  test("A SharedArrayBuffer and views of one arrive shared in a thread", async () => {
    await using pool = new ThreadPool(1);
    const view = new Int32Array(new SharedArrayBuffer(64), 16, 4);
    const back = await pool.apply(writeShared, [view, 2, 1234]);
    assert.equal(view[2], 1234, "the thread wrote into our memory");
    assert.ok(back.buffer instanceof SharedArrayBuffer);
    assert.equal(back.byteOffset, 16);
    Atomics.store(back, 0, 77);
    assert.equal(view[0], 77, "the result is the same memory");
    const sab = new SharedArrayBuffer(8);
    const got = await pool.apply(echo, [sab]) as SharedArrayBuffer;
    new Uint8Array(got)[3] = 8;
    assert.equal(new Uint8Array(sab)[3], 8);
  });

  test("To a process, moved data is copied and the sender keeps it; a SharedArrayBuffer is refused", async () => {
    await using pool = new Pool(1);
    const data = new Uint8Array(200_000).fill(3);
    assert.deepEqual(await pool.apply(what, [move(data)]), ["Uint8Array", 200_000, 0, 200_000, 3]);
    assert.equal(data.byteLength, 200_000);
    await assert.rejects(pool.apply(echo, [new SharedArrayBuffer(8)]), (e: Error) => {
      assert.ok(e instanceof TypeError);
      assert.match(e.message, /SharedArrayBuffer cannot be shared with another process/);
      return true;
    });
  });

  test("move() rejects what is not binary data with TypeError", () => {
    for (const bad of [{}, "x", 3, null, [1]]) {
      assert.throws(() => move(bad as unknown as ArrayBuffer), TypeError);
    }
  });

  test("decodeFrame() refuses buffer references that point outside the buffers beside the frame", () => {
    const data = new Uint8Array(100_000).fill(2);
    const frame = encodeFrame({ data }, true);
    const side = frameSides.get(frame)!;
    assert.equal(side.length, 1, "large data travels beside the frame");
    const body = frame.subarray(4);
    // Without its buffers (a frame from a process link), or with the wrong ones: a CodecError, no crash.
    assert.throws(() => decodeFrame(body.slice()), /no buffers/);
    const short = body.slice();
    frameSides.set(short, [new ArrayBuffer(10)]);
    assert.throws(() => decodeFrame(short), /outside its buffers/);
    const none = body.slice();
    frameSides.set(none, []);
    assert.throws(() => decodeFrame(none), /outside its buffers/);
    frameSides.set(body, side);
    assert.deepEqual((decodeFrame(body) as { data: Uint8Array }).data, data);
  });
});
