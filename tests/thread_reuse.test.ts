// Thread workers are reused after a clean end, and never after an error, exit, or pending work;
// a parked worker never keeps the program alive.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Queue, Thread } from "../mod.ts";
import { IDLE_MS } from "../src/thread/workers.ts";
import { fail, leaveTimer, putName } from "./fixtures/thread_reuse.ts";
import { fixture, runScript } from "./_helpers.ts";

async function run(target: () => unknown): Promise<Thread> {
  const t = new Thread({ target });
  t.start();
  await t.join();
  return t;
}

describe("Thread workers", () => {
  test("Thread.start() runs on the worker of a thread that returned; each thread keeps its own name", async () => {
    const q = new Queue<string>();
    const t1 = new Thread({ target: putName, args: [q], name: "one" });
    t1.start();
    await t1.join();
    const t2 = new Thread({ target: putName, args: [q], name: "two" });
    t2.start();
    await t2.join();
    assert.deepEqual([t1.exitCode, t2.exitCode], [0, 0]);
    assert.equal(t2.ident, t1.ident, "the second thread ran on the first one's worker");
    assert.deepEqual([await q.get(), await q.get()], ["one", "two"]);
  });

  test("A worker whose thread threw is not reused", async () => {
    const bad = await run(fail);
    assert.equal(bad.exitCode, 1);
    const next = await run(leaveTimer);
    assert.notEqual(next.ident, bad.ident);
  });

  test("A worker whose target left work on its event loop is not reused (Node, Deno; Bun reports none)", async () => {
    const left = await run(leaveTimer);
    assert.equal(left.exitCode, 0);
    const next = await run(leaveTimer);
    if (typeof (globalThis as { Bun?: unknown }).Bun !== "undefined") return; // documented: Bun cannot tell
    assert.notEqual(next.ident, left.ident);
  });

  for (const mode of ["non-daemon", "daemon"]) {
    test(`A parked worker of a ${mode} thread does not keep the program alive`, async () => {
      const r = await runScript(fixture("thread_reuse.ts"), [mode]);
      assert.equal(r.code, 0, r.stderr);
      const m = /exit after join: (\d+) ms, code 0/.exec(r.stdout);
      assert.ok(m, r.stdout + r.stderr);
      assert.ok(Number(m[1]) < IDLE_MS, `the program waited ${m[1]} ms for its parked worker`);
    });
  }
});
