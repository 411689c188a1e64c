// FrameReader against a reference parser: random frame sequences (empty frames and many sizes),
// split at every byte offset and at random multi-splits, must come out as the same frames.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { frame, FrameError, FrameReader } from "../src/channel/frame.ts";

/** A small seeded PRNG (mulberry32), so a failure can be replayed from the seed in its message. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The reference: read the whole stream at once, header by header. */
function reference(bytes: Uint8Array): number[][] {
  const out: number[][] = [];
  let o = 0;
  while (bytes.length - o >= 4) {
    const n = ((bytes[o] << 24) | (bytes[o + 1] << 16) | (bytes[o + 2] << 8) | bytes[o + 3]) >>> 0;
    if (bytes.length - o - 4 < n) break;
    out.push([...bytes.subarray(o + 4, o + 4 + n)]);
    o += 4 + n;
  }
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

// Sizes around every boundary the reader cares about: empty, shorter/longer than a header, and big.
const _SMALL = [0, 0, 0, 1, 2, 3, 4, 5, 7, 8, 13, 64, 255, 256];
const _SIZES = [..._SMALL, 1000, 4096, 20_000];

function randomStream(next: () => number, sizes = _SIZES): Uint8Array {
  const count = 1 + Math.floor(next() * 8);
  const frames: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const n = sizes[Math.floor(next() * sizes.length)];
    const payload = new Uint8Array(n);
    for (let j = 0; j < n; j++) payload[j] = Math.floor(next() * 256);
    frames.push(frame(payload));
  }
  return concat(frames);
}

/** Feeds `pieces` in order (each a fresh copy, so the reader cannot lean on one shared buffer). */
function feed(r: FrameReader, pieces: Uint8Array[]): number[][] {
  const out: number[][] = [];
  for (const p of pieces) for (const f of r.push(p.slice())) out.push([...f]);
  return out;
}

describe("FrameReader fuzz", () => {
  test("FrameReader.push() equals the reference parser with the stream split at every byte offset", () => {
    const seed = 0x5eed;
    const next = rng(seed);
    for (let round = 0; round < 60; round++) {
      const bytes = randomStream(next, _SMALL);
      const want = reference(bytes);
      for (let cut = 0; cut <= bytes.length; cut++) {
        const got = feed(new FrameReader(), [bytes.subarray(0, cut), bytes.subarray(cut)]);
        assert.deepEqual(got, want, `seed ${seed} round ${round}: split at ${cut} of ${bytes.length}`);
      }
    }
  });

  test("FrameReader.push() equals the reference parser with random multi-splits and byte-by-byte feeding", () => {
    const seed = 0xf4a3e;
    const next = rng(seed);
    for (let round = 0; round < 250; round++) {
      const bytes = randomStream(next);
      const want = reference(bytes);
      const pieces: Uint8Array[] = [];
      let o = 0;
      while (o < bytes.length) {
        // Mostly small pieces (often empty or 1-3 bytes, to land inside headers), sometimes big ones.
        const n = next() < 0.8 ? Math.floor(next() * 6) : Math.floor(next() * 600);
        pieces.push(bytes.subarray(o, o + n));
        o += n;
      }
      assert.deepEqual(feed(new FrameReader(), pieces), want, `seed ${seed} round ${round}`);
      if (round % 20 === 0 && bytes.length < 20_000) {
        const bytewise = [...bytes].map((b) => new Uint8Array([b]));
        assert.deepEqual(feed(new FrameReader(), bytewise), want, `seed ${seed} round ${round}: byte by byte`);
      }
    }
  });

  test("FrameReader.push() takes two empty frames arriving in two writes (00 00 | 00 00 ...)", () => {
    const bytes = concat([frame(new Uint8Array(0)), frame(new Uint8Array(0))]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const got = feed(new FrameReader(), [bytes.subarray(0, cut), bytes.subarray(cut)]);
      assert.deepEqual(got, [[], []], `split at ${cut}`);
    }
    const r = new FrameReader(1024);
    assert.deepEqual(feed(r, [new Uint8Array([0, 0]), new Uint8Array([0, 0])]), [[]]);
  });

  test("FrameReader.push() does not read a payload as a header when a chunk ends right after a header", () => {
    const payload = new Uint8Array([0, 0, 0, 1, 7]); // looks like a header of length 1 followed by 7
    const r = new FrameReader();
    assert.deepEqual(feed(r, [frameHeaderOf(5)]), []);
    assert.deepEqual(feed(r, [payload]), [[0, 0, 0, 1, 7]]);
  });

  test("FrameReader.push() returns the frames before an oversized header, then throws FrameError", () => {
    const seed = 0x11417;
    const next = rng(seed);
    const limit = 300;
    for (let round = 0; round < 200; round++) {
      const good: Uint8Array[] = [];
      const count = Math.floor(next() * 4);
      for (let i = 0; i < count; i++) good.push(frame(new Uint8Array(Math.floor(next() * (limit + 1)))));
      const over = limit + 1 + Math.floor(next() * 2 ** 31);
      const bytes = concat([...good, frameHeaderOf(over), new Uint8Array(Math.floor(next() * 20))]);
      const want = good.map((f) => [...f.subarray(4)]);
      const cut = Math.floor(next() * (bytes.length + 1));
      const r = new FrameReader(limit);
      const got: number[][] = [];
      let thrown: unknown;
      for (const p of [bytes.subarray(0, cut), bytes.subarray(cut), new Uint8Array(0)]) {
        try {
          for (const f of r.push(p.slice())) got.push([...f]);
        } catch (e) {
          thrown = e;
          break;
        }
      }
      assert.deepEqual(got, want, `seed ${seed} round ${round}`);
      assert.ok(thrown instanceof FrameError, `seed ${seed} round ${round}: expected FrameError, got ${thrown}`);
      assert.match((thrown as Error).message, new RegExp(`${over} bytes exceeds the limit of ${limit}`));
    }
    // A header of 0xFFFFFFFF is over any limit, also the default one.
    assert.throws(() => new FrameReader().push(new Uint8Array([255, 255, 255, 255])), FrameError);
  });

  test("FrameReader.push() lets a frame held back by the limit through once the limit is raised", () => {
    const r = new FrameReader(4);
    const bytes = concat([frame(new Uint8Array([1])), frame(new Uint8Array(10).fill(2))]);
    assert.deepEqual(feed(r, [bytes]), [[1]]);
    r.maxFrame = 100;
    assert.deepEqual(feed(r, [new Uint8Array(0)]), [new Array(10).fill(2)]);
  });
});

function frameHeaderOf(n: number): Uint8Array {
  return new Uint8Array([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
}
