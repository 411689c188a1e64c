/**
 * What the public primitives (`Lock`, `RLock`, `Semaphore`, `Event`, `Condition`, `Barrier`) stand
 * on: one backend interface per kind, implemented over shared memory (`sync/shm.ts`) and served
 * by the creating process (`sync/served.ts`). A primitive picks its backend once, when it is
 * created or rebuilt from a reference, and then only forwards calls to it.
 *
 * @module
 */
import type { Ref } from "../core/node.ts";
import type { TargetSpec } from "../core/target.ts";
import type { Condition } from "./condition.ts";
import type { AcquireOptions } from "./served/client.ts";
import { backend } from "./shm/arena.ts";

export type { AcquireOptions };

/** Where a shared-memory primitive lives: segment name, byte offset, and a parameter (a BoundedSemaphore's bound). @internal */
export type ShmState = { s: string; o: number; v?: number };
/** How a primitive travels: over shared memory `{ s, o }` or served `{ r }`. @internal */
export type SyncState = ShmState | { r: Ref; v?: number };

/** `Lock` and `RLock`. @internal */
export interface LockBackend {
  /** As `Lock.acquire()`. */
  acquire(options?: AcquireOptions): Promise<boolean>;
  /** As `Lock.release()`. */
  release(): Promise<void>;
  /** As `Lock.locked()`. */
  locked(): Promise<boolean>;
  /** As `Lock.hold()`. */
  hold(options?: AcquireOptions): Promise<AsyncDisposable>;
  /** What a reference to the lock carries. */
  state(): SyncState;
  /**
   * The backend of a `Condition` over this lock, on the lock's own path: a new one, or (shared
   * memory only) the one at `at`.
   * @throws {TypeError} If this lock cannot carry such a Condition (a served lock made in another
   * process, or a shared-memory `at` for a served lock).
   */
  condition(at?: ShmState): ConditionBackend;
}

/** `Semaphore` and `BoundedSemaphore`. @internal */
export interface SemaphoreBackend {
  /** As `Semaphore.acquire()`. */
  acquire(options?: AcquireOptions): Promise<boolean>;
  /** As `Semaphore.release()`. */
  release(n?: number): Promise<void>;
  /** As `Semaphore.getValue()`. */
  getValue(): Promise<number>;
  /** As `Semaphore.hold()`. */
  hold(options?: AcquireOptions): Promise<AsyncDisposable>;
  /** What a reference to the semaphore carries. */
  state(): SyncState;
}

/** `Event`. @internal */
export interface EventBackend {
  /** As `Event.set()`. */
  set(): Promise<void>;
  /** As `Event.clear()`. */
  clear(): Promise<void>;
  /** As `Event.isSet()`. */
  isSet(): Promise<boolean>;
  /** As `Event.wait()`. */
  wait(timeout?: number): Promise<boolean>;
  /** What a reference to the event carries. */
  state(): SyncState;
}

/** `Condition`. @internal */
export interface ConditionBackend {
  /** As `Condition.acquire()`. */
  acquire(options?: AcquireOptions): Promise<boolean>;
  /** As `Condition.release()`. */
  release(): Promise<void>;
  /** As `Condition.hold()`. */
  hold(options?: AcquireOptions): Promise<AsyncDisposable>;
  /** As `Condition.wait()`. */
  wait(timeout?: number): Promise<boolean>;
  /** As `Condition.waitFor()`. */
  waitFor(predicate: () => boolean | Promise<boolean>, timeout?: number): Promise<boolean>;
  /** As `Condition.notify()`. */
  notify(n?: number): Promise<void>;
  /** As `Condition.notifyAll()`. */
  notifyAll(): Promise<void>;
  /** What a reference to the condition carries (its lock travels beside it). */
  state(): SyncState;
}

/** `Barrier`. @internal */
export interface BarrierBackend {
  /** As `Barrier.wait()`. */
  wait(timeout?: number): Promise<number>;
  /** As `Barrier.reset()`. */
  reset(): Promise<void>;
  /** As `Barrier.abort()`. */
  abort(): Promise<void>;
  /** As `Barrier.nWaiting()`. */
  nWaiting(): Promise<number>;
  /** As `Barrier.broken()`. */
  broken(): Promise<boolean>;
  /** What a reference to the barrier carries besides its parties and timeout. */
  state(): BarrierState;
}

/** What a Barrier reference carries from its backend: action spec and Condition (shared memory only), and where it lives. @internal */
export interface BarrierState {
  /** The action as a target spec (shared memory; null when none or served). */
  a: TargetSpec | null;
  /** The Condition the shared-memory algorithm runs on (null when served). */
  c: Condition | null;
  /** Where it lives. */
  st: SyncState;
}

/**
 * The backend of a primitive: from its reference when rebuilt, else on this process's path
 * (`backend()`: shared memory where it works).
 *
 * @param state The reference's state, or undefined for a new primitive.
 * @param shm Makes the shared-memory backend (new, or at `at`).
 * @param served Makes the served backend (new, or a client of `ref`).
 * @returns The backend.
 * @example
 * ```ts
 * import { shmEvent } from "./shm.ts";
 * import { servedEvent } from "./served.ts";
 * const b = pickBackend(undefined, shmEvent, servedEvent);
 * await b.set();
 * ```
 */
export function pickBackend<B>(state: SyncState | undefined, shm: (at?: ShmState) => B, served: (ref?: Ref) => B): B {
  if (state !== undefined) return "r" in state ? served(state.r) : shm(state);
  return backend() === "shm" ? shm() : served();
}
