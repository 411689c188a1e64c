/**
 * The served backends of the public primitives: the clients of `sync/served/client.ts` and
 * `sync/served/client_wait.ts`, plus what a reference carries (`{ r }`, the state machine's
 * reference). The state machine lives in the process that created the primitive.
 *
 * @module
 */
import { node, type Ref } from "../../core/node.ts";
import type {
  BarrierBackend,
  BarrierState,
  ConditionBackend,
  EventBackend,
  LockBackend,
  SemaphoreBackend,
  ShmState,
  SyncState,
} from "../_backend.ts";
import { LockClient, refRemote, remoteOf, SemaphoreClient, type ServedClient } from "./client.ts";
import { BarrierClient, ConditionClient, EventClient } from "./client_wait.ts";
import { ServedCondition } from "./event.ts";
import type { ServedLock } from "./lock.ts";

/**
 * What a reference to a served primitive carries: its state machine's reference.
 * @param c The primitive's client.
 * @returns `{ r }`.
 */
function servedState(c: ServedClient): SyncState {
  return { r: remoteOf(c).ref };
}

/** A served `Lock` or `RLock`. */
export class ServedLockBackend extends LockClient implements LockBackend {
  readonly #machine: ServedLock | null;
  /**
   * @param ref The state machine's reference.
   * @param what `"Lock"` or `"RLock"`.
   * @param machine The state machine when this process serves it (a Condition can then use it).
   */
  constructor(ref: Ref, what: string, machine: ServedLock | null) {
    super(refRemote(ref, what), what);
    this.#machine = machine;
  }
  state(): SyncState {
    return servedState(this);
  }
  condition(at?: ShmState): ConditionBackend {
    if (at) throw new TypeError("A shared-memory Condition needs a shared-memory lock");
    if (!this.#machine) {
      throw new TypeError("Condition(lock) needs a lock created in this process when shared memory is unavailable");
    }
    return new ServedConditionBackend(node.serve(new ServedCondition(this.#machine, "Condition")));
  }
}

/** A served `Semaphore` or `BoundedSemaphore`. */
export class ServedSemaphoreBackend extends SemaphoreClient implements SemaphoreBackend {
  /**
   * @param ref The state machine's reference.
   * @param what `"Semaphore"` or `"BoundedSemaphore"`.
   */
  constructor(ref: Ref, what: string) {
    super(refRemote(ref, what), what);
  }
  state(): SyncState {
    return servedState(this);
  }
}

/** A served `Event`. */
export class ServedEventBackend extends EventClient implements EventBackend {
  /** @param ref The state machine's reference. */
  constructor(ref: Ref) {
    super(refRemote(ref, "Event"));
  }
  state(): SyncState {
    return servedState(this);
  }
}

/** A served `Condition` (its lock is the served machine's). */
export class ServedConditionBackend extends ConditionClient implements ConditionBackend {
  /** @param ref The state machine's reference. */
  constructor(ref: Ref) {
    super(refRemote(ref, "Condition"));
  }
  state(): SyncState {
    return servedState(this);
  }
}

/** A served `Barrier` (the action runs in the serving process). */
export class ServedBarrierBackend extends BarrierClient implements BarrierBackend {
  /**
   * @param ref The state machine's reference.
   * @param parties How many parties make a round.
   */
  constructor(ref: Ref, parties: number) {
    super(refRemote(ref, "Barrier"), parties);
  }
  state(): BarrierState {
    return { a: null, c: null, st: servedState(this) };
  }
}
