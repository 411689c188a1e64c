/**
 * Synchronization primitives (API.md §5): `Lock`, `RLock`, `Semaphore`, `BoundedSemaphore` and
 * `Event` here, `Condition` and `Barrier` in `_sync_condition.ts`. Each works between processes
 * (pass it to a child as an argument, or inside one) and between async tasks of one process.
 *
 * Over shared memory (the default where it works) every operation is a CAS on a shared word and
 * waiting sleeps on a futex without blocking the event loop. Where shared memory is unavailable
 * (Deno without `--allow-ffi`, Node without `koffi`, not Linux, or `MULTIPROC_SHM=0`) the same
 * classes are served over the channel by the process that created them, with the same semantics.
 *
 * @module
 */
import { registerType } from "./channel/codec.ts";
import { node, type Ref } from "./core/node.ts";
import { StateError } from "./errors.ts";
import {
  eventClear,
  eventIsSet,
  eventSet,
  eventWaitAsync,
  isLocked,
  lockAsync,
  semAcquireAsync,
  semRelease,
  semTryAcquire,
  semValue,
  tryLock,
  unlock,
} from "./runtime/futex_lock.ts";
import { allocate, openBlock, sharedMemory } from "./_shm_arena.ts";
import { _FALSE, _TRUE, _VOID, holdWith, type LockCore, MutexCore, parseAcquire, rejecting, RMutexCore } from "./_sync_core.ts";
import {
  type AcquireOptions,
  createServed,
  EventClient,
  LockClient,
  refRemote,
  SemaphoreClient,
  type ServedLock,
  timeoutOption,
} from "./sync/served.ts";

export type { AcquireOptions };

const _REBUILD = Symbol("rebuild");
/** How long `Event.wait()` polls before it sleeps, in ms. */
const _SPIN_MS = 0.05;

/** How a primitive travels: over shared memory `{ s, o }` or served `{ r }`. @internal */
export type SyncState = { s: string; o: number; v?: number } | { r: Ref; v?: number };

let _lockCore: (l: Lock) => LockCore | null;
let _lockServed: (l: Lock) => ServedLock | null;
let _rlockCore: (l: RLock) => LockCore | null;
let _rlockServed: (l: RLock) => ServedLock | null;
let _reduceSemaphore: (s: Semaphore) => SyncState;

/**
 * The shared-memory core of a lock (null when served), for `Condition`. @internal
 * @param l The lock.
 * @returns Its core.
 */
export function lockCoreOf(l: Lock | RLock): LockCore | null {
  return l instanceof Lock ? _lockCore(l) : _rlockCore(l);
}
/**
 * The served state machine of a lock created (served) in this process, else null. @internal
 * @param l The lock.
 * @returns The machine.
 */
export function servedLockOf(l: Lock | RLock): ServedLock | null {
  return l instanceof Lock ? _lockServed(l) : _rlockServed(l);
}

/**
 * A non-recursive lock shared by processes and async tasks: Python's `multiprocessing.Lock`.
 * Any process may release it. If a process dies while holding it, it stays held (as in Python);
 * a timed-out `hold()` names the holder's pid and whether it has exited.
 *
 * @example
 * ```ts
 * import { Lock } from "multiproc";
 * const lock = new Lock();
 * {
 *   await using _ = await lock.hold();
 *   // critical section
 * }
 * console.log(await lock.acquire({ timeout: 100 })); // true
 * await lock.release();
 * ```
 */
export class Lock {
  #i32: Int32Array | null = null;
  #idx = 0;
  #name = "";
  #core: MutexCore | null = null;
  #client: LockClient | null = null;
  #ref: Ref | null = null;
  #served: ServedLock | null = null;

