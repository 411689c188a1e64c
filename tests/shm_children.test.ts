// Many short-lived children on the shared-memory synchronization path: each maps the arena, takes a
// Lock and a Semaphore, and exits. A child's exit once landed while its futex waiter thread was
// inside koffi (Node: module init, koffi.view), which aborts the process (SIGABRT,
// "Error::ThrowAsJavaScriptException napi_throw"); see shm_waiter.ts.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Lock, Process, Semaphore, Value } from "../mod.ts";
import { backend } from "../src/sync/shm/arena.ts";
import { lockedVisit } from "./fixtures/shm_children.ts";

const CHILDREN = 100;
const RUNNING = 4; // children at once: two cores
const HOLD_STEP_MS = 3; // exit times sweep 0..300 ms after the visit, across the waiter thread's start-up

describe("shared-memory children", { skip: backend() !== "shm" && "no shared memory here" }, () => {
  // ~10 s on an idle 2-core machine; minutes when the machine is shared. Every join is bounded too.
  test(
    `Lock/Semaphore: ${CHILDREN} children each visit once and exit 0; the count is exact`,
    { timeout: 300_000 },
    async () => {
      const lock = new Lock();
      const sem = new Semaphore(2);
      const v = new Value("i", 0, { lock: false });
      const codes: Record<string, number> = {};
      let next = 0;
      const lane = async (): Promise<void> => {
        while (next < CHILDREN) {
          const j = next++;
          const p = new Process({ target: lockedVisit, args: [lock, sem, v, (j * HOLD_STEP_MS) % 301] });
          p.start();
          await p.join(60_000);
          if (p.exitCode === null) p.kill();
          codes[String(p.exitCode)] = (codes[String(p.exitCode)] ?? 0) + 1;
        }
      };
      await Promise.all(Array.from({ length: RUNNING }, lane));
      assert.deepEqual(codes, { "0": CHILDREN });
      assert.equal(v.value, CHILDREN);
      assert.equal(await sem.getValue(), 2);
      assert.equal(await lock.acquire({ block: false }), true);
      await lock.release();
    },
  );
});
