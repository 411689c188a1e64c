/**
 * Served synchronization primitives: runtime-neutral state machines for Lock, RLock, Semaphore,
 * BoundedSemaphore, Event, Condition and Barrier with CPython's semantics. One lives
 * in its owner process (`node.serve(machine)`); any process drives it with requests over its link
 * to the owner, and the owner itself with local calls (`node.call` short-circuits). The manager's
 * primitives are these; so are the public primitives' served backends (`servedLock()` ... below,
 * see `sync/_backend.ts`), taken where shared memory is not available.
 *
 * **Callers.** A caller is (process, task): the pid comes from the link a request arrives on
 * (the owner's own pid for a local call), the task from the owner token the client sends (see
 * `sync/served/owner.ts` for the rule). Lock ownership is recorded for every lock; only RLock release
 * and Condition wait/notify check it.
 *
 * **Wire methods** (`node.call(ref, method, args)`; `tok` is the caller's owner token, `timeout`
 * is ms or null for none, negative counts as 0; a malformed argument rejects with TypeError):
 *
 * | machine | method(args) → result |
 * |---|---|
 * | ServedLock (Lock/RLock) | `acquire(tok, block, timeout)` → boolean · `release(tok)` · `locked()` → boolean · `holder()` → `{pid, gone, count}` or null · `isOwned(tok)` → boolean |
 * | ServedSemaphore | `acquire(tok, block, timeout)` → boolean · `release(n)` · `getValue()` → number |
 * | ServedEvent | `set()` · `clear()` · `isSet()` → boolean · `wait(timeout)` → boolean |
 * | ServedCondition | `acquire(tok, block, timeout)` · `release(tok)` · `wait(tok, timeout)` → boolean · `notify(tok, n)` · `notifyAll(tok)` · `holder()` |
 * | ServedBarrier | `wait(timeout)` → index · `reset()` · `abort()` · `nWaiting()` → number · `broken()` → boolean · `parties()` → number |
 *
 * Errors: releasing an unlocked Lock, an RLock released by a non-owner, over-releasing a
 * BoundedSemaphore, Condition wait/notify without the lock → `StateError`; barrier trouble →
 * `BrokenBarrierError`. A process that dies while blocked has its waits dropped (the primitive
 * is not wedged); a Lock it held stays held, and `holder()` names its pid and whether it is gone.
 *
 * @example
 * ```ts
 * import { node } from "../core/node.ts";
 * import { LockClient, refRemote, ServedLock } from "./served.ts";
 * const ref = node.serve(new ServedLock());            // owner side
 * const lock = new LockClient(refRemote(ref, "Lock"), "Lock"); // any process that has `ref`
 * await using _ = await lock.hold();
 * ```
 *
 * @module
 */
import { node, type Ref } from "../core/node.ts";
import type { BarrierBackend, ConditionBackend, EventBackend, LockBackend, SemaphoreBackend } from "./_backend.ts";
import {
  ServedBarrierBackend,
  ServedConditionBackend,
  ServedEventBackend,
  ServedLockBackend,
  ServedSemaphoreBackend,
} from "./served/backend.ts";
import { ServedBarrier, type ServedBarrierOptions } from "./served/barrier.ts";
import { ServedCondition, ServedEvent } from "./served/event.ts";
import { type HolderInfo, ServedLock, ServedSemaphore } from "./served/lock.ts";

export { type Caller, callerOf } from "./served/common.ts";
export { acquireToken, currentToken } from "./served/owner.ts";
export {
  acquireArgs,
  type AcquireOptions,
  AcquirerClient,
  callRef,
  clientCall,
  LockClient,
  refRemote,
  type Remote,
  remoteOf,
  SemaphoreClient,
  ServedClient,
  timeoutOption,
} from "./served/client.ts";
export { BarrierClient, ConditionClient, EventClient } from "./served/client_wait.ts";
export {
  type HolderInfo,
  ServedBarrier,
  type ServedBarrierOptions,
  ServedCondition,
  ServedEvent,
  ServedLock,
  ServedSemaphore,
};

/** The kinds of served primitive. */
export type SyncKind = "Lock" | "RLock" | "Semaphore" | "BoundedSemaphore" | "Event" | "Condition" | "Barrier";

/** Options of {@linkcode createServed}. */
export interface CreateServedOptions {
  /** Semaphore value (default 1) or Barrier parties (required). */
  value?: number;
  /** Condition: the served lock to use (default: a new RLock). */
  lock?: ServedLock;
  /** Barrier: the action, run once per round in the owner process. */
  action?: () => unknown;
  /** Barrier: default wait timeout in ms. */
  timeout?: number | null;
  /** Name used in error messages (default: the kind). */
  label?: string;
}

