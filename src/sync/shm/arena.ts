/**
 * Where the shared-memory primitives (`sync/shm.ts`, `shared.ts`) keep their words: per-process
 * arena segments from `runtime/shm.ts`, one segment holding many primitives (a mapping is never
 * unmapped and each costs a kernel map slot), plus a dedicated segment for a large array.
 *
 * - A primitive is `{ segment name, byte offset }` plus its kind and parameters; `rebuild` in another
 *   process opens the segment by name once per process ({@linkcode openBlock}).
 * - Arena space is never reused: a primitive's words must stay valid for every process that may
 *   still hold a reference. Segments are unlinked when the tree's root exits (every segment name
 *   carries the root's stamp: pid, start time, pid namespace); a root killed with SIGKILL leaves
 *   them for `sweepStaleSegments()`, which the next process that creates a segment runs once.
 * - {@linkcode backend} is `"shm"` when shared memory works here and `MULTIPROC_SHM` is not `"0"`,
 *   else `"served"` (the primitives are then served over the channel by their creator; see
 *   `sync/_backend.ts`).
 *
 * @module
 */
import * as fs from "node:fs";
import { node } from "../../core/node.ts";
import { runtime } from "../../runtime/adapter.ts";
import {
  loadSharedMemory,
  setSegmentRoot,
  type SharedMemory,
  sharedMemoryUnavailableReason,
  sweepStaleSegments,
} from "../../runtime/shm.ts";

/** A block of shared words: the whole segment's views and the block's byte offset in it. */
export interface Block {
  /** Segment name (travels in references). */
  name: string;
  /** Byte offset of the block in the segment (a multiple of 8). */
  off: number;
  /** The segment's memory. */
  buffer: ArrayBuffer;
  /** An Int32Array over the whole segment (`off / 4` is the block's first slot). */
  i32: Int32Array;
}

const _ARENA_BYTES = 64 * 1024;
/** Blocks larger than this get a segment of their own. */
const _DEDICATED_BYTES = 8 * 1024;
const _PREFIX = "mp";

let _shm: SharedMemory | null | undefined;
let _arena: { name: string; buffer: ArrayBuffer; i32: Int32Array; used: number } | undefined;
const _opened = new Map<string, { buffer: ArrayBuffer; i32: Int32Array }>();
let _prepared = false;

/**
 * The shared memory the primitives use, or null when they are served instead (unavailable, or
 * disabled with the environment variable `MULTIPROC_SHM=0`).
 *
 * @returns The process-wide SharedMemory, or null.
 * @example
 * ```ts
 * import { sharedMemory } from "./arena.ts";
 * console.log(sharedMemory() ? "shared memory" : "served");
 * ```
 */
export function sharedMemory(): SharedMemory | null {
  if (_shm === undefined) _shm = runtime.getEnv("MULTIPROC_SHM") === "0" ? null : loadSharedMemory();
  return _shm;
}

/**
 * Which path new primitives of this process take.
 *
 * @returns `"shm"` or `"served"`.
 * @example
 * ```ts
 * import { backend } from "./arena.ts";
 * console.log(backend());
 * ```
 */
export function backend(): "shm" | "served" {
  return _forced ?? (sharedMemory() ? "shm" : "served");
}

let _forced: "served" | undefined;

/**
 * Makes the primitives this process creates from now on take the served path even where shared
 * memory works (`"served"`), or lets {@linkcode backend} choose again (`undefined`). Primitives
 * already made keep their path. For tests, which run one suite over both paths. @internal
 *
 * @param path `"served"`, or undefined.
 * @example
 * ```ts
 * import { backend, forceBackend } from "./arena.ts";
 * forceBackend("served");
 * console.log(backend()); // "served"
 * forceBackend(undefined);
 * ```
 */
export function forceBackend(path: "served" | undefined): void {
  _forced = path;
}

/**
 * Why the shared-memory path is not taken, as a sentence fragment (undefined when it is).
 *
 * @returns The reason.
 * @example
 * ```ts
 * import { unavailableReason } from "./arena.ts";
 * console.log(unavailableReason() ?? "available");
 * ```
 */
export function unavailableReason(): string | undefined {
  if (sharedMemory()) return undefined;
  if (runtime.getEnv("MULTIPROC_SHM") === "0") return "it is disabled by the environment variable MULTIPROC_SHM=0";
  return sharedMemoryUnavailableReason();
}

/** First segment of this process: name segments after the tree's root, sweep dead trees, clean up at exit. */
function _prepare(): void {
  if (_prepared) return;
  _prepared = true;
  setSegmentRoot(node.rootStamp);
  sweepStaleSegments(_PREFIX);
  if (!node.isChild) {
    // The root removes every segment of its tree: children's segments carry its stamp too.
    const root = node.rootStamp;
    runtime.onExit(() => unlinkTreeSegments(root));
  }
}

