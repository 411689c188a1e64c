/**
 * Cross-process shared memory: POSIX `shm_open` + `mmap(MAP_SHARED)` segments whose `ArrayBuffer`
 * works with `Atomics`, plus a shared (not process-private) futex to sleep on a word of it.
 * {@linkcode loadSharedMemory} binds libc through the runtime adapter's FFI (`runtime.loadShmNative`,
 * implemented by `node/shm.ts`, `deno/shm.ts`, `bun/shm.ts`); everything else here is runtime-neutral.
 *
 * Mappings are never unmapped: `munmap` under a live view crashes the process, so a closed segment's
 * mapping is reused if the same name is opened again and otherwise leaks until exit.
 *
 * @module
 */
import process from "node:process";
import * as fs from "node:fs";
import { runtime } from "./adapter.ts";
import { type AsyncWaiter, createBlockingCallWaiter, createThreadWaiter } from "./shm_waiter.ts";
import { nameStamp, processStamp, stampGone } from "./liveness.ts";
import { privateEntry } from "./private_entry.ts";
import { randomHex } from "./crypto.ts";

/** What a futex wait ended with. `"ok"` may be spurious: callers re-check their condition. */
export type WaitResult = "ok" | "not-equal" | "timed-out";

/** One mapped shared-memory segment. */
export interface Segment {
  /** POSIX shm name, e.g. `"/mp-<root stamp>-<random>"`; pass it to {@linkcode SharedMemory.open}. */
  readonly name: string;
  /** Size in bytes. */
  readonly size: number;
  /** Backed by the shared mapping; typed-array views over it work with `Atomics`. */
  readonly buffer: ArrayBuffer;
  /** Drops this process's use. The mapping itself stays until exit (see module doc). */
  close(): void;
}

/** Shared-memory segments and futex wait/wake on their words. */
export interface SharedMemory {
  /** Creates a new zero-filled segment (`O_CREAT|O_EXCL`, mode 0600) with a unique name. */
  create(size: number, prefix?: string): Segment;
  /**
   * Maps an existing segment; its size comes from the segment. Refuses (an Error with code `"EPERM"`)
   * a segment that is not a regular shared-memory object owned by this uid without group/world access.
   */
  open(name: string): Segment;
  /** Removes the name (`shm_unlink`); a missing name is ignored. */
  unlink(name: string): void;
  /** Blocks the calling thread while `i32[index] === expected`. Use off the main thread or for tiny waits. */
  futexWait(i32: Int32Array, index: number, expected: number, timeoutMs?: number): WaitResult;
  /** Wakes up to `count` waiters (any process, and this process's {@linkcode waitAsync}s); returns how many. */
  futexWake(i32: Int32Array, index: number, count: number): number;
  /** Waits like {@linkcode futexWait} without blocking the event loop; keeps the process alive while pending. */
  waitAsync(i32: Int32Array, index: number, expected: number, timeoutMs?: number): Promise<WaitResult>;
  /** The address of `i32[index]` (it must view a segment of this SharedMemory). */
  pointerOf(i32: Int32Array, index: number): number;
}

/**
 * Raw libc access, one implementation per runtime with the same method names. Addresses are plain
 * numbers (user space fits in 2^53). Negative results are `-errno`.
 * @internal
 */
export interface ShmNative {
  /** `shm_open`; fd or -errno. */
  shmOpen(name: string, flags: number, mode: number): number;
  /** `shm_unlink`; 0 or -errno. */
  shmUnlink(name: string): number;
  /** `ftruncate`; 0 or -errno. */
  ftruncate(fd: number, size: number): number;
  /** `lseek(fd, 0, SEEK_END)`: the size, or -errno. */
  seekEnd(fd: number): number;
  /** `close`. */
  close(fd: number): void;
  /** `mmap(NULL, size, RW, MAP_SHARED, fd, 0)`, anonymous when fd is -1; address or -errno. */
  mmapShared(fd: number, size: number): number;
  /** An ArrayBuffer over `size` bytes at `addr`, without copying. */
  view(addr: number, size: number): ArrayBuffer;
  /** `syscall(n, a1..a6)`; the result or -errno. */
  syscall(n: number, a1: number, a2: number, a3: number, a4: number, a5: number): number;
  /** The same on a runtime thread pool (Deno); resolves with the raw result (-1 on any error). */
  syscallBlocking?(n: number, a1: number, a2: number, a3: number, a4: number, a5: number): Promise<number>;
}

/** Syscall numbers for the running architecture. @internal */
export interface SyscallNumbers {
  futex: number;
  futexWaitv: number;
  clockGettime: number;
  fstat: number;
  /** Byte offsets of `st_mode` and `st_uid` in the kernel's `struct stat`. */
  statMode: number;
  statUid: number;
}

