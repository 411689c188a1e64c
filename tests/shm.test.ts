// Shared memory and the futex primitives: src/runtime/shm.ts, src/runtime/shm_waiter.ts, src/sync/shm/futex.ts.
// Runs unchanged under `node --test`, `deno test -A` and `bun test`.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { processStamp } from "../src/runtime/liveness.ts";
import {
  loadSharedMemory,
  type Segment,
  setSegmentRoot,
  type SharedMemory,
  sharedMemoryUnavailableReason,
  sweepStaleSegments,
} from "../src/runtime/shm.ts";
import {
  eventClear,
  eventIsSet,
  eventSet,
  eventWaitAsync,
  isLocked,
  lockAsync,
  lockOwner,
  semAcquireAsync,
  semRelease,
  semTryAcquire,
  semValue,
  tryLock,
  unlock,
} from "../src/sync/shm/futex.ts";

const isDeno = typeof (globalThis as Record<string, unknown>).Deno !== "undefined";
const CHILD = fileURLToPath(new URL("./fixtures/shm_child.ts", import.meta.url));
const NOFFI = fileURLToPath(new URL("./fixtures/shm_noffi.ts", import.meta.url));
const DENO_BIN = fileURLToPath(new URL("../node_modules/.bin/deno", import.meta.url));
const shm = loadSharedMemory();
const skip = shm ? false : `shared memory unavailable: ${sharedMemoryUnavailableReason()}`;

// Word layout shared with the fixture: 0-1 mutex, 2 counter, 3 ready count, 4 wake word, 5 ack.
const READY = 3, WAKE = 4, ACK = 5;

interface Child {
  proc: ChildProcess;
  exited: Promise<number | null>;
}

function startChild(mode: string, seg: Segment, arg = ""): Child {
  const args = [...(isDeno ? ["run", "-A"] : []), CHILD, mode, seg.name, arg];
  const proc = spawn(process.execPath, args, { stdio: ["ignore", "inherit", "inherit"] });
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  return { proc, exited };
}

/** Runs `fn` with a fresh 4 KiB segment and kills leftover children and unlinks it afterwards. */
async function withSegment(fn: (seg: Segment, i32: Int32Array, kids: Child[]) => Promise<void> | void): Promise<void> {
  const seg = shm!.create(4096);
  const kids: Child[] = [];
  try {
    await fn(seg, new Int32Array(seg.buffer), kids);
  } finally {
    for (const k of kids) if (k.proc.exitCode === null && k.proc.signalCode === null) k.proc.kill("SIGKILL");
    await Promise.all(kids.map((k) => k.exited));
    shm!.unlink(seg.name);
    seg.close();
  }
}

// The bound catches a hang only: a child may take many seconds to start on a loaded machine.
async function waitWord(i32: Int32Array, index: number, atLeast: number, ms = 60_000): Promise<void> {
  const deadline = performance.now() + ms;
  for (;;) {
    const v = Atomics.load(i32, index);
    if (v >= atLeast) return;
    const left = deadline - performance.now();
    if (left <= 0) throw new Error(`word ${index} stayed ${v} (wanted >= ${atLeast}) for ${ms} ms`);
    await shm!.waitAsync(i32, index, v, Math.min(left, 100));
  }
}

function wakeWord(i32: Int32Array, index: number): void {
  Atomics.store(i32, index, 1);
  shm!.futexWake(i32, index, 0x7fffffff);
}

