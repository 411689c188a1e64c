// Large binary payloads travel as private shared-memory files (src/channel/blob.ts): content and
// order are kept, nothing is lost when the sender dies right after sending, nothing is left behind
// when a receiver dies with payloads unread, and a forged reference is refused without harm.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import * as fs from "node:fs";
import process from "node:process";
import { Pipe, Pool, Process, Queue } from "../mod.ts";
import { CodecError, decode, decodeFrame, encodeFrame } from "../src/channel/codec.ts";
import { BLOB_MIN_BYTES, frameBlobs, sweepDeadTreeBlobs } from "../src/channel/blob.ts";
import { processStamp } from "../src/runtime/liveness.ts";
import {
  blobNameHere,
  echo,
  hashOf,
  pattern,
  putThenDie,
  sendBytesThenDie,
  sendMixed,
} from "./fixtures/big_payload_tasks.ts";
import { fixture, runScript, within } from "./_helpers.ts";

const MiB = 1024 * 1024;
const SHM = process.platform === "linux" && fs.existsSync("/dev/shm");

/** This process's blob files in /dev/shm (its own tree's: its stamp starts the name). */
function ownBlobs(): string[] {
  if (!SHM) return [];
  return fs.readdirSync("/dev/shm").filter((n) =>
    /^mp-\d+-\d+-\d+-b[0-9a-f]{32}$/.test(n) && n.startsWith(`mp-${process.pid}-`)
  );
}

const pool = new Pool(2);
after(async () => {
  await pool.terminate();
});

describe("large binary payloads", () => {
  test("Pool.apply() round-trips large typed arrays, ArrayBuffers and DataViews with their content", async () => {
    const bytes = pattern(4 * MiB + 3, 1);
    const values: unknown[] = [
      bytes,
      new Float64Array(pattern(2 * MiB, 2).buffer),
      pattern(3 * MiB, 3).buffer,
      new DataView(pattern(MiB, 4).buffer, 8, MiB - 16),
      new Int16Array(pattern(MiB + 64, 5).buffer, 32, MiB / 2),
      pattern(BLOB_MIN_BYTES, 6),
      pattern(BLOB_MIN_BYTES - 1, 7),
    ];
    for (const v of values) {
      const back = await within(pool.apply(echo, [v]), 30000, "echo");
      assert.equal(Object.getPrototypeOf(back), Object.getPrototypeOf(v));
      assert.equal(hashOf(back as ArrayBufferView), hashOf(v as ArrayBufferView));
      assert.equal(await pool.apply(hashOf, [v]), hashOf(v as ArrayBufferView));
    }
    assert.deepEqual(ownBlobs(), []);
  });

  test("Pool.apply() keeps one buffer shared by two views as one object, and many payloads at once", async () => {
    const u8 = pattern(MiB, 9);
    const [a, b] = (await pool.apply(echo, [[u8, u8]])) as Uint8Array[];
    assert.equal(a, b);
    const inputs = Array.from({ length: 24 }, (_, i) => pattern(MiB + i * 4, 20 + i));
    const got = await within(Promise.all(inputs.map((x) => pool.apply(hashOf, [x]))), 60000, "concurrent");
    assert.deepEqual(got, inputs.map(hashOf));
  });

  test("Pool.apply() round-trips a 64 MiB payload", async () => {
    const big = pattern(64 * MiB, 64);
    const back = (await within(pool.apply(echo, [big]), 60000, "64 MiB echo")) as Uint8Array;
    assert.equal(hashOf(back), hashOf(big));
  });

  test("Connection keeps the order of small and large messages mixed", async () => {
    const [a, b] = Pipe<{ i: number; data: Uint8Array } | "end">();
    const p = new Process({ target: sendMixed, args: [b, 20, 2 * MiB] });
    p.start();
    b.close();
    for (let i = 0; i < 20; i++) {
      const m = await within(a.recv(), 20000, `message ${i}`);
      assert.notEqual(m, "end");
      const { i: k, data } = m as { i: number; data: Uint8Array };
      assert.equal(k, i);
      assert.equal(hashOf(data), hashOf(pattern(i % 2 ? 2 * MiB : 16, i)));
    }
    assert.equal(await a.recv(), "end");
    await p.join();
    a.close();
  });

  test("Connection.sendBytes() payloads all arrive when the sender is SIGKILLed right after its last send", async () => {
    const [a, b] = Pipe();
    const p = new Process({ target: sendBytesThenDie, args: [b, 6, 4 * MiB] });
    p.start();
    b.close();
    // The pipe holds a bounded amount: read while the sender sends, slowly, so that its last
    // sends are in flight (their files written, their frames in the socket) when it dies.
    for (let i = 0; i < 6; i++) {
      if (i === 1) await new Promise((r) => setTimeout(r, 300));
      const got = await within(a.recvBytes(), 20000, `payload ${i}`);
      assert.equal(hashOf(got), hashOf(pattern(4 * MiB, i)));
    }
    await p.join();
    assert.equal(p.exitCode, -9);
    assert.deepEqual(ownBlobs(), []);
    a.close();
  });

  test("Queue.put() payloads all arrive when the sender is SIGKILLed right after its last put", async () => {
    const q = new Queue<Uint8Array>();
    const p = new Process({ target: putThenDie, args: [q, 4, 4 * MiB] });
    p.start();
    await p.join();
    for (let i = 0; i < 4; i++) {
      const got = await within(q.get(), 20000, `item ${i}`);
      assert.equal(hashOf(got), hashOf(pattern(4 * MiB, 100 + i)));
    }
    q.close();
  });

  test("a root whose child dies with a payload unread leaves no blob files behind", { skip: !SHM }, async () => {
    const r = await runScript(fixture("big_payload_orphans.ts"), [], { timeout: 60000 });
    assert.equal(r.code, 0, r.stderr);
    const [stamp, inFlight] = r.stdout.trim().split("\n");
    assert.equal(inFlight, "in flight 1");
    const left = fs.readdirSync("/dev/shm").filter((n) => stamp && n.startsWith(`mp-${stamp}-`));
    assert.deepEqual(left, []);
  });
});