/** @internal */
export const FUTEX_WAIT = 0;
/** @internal */
export const FUTEX_WAKE = 1;
/** @internal */
export const EAGAIN = 11;
/** @internal */
export const ETIMEDOUT = 110;
const _ENOENT = 2;
const _EEXIST = 17;
const _O_RDWR = 0o2;
const _O_CREAT = 0o100;
const _O_EXCL = 0o200;
/** Where `#checkPrivate` lets `fstat` write in the scratch page (futexWait's timespec uses bytes 0..15). */
const _STAT_BYTE = 256;

let _reason: string | undefined;
let _loaded: SharedMemory | null | undefined;
let _native: ShmNative | undefined;
let _rootStamp: string | undefined;

/** Syscall numbers for this machine, or undefined if unsupported. @internal */
export function syscallNumbers(): SyscallNumbers | undefined {
  if (process.platform !== "linux") return undefined;
  if (process.arch === "x64") {
    return { futex: 202, futexWaitv: 449, clockGettime: 228, fstat: 5, statMode: 24, statUid: 28 };
  }
  if (process.arch === "arm64") {
    return { futex: 98, futexWaitv: 449, clockGettime: 113, fstat: 80, statMode: 16, statUid: 24 };
  }
  return undefined;
}

/**
 * Loads this runtime's libc binding, or returns a reason it cannot. Used by the waiter thread too.
 * @internal
 */
export function loadNative(): ShmNative | string {
  if (!syscallNumbers()) return `shared memory needs Linux on x64 or arm64, not ${process.platform}/${process.arch}`;
  return runtime.loadShmNative();
}

/**
 * The shared-memory implementation for this runtime, or `null` when it is unavailable (not Linux,
 * Deno without `--allow-ffi`, koffi missing on Node); {@linkcode sharedMemoryUnavailableReason} says why.
 * Never prompts for a permission. The result is cached.
 *
 * @returns The process-wide {@linkcode SharedMemory}, or `null`.
 * @example
 * ```ts
 * const shm = loadSharedMemory();
 * if (shm) {
 *   const seg = shm.create(64);
 *   Atomics.add(new Int32Array(seg.buffer), 0, 1);
 *   shm.unlink(seg.name);
 * }
 * ```
 */
export function loadSharedMemory(): SharedMemory | null {
  if (_loaded !== undefined) return _loaded;
  const native = loadNative();
  if (typeof native === "string") {
    _reason = native;
    _loaded = null;
  } else {
    _native = native;
    _loaded = new _SharedMemory(native, syscallNumbers()!);
  }
  return _loaded;
}

/**
 * Why {@linkcode loadSharedMemory} returns `null`, or undefined when shared memory is available.
 *
 * @returns A sentence naming the missing piece.
 * @example
 * ```ts
 * if (!loadSharedMemory()) console.warn(sharedMemoryUnavailableReason());
 * ```
 */
export function sharedMemoryUnavailableReason(): string | undefined {
  if (_loaded === undefined) loadSharedMemory();
  return _reason;
}

/**
 * Sets the root stamp that new segment names carry (`/mp-<stamp>-<random>`, the stamp being
 * `<root pid>-<start time>-<pid namespace>` from {@linkcode processStamp}): a child passes its tree's
 * root stamp, so that {@linkcode sweepStaleSegments} removes the whole tree's leftovers once the root
 * is proven gone.
 *
 * @param stamp The root's stamp; defaults to this process's own when never set.
 * @throws {RangeError} If `stamp` is not `<pid>-<start>-<namespace>` digits.
 * @example
 * ```ts
 * setSegmentRoot("12345-678901-4026531836");
 * ```
 */
export function setSegmentRoot(stamp: string): void {
  if (typeof stamp !== "string" || !/^[1-9]\d*-\d+-\d+$/.test(stamp)) {
    throw new RangeError(`Root stamp must be "<pid>-<start time>-<pid namespace>", got ${String(stamp)}`);
  }
  _rootStamp = stamp;
}

/**
 * Unlinks `/dev/shm/<prefix>-<stamp>-<random>` segments of process trees proven dead: the segment is
 * a regular file with mode 0600 owned by this uid, and its root stamp names a process that is gone
 * (pid free or reused, judged in our own pid namespace). A segment without a stamp (older naming),
 * from another pid namespace, or of another owner or mode is left alone. Best effort, Linux only,
 * never throws.
 *
 * @param prefix The name prefix used at creation; default `"mp"`.
 * @returns How many segments were removed.
 * @example
 * ```ts
 * const removed = sweepStaleSegments();
 * ```
 */
