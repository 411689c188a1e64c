/**
 * Binary data between threads of one process beside the frame instead of inside it.
 *
 * A link between two threads runs over a `MessagePort` (`runtime/thread.ts`), which can carry
 * `ArrayBuffer`s and `SharedArrayBuffer`s next to the frame's bytes. When a frame for such a link
 * (see `encodeFrame`) holds binary data, the codec puts it in the frame's _side list_ and writes
 * only its place there (tag `T_PORTBUF`):
 *
 * - a `SharedArrayBuffer`, or a view of one, goes as is and arrives shared;
 * - data marked with {@linkcode markMoved} (the public `move()`) goes as is and is transferred: the
 *   receiver gets the memory without a copy, and the sender's buffer is detached;
 * - other data of at least `BLOB_MIN_BYTES` is copied once, and the copy is transferred (the frame
 *   would otherwise copy it twice: into the frame, then through the port).
 *
 * Smaller data stays inside the frame. Between processes none of this applies: moved data is copied
 * (by blob file or inline), and the sender keeps it.
 *
 * @module
 */

/** What travels beside a frame: the buffers its `T_PORTBUF` entries point into. */
export type SideList = (ArrayBuffer | SharedArrayBuffer)[];

/** The side list of each frame that has one, on both ends of a link. */
export const frameSides: WeakMap<Uint8Array, SideList> = new WeakMap();

const _moved = new WeakSet<ArrayBuffer>();

/**
 * Marks `buffer` to be transferred, not copied, the next time it travels to another thread.
 * @param buffer The buffer.
 */
export function markMoved(buffer: ArrayBuffer): void {
  _moved.add(buffer);
}

/**
 * Whether `buffer` was marked by {@linkcode markMoved}.
 * @param buffer The buffer.
 * @returns True when marked.
 */
export function isMoved(buffer: ArrayBufferLike): boolean {
  return _moved.has(buffer as ArrayBuffer);
}
