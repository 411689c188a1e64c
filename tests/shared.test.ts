// Value and SharedArray over shared memory; segment cleanup in /dev/shm.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { Lock, Process, RLock, SharedArray, Value } from "../mod.ts";
import { backend } from "../src/sync/shm/arena.ts";
import { valueIncrements, writeShared } from "./fixtures/sync_tasks.ts";
import { fixture, isGone, runScript, until } from "./_helpers.ts";

const CODES = ["b", "B", "h", "H", "i", "I", "l", "L", "q", "Q", "f", "d", "c"] as const;
const BIG = new Set(["l", "L", "q", "Q"]);

function segmentsOf(pid: number): string[] {
  return fs.readdirSync("/dev/shm").filter((n) => n.startsWith(`mp-${pid}-`));
}

describe("shared values", () => {
  test("the shared-memory path is taken on this runtime", () => {
    assert.equal(backend(), "shm");
  });

  test("Value and SharedArray: every typecode, zero-initialised by size, 64-bit codes as bigint", () => {
    for (const t of CODES) {
      const zero = t === "c" ? "\0" : BIG.has(t) ? 0n : 0;
      assert.equal(new Value(t).value, zero, t);
      const a = new SharedArray(t, 3);
      assert.equal(a.length, 3);
      assert.deepEqual(a.toArray(), [zero, zero, zero], t);
      assert.equal(a.view.length, 3);
    }
    const q = new Value("q", 2n ** 40n);
    q.value += 1n;
    assert.equal(q.value, 2n ** 40n + 1n);
    assert.equal(new Value("Q", 5).value, 5n);
    const d = new SharedArray("d", [1.5, 2.5]);
    d.set(0, d.get(0) + 1);
    assert.deepEqual([...d], [2.5, 2.5]);
    assert.ok(d.view instanceof Float64Array);
    const c = new SharedArray("c", "hi");
    assert.equal(c.toArray().join(""), "hi");
    assert.equal(new Value("c", "x").value, "x");
    const b = new Value("b", 0);
    b.value = 130; // wraps like a C char
    assert.equal(b.value, -126);
    assert.throws(() => new Value("x" as never), TypeError);
    assert.throws(() => new SharedArray("z" as never, 2), TypeError);
    assert.throws(() => new SharedArray("i", -1), RangeError);
    assert.throws(() => new SharedArray("i", 2).get(2), RangeError);
    assert.throws(() => new Value("q", "1" as never), TypeError);
  });

  test("getLock(): an RLock by default, the given lock, or null with lock: false", () => {
    assert.ok(new Value("i", 0).getLock() instanceof RLock);
    const l = new Lock();
    assert.equal(new SharedArray("i", 1, { lock: l }).getLock(), l);
    assert.equal(new Value("i", 0, { lock: false }).getLock(), null);
    assert.throws(() => new Value("i", 0, { lock: 3 as never }), TypeError);
  });

  test("a child's writes are visible to the parent, for every typecode", async () => {
    const values = CODES.map((t) => new Value(t));
    const arrays = CODES.map((t) => new SharedArray(t, 2));
    const p = new Process({ target: writeShared, args: [values, arrays] });
    p.start();
    await p.join();
    assert.equal(p.exitCode, 0);
    for (const v of values) {
      assert.equal(v.value, v.typecode === "c" ? "z" : BIG.has(v.typecode) ? 42n : 42, v.typecode);
    }
    for (const a of arrays) assert.equal(a.get(1), a.typecode === "c" ? "y" : BIG.has(a.typecode) ? 7n : 7, a.typecode);
  });

  test("Value: 4 processes x 1000 `+= 1` under getLock() give exactly 4000", async () => {
    const v = new Value("i", 0);
    const ps = [0, 1, 2, 3].map(() => new Process({ target: valueIncrements, args: [v, 1000] }));
    for (const p of ps) p.start();
    await Promise.all(ps.map((p) => p.join()));
    assert.deepEqual(ps.map((p) => p.exitCode), [0, 0, 0, 0]);
    assert.equal(v.value, 4000);
  });

  test("without shared memory the constructors throw and point to Manager values", async () => {
    const r = await runScript(fixture("shared_noshm.ts"), [], { env: { MULTIPROC_SHM: "0" } });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim());
    assert.equal(out.name, "StateError");
    assert.match(out.message, /Value needs shared memory.*MULTIPROC_SHM=0.*manager\.Value/);
  });

  test("segments are unlinked when the root exits, and swept after a SIGKILL of the root", async () => {
    const ok = await runScript(fixture("shared_root.ts"), ["exit"]);
    assert.equal(ok.code, 0, ok.stderr);
    const normal = JSON.parse(ok.stdout.trim());
    assert.ok(normal.segments > 0);
    assert.deepEqual(segmentsOf(normal.pid), []);

    const killed = await runScript(fixture("shared_root.ts"), ["kill"], { timeout: 60_000 });
    assert.equal(killed.signal, "SIGKILL", killed.stderr);
    const info = JSON.parse(killed.stdout.trim().split("\n")[0]);
    assert.ok(await until(() => isGone(info.child), 10_000), "the orphaned child died");
    const again = await runScript(fixture("shared_root.ts"), ["exit"]); // creating a segment sweeps dead trees
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(segmentsOf(info.pid), []);
    assert.deepEqual(segmentsOf(JSON.parse(again.stdout.trim()).pid), []);
  });
});