export function sweepStaleSegments(prefix = "mp"): number {
  let removed = 0;
  try {
    if (process.platform !== "linux") return 0;
    const gone = new Map<string, boolean>();
    for (const entry of fs.readdirSync("/dev/shm")) {
      const stamp = nameStamp(entry, prefix);
      if (stamp === undefined) continue;
      if (!gone.has(stamp)) gone.set(stamp, stampGone(stamp) === true);
      if (!gone.get(stamp) || !privateEntry("/dev/shm/" + entry, "file")) continue;
      try {
        if (loadSharedMemory() && _native) {
          if (_native.shmUnlink("/" + entry) === 0) removed++;
        } else {
          fs.unlinkSync("/dev/shm/" + entry);
          removed++;
        }
      } catch { /* raced with another sweeper, or not permitted */ }
    }
  } catch { /* no /dev/shm, or not permitted */ }
  return removed;
}

function _errnoError(what: string, err: number, hint: string): Error {
  return Object.assign(new Error(`${what} failed with errno ${err}${hint}`), { errno: err });
}

class _Segment implements Segment {
  readonly name: string;
  readonly size: number;
  readonly buffer: ArrayBuffer;
  #closed = false;
  constructor(name: string, size: number, buffer: ArrayBuffer) {
    this.name = name;
    this.size = size;
    this.buffer = buffer;
  }
  close(): void {
    this.#closed = true;
  }
  get closed(): boolean {
    return this.#closed;
  }
}

class _SharedMemory implements SharedMemory {
  #n: ShmNative;
  #sys: SyscallNumbers;
  /** ArrayBuffer → its mapping's address. */
  #bases = new WeakMap<ArrayBuffer, number>();
  /** Name → mapping already made here, so reopening does not map again. */
  #byName = new Map<string, { addr: number; size: number; buffer: WeakRef<ArrayBuffer> }>();
  #scratch: Int32Array;
  #scratchAddr: number;
  #waiter: AsyncWaiter | undefined;

  constructor(native: ShmNative, sys: SyscallNumbers) {
    this.#n = native;
    this.#sys = sys;
    this.#scratchAddr = this.#mapOrThrow(-1, 4096, "mmap (scratch)");
    this.#scratch = new Int32Array(native.view(this.#scratchAddr, 4096));
  }

