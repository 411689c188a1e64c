/**
 * Asynchronous futex waits that never block the event loop. Pending waits on the same word with the
 * same expected value share one kernel wait (a "group"). Two engines:
 *
 * - {@linkcode createThreadWaiter} (Node, Bun): ONE waiter thread per process sleeps in
 *   `futex_waitv` on every group plus a private doorbell word, and posts a message when some groups
 *   are done. Up to {@linkcode THREAD_CAPACITY} groups at once; more are polled.
 * - {@linkcode createBlockingCallWaiter} (Deno): one non-blocking FFI call per group on the runtime's
 *   blocking thread pool (at most {@linkcode THREAD_CAPACITY} at once; more are polled), in slices of
 *   at most {@linkcode SLICE_MS} so that a finished wait never holds up exit for long.
 *
 * A wake that reaches a group nobody waits on any more is passed on (`FUTEX_WAKE` 1), so a timed-out
 * waiter never swallows a wake meant for another process. Pending waits keep the process alive.
 *
 * @module
 */
import process from "node:process";
import type { Worker } from "node:worker_threads";
import type { ShmNative, SyscallNumbers, WaitResult } from "./shm.ts";
import { moduleBeside } from "./module_beside.ts";
import { builtin } from "./builtin.ts";

/** One wait as the waiter sees it. @internal */
export interface WaitRequest {
  /** Address of the word. */
  addr: number;
  /** Address and length of the mapping holding it. */
  base: number;
  len: number;
  i32: Int32Array;
  index: number;
  expected: number;
}

/** The engine behind {@linkcode SharedMemory.waitAsync}. @internal */
export interface AsyncWaiter {
  wait(req: WaitRequest, timeoutMs?: number): Promise<WaitResult>;
  /** Resolves up to `count` of this process's waits on `addr` (oldest first); returns how many. */
  wakeLocal(addr: number, count: number): number;
}

/** Longest single kernel sleep, in ms. */
export const SLICE_MS = 250;
/** Groups the waiter thread sleeps on at once (`futex_waitv` takes 128 words, one is the doorbell). */
export const THREAD_CAPACITY = 127;
/** How often a group that found no room is woken spuriously to re-check, in ms. */
const _POLL_MS = 2;
/** Longest delay `setTimeout` takes (2^31 - 1 ms). */
const _MAX_TIMER_MS = 0x7fffffff;

/** Control block layout shared with `shm_waiter_worker.ts` (byte offsets / int32 indices). @internal */
export const CTL = {
  DOORBELL: 0,
  SLEEPING: 1,
  STOP: 2,
  RESULTS: 3,
  ENTRIES_BYTE: 64,
  ENTRY_BYTES: 32,
  VECTOR_BYTE: (64 + 32 * THREAD_CAPACITY + 32) as number,
  SIZE: 8192,
  FREE: 0,
  PENDING: 1,
  DONE: 2,
} as const;

/**
 * Life of the waiter thread, in a SharedArrayBuffer word (`workerData.life`), so that the main thread
 * can wait for it at exit (see `_ThreadWaiter.#stop`). @internal
 */
export const LIFE = { BOOTING: 0, LOADING: 1, DONE: 2 } as const;
/** Longest the exit hook waits for the thread to leave its FFI binding, in ms. */
const _EXIT_WAIT_MS = 2000;

interface _Pending {
  resolve(r: WaitResult): void;
  timer: ReturnType<typeof setTimeout> | undefined;
  deadline: number;
}

interface _Group {
  req: WaitRequest;
  waiters: Set<_Pending>;
  /** Engine-specific: thread slot, or -1. */
  slot: number;
  /** Earliest deadline among waiters (performance.now() ms), for slicing. */
  deadline: number;
}

/** Group bookkeeping shared by both engines. */
abstract class _GroupedWaiter implements AsyncWaiter {
  #byKey = new Map<string, _Group>();
  #byAddr = new Map<number, Set<_Group>>();

  protected abstract _start(g: _Group): void;
  protected abstract _abandon(g: _Group): void;
  protected _activeChanged(_count: number): void {}

