// The crypto every process start uses (runtime/crypto.ts, runtime/sha256.ts): the plain-JavaScript
// SHA-256 and HMAC that Node children use for the handshake must agree with node:crypto exactly.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { hmacSha256, randomBytes } from "../src/runtime/crypto.ts";
import { hmacSha256Js, sha256 } from "../src/runtime/sha256.ts";

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7) & 255);

test("sha256() matches the FIPS 180-4 examples and node:crypto for every length around the block edges", () => {
  assert.equal(
    hex(sha256(new TextEncoder().encode("abc"))),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assert.equal(hex(sha256(new Uint8Array(0))), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  for (let n = 0; n <= 200; n++) {
    const m = bytes(n, n);
    assert.equal(hex(sha256(m)), createHash("sha256").update(m).digest("hex"), `length ${n}`);
  }
});

test("hmacSha256Js() matches RFC 4231 case 2 and node:crypto for short, block-sized and long keys", () => {
  const enc = new TextEncoder();
  assert.equal(
    hex(hmacSha256Js(enc.encode("Jefe"), enc.encode("what do ya want for nothing?"))),
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
  );
  for (const k of [0, 1, 32, 63, 64, 65, 131]) {
    for (const n of [0, 32, 55, 56, 64, 100, 1000]) {
      const key = bytes(k, k + 1);
      const m = bytes(n, n + 2);
      assert.equal(hex(hmacSha256Js(key, m)), createHmac("sha256", key).update(m).digest("hex"), `key ${k}, msg ${n}`);
    }
  }
});

test("hmacSha256() joins its parts and agrees with node:crypto on this runtime's route", async () => {
  const key = randomBytes(32);
  const a = randomBytes(32);
  const b = bytes(77, 3);
  const want = createHmac("sha256", key).update(a).update(b).digest("hex");
  assert.equal(hex(await hmacSha256(key, a, b)), want);
});

test("randomBytes() gives the length asked for, and different bytes each time", () => {
  assert.equal(randomBytes(0).length, 0);
  const seen = new Set<string>();
  for (let i = 0; i < 50; i++) {
    const r = randomBytes(32);
    assert.equal(r.length, 32);
    seen.add(hex(r));
  }
  assert.equal(seen.size, 50);
  assert.equal(randomBytes(1000).length, 1000);
});
