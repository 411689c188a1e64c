/**
 * Codec throughput: encode + decode round trips of an 812-byte object, a 42 KB object and two
 * tiny messages, for multiproc's codec, msgpackr (structured-clone mode, the alternative that
 * was measured against it) and JSON. MB/s are counted on the JSON size of the value, like the
 * table in RUNTIME_NOTES.md.
 *
 * Run: `node bench/codec.ts`, `deno run -A bench/codec.ts`, `bun bench/codec.ts`.
 * Options: `--time=<ms per case>` (default 1000).
 *
 * @module
 */

import { Packr } from "msgpackr";
import { decode, encode } from "../src/channel/codec.ts";

interface Codec {
  name: string;
  roundTrip(value: unknown): unknown;
}

const packr = new Packr({ structuredClone: true });
const te = new TextEncoder();
const td = new TextDecoder();

const codecs: Codec[] = [
  { name: "multiproc codec", roundTrip: (v) => decode(encode(v)) },
  { name: "msgpackr (structuredClone)", roundTrip: (v) => packr.unpack(packr.pack(v)) },
  { name: "JSON (string)", roundTrip: (v) => JSON.parse(JSON.stringify(v)) },
  { name: "JSON + UTF-8 bytes", roundTrip: (v) => JSON.parse(td.decode(te.encode(JSON.stringify(v)))) },
];

/** A deterministic pseudo-random generator, so every runtime measures the same data. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

const WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliett"];

/** A user-like record, as an API or a task queue would carry. */
function record(r: () => number, i: number): Record<string, unknown> {
  const word = () => WORDS[Math.floor(r() * WORDS.length)];
  return {
    id: 1000 + i,
    name: `${word()} ${word()}`,
    email: `${word()}.${i}@example.com`,
    active: r() > 0.5,
    score: Math.round(r() * 100000) / 100,
    balance: Math.round(r() * 1e8) - 5e7,
    tags: [word(), word(), word()],
    address: { street: `${Math.floor(r() * 999)} ${word()} street`, city: word(), zip: String(10000 + i) },
    history: [
      { ts: 1700000000000 + i * 1000, action: word(), amount: Math.round(r() * 1000) / 10 },
      { ts: 1700000500000 + i * 1000, action: word(), amount: Math.round(r() * 1000) / 10 },
    ],
    note: null,
  };
}

/** The 812-byte object: one record, padded to exactly 812 bytes of JSON. */
function smallObject(): Record<string, unknown> {
  const obj = record(rng(1), 1);
  obj.extra = { description: "", flags: [true, false, true], ratio: 0.25, count: 7 };
  const pad = 812 - JSON.stringify(obj).length;
  (obj.extra as Record<string, unknown>).description = "x".repeat(Math.max(0, pad));
  return obj;
}

/** The 42 KB object: a page of records. */
function largeObject(): Record<string, unknown> {
  const r = rng(2);
  const items: unknown[] = [];
  const page = { page: 3, total: 9000, items };
  while (JSON.stringify(page).length < 42 * 1024 - 500) items.push(record(r, items.length));
  return page;
}

function measure(codec: Codec, value: unknown, ms: number): number {
  // Warm up so every JIT tier is reached, then time batches until `ms` has passed.
  const warm = performance.now() + Math.min(300, ms / 3);
  while (performance.now() < warm) codec.roundTrip(value);
  let ops = 0;
  let batch = 16;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < batch; i++) codec.roundTrip(value);
    ops += batch;
    t = performance.now();
    if (t - t0 < ms / 10) batch *= 2;
  }
  return ops / ((t - t0) / 1000);
}

function runtimeName(): string {
  const g = globalThis as Record<string, unknown>;
  if (typeof g.Deno === "object") return `Deno ${(g.Deno as { version: { deno: string } }).version.deno}`;
  if (typeof g.Bun === "object") return `Bun ${(g.Bun as { version: string }).version}`;
  return `Node ${(g.process as { version: string }).version}`;
}

function main(): void {
  const arg = (globalThis as { process?: { argv?: string[] } }).process?.argv?.find((a) => a.startsWith("--time="));
  const ms = arg ? Number(arg.slice(7)) : 1000;
  const small = smallObject();
  const large = largeObject();
  const tiny: Array<[string, unknown]> = [['[1, "get", 42]', [1, "get", 42]], ['{id: 3, v: "hello"}', {
    id: 3,
    v: "hello",
  }]];
  const sizes = (v: unknown) =>
    `JSON ${JSON.stringify(v).length} B, codec ${encode(v).length} B, msgpackr ${packr.pack(v).length} B`;
  console.log(`codec benchmark on ${runtimeName()} (${ms} ms per case; encode + decode round trips)`);
  console.log(`  812 B object: ${sizes(small)}`);
  console.log(`  42 KB object: ${sizes(large)}`);
  const pad = (s: string, n: number) => s.padEnd(n);
  console.log(
    pad("codec", 28) + pad("812 B MB/s", 12) + pad("42 KB MB/s", 12) +
      tiny.map(([n]) => pad(`${n} ops/s`, 28)).join(""),
  );
  for (const codec of codecs) {
    const smallBytes = JSON.stringify(small).length;
    const largeBytes = JSON.stringify(large).length;
    const mbs = (ops: number, bytes: number) => ((ops * bytes) / 1e6).toFixed(0);
    let line = pad(codec.name, 28);
    line += pad(mbs(measure(codec, small, ms), smallBytes), 12);
    line += pad(mbs(measure(codec, large, ms), largeBytes), 12);
    for (const [, v] of tiny) {
      const ops = measure(codec, v, ms);
      line += pad(`${(ops / 1e6).toFixed(2)} M (${(1e6 / ops).toFixed(2)} µs)`, 28);
    }
    console.log(line);
  }
}

main();
