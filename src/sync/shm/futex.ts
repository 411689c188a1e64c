/**
 * Synchronization cores over shared memory that `Lock`, `Semaphore`, `Event`, `Condition`,
 * `Barrier` and `Value` wrap: a three-state futex mutex (Drepper, "Futexes Are Tricky", mutex 2),
 * a counting semaphore and an event flag. Each lives in two consecutive `Int32` slots of a segment
 * from {@linkcode loadSharedMemory}; every acquire is a CAS on shared memory, so concurrent async
 * tasks of one process exclude each other exactly like processes do. Waiting never blocks the
 * event loop.
 *
 * Layouts (`i32[idx]`, `i32[idx + 1]`):
 * - mutex: state (0 unlocked, 1 locked, 2 locked with waiters), owner pid (0 when unlocked);
 * - semaphore: value, number of waiters;
 * - event: flag (0/1), number of `set()` calls so far (the word waiters sleep on).
 *
 * @module
 */
import process from "node:process";
import { StateError } from "../../errors.ts";
import { loadSharedMemory, type SharedMemory, sharedMemoryUnavailableReason } from "../../runtime/shm.ts";

/** Int32 slots a mutex, semaphore or event occupies. */
export const FUTEX_SLOTS = 2;

/** Iterations of the load-and-CAS spin before sleeping (the holder is often another process on another core). */
const _SPIN = 100;
const _TRUE: Promise<boolean> = Promise.resolve(true);
const _FALSE: Promise<boolean> = Promise.resolve(false);
const _WAKE_ALL = 0x7fffffff;
/** Cached: `process.pid` is an accessor call on some runtimes. */
const _PID = process.pid;
let _shmCache: SharedMemory | undefined;

function _shm(): SharedMemory {
  if (_shmCache) return _shmCache;
  const shm = loadSharedMemory();
  if (!shm) throw new Error(`Shared memory is unavailable: ${sharedMemoryUnavailableReason()}`);
  return _shmCache = shm;
}

function _deadline(timeoutMs: number | undefined): number {
  if (timeoutMs === undefined || timeoutMs === Infinity) return Infinity;
  if (typeof timeoutMs !== "number" || Number.isNaN(timeoutMs)) {
    throw new TypeError(`Timeout must be a number of milliseconds, got ${String(timeoutMs)}`);
  }
  return performance.now() + Math.max(0, timeoutMs);
}

/** Time left until `deadline`, as waitAsync's timeout (undefined: none). */
function _left(deadline: number): number | undefined {
  return deadline === Infinity ? undefined : deadline - performance.now();
}

// ---- mutex ---------------------------------------------------------------------------------------

/**
 * Takes the mutex at `i32[idx]` if it is free, without waiting.
 *
 * @param i32 A view of a shared segment.
 * @param idx Index of the mutex's first slot.
 * @returns Whether this call took it.
 * @example
 * ```ts
 * if (tryLock(i32, 0)) unlock(i32, 0);
 * ```
 */
export function tryLock(i32: Int32Array, idx: number): boolean {
  if (Atomics.compareExchange(i32, idx, 0, 1) !== 0) return false;
  i32[idx + 1] = _PID; // advisory, for messages: a plain store is enough and much cheaper
  return true;
}

/**
 * Takes the mutex at `i32[idx]`: CAS, a short spin, then sleeps without blocking the event loop.
 *
 * @param i32 A view of a shared segment.
 * @param idx Index of the mutex's first slot.
 * @param timeoutMs Give up after this many ms (0: try once); waits forever when omitted.
 * @returns Resolves true once held, false on timeout.
 * @example
 * ```ts
 * if (await lockAsync(i32, 0, 100)) unlock(i32, 0);
 * ```
 */
export function lockAsync(i32: Int32Array, idx: number, timeoutMs?: number): Promise<boolean> {
  if (tryLock(i32, idx)) return _TRUE;
  return _lockSlow(i32, idx, _deadline(timeoutMs));
}

async function _lockSlow(i32: Int32Array, idx: number, deadline: number): Promise<boolean> {
  for (let i = 0; i < _SPIN; i++) {
    if (Atomics.load(i32, idx) === 0 && tryLock(i32, idx)) return true;
  }
  if (deadline <= performance.now()) return false;
  const shm = _shm();
  while (Atomics.exchange(i32, idx, 2) !== 0) {
    const left = _left(deadline);
    if (left !== undefined && left <= 0) return false;
    await shm.waitAsync(i32, idx, 2, left);
  }
  i32[idx + 1] = _PID;
  return true;
}