describe("blob references", { skip: !SHM }, () => {
  const dir = "/dev/shm/";
  const made: string[] = [];
  after(() => {
    for (const p of made) fs.rmSync(p, { force: true });
  });
  const name = (tag: string) => `mp-${process.pid}-1-1-b${tag.padEnd(32, "0")}`;

  /** A frame body with one blob reference (ArrayBuffer tag, `length` bytes, file `file`). */
  function forged(file: string, length: number): Uint8Array {
    const n = new TextEncoder().encode(file);
    const out = new Uint8Array(8 + n.length);
    out.set([0x01, 0xdb, 0xd3], 0);
    new DataView(out.buffer).setUint32(3, length, true);
    out[7] = n.length;
    out.set(n, 8);
    return out;
  }

  test("encodeFrame() sends large binary data by reference and decodeFrame() removes the file", () => {
    const data = pattern(MiB, 1);
    const frame = encodeFrame({ data });
    assert.ok(frame.length < 200, `frame of ${frame.length} bytes`);
    const [blob] = frameBlobs.get(frame)!;
    assert.ok(fs.existsSync(dir + blob));
    assert.equal(fs.statSync(dir + blob).mode & 0o777, 0o600);
    const back = decodeFrame(frame.subarray(4)) as { data: Uint8Array };
    assert.equal(hashOf(back.data), hashOf(data));
    assert.ok(!fs.existsSync(dir + blob));
  });

  test("encodeFrame() that fails after writing a blob removes it", () => {
    assert.throws(() => encodeFrame([pattern(MiB, 2), () => 1]), TypeError);
    assert.deepEqual(ownBlobs(), []);
  });

  test("decodeFrame() of a Node Buffer gives binary data over its own memory, as decode() does", () => {
    const frame = encodeFrame([new Uint8Array([0, 0, 0, 5]), pattern(MiB, 8)]);
    const [small, big] = decodeFrame(Buffer.from(frame.subarray(4))) as Uint8Array[];
    assert.deepEqual([small.byteOffset, small.buffer.byteLength], [0, 4]);
    assert.equal(big.buffer.byteLength, MiB);
  });

  test("decode() refuses a blob reference: only frames between processes carry them", () => {
    const frame = encodeFrame(pattern(MiB, 3));
    assert.throws(() => decode(frame.subarray(4)), CodecError);
    decodeFrame(frame.subarray(4));
  });

  test("decodeFrame() refuses forged references with a CodecError and touches nothing", () => {
    const victim = dir + name("a1");
    fs.writeFileSync(victim, "secret", { mode: 0o644 });
    fs.chmodSync(victim, 0o644);
    made.push(victim);
    const link = dir + name("a2");
    fs.symlinkSync("/etc/passwd", link);
    made.push(link);
    const ok = dir + name("a3");
    fs.writeFileSync(ok, "12345678", { mode: 0o600 });
    made.push(ok);
    const cases: Array<[string, number, RegExp]> = [
      ["../../etc/passwd", 10, /not a blob name/],
      ["/etc/passwd", 10, /not a blob name/],
      [name("a1") + "/x", 10, /not a blob name/],
      [name("a1"), 6, /mode 644/],
      [name("a2"), 10, /cannot be opened/],
      [name("a4"), 10, /cannot be opened/],
      [name("a3"), 9, /holds 8 bytes, not the 9/],
      [name("a3"), 0xffffffff, /limit/],
    ];
    for (const [file, len, why] of cases) {
      assert.throws(() => decodeFrame(forged(file, len)), (e: Error) => e instanceof CodecError && why.test(e.message));
    }
    assert.equal(fs.readFileSync(victim, "utf8"), "secret");
    assert.ok(fs.existsSync(ok) && fs.lstatSync(link).isSymbolicLink());
    assert.equal(new Uint8Array(decodeFrame(forged(name("a3"), 8)) as ArrayBuffer)[0], 0x31);
    assert.ok(!fs.existsSync(ok));
  });

  test("a child names its blob files after the tree's root, so the root's exit removes them", {
    skip: !processStamp(process.pid),
  }, async () => {
    assert.match(await pool.apply(blobNameHere, []), new RegExp(`^mp-${processStamp(process.pid)}-b[0-9a-f]{32}$`));
  });

  test("sweepDeadTreeBlobs() removes the blob files of dead trees only", { skip: !processStamp(process.pid) }, () => {
    const [pid, , ns] = processStamp(process.pid)!.split("-");
    const dead = `${dir}mp-${pid}-1-${ns}-b${"d".repeat(32)}`; // our pid, another start time: gone
    const live = `${dir}mp-${processStamp(process.pid)}-b${"e".repeat(32)}`;
    for (const f of [dead, live]) {
      fs.writeFileSync(f, "x", { mode: 0o600 });
      made.push(f);
    }
    sweepDeadTreeBlobs();
    assert.ok(!fs.existsSync(dead));
    assert.ok(fs.existsSync(live));
  });
});