  static {
    _lockCore = (l) => l.#core;
    _lockServed = (l) => l.#served;
    registerType<Lock>({
      tag: "multiproc.Lock",
      cls: Lock,
      reduce: (l): SyncState => (l.#ref ? { r: l.#ref } : { s: l.#name, o: l.#idx * 4 }),
      rebuild: (s) => new Lock(_REBUILD, s as SyncState),
    });
  }

  /** Creates an unlocked lock. */
  constructor();
  /** @internal */
  constructor(tag: symbol, state: SyncState);
  constructor(tag?: symbol, state?: SyncState) {
    if (tag === _REBUILD && state) {
      if ("r" in state) this.#useRef(state.r);
      else this.#useBlock(state.s, state.o);
    } else if (sharedMemory()) {
      const b = allocate(8);
      this.#useBlock(b.name, b.off);
    } else {
      this.#served = createServed("Lock") as ServedLock;
      this.#useRef(node.serve(this.#served));
    }
  }
  #useBlock(name: string, off: number): void {
    const b = openBlock(name, off, "Lock");
    this.#name = name;
    this.#i32 = b.i32;
    this.#idx = off / 4;
    this.#core = new MutexCore(b.i32, this.#idx);
  }
  #useRef(ref: Ref): void {
    this.#ref = ref;
    this.#client = new LockClient(refRemote(ref, "Lock"), "Lock");
  }

  /**
   * Acquires the lock, waiting (by default) until it is free.
   * @param options `block: false` answers at once (and ignores `timeout`); `timeout` in ms (negative = 0).
   * @returns true when acquired; false when not acquired (non-blocking, or timed out).
   * @throws {TypeError} If an option has the wrong type (rejects).
   * @example
   * ```ts
   * if (await lock.acquire({ timeout: 50 })) await lock.release();
   * ```
   */
  acquire(options?: AcquireOptions): Promise<boolean> {
    const i32 = this.#i32;
    if (i32 === null) return this.#client!.acquire(options);
    if (options === undefined) return lockAsync(i32, this.#idx);
    if (options !== null && options.block === false) return tryLock(i32, this.#idx) ? _TRUE : _FALSE;
    let t: false | number | null;
    try {
      t = parseAcquire(options, "Lock.acquire()");
    } catch (e) {
      return Promise.reject(e);
    }
    if (t === false) return tryLock(i32, this.#idx) ? _TRUE : _FALSE;
    return lockAsync(i32, this.#idx, t ?? undefined);
  }

  /**
   * Releases the lock (any process or task may).
   * @throws {StateError} If it is not locked (rejects).
   * @example
   * ```ts
   * await lock.acquire();
   * await lock.release();
   * ```
   */
  release(): Promise<void> {
    const i32 = this.#i32;
    if (i32 === null) return this.#client!.release();
    try {
      unlock(i32, this.#idx);
    } catch (e) {
      return Promise.reject(e);
    }
    return _VOID;
  }

  /**
   * Whether anyone holds the lock.
   * @returns true while held.
   * @example
   * ```ts
   * console.log(await lock.locked());
   * ```
   */
  locked(): Promise<boolean> {
    if (this.#i32 === null) return this.#client!.locked();
    return isLocked(this.#i32, this.#idx) ? _TRUE : _FALSE;
  }

  /**
   * Acquires and resolves to a handle whose disposal releases: `await using _ = await lock.hold()`.
   * @param options As for {@linkcode Lock.acquire}.
   * @returns The handle.
   * @throws {TimeoutError} If it could not be acquired; the message names the holder's pid (rejects).
   * @example
   * ```ts
   * await using _ = await lock.hold({ timeout: 1000 });
   * ```
   */
  hold(options?: AcquireOptions): Promise<AsyncDisposable> {
    if (this.#i32 === null) return this.#client!.hold(options);
    return rejecting(() => holdWith(this.acquire(options), options, "Lock", () => this.release(), () => this.#core!.holderText()));
  }
}


/**
 * A re-entrant lock: Python's `multiprocessing.RLock`. It is owned by the async task that acquired
 * it (see the module doc of `sync/_served_owner.ts` for what a task is); the owner may acquire it
 * again, and must release it as often; a release by any other task or process throws.
 *
 * @example
 * ```ts
 * import { RLock } from "multiproc";
 * const r = new RLock();
 * await r.acquire();
 * await r.acquire(); // re-entrant
 * await r.release();
 * await r.release();
 * ```
 */
export class RLock {
  #core: RMutexCore | null = null;
  #name = "";
  #client: LockClient | null = null;
  #ref: Ref | null = null;
  #served: ServedLock | null = null;

  static {
    _rlockCore = (l) => l.#core;
    _rlockServed = (l) => l.#served;
    registerType<RLock>({
      tag: "multiproc.RLock",
      cls: RLock,
      reduce: (l): SyncState => (l.#ref ? { r: l.#ref } : { s: l.#name, o: l.#core!.idx * 4 }),
      rebuild: (s) => new RLock(_REBUILD, s as SyncState),
    });
  }

  /** Creates an unlocked re-entrant lock. */
  constructor();
  /** @internal */
  constructor(tag: symbol, state: SyncState);
  constructor(tag?: symbol, state?: SyncState) {
    if (tag === _REBUILD && state) {
      if ("r" in state) this.#useRef(state.r);
      else this.#useBlock(state.s, state.o);
    } else if (sharedMemory()) {
      const b = allocate(16);
      this.#useBlock(b.name, b.off);
    } else {
      this.#served = createServed("RLock") as ServedLock;
      this.#useRef(node.serve(this.#served));
    }
  }
  #useBlock(name: string, off: number): void {
    this.#name = name;
    this.#core = new RMutexCore(openBlock(name, off, "RLock").i32, off / 4);
  }
  #useRef(ref: Ref): void {
    this.#ref = ref;
    this.#client = new LockClient(refRemote(ref, "RLock"), "RLock");
  }

  /**
   * Acquires for the calling task (at once when it already owns it).
   * @param options `block: false` answers at once; `timeout` in ms (negative = 0).
   * @returns true when acquired, false when not.
   * @throws {TypeError} If an option has the wrong type (rejects).
   * @example
   * ```ts
   * await r.acquire({ timeout: 100 });
   * ```
   */
  acquire(options?: AcquireOptions): Promise<boolean> {
    if (this.#core === null) return this.#client!.acquire(options);
    return rejecting(() => {
      const t = parseAcquire(options, "RLock.acquire()");
      return this.#core!.acquire(t !== false, t === false ? null : t);
    });
  }

  /**
   * Releases once.
   * @throws {StateError} If it is unlocked or the calling task does not own it (rejects).
   * @example
   * ```ts
   * await r.release();
   * ```
   */
  release(): Promise<void> {
    if (this.#core === null) return this.#client!.release();
    try {
      this.#core.release();
    } catch (e) {
      return Promise.reject(e);
    }
    return _VOID;
  }

  /**
   * Whether any task holds it.
   * @returns true while held.
   * @example
   * ```ts
   * console.log(await r.locked());
   * ```
   */
  locked(): Promise<boolean> {
    if (this.#core === null) return this.#client!.locked();
    return isLocked(this.#core.i32, this.#core.idx) ? _TRUE : _FALSE;
  }

  /**
   * Acquires and resolves to a handle whose disposal releases.
   * @param options As for {@linkcode RLock.acquire}.
   * @returns The handle.
   * @throws {TimeoutError} If it could not be acquired (rejects).
   * @example
   * ```ts
   * await using _ = await r.hold();
   * ```
   */
  hold(options?: AcquireOptions): Promise<AsyncDisposable> {
    if (this.#core === null) return this.#client!.hold(options);
    return rejecting(() => holdWith(this.acquire(options), options, "RLock", () => this.release(), () => this.#core!.holderText()));
  }
}

/**
 * A counting semaphore: Python's `multiprocessing.Semaphore`. `release()` may raise the value
 * above its initial value.
 *
 * @example
 * ```ts
 * import { Semaphore } from "multiproc";
 * const sem = new Semaphore(2);
 * await using _ = await sem.hold();
 * console.log(await sem.getValue()); // 1
 * ```
 */
export class Semaphore {
  #i32: Int32Array | null = null;
  #idx = 0;
  #name = "";
  #max: number | undefined;
  #client: SemaphoreClient | null = null;
  #ref: Ref | null = null;

  static {
    const reduce = (s: Semaphore): SyncState => (s.#ref ? { r: s.#ref } : { s: s.#name, o: s.#idx * 4, v: s.#max });
    _reduceSemaphore = reduce;
    registerType<Semaphore>({ tag: "multiproc.Semaphore", cls: Semaphore, reduce, rebuild: (s) => new Semaphore(_REBUILD, s as SyncState) });
  }

  /**
   * @param value The initial value (default 1).
   * @throws {RangeError} If `value` is not an integer from 0 to 2^31-1.
   */
  constructor(value?: number);
  /** @internal */
  constructor(tag: symbol, state: SyncState);
  constructor(value: number | symbol = 1, state?: SyncState) {
    const kind = this._bounded ? "BoundedSemaphore" : "Semaphore";
    if (value === _REBUILD && state) {
      if ("r" in state) this.#useRef(state.r, kind);
      else this.#useBlock(state.s, state.o, state.v);
      return;
    }
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 0x7fffffff) {
      throw new RangeError(`${kind} value must be an integer from 0 to 2147483647, got ${String(value)}`);
    }
    if (sharedMemory()) {
      const b = allocate(8);
      Atomics.store(b.i32, b.off / 4, value);
      this.#useBlock(b.name, b.off, this._bounded ? value : undefined);
    } else {
      this.#useRef(node.serve(createServed(kind, { value })), kind);
    }
  }
  #useBlock(name: string, off: number, max: number | undefined): void {
    this.#name = name;
    this.#i32 = openBlock(name, off, "Semaphore").i32;
    this.#idx = off / 4;
    this.#max = max;
  }
  #useRef(ref: Ref, kind: string): void {
    this.#ref = ref;
    this.#client = new SemaphoreClient(refRemote(ref, kind), kind);
  }
  /** Whether release above the initial value throws. @internal */
  get _bounded(): boolean {
    return false;
  }

  /**
   * Takes one unit, waiting (by default) until one is available.
   * @param options `block: false` answers at once; `timeout` in ms (negative = 0).
   * @returns true when taken, false when not.
   * @throws {TypeError} If an option has the wrong type (rejects).
   * @example
   * ```ts
   * if (await sem.acquire({ block: false })) await sem.release();
   * ```
   */
  acquire(options?: AcquireOptions): Promise<boolean> {
    const i32 = this.#i32;
    if (i32 === null) return this.#client!.acquire(options);
    if (options === undefined) return semAcquireAsync(i32, this.#idx);
    return rejecting(() => {
      const t = parseAcquire(options, `${this.#kind}.acquire()`);
      if (t === false) return semTryAcquire(i32, this.#idx) ? _TRUE : _FALSE;
      return semAcquireAsync(i32, this.#idx, t ?? undefined);
    });
  }

  /**
   * Gives back `n` units (default 1) and wakes as many waiters.
   * @param n How many.
   * @throws {RangeError} If `n` is not a positive integer (rejects).
   * @throws {StateError} If a BoundedSemaphore would exceed its initial value (rejects).
   * @example
   * ```ts
   * await sem.release(2);
   * ```
   */
  release(n = 1): Promise<void> {
    if (this.#i32 === null) return this.#client!.release(n);
    try {
      semRelease(this.#i32, this.#idx, n, this.#max);
    } catch (e) {
      if (e instanceof StateError) {
        return Promise.reject(new StateError(`BoundedSemaphore released too many times: its value would exceed its initial value ${this.#max}`));
      }
      return Promise.reject(e);
    }
    return _VOID;
  }

  /**
   * The current value.
   * @returns Units available now.
   * @example
   * ```ts
   * console.log(await sem.getValue());
   * ```
   */
  getValue(): Promise<number> {
    if (this.#i32 === null) return this.#client!.getValue();
    return Promise.resolve(semValue(this.#i32, this.#idx));
  }

  /**
   * Takes one unit and resolves to a handle whose disposal gives it back.
   * @param options As for {@linkcode Semaphore.acquire}.
   * @returns The handle.
   * @throws {TimeoutError} If no unit could be taken (rejects).
   * @example
   * ```ts
   * await using _ = await sem.hold();
   * ```
   */
  hold(options?: AcquireOptions): Promise<AsyncDisposable> {
    if (this.#i32 === null) return this.#client!.hold(options);
    return rejecting(() => holdWith(this.acquire(options), options, this.#kind, () => this.release(), () => ""));
  }

  get #kind(): string {
    return this._bounded ? "BoundedSemaphore" : "Semaphore";
  }
}

/**
 * A semaphore whose `release()` above the initial value throws: Python's `BoundedSemaphore`.
 *
 * @example
 * ```ts
 * import { BoundedSemaphore } from "multiproc";
 * const sem = new BoundedSemaphore(1);
 * await sem.release().catch((e) => console.log(e.name)); // "StateError"
 * ```
 */
export class BoundedSemaphore extends Semaphore {
  static {
    registerType<BoundedSemaphore>({
      tag: "multiproc.BoundedSemaphore",
      cls: BoundedSemaphore,
      reduce: (s) => _reduceSemaphore(s),
      rebuild: (s) => new BoundedSemaphore(_REBUILD, s as SyncState),
    });
  }
  /** Whether release above the initial value throws. @internal */
  override get _bounded(): boolean {
    return true;
  }
}


/**
 * A flag processes and tasks wait on: Python's `multiprocessing.Event`.
 *
 * @example
 * ```ts
 * import { Event } from "multiproc";
 * const ev = new Event();
 * setTimeout(() => ev.set(), 10);
 * console.log(await ev.wait(1000)); // true
 * ```
 */
export class Event {
  #i32: Int32Array | null = null;
  #idx = 0;
  #name = "";
  #client: EventClient | null = null;
  #ref: Ref | null = null;
  #spinMisses = 0;
  #spinProbe = 0;

  static {
    registerType<Event>({
      tag: "multiproc.Event",
      cls: Event,
      reduce: (e): SyncState => (e.#ref ? { r: e.#ref } : { s: e.#name, o: e.#idx * 4 }),
      rebuild: (s) => new Event(_REBUILD, s as SyncState),
    });
  }

  /** Creates a cleared event. */
  constructor();
  /** @internal */
  constructor(tag: symbol, state: SyncState);
  constructor(tag?: symbol, state?: SyncState) {
    let name: string, off: number;
    if (tag === _REBUILD && state) {
      if ("r" in state) {
        this.#useRef(state.r);
        return;
      }
      [name, off] = [state.s, state.o];
    } else if (sharedMemory()) {
      const b = allocate(8);
      [name, off] = [b.name, b.off];
    } else {
      this.#useRef(node.serve(createServed("Event")));
      return;
    }
    this.#name = name;
    this.#i32 = openBlock(name, off, "Event").i32;
    this.#idx = off / 4;
  }
  #useRef(ref: Ref): void {
    this.#ref = ref;
    this.#client = new EventClient(refRemote(ref, "Event"));
  }

  /**
   * Sets the flag and wakes every waiter in every process.
   * @example
   * ```ts
   * await ev.set();
   * ```
   */
  set(): Promise<void> {
    if (this.#i32 === null) return this.#client!.set();
    eventSet(this.#i32, this.#idx);
    return _VOID;
  }
  /**
   * Clears the flag.
   * @example
   * ```ts
   * await ev.clear();
   * ```
   */
  clear(): Promise<void> {
    if (this.#i32 === null) return this.#client!.clear();
    eventClear(this.#i32, this.#idx);
    return _VOID;
  }
  /**
   * Whether the flag is set.
   * @returns The flag.
   * @example
   * ```ts
   * console.log(await ev.isSet());
   * ```
   */
  isSet(): Promise<boolean> {
    if (this.#i32 === null) return this.#client!.isSet();
    return eventIsSet(this.#i32, this.#idx) ? _TRUE : _FALSE;
  }
  /**
   * Waits until the flag is set.
   * @param timeout Longest wait in ms (default: no limit; negative = 0).
   * @returns true once set, false if the time ran out.
   * @throws {TypeError} If `timeout` is not a number (rejects).
   * @example
   * ```ts
   * if (!(await ev.wait(500))) console.log("not set within 500 ms");
   * ```
   */
  wait(timeout?: number): Promise<boolean> {
    const i32 = this.#i32;
    if (i32 === null) return this.#client!.wait(timeout);
    if (eventIsSet(i32, this.#idx)) return _TRUE;
    // A short spin first: a set() by a process on another core usually lands within microseconds,
    // and sleeping costs a wake-up through the waiter thread (tens of µs).
    // Adaptive: keep spinning while spins pay off, else only probe now and then.
    if (this.#spinMisses < 8 || (++this.#spinProbe & 7) === 0) {
      for (let end = performance.now() + _SPIN_MS; performance.now() < end;) {
        if (eventIsSet(i32, this.#idx)) {
          this.#spinMisses = 0;
          return _TRUE;
        }
      }
      this.#spinMisses++;
    }
    if (timeout === undefined) return eventWaitAsync(i32, this.#idx);
    return rejecting(() => eventWaitAsync(i32, this.#idx, timeoutOption(timeout, "Event.wait()") ?? undefined));
  }
}