/**
 * Releases the mutex at `i32[idx]` (any process may release it) and wakes one waiter if any.
 *
 * @param i32 A view of a shared segment.
 * @param idx Index of the mutex's first slot.
 * @throws {StateError} If the mutex is not locked.
 * @example
 * ```ts
 * await lockAsync(i32, 0);
 * unlock(i32, 0);
 * ```
 */
export function unlock(i32: Int32Array, idx: number): void {
  i32[idx + 1] = 0; // before the release below, so it never clobbers the next holder's pid
  const prev = Atomics.exchange(i32, idx, 0);
  if (prev === 2) _shm().futexWake(i32, idx, 1);
  else if (prev === 0) throw new StateError("Cannot release a lock that is not locked");
}

/**
 * Whether the mutex at `i32[idx]` is held by anyone.
 *
 * @param i32 A view of a shared segment.
 * @param idx Index of the mutex's first slot.
 * @returns True while held.
 * @example
 * ```ts
 * isLocked(i32, 0); // false
 * ```
 */
export function isLocked(i32: Int32Array, idx: number): boolean {
  return Atomics.load(i32, idx) !== 0;
}

/**
 * The pid of the process holding the mutex at `i32[idx]`, for error messages.
 *
 * @param i32 A view of a shared segment.
 * @param idx Index of the mutex's first slot.
 * @returns The holder's pid, or 0 when free (or between the CAS and the store of the pid).
 * @example
 * ```ts
 * if (!(await lockAsync(i32, 0, 50))) console.log(`held by pid ${lockOwner(i32, 0)}`);
 * ```
 */
export function lockOwner(i32: Int32Array, idx: number): number {
  return Atomics.load(i32, idx) === 0 ? 0 : Atomics.load(i32, idx + 1);
}

// ---- semaphore -----------------------------------------------------------------------------------

/**
 * Takes one unit of the semaphore at `i32[idx]` if its value is above zero, without waiting.
 *
 * @param i32 A view of a shared segment (set the initial value with `Atomics.store(i32, idx, n)`).
 * @param idx Index of the semaphore's first slot.
 * @returns Whether a unit was taken.
 * @example
 * ```ts
 * Atomics.store(i32, 0, 1);
 * semTryAcquire(i32, 0); // true
 * ```
 */
export function semTryAcquire(i32: Int32Array, idx: number): boolean {
  let v = Atomics.load(i32, idx);
  while (v > 0) {
    const seen = Atomics.compareExchange(i32, idx, v, v - 1);
    if (seen === v) return true;
    v = seen;
  }
  return false;
}

/**
 * Takes one unit of the semaphore at `i32[idx]`, waiting without blocking the event loop.
 *
 * @param i32 A view of a shared segment.
 * @param idx Index of the semaphore's first slot.
 * @param timeoutMs Give up after this many ms (0: try once); waits forever when omitted.
 * @returns Resolves true once a unit is taken, false on timeout.
 * @example
 * ```ts
 * if (await semAcquireAsync(i32, 0, 100)) semRelease(i32, 0);
 * ```
 */
export function semAcquireAsync(i32: Int32Array, idx: number, timeoutMs?: number): Promise<boolean> {
  if (semTryAcquire(i32, idx)) return _TRUE;
  const deadline = _deadline(timeoutMs);
  if (deadline <= performance.now()) return _FALSE;
  return _semSlow(i32, idx, deadline);
}

async function _semSlow(i32: Int32Array, idx: number, deadline: number): Promise<boolean> {
  for (let i = 0; i < _SPIN; i++) {
    if (Atomics.load(i32, idx) > 0 && semTryAcquire(i32, idx)) return true;
  }
  const shm = _shm();
  Atomics.add(i32, idx + 1, 1);
  try {
    for (;;) {
      if (semTryAcquire(i32, idx)) return true;
      const left = _left(deadline);
      if (left !== undefined && left <= 0) return false;
      await shm.waitAsync(i32, idx, 0, left);
    }
  } finally {
    Atomics.sub(i32, idx + 1, 1);
  }
}