  #mapOrThrow(fd: number, size: number, what: string): number {
    const addr = this.#n.mmapShared(fd, size);
    if (addr < 0) throw _errnoError(what, -addr, "; the system may be out of memory or mappings");
    return addr;
  }

  #segment(name: string, addr: number, size: number): _Segment {
    this.#startWaiter(); // a process that maps a segment will likely wait on it: boot the thread early
    let buffer = this.#byName.get(name)?.buffer.deref();
    if (!buffer || buffer.byteLength !== size) {
      buffer = this.#n.view(addr, size);
      this.#bases.set(buffer, addr);
      this.#byName.set(name, { addr, size, buffer: new WeakRef(buffer) });
    }
    return new _Segment(name, size, buffer);
  }

  create(size: number, prefix = "mp"): Segment {
    if (!Number.isSafeInteger(size) || size <= 0) {
      throw new RangeError(`Segment size must be a positive integer, got ${size}`);
    }
    if (!/^[A-Za-z0-9_.]+$/.test(prefix)) {
      throw new RangeError(`Segment prefix must be letters, digits, "_" or ".", got ${JSON.stringify(prefix)}`);
    }
    const root = _rootStamp ??= processStamp(process.pid) ?? `${process.pid}-0-0`;
    for (let attempt = 0;; attempt++) {
      const name = `/${prefix}-${root}-${randomHex(8)}`;
      const fd = this.#n.shmOpen(name, _O_RDWR | _O_CREAT | _O_EXCL, 0o600);
      if (fd === -_EEXIST && attempt < 8) continue;
      if (fd < 0) throw _errnoError(`shm_open(${name})`, -fd, "; is /dev/shm mounted and writable?");
      try {
        const r = this.#n.ftruncate(fd, size);
        if (r < 0) throw _errnoError(`ftruncate(${name}, ${size})`, -r, "; /dev/shm may be full");
        return this.#segment(name, this.#mapOrThrow(fd, size, `mmap(${name})`), size);
      } catch (e) {
        this.#n.shmUnlink(name);
        throw e;
      } finally {
        this.#n.close(fd);
      }
    }
  }

  open(name: string): Segment {
    if (typeof name !== "string" || !name.startsWith("/")) {
      throw new TypeError(`Segment name must be a string starting with "/", got ${String(name)}`);
    }
    const fd = this.#n.shmOpen(name, _O_RDWR, 0);
    if (fd < 0) {
      const hint = fd === -_ENOENT ? "; the segment does not exist (unlinked, or its creator is gone)" : "";
      throw _errnoError(`shm_open(${name})`, -fd, hint);
    }
    try {
      this.#checkPrivate(fd, name);
      const size = this.#n.seekEnd(fd);
      if (size <= 0) throw _errnoError(`size of ${name}`, size < 0 ? -size : 22, "; the segment is empty");
      const known = this.#byName.get(name);
      if (known && known.size === size && known.buffer.deref()) return this.#segment(name, known.addr, size);
      return this.#segment(name, this.#mapOrThrow(fd, size, `mmap(${name})`), size);
    } finally {
      this.#n.close(fd);
    }
  }

  /**
   * Refuses a segment that another user could have made or can write: a name arrives in messages, and
   * mapping a planted segment would let its owner change our locks and values under us.
   */
  #checkPrivate(fd: number, name: string): void {
    const buf = this.#scratchAddr + _STAT_BYTE;
    const r = this.#n.syscall(this.#sys.fstat, fd, buf, 0, 0, 0);
    if (r < 0) throw _errnoError(`fstat(${name})`, -r, "");
    const mode = this.#scratch[(_STAT_BYTE + this.#sys.statMode) >> 2] >>> 0;
    const uid = this.#scratch[(_STAT_BYTE + this.#sys.statUid) >> 2] >>> 0;
    const me = process.getuid?.();
    if ((mode & 0o170000) !== 0o100000 || (mode & 0o077) !== 0 || (me !== undefined && uid !== me)) {
      throw Object.assign(
        new Error(
          `Refusing shared-memory segment ${name}: it has mode ${
            (mode & 0o7777).toString(8).padStart(4, "0")
          } and owner uid ${uid}, ` +
            `but segments of this library are private (mode 0600) to their user (uid ${
              me ?? "?"
            }); someone else may have planted it`,
        ),
        { code: "EPERM" },
      );
    }
  }

  unlink(name: string): void {
    this.#byName.delete(name);
    const r = this.#n.shmUnlink(name);
    if (r < 0 && r !== -_ENOENT) throw _errnoError(`shm_unlink(${name})`, -r, "");
  }

  pointerOf(i32: Int32Array, index: number): number {
    const base = this.#bases.get(i32.buffer as ArrayBuffer);
    if (base === undefined) throw new TypeError("Int32Array does not view a shared-memory segment");
    if (!Number.isInteger(index) || index < 0 || index >= i32.length) {
      throw new RangeError(`Index ${index} is outside the Int32Array of length ${i32.length}`);
    }
    return base + i32.byteOffset + index * 4;
  }

  futexWait(i32: Int32Array, index: number, expected: number, timeoutMs?: number): WaitResult {
    const addr = this.pointerOf(i32, index);
    let ts = 0;
    if (timeoutMs !== undefined && timeoutMs !== Infinity) {
      const ms = Math.max(0, timeoutMs);
      this.#scratch[0] = Math.floor(ms / 1000);
      this.#scratch[1] = 0;
      this.#scratch[2] = Math.floor((ms % 1000) * 1e6);
      this.#scratch[3] = 0;
      ts = this.#scratchAddr;
    }
    const r = this.#n.syscall(this.#sys.futex, addr, FUTEX_WAIT, expected | 0, ts, 0);
    if (r === -EAGAIN) return "not-equal";
    if (r === -ETIMEDOUT) return "timed-out";
    return "ok"; // woken, or EINTR (a spurious wake-up)
  }

  futexWake(i32: Int32Array, index: number, count: number): number {
    const addr = this.pointerOf(i32, index);
    const n = Math.max(0, Math.min(count, 0x7fffffff)) | 0;
    const local = this.#waiter ? this.#waiter.wakeLocal(addr, n) : 0;
    const r = this.#n.syscall(this.#sys.futex, addr, FUTEX_WAKE, n, 0, 0);
    return local + Math.max(0, r);
  }

  #startWaiter(): AsyncWaiter {
    return this.#waiter ??= this.#n.syscallBlocking
      ? createBlockingCallWaiter(this.#n, this.#sys)
      : createThreadWaiter(this.#n, this.#sys);
  }

  waitAsync(i32: Int32Array, index: number, expected: number, timeoutMs?: number): Promise<WaitResult> {
    const addr = this.pointerOf(i32, index);
    if (Atomics.load(i32, index) !== (expected | 0)) return Promise.resolve("not-equal");
    if (timeoutMs !== undefined && timeoutMs <= 0) return Promise.resolve("timed-out");
    const base = this.#bases.get(i32.buffer as ArrayBuffer)!;
    return this.#startWaiter().wait(
      { addr, base, len: i32.buffer.byteLength, i32, index, expected: expected | 0 },
      timeoutMs,
    );
  }
}