describe("SharedMemory", { skip }, () => {
  const s = shm as SharedMemory;

  it("create() makes a zero-filled segment that open() maps again and unlink() removes", () => {
    const seg = s.create(104);
    try {
      assert.match(seg.name, new RegExp(`^/mp-${process.pid}-\\d+-\\d+-[0-9a-f]{16}$`));
      assert.equal(seg.size, 104);
      assert.equal(seg.buffer.byteLength, 104);
      assert.ok(new Uint8Array(seg.buffer).every((b) => b === 0));
      new Float64Array(seg.buffer)[1] = 2.5;
      const again = s.open(seg.name);
      assert.equal(again.size, 104);
      assert.equal(new Float64Array(again.buffer)[1], 2.5);
    } finally {
      s.unlink(seg.name);
    }
    assert.throws(() => s.open(seg.name), /does not exist/);
    s.unlink(seg.name); // a missing name is ignored
    assert.throws(() => s.create(0), RangeError);
    assert.throws(() => s.open("no-slash"), TypeError);
  });

  it("futexWait() reports not-equal and timed-out without another process", () => {
    const seg = s.create(16);
    try {
      const i32 = new Int32Array(seg.buffer);
      assert.equal(s.futexWait(i32, 0, 1), "not-equal");
      const t = performance.now();
      assert.equal(s.futexWait(i32, 0, 0, 30), "timed-out");
      assert.ok(performance.now() - t >= 25);
      assert.equal(s.futexWake(i32, 0, 1), 0);
      assert.throws(() => s.pointerOf(new Int32Array(4), 0), TypeError);
    } finally {
      s.unlink(seg.name);
    }
  });

  it("Atomics on a segment are exact across processes", () =>
    withSegment(async (seg, i32, kids) => {
      kids.push(startChild("add", seg, "20000"), startChild("add", seg, "20000"));
      assert.deepEqual(await Promise.all(kids.map((k) => k.exited)), [0, 0]);
      assert.equal(Atomics.load(i32, 2), 40000);
    }));

  it("futexWake() wakes a blocking futexWait() in another process", () =>
    withSegment(async (seg, i32, kids) => {
      kids.push(startChild("futex-wait", seg));
      await waitWord(i32, READY, 1);
      await new Promise((r) => setTimeout(r, 20));
      wakeWord(i32, WAKE);
      assert.equal(await kids[0].exited, 0);
      assert.equal(Atomics.load(i32, ACK), 1);
    }));

  it("waitAsync() in another process is woken by futexWake() and lets it exit", () =>
    withSegment(async (seg, i32, kids) => {
      kids.push(startChild("wait-async", seg));
      await waitWord(i32, READY, 1);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(Atomics.load(i32, ACK), 0);
      wakeWord(i32, WAKE);
      assert.equal(await kids[0].exited, 0);
      assert.equal(Atomics.load(i32, ACK), 1);
    }));

  it("waitAsync() keeps the event loop turning and times out on time", () =>
    withSegment(async (_seg, i32) => {
      let ticks = 0;
      const iv = setInterval(() => ticks++, 10);
      const t = performance.now();
      let r: string;
      do { // "ok" may be spurious (the contract); nobody changes the word here
        r = await s.waitAsync(i32, WAKE, 0, Math.max(1, 200 - (performance.now() - t)));
      } while (r === "ok");
      const dt = performance.now() - t;
      clearInterval(iv);
      assert.equal(r, "timed-out");
      assert.ok(dt >= 190 && dt < 1000, `took ${dt} ms`);
      assert.ok(ticks >= 8, `only ${ticks} ticks`);
      assert.equal(await s.waitAsync(i32, WAKE, 5), "not-equal");
    }));

  it("waitAsync() many concurrent waits on many words all resolve", () =>
    withSegment(async (_seg, i32) => {
      const waits: Promise<string>[] = [];
      for (let w = 0; w < 200; w++) waits.push(s.waitAsync(i32, 100 + (w % 150), 0, 5000));
      await new Promise((r) => setTimeout(r, 30));
      for (let w = 0; w < 150; w++) wakeWord(i32, 100 + w);
      const results = await Promise.all(waits);
      assert.ok(results.every((r) => r === "ok"), results.join());
    }));

  it("waitAsync() does not hold up exit: a timed wait ends, process.exit() with a pending wait", () =>
    withSegment(async (seg, _i32, kids) => {
      const t = performance.now();
      kids.push(startChild("timed", seg, "150"), startChild("exit-pending", seg));
      const codes = await Promise.all(kids.map((k) => k.exited));
      assert.deepEqual(codes, [0, 7]);
      // Two child starts fit here even on a loaded machine; a wait holding the exit never ends.
      assert.ok(performance.now() - t < 60_000);
    }));

  it("sweepStaleSegments() unlinks segments of dead roots only", async () => {
    const dead = spawn(
      process.execPath,
      isDeno ? ["eval", "setTimeout(() => {}, 300)"] : ["-e", "setTimeout(() => {}, 300)"],
      { stdio: "ignore" },
    );
    const deadStamp = processStamp(dead.pid!)!;
    await new Promise((r) => dead.on("exit", r));
    setSegmentRoot(deadStamp);
    let stale: Segment;
    try {
      stale = s.create(8);
    } finally {
      setSegmentRoot(processStamp(process.pid)!);
    }
    const live = s.create(8);
    try {
      assert.ok(sweepStaleSegments() >= 1);
      assert.ok(!readdirSync("/dev/shm").includes(stale.name.slice(1)));
      assert.ok(readdirSync("/dev/shm").includes(live.name.slice(1)));
    } finally {
      s.unlink(stale.name);
      s.unlink(live.name);
    }
  });

  it(
    "loadSharedMemory() is null with a reason under Deno without --allow-ffi",
    { skip: !existsSync(DENO_BIN) },
    async () => {
      const exe = isDeno ? process.execPath : DENO_BIN;
      const proc = spawn(exe, ["run", "--no-prompt", "--allow-read", "--allow-env", NOFFI], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      let out = "";
      proc.stdout!.on("data", (d) => out += d);
      const code = await new Promise((r) => proc.on("exit", r));
      assert.equal(code, 0);
      const res = JSON.parse(out);
      assert.equal(res.loaded, false);
      assert.match(res.reason, /--allow-ffi/);
    },
  );
});

describe("futex mutex", { skip }, () => {
  it("tryLock()/unlock() take and release; unlock() of an unlocked mutex throws StateError", () =>
    withSegment((_seg, i32) => {
      assert.equal(tryLock(i32, 0), true);
      assert.equal(isLocked(i32, 0), true);
      assert.equal(lockOwner(i32, 0), process.pid);
      assert.equal(tryLock(i32, 0), false);
      unlock(i32, 0);
      assert.equal(lockOwner(i32, 0), 0);
      assert.throws(() => unlock(i32, 0), { name: "StateError" });
    }));

  it("lockAsync() resolves false after its timeout while the mutex is held", () =>
    withSegment(async (_seg, i32) => {
      assert.equal(await lockAsync(i32, 0), true);
      const t = performance.now();
      assert.equal(await lockAsync(i32, 0, 150), false);
      const dt = performance.now() - t;
      assert.ok(dt >= 140 && dt < 1000, `took ${dt} ms`);
      assert.equal(await lockAsync(i32, 0, 0), false);
      assert.equal(lockOwner(i32, 0), process.pid);
      unlock(i32, 0);
    }));

  it("lockAsync() excludes concurrent holders among async tasks of one process", () =>
    withSegment(async (_seg, i32) => {
      const order: number[] = [];
      let inside = 0;
      const task = async (id: number): Promise<void> => {
        for (let i = 0; i < 50; i++) {
          await lockAsync(i32, 0);
          inside++;
          assert.equal(inside, 1);
          await null;
          await new Promise((r) => setTimeout(r, 0));
          order.push(id);
          inside--;
          unlock(i32, 0);
        }
      };
      await Promise.all([task(1), task(2), task(3)]);
      assert.equal(order.length, 150);
    }));

  it("lockAsync() times out while another process holds it, then gets it after release", () =>
    withSegment(async (seg, i32, kids) => {
      kids.push(startChild("hold", seg));
      await waitWord(i32, READY, 1);
      const pid = kids[0].proc.pid;
      assert.equal(await lockAsync(i32, 0, 100), false);
      assert.equal(lockOwner(i32, 0), pid);
      const got = lockAsync(i32, 0, 4000);
      wakeWord(i32, WAKE);
      assert.equal(await got, true);
      unlock(i32, 0);
      assert.equal(await kids[0].exited, 0);
    }));

  it("lockAsync() gives exact totals: 3 processes x 2 tasks x 500 plain increments", () =>
    withSegment(async (seg, i32, kids) => {
      for (let k = 0; k < 3; k++) kids.push(startChild("mutex", seg, "500"));
      await waitWord(i32, READY, 3);
      wakeWord(i32, WAKE);
      assert.deepEqual(await Promise.all(kids.map((k) => k.exited)), [0, 0, 0]);
      assert.equal(i32[2], 3000);
      assert.equal(isLocked(i32, 0), false);
    }));
});

describe("futex semaphore and event", { skip }, () => {
  it("semAcquireAsync() waits for semRelease() and respects a bound", () =>
    withSegment(async (_seg, i32) => {
      Atomics.store(i32, 10, 1);
      assert.equal(semTryAcquire(i32, 10), true);
      assert.equal(semTryAcquire(i32, 10), false);
      assert.equal(await semAcquireAsync(i32, 10, 50), false);
      const waiting = [semAcquireAsync(i32, 10, 2000), semAcquireAsync(i32, 10, 2000)];
      await new Promise((r) => setTimeout(r, 10));
      semRelease(i32, 10, 2, 2);
      assert.deepEqual(await Promise.all(waiting), [true, true]);
      assert.equal(semValue(i32, 10), 0);
      semRelease(i32, 10, 2, 2);
      assert.throws(() => semRelease(i32, 10, 1, 2), { name: "StateError" });
      assert.throws(() => semRelease(i32, 10, 0), RangeError);
    }));

  it("eventWaitAsync() resolves on eventSet(), even when cleared again at once", () =>
    withSegment(async (_seg, i32) => {
      assert.equal(eventIsSet(i32, 20), false);
      assert.equal(await eventWaitAsync(i32, 20, 30), false);
      const w = eventWaitAsync(i32, 20, 2000);
      eventSet(i32, 20);
      eventClear(i32, 20);
      assert.equal(await w, true);
      eventSet(i32, 20);
      assert.equal(await eventWaitAsync(i32, 20), true);
    }));
});