/**
 * Adds `n` units to the semaphore at `i32[idx]` and wakes up to `n` waiters.
 *
 * @param i32 A view of a shared segment.
 * @param idx Index of the semaphore's first slot.
 * @param n Units to add (default 1).
 * @param max Upper bound of the value (a bounded semaphore's initial value); unbounded when omitted.
 * @throws {RangeError} If `n` is not a positive integer.
 * @throws {StateError} If the value would exceed `max`; nothing is added then.
 * @example
 * ```ts
 * semRelease(i32, 0, 2);
 * ```
 */
export function semRelease(i32: Int32Array, idx: number, n = 1, max?: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`Release count must be a positive integer, got ${n}`);
  if (max === undefined) {
    Atomics.add(i32, idx, n);
  } else {
    let v = Atomics.load(i32, idx);
    for (;;) {
      if (v + n > max) throw new StateError(`Semaphore released too many times: value ${v} + ${n} exceeds ${max}`);
      const seen = Atomics.compareExchange(i32, idx, v, v + n);
      if (seen === v) break;
      v = seen;
    }
  }
  if (Atomics.load(i32, idx + 1) > 0) _shm().futexWake(i32, idx, n);
}

/**
 * The current value of the semaphore at `i32[idx]`.
 *
 * @param i32 A view of a shared segment.
 * @param idx Index of the semaphore's first slot.
 * @returns Units available now.
 * @example
 * ```ts
 * semValue(i32, 0);
 * ```
 */
export function semValue(i32: Int32Array, idx: number): number {
  return Atomics.load(i32, idx);
}

// ---- event ---------------------------------------------------------------------------------------

/**
 * Sets the event flag at `i32[idx]` and wakes every waiter (in every process).
 *
 * @param i32 A view of a shared segment.
 * @param idx Index of the event's first slot.
 * @example
 * ```ts
 * eventSet(i32, 0);
 * ```
 */
export function eventSet(i32: Int32Array, idx: number): void {
  if (Atomics.exchange(i32, idx, 1) === 1) return;
  Atomics.add(i32, idx + 1, 1);
  _shm().futexWake(i32, idx + 1, _WAKE_ALL);
}

/**
 * Clears the event flag at `i32[idx]`.
 *
 * @param i32 A view of a shared segment.
 * @param idx Index of the event's first slot.
 * @example
 * ```ts
 * eventClear(i32, 0);
 * ```
 */
export function eventClear(i32: Int32Array, idx: number): void {
  Atomics.store(i32, idx, 0);
}

/**
 * Whether the event flag at `i32[idx]` is set.
 *
 * @param i32 A view of a shared segment.
 * @param idx Index of the event's first slot.
 * @returns The flag.
 * @example
 * ```ts
 * eventIsSet(i32, 0);
 * ```
 */
export function eventIsSet(i32: Int32Array, idx: number): boolean {
  return Atomics.load(i32, idx) !== 0;
}

/**
 * Waits until the event at `i32[idx]` is set, without blocking the event loop. A `set()` that
 * happens during the wait counts even if `clear()` follows before this waiter runs.
 *
 * @param i32 A view of a shared segment.
 * @param idx Index of the event's first slot.
 * @param timeoutMs Give up after this many ms; waits forever when omitted.
 * @returns Resolves true if the flag was set, false on timeout.
 * @example
 * ```ts
 * if (!(await eventWaitAsync(i32, 0, 1000))) console.log("not set within 1 s");
 * ```
 */
export function eventWaitAsync(i32: Int32Array, idx: number, timeoutMs?: number): Promise<boolean> {
  if (Atomics.load(i32, idx) !== 0) return _TRUE;
  const deadline = _deadline(timeoutMs);
  if (deadline <= performance.now()) return _FALSE;
  return _eventSlow(i32, idx, deadline);
}

async function _eventSlow(i32: Int32Array, idx: number, deadline: number): Promise<boolean> {
  const shm = _shm();
  const seq = Atomics.load(i32, idx + 1);
  for (;;) {
    if (Atomics.load(i32, idx) !== 0 || Atomics.load(i32, idx + 1) !== seq) return true;
    const left = _left(deadline);
    if (left !== undefined && left <= 0) return false;
    await shm.waitAsync(i32, idx + 1, seq, left);
  }
}