  wait(req: WaitRequest, timeoutMs?: number): Promise<WaitResult> {
    if (timeoutMs !== undefined && timeoutMs > _MAX_TIMER_MS) timeoutMs = undefined; // ~24.8 days: forever
    const key = `${req.addr}:${req.expected}`;
    let g = this.#byKey.get(key);
    const fresh = !g;
    if (!g) {
      g = { req, waiters: new Set(), slot: -1, deadline: Infinity };
      this.#byKey.set(key, g);
      let set = this.#byAddr.get(req.addr);
      if (!set) this.#byAddr.set(req.addr, set = new Set());
      set.add(g);
      this._activeChanged(this.#byKey.size);
    }
    const group = g;
    return new Promise<WaitResult>((resolve) => {
      const p: _Pending = { resolve, timer: undefined, deadline: Infinity };
      if (timeoutMs !== undefined && timeoutMs !== Infinity) {
        p.deadline = performance.now() + timeoutMs;
        group.deadline = Math.min(group.deadline, p.deadline);
        p.timer = setTimeout(() => this.#drop(group, p, "timed-out"), Math.max(1, Math.ceil(timeoutMs)));
      }
      group.waiters.add(p);
      if (fresh) this._start(group);
    });
  }

  wakeLocal(addr: number, count: number): number {
    const set = this.#byAddr.get(addr);
    if (!set) return 0;
    let woken = 0;
    for (const g of [...set]) {
      for (const p of g.waiters) {
        if (woken >= count) return woken;
        if (p.timer !== undefined) clearTimeout(p.timer);
        this.#drop(g, p, "ok");
        woken++;
      }
    }
    return woken;
  }

  /** Resolves one waiter of `g`; forgets `g` when it was the last. */
  #drop(g: _Group, p: _Pending, r: WaitResult): void {
    g.waiters.delete(p);
    p.resolve(r);
    if (g.waiters.size === 0) this._remove(g, true);
    else if (p.deadline <= g.deadline) {
      g.deadline = Infinity;
      for (const q of g.waiters) g.deadline = Math.min(g.deadline, q.deadline);
    }
  }

  /** Resolves every waiter of `g` and forgets it. */
  protected _resolveGroup(g: _Group, r: WaitResult): void {
    this._remove(g, false);
    for (const p of g.waiters) {
      if (p.timer !== undefined) clearTimeout(p.timer);
      p.resolve(r);
    }
    g.waiters.clear();
  }

  /** Forgets `g`; `abandon` tells the engine to stop its kernel wait. */
  protected _remove(g: _Group, abandon: boolean): void {
    const key = `${g.req.addr}:${g.req.expected}`;
    if (this.#byKey.get(key) !== g) return;
    this.#byKey.delete(key);
    const set = this.#byAddr.get(g.req.addr);
    set?.delete(g);
    if (set?.size === 0) this.#byAddr.delete(g.req.addr);
    if (abandon) this._abandon(g);
    this._activeChanged(this.#byKey.size);
  }

  protected _isCurrent(g: _Group): boolean {
    return this.#byKey.get(`${g.req.addr}:${g.req.expected}`) === g;
  }

  /** Polling fallback: a spurious "ok" soon, so that the caller re-checks. */
  protected _poll(g: _Group): void {
    const t = setTimeout(() => {
      if (this._isCurrent(g)) this._resolveGroup(g, "ok");
    }, _POLL_MS);
    void t;
  }
}

/**
 * The Node/Bun engine: one waiter thread per process (see module doc).
 *
 * @param native This thread's libc binding.
 * @param sys Syscall numbers.
 * @returns A waiter whose thread starts now and never keeps the process alive when idle.
 * @internal
 */
export function createThreadWaiter(native: ShmNative, sys: SyscallNumbers): AsyncWaiter {
  return new _ThreadWaiter(native, sys);
}

class _ThreadWaiter extends _GroupedWaiter {
  #n: ShmNative;
  #sys: SyscallNumbers;
  #ctlAddr: number;
  #ctl: Int32Array;
  #ctlF64: Float64Array;
  #worker: Worker | undefined;
  #slots: (_Group | undefined)[] = new Array(THREAD_CAPACITY).fill(undefined);
  #free: number[] = [];
  #gen = 0;
  #refd = false;
  #life = new Int32Array(new SharedArrayBuffer(4));

  constructor(native: ShmNative, sys: SyscallNumbers) {
    super();
    this.#n = native;
    this.#sys = sys;
    this.#ctlAddr = native.mmapShared(-1, CTL.SIZE);
    if (this.#ctlAddr < 0) throw new Error(`mmap of the waiter control block failed with errno ${-this.#ctlAddr}`);
    const buf = native.view(this.#ctlAddr, CTL.SIZE);
    this.#ctl = new Int32Array(buf);
    this.#ctlF64 = new Float64Array(buf);
    for (let i = THREAD_CAPACITY - 1; i >= 0; i--) this.#free.push(i);
    try {
      const { Worker } = builtin<typeof import("node:worker_threads")>("node:worker_threads");
      const w = new Worker(moduleBeside(import.meta.url, "./shm_waiter_worker.ts", "shm_waiter_worker"), {
        workerData: { ctlAddr: this.#ctlAddr, life: this.#life.buffer },
      });
      w.on("message", () => this.#drain());
      w.on("error", (e) => this.#broken(e));
      w.on("exit", () => this.#broken(undefined));
      w.unref(); // after the listeners: adding a "message" listener refs the worker again
      this.#worker = w;
      process.on("exit", () => this.#stop());
    } catch (e) {
      this.#broken(e);
    }
  }

  protected override _activeChanged(count: number): void {
    const want = count > 0;
    if (want === this.#refd || !this.#worker) return;
    this.#refd = want;
    if (want) this.#worker.ref();
    else this.#worker.unref();
  }

  protected _start(g: _Group): void {
    const slot = this.#worker ? this.#free.pop() : undefined;
    if (slot === undefined) return this._poll(g);
    g.slot = slot;
    this.#slots[slot] = g;
    const i = (CTL.ENTRIES_BYTE + CTL.ENTRY_BYTES * slot) >> 2;
    const ctl = this.#ctl;
    ctl[i + 1] = this.#gen = (this.#gen + 1) | 0;
    ctl[i + 2] = g.req.expected;
    ctl[i + 3] = g.req.addr - g.req.base;
    this.#ctlF64[(i >> 1) + 2] = g.req.base;
    this.#ctlF64[(i >> 1) + 3] = g.req.len;
    Atomics.store(ctl, i, CTL.PENDING);
    this.#ring();
  }

  protected _abandon(g: _Group): void {
    if (g.slot < 0) return;
    const i = (CTL.ENTRIES_BYTE + CTL.ENTRY_BYTES * g.slot) >> 2;
    // If the thread marked it DONE meanwhile, #drain frees it; otherwise the slot is free now. The thread
    // notices the abandoned word when it next wakes (and passes on a wake it took for it).
    if (Atomics.compareExchange(this.#ctl, i, CTL.PENDING, CTL.FREE) === CTL.PENDING) {
      this.#slots[g.slot] = undefined;
      this.#free.push(g.slot);
    }
    g.slot = -1;
  }

  #ring(): void {
    Atomics.add(this.#ctl, CTL.DOORBELL, 1);
    if (Atomics.load(this.#ctl, CTL.SLEEPING) !== 0) {
      this.#n.syscall(this.#sys.futex, this.#ctlAddr + CTL.DOORBELL * 4, 1, 1, 0, 0);
    }
  }

  #drain(): void {
    Atomics.store(this.#ctl, CTL.RESULTS, 0);
    for (let slot = 0; slot < THREAD_CAPACITY; slot++) {
      const i = (CTL.ENTRIES_BYTE + CTL.ENTRY_BYTES * slot) >> 2;
      if (Atomics.load(this.#ctl, i) !== CTL.DONE) continue;
      Atomics.store(this.#ctl, i, CTL.FREE);
      const g = this.#slots[slot];
      this.#slots[slot] = undefined;
      this.#free.push(slot);
      if (g && g.slot === slot) {
        g.slot = -1;
        this._resolveGroup(g, "ok");
      }
    }
  }

  /**
   * At exit: the thread must not be inside its FFI binding when the runtime tears it down. On Node,
   * koffi's module init and `koffi.view` call Node-API functions that fail once the thread is being
   * terminated; koffi then throws, the throw fails too, and Node aborts the whole process (SIGABRT,
   * "Error::ThrowAsJavaScriptException napi_throw"). So a thread that has not begun loading never
   * will, and one that has is told to stop and waited for (bounded) before exit proceeds.
   */
  #stop(): void {
    if (Atomics.compareExchange(this.#life, 0, LIFE.BOOTING, LIFE.DONE) === LIFE.BOOTING) return;
    Atomics.store(this.#ctl, CTL.STOP, 1);
    this.#ring();
    const end = performance.now() + _EXIT_WAIT_MS;
    for (
      let left = _EXIT_WAIT_MS;
      left > 0 && Atomics.load(this.#life, 0) !== LIFE.DONE;
      left = end - performance.now()
    ) {
      Atomics.wait(this.#life, 0, LIFE.LOADING, left);
    }
  }

  /** The thread is gone: every group polls from now on. */
  #broken(e: unknown): void {
    if (e !== undefined && this.#worker) {
      process.emitWarning(`Shared-memory waiter thread failed, waits now poll: ${(e as Error)?.message ?? e}`);
    }
    this.#worker = undefined;
    for (let slot = 0; slot < THREAD_CAPACITY; slot++) {
      const g = this.#slots[slot];
      this.#slots[slot] = undefined;
      if (g) {
        g.slot = -1;
        this._poll(g);
      }
    }
  }
}

/**
 * The Deno engine: blocking FFI calls on the runtime's thread pool, one per group, in slices.
 *
 * @param native This thread's libc binding; must have `syscallBlocking`.
 * @param sys Syscall numbers.
 * @returns A waiter.
 * @internal
 */
export function createBlockingCallWaiter(native: ShmNative, sys: SyscallNumbers): AsyncWaiter {
  return new _BlockingCallWaiter(native, sys);
}

class _BlockingCallWaiter extends _GroupedWaiter {
  #n: ShmNative;
  #sys: SyscallNumbers;
  /** Free 16-byte timespec slots (each in-flight call needs its own). */
  #timespecs: number[] = [];
  #views = new Map<number, Int32Array>();
  #inFlight = 0;

  constructor(native: ShmNative, sys: SyscallNumbers) {
    super();
    this.#n = native;
    this.#sys = sys;
  }

  #timespec(): number {
    if (this.#timespecs.length === 0) {
      const page = this.#n.mmapShared(-1, 4096);
      if (page < 0) throw new Error(`mmap of timespec scratch failed with errno ${-page}`);
      this.#views.set(page, new Int32Array(this.#n.view(page, 4096)));
      for (let off = 4096 - 16; off >= 0; off -= 16) this.#timespecs.push(page + off);
    }
    return this.#timespecs.pop()!;
  }

  #writeTimespec(addr: number, ms: number): void {
    const page = addr - (addr % 4096);
    const v = this.#views.get(page)!;
    const i = (addr - page) >> 2;
    v[i] = Math.floor(ms / 1000);
    v[i + 1] = 0;
    v[i + 2] = Math.floor((ms % 1000) * 1e6);
    v[i + 3] = 0;
  }

  protected _start(g: _Group): void {
    if (this.#inFlight >= THREAD_CAPACITY) return this._poll(g); // leave the runtime's pool some threads
    void this.#run(g);
  }

  protected _abandon(_g: _Group): void {
    // The in-flight call ends at its slice's end; #run then passes on a wake it took.
  }

  async #run(g: _Group): Promise<void> {
    const { addr, expected, i32, index } = g.req;
    const ts = this.#timespec();
    this.#inFlight++;
    try {
      for (;;) {
        const left = g.deadline - performance.now();
        this.#writeTimespec(ts, Math.max(1, Math.min(SLICE_MS, Number.isFinite(left) ? left + 1 : SLICE_MS)));
        const r = await this.#n.syscallBlocking!(this.#sys.futex, addr, 0, expected, ts, 0);
        const current = this._isCurrent(g) && g.waiters.size > 0;
        if (r === 0 && !current) {
          this.#n.syscall(this.#sys.futex, addr, 1, 1, 0, 0);
          return;
        }
        if (!current) return;
        if (r === 0 || Atomics.load(i32, index) !== expected) {
          this._resolveGroup(g, "ok");
          return;
        }
      }
    } catch {
      if (this._isCurrent(g)) this._poll(g);
    } finally {
      this.#inFlight--;
      this.#timespecs.push(ts);
    }
  }
}