/**
 * Unlinks every `/dev/shm/mp-<root stamp>-*` segment (best effort, never throws). Mappings already
 * made stay valid; only opening by name stops working.
 *
 * @param root The tree root's stamp (`node.rootStamp`).
 * @returns How many were removed.
 * @example
 * ```ts
 * import { node } from "../../core/node.ts";
 * import { unlinkTreeSegments } from "./arena.ts";
 * unlinkTreeSegments(node.rootStamp);
 * ```
 */
export function unlinkTreeSegments(root: string): number {
  const shm = sharedMemory();
  let n = 0;
  try {
    const head = `${_PREFIX}-${root}-`;
    for (const entry of fs.readdirSync("/dev/shm")) {
      if (!entry.startsWith(head)) continue;
      try {
        if (shm) shm.unlink("/" + entry);
        else fs.unlinkSync("/dev/shm/" + entry);
        n++;
      } catch { /* gone already */ }
    }
  } catch { /* no /dev/shm */ }
  return n;
}

/**
 * Allocates a zeroed, 8-byte aligned block of `bytes` in shared memory.
 *
 * @param bytes Size of the block.
 * @returns The block.
 * @throws {Error} If shared memory is unavailable or the system refuses a segment.
 * @example
 * ```ts
 * import { allocate } from "./arena.ts";
 * const b = allocate(8);
 * Atomics.add(b.i32, b.off / 4, 1);
 * ```
 */
export function allocate(bytes: number): Block {
  const shm = sharedMemory();
  if (!shm) throw new Error(`Shared memory is unavailable: ${unavailableReason()}`);
  _prepare();
  const size = Math.max(8, Math.ceil(bytes / 8) * 8);
  if (size > _DEDICATED_BYTES) {
    const seg = shm.create(size, _PREFIX);
    const views = { buffer: seg.buffer, i32: new Int32Array(seg.buffer) };
    _opened.set(seg.name, views);
    return { name: seg.name, off: 0, ...views };
  }
  if (!_arena || _arena.used + size > _arena.buffer.byteLength) {
    const seg = shm.create(_ARENA_BYTES, _PREFIX);
    _arena = { name: seg.name, buffer: seg.buffer, i32: new Int32Array(seg.buffer), used: 0 };
    _opened.set(seg.name, { buffer: seg.buffer, i32: _arena.i32 });
  }
  const off = _arena.used;
  _arena.used += size;
  return { name: _arena.name, off, buffer: _arena.buffer, i32: _arena.i32 };
}

/**
 * The block at `off` of segment `name` (made by another process), mapping the segment once.
 *
 * @param name Segment name from a reference.
 * @param off Byte offset from a reference.
 * @param what What the block belongs to, for the error message.
 * @returns The block.
 * @throws {Error} If shared memory is unavailable here, the segment is gone, or it is not a private
 * (0600) segment of this user.
 * @example
 * ```ts
 * import { allocate, openBlock } from "./arena.ts";
 * const a = allocate(8);
 * console.log(openBlock(a.name, a.off, "Lock").i32 === a.i32); // true
 * ```
 */
export function openBlock(name: string, off: number, what: string): Block {
  let views = _opened.get(name);
  if (!views) {
    const shm = sharedMemory();
    if (!shm) {
      throw new Error(`${what} lives in shared memory, which this process cannot use: ${unavailableReason()}`);
    }
    try {
      const seg = shm.open(name);
      views = { buffer: seg.buffer, i32: new Int32Array(seg.buffer) };
    } catch (e) {
      // EPERM: the segment exists but is not a private one of this user (see SharedMemory.open).
      const why = (e as { code?: string }).code === "EPERM"
        ? (e as Error).message
        : `its shared memory ${name} is gone (the process tree that made it has exited)`;
      throw new Error(`${what} cannot be opened: ${why}`, { cause: e });
    }
    _opened.set(name, views);
  }
  return { name, off, ...views };
}

/**
 * The block of an existing primitive (its reference's `{ s, o }`), or a new block of `bytes`.
 *
 * @param at Where the primitive lives, or undefined for a new one.
 * @param bytes Size of a new block.
 * @param what What the block belongs to, for errors.
 * @returns The segment name, the block's first `Int32` slot and the segment's words.
 * @throws {Error} As {@linkcode allocate} and {@linkcode openBlock}.
 * @example
 * ```ts
 * import { blockAt } from "./arena.ts";
 * const b = blockAt(undefined, 8, "Lock");
 * console.log(blockAt({ s: b.name, o: b.idx * 4 }, 8, "Lock").i32 === b.i32); // true
 * ```
 */
export function blockAt(
  at: { s: string; o: number } | undefined,
  bytes: number,
  what: string,
): { name: string; idx: number; i32: Int32Array } {
  const b = at ? { name: at.s, off: at.o } : allocate(bytes);
  return { name: b.name, idx: b.off / 4, i32: openBlock(b.name, b.off, what).i32 };
}
