/**
 * The shared-memory backends of the public primitives (see `sync/_backend.ts`): futex words in an
 * arena segment (`sync/shm/arena.ts`), so every operation is a CAS on a shared word and waiting
 * sleeps on a futex without blocking the event loop. A reference carries the segment name and
 * the byte offset; any process of the tree maps the segment and uses the words directly.
 *
 * A new `Condition` comes from its lock's backend (`LockBackend.condition()`), on the lock's path.
 *
 * @module
 */
import type { BarrierBackend, EventBackend, LockBackend, SemaphoreBackend, ShmState } from "./_backend.ts";
import { ShmBarrier, type ShmBarrierInit } from "./shm/barrier.ts";
import { ShmEvent } from "./shm/event.ts";
import { ShmLock, ShmRLock } from "./shm/lock.ts";
import { ShmSemaphore } from "./shm/semaphore.ts";

export { COND_CAPACITY } from "./shm/condition.ts";

/**
 * The shared-memory backend of a `Lock`: a new one, or the one at `at`.
 *
 * @param at Where an existing one lives.
 * @returns The backend.
 * @throws {Error} If shared memory is unavailable, or the segment is gone.
 * @example
 * ```ts
 * import { shmLock } from "./shm.ts";
 * const lock = shmLock();
 * await lock.acquire();
 * await lock.release();
 * ```
 */
export function shmLock(at?: ShmState): LockBackend {
  return new ShmLock(at);
}

/**
 * The shared-memory backend of an `RLock`: a new one, or the one at `at`.
 *
 * @param at Where an existing one lives.
 * @returns The backend.
 * @throws {Error} If shared memory is unavailable, or the segment is gone.
 * @example
 * ```ts
 * import { shmRLock } from "./shm.ts";
 * const r = shmRLock();
 * await r.acquire();
 * await r.acquire();
 * ```
 */
export function shmRLock(at?: ShmState): LockBackend {
  return new ShmRLock(at);
}

/**
 * The shared-memory backend of a `Semaphore` or `BoundedSemaphore`: a new one, or the one at `at`.
 *
 * @param kind Which semaphore (a new BoundedSemaphore is bounded by `value`).
 * @param value The initial value of a new one (checked by the caller).
 * @param at Where an existing one lives (its bound travels in `at.v`).
 * @returns The backend.
 * @throws {Error} If shared memory is unavailable, or the segment is gone.
 * @example
 * ```ts
 * import { shmSemaphore } from "./shm.ts";
 * console.log(await shmSemaphore("Semaphore", 2).getValue()); // 2
 * ```
 */
export function shmSemaphore(kind: "Semaphore" | "BoundedSemaphore", value: number, at?: ShmState): SemaphoreBackend {
  return new ShmSemaphore(kind, value, at);
}

/**
 * The shared-memory backend of an `Event`: a new one, or the one at `at`.
 *
 * @param at Where an existing one lives.
 * @returns The backend.
 * @throws {Error} If shared memory is unavailable, or the segment is gone.
 * @example
 * ```ts
 * import { shmEvent } from "./shm.ts";
 * const ev = shmEvent();
 * await ev.set();
 * ```
 */
export function shmEvent(at?: ShmState): EventBackend {
  return new ShmEvent(at);
}

/**
 * The shared-memory backend of a `Barrier` (fewer than {@linkcode COND_CAPACITY} parties): a new
 * one, or an existing one from its reference's action spec, Condition and place.
 *
 * @param parties How many parties make a round (checked by the caller).
 * @param timeout Default timeout of `wait()` in ms (null: none).
 * @param init A new one's action and a maker of its Condition (over a new Lock), or an existing one's parts.
 * @returns The backend.
 * @throws {TypeError} If a new one's action cannot be sent to other processes.
 * @example
 * ```ts
 * import { Condition } from "./condition.ts";
 * import { Lock } from "./lock.ts";
 * import { shmBarrier } from "./shm.ts";
 * const b = shmBarrier(2, null, { action: undefined, cond: () => new Condition(new Lock()) });
 * console.log(await Promise.all([b.wait(), b.wait()])); // [ 0, 1 ] in some order
 * ```
 */
export function shmBarrier(
  parties: number,
  timeout: number | null,
  init: ShmBarrierInit,
): BarrierBackend {
  return new ShmBarrier(parties, timeout, init);
}