/**
 * Makes a served state machine of `kind` (serve it with `node.serve`).
 *
 * @param kind Which primitive.
 * @param options Its parameters.
 * @returns The state machine.
 * @throws {RangeError} If a Semaphore value or Barrier parties count is invalid.
 * @throws {TypeError} If `kind` is unknown.
 * @example
 * ```ts
 * import { node } from "../core/node.ts";
 * import { createServed } from "./served.ts";
 * const ref = node.serve(createServed("Semaphore", { value: 3 }));
 * console.log(await node.call(ref, "getValue", [])); // 3
 * ```
 */
export function createServed(
  kind: SyncKind,
  options: CreateServedOptions = {},
): ServedLock | ServedSemaphore | ServedEvent | ServedCondition | ServedBarrier {
  const label = options.label ?? kind;
  switch (kind) {
    case "Lock":
      return new ServedLock(false, label);
    case "RLock":
      return new ServedLock(true, label);
    case "Semaphore":
      return new ServedSemaphore(options.value ?? 1, false, label);
    case "BoundedSemaphore":
      return new ServedSemaphore(options.value ?? 1, true, label);
    case "Event":
      return new ServedEvent(label);
    case "Condition":
      return new ServedCondition(options.lock, label);
    case "Barrier":
      return new ServedBarrier(options.value as number, { action: options.action, timeout: options.timeout, label });
  }
  throw new TypeError(`Unknown primitive kind ${JSON.stringify(kind)}`);
}

/**
 * The served backend of a `Lock` or `RLock`: a new state machine served by this process, or a
 * client of the one `ref` names.
 *
 * @param kind Which lock.
 * @param ref The reference of an existing one.
 * @returns The backend.
 * @example
 * ```ts
 * import { servedLock } from "./served.ts";
 * const lock = servedLock("Lock");
 * await lock.acquire();
 * await lock.release();
 * ```
 */
export function servedLock(kind: "Lock" | "RLock", ref?: Ref): LockBackend {
  if (ref) return new ServedLockBackend(ref, kind, null);
  const machine = createServed(kind) as ServedLock;
  return new ServedLockBackend(node.serve(machine), kind, machine);
}

/**
 * The served backend of a `Semaphore` or `BoundedSemaphore`: new, or a client of `ref`.
 *
 * @param kind Which semaphore.
 * @param value The initial value of a new one (checked by the caller).
 * @param ref The reference of an existing one.
 * @returns The backend.
 * @example
 * ```ts
 * import { servedSemaphore } from "./served.ts";
 * console.log(await servedSemaphore("Semaphore", 2).getValue()); // 2
 * ```
 */
export function servedSemaphore(kind: "Semaphore" | "BoundedSemaphore", value: number, ref?: Ref): SemaphoreBackend {
  return new ServedSemaphoreBackend(ref ?? node.serve(createServed(kind, { value })), kind);
}

/**
 * The served backend of an `Event`: new, or a client of `ref`.
 *
 * @param ref The reference of an existing one.
 * @returns The backend.
 * @example
 * ```ts
 * import { servedEvent } from "./served.ts";
 * const ev = servedEvent();
 * await ev.set();
 * ```
 */
export function servedEvent(ref?: Ref): EventBackend {
  return new ServedEventBackend(ref ?? node.serve(createServed("Event")));
}

/**
 * The served backend of an existing `Condition` (a new one comes from its lock's backend,
 * `LockBackend.condition()`).
 *
 * @param ref Its reference.
 * @returns The backend.
 * @example
 * ```ts
 * import { servedCondition, servedLock } from "./served.ts";
 * const st = servedLock("RLock").condition().state();
 * if ("r" in st) await servedCondition(st.r).acquire();
 * ```
 */
export function servedCondition(ref: Ref): ConditionBackend {
  return new ServedConditionBackend(ref);
}

/**
 * The served backend of a `Barrier`: new (its action then runs in this process), or a client of
 * the one `init` names.
 *
 * @param parties How many parties make a round (checked by the caller).
 * @param init The reference of an existing one, or a new one's action and default timeout.
 * @returns The backend.
 * @example
 * ```ts
 * import { servedBarrier } from "./served.ts";
 * const b = servedBarrier(2, { timeout: null });
 * console.log(await Promise.all([b.wait(), b.wait()])); // [ 0, 1 ] in some order
 * ```
 */
export function servedBarrier(
  parties: number,
  init: Ref | { action?: () => unknown; timeout: number | null },
): BarrierBackend {
  if ("a" in init) return new ServedBarrierBackend(init, parties);
  return new ServedBarrierBackend(
    node.serve(createServed("Barrier", { value: parties, action: init.action, timeout: init.timeout })),
    parties,
  );
}
