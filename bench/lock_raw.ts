/**
 * Raw futex mutex over shared memory (src/sync/shm/futex.ts), no public classes involved.
 *
 *   node bench/lock_raw.ts | bun bench/lock_raw.ts | deno run -A bench/lock_raw.ts
 *
 * Prints: uncontended lock+unlock in ns/op (sync `tryLock` and `await lockAsync`), and contended
 * ops/s with 2 processes each doing `await lockAsync(); counter++; unlock()` on one mutex.
 * Python's multiprocessing.Lock on this kind of machine: 65-90 ns uncontended, 1.5-3M ops/s contended.
 */
import { spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { loadSharedMemory, sharedMemoryUnavailableReason } from "../src/runtime/shm.ts";
import { lockAsync, tryLock, unlock } from "../src/sync/shm/futex.ts";

// Layout (Int32 slots): 0-1 mutex, 2 counter (plain, non-atomic under the lock), 3 ready, 4 go.
const MUTEX = 0, COUNTER = 2, READY = 3, GO = 4;
const _print = (line: string): boolean => process.stdout.write(line + "\n");
const isDeno = typeof (globalThis as Record<string, unknown>).Deno !== "undefined";

const shm = loadSharedMemory();
if (!shm) {
  process.stderr.write(`shared memory unavailable: ${sharedMemoryUnavailableReason()}\n`);
  process.exit(1);
}
const args = process.argv.slice(isDeno ? 2 : 2);

if (args[0] === "child") {
  const seg = shm.open(args[1]);
  const i32 = new Int32Array(seg.buffer);
  const n = Number(args[2]);
  await new Promise((r) => setTimeout(r, 300)); // let the waiter thread boot (Node/Bun), as in a warm process
  Atomics.add(i32, READY, 1);
  while (Atomics.load(i32, GO) === 0) { /* spin until the parent says go */ }
  process.stdout.write(`${await _contend(i32, n)}\n`);
  process.exit(0);
}

const runtime = isDeno ? "deno" : typeof (globalThis as Record<string, unknown>).Bun !== "undefined" ? "bun" : "node";
const seg = shm.create(64);
try {
  const i32 = new Int32Array(seg.buffer);

  // Uncontended, synchronous fast path, then through the Promise API (best of 3 runs each).
  const N = 5_000_000, M = 2_000_000;
  let sync = Infinity, viaAwait = Infinity;
  for (let r = 0; r < 3; r++) {
    sync = Math.min(sync, _syncLoop(i32, N));
    viaAwait = Math.min(viaAwait, await _awaitLoop(i32, M));
  }
  _print(`${runtime} uncontended tryLock+unlock:        ${sync.toFixed(1)} ns/op`);
  _print(`${runtime} uncontended await lockAsync+unlock: ${viaAwait.toFixed(1)} ns/op`);

  // Contended: two processes.
  const per = Number(process.env.LOCK_RAW_N ?? 1_000_000);
  const self = fileURLToPath(import.meta.url);
  const rtArgs = isDeno ? ["run", "-A", self] : [self];
  const outs: Promise<number>[] = [];
  for (let c = 0; c < 2; c++) {
    const child = spawn(process.execPath, [...rtArgs, "child", seg.name, String(per)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout!.on("data", (d) => out += d);
    outs.push(
      new Promise((res, rej) =>
        child.on("exit", (code) => code === 0 ? res(Number(out)) : rej(new Error(`child exit ${code}`)))
      ),
    );
  }
  while (Atomics.load(i32, READY) < 2) await new Promise((r) => setTimeout(r, 5));
  const t0 = performance.now();
  Atomics.store(i32, GO, 1);
  const times = await Promise.all(outs);
  const wall = performance.now() - t0;
  const total = 2 * per;
  const ok = i32[COUNTER] === total ? "exact" : `WRONG (${i32[COUNTER]} != ${total})`;
  const slowest = Math.max(...times);
  _print(
    `${runtime} contended 2 processes: ${(total / slowest * 1000 / 1e6).toFixed(2)} M ops/s (loop time ${
      slowest.toFixed(0)
    } ms, wall incl. exit ${wall.toFixed(0)} ms), counter ${ok}`,
  );
} finally {
  shm.unlink(seg.name);
}

function _syncLoop(i32: Int32Array, n: number): number {
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    tryLock(i32, MUTEX);
    unlock(i32, MUTEX);
  }
  return (performance.now() - t) * 1e6 / n;
}

async function _awaitLoop(i32: Int32Array, n: number): Promise<number> {
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    await lockAsync(i32, MUTEX);
    unlock(i32, MUTEX);
  }
  return (performance.now() - t) * 1e6 / n;
}

async function _contend(i32: Int32Array, n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    await lockAsync(i32, MUTEX);
    i32[COUNTER]++;
    unlock(i32, MUTEX);
  }
  return performance.now() - t0;
}
