/**
 * `move()`: send binary data to another thread without copying it (like `Piscina.move` or a
 * `postMessage` transfer list).
 *
 * @module
 */
import { markMoved } from "./channel/port_buffers.ts";

/**
 * Marks binary data to be _moved_, not copied, the next time it travels to another thread of this
 * process: a pool task's argument or result in a `ThreadPool` or `ThreadPoolExecutor`, or any call
 * between threads. The receiver gets the memory itself, and the sender's buffer is detached (its
 * `byteLength` becomes 0) once the message is sent. A view moves its whole buffer. To another
 * process the data is copied as usual, and the sender keeps it. A `SharedArrayBuffer` (or a view of
 * one) needs no mark: between threads it always arrives shared.
 *
 * Queues and pipes keep their own copy of each item, so data sent through them is copied.
 *
 * @param value An ArrayBuffer, typed array or DataView.
 * @returns `value` itself, marked.
 * @throws {TypeError} If `value` is not an ArrayBuffer or a view of one.
 * @example
 * ```ts
 * import { isMainProcess, move, ThreadPool } from "multiproc";
 * import assert from "node:assert/strict";
 * export function fill(bytes: Uint8Array) {
 *   bytes.fill(7);
 *   return move(bytes); // back without a copy too
 * }
 * if (isMainProcess(import.meta)) {
 *   await using pool = new ThreadPool(1);
 *   const data = new Uint8Array(1 << 20);
 *   const back = await pool.apply(fill, [move(data)]);
 *   assert.equal(data.byteLength, 0); // moved away
 *   assert.equal(back[0], 7);
 * }
 * ```
 */
export function move<T extends ArrayBuffer | ArrayBufferView>(value: T): T {
  if (value instanceof ArrayBuffer) markMoved(value);
  else if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer) markMoved(value.buffer);
  } else {
    throw new TypeError(`move() expects an ArrayBuffer or a typed array or DataView, got ${typeof value}`);
  }
  return value;
}
