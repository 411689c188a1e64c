// Zero copy to threads (issue 11): how the data scenarios hand a payload's memory to a ThreadPool
// worker, and back, instead of copying it. With the thread kind and TRANSFER on, data_in and
// data_roundtrip run a second pass with fresh payloads moved this way and report it as their
// "transfer" peer, the figure the JS pools report with transfer lists (bench/peers/js_pool.mjs); the
// runner compares the two round by round ("+ transfer" rows). Moving into a process still copies, so
// the process kind never runs this pass.
//
// The library's opt-in API is `move()`: the payload's memory goes to the worker thread (and back)
// without a copy, the sender's buffer detached.
import { type AsyncResult, move, type Pool } from "./_lib.ts";

/** Whether the library can move ArrayBuffers to threads (the transfer pass runs only then). */
export const TRANSFER: boolean = true;

/**
 * Submits `fn(u8)` to `pool` with `u8`'s memory moved to the worker, not copied (u8 is detached
 * afterwards).
 */
export function applyMoved<R>(pool: Pool, fn: (u8: Uint8Array) => R, u8: Uint8Array): AsyncResult<R> {
  return pool.applyAsync(fn, [move(u8)]);
}

/** The worker side of data_roundtrip's transfer pass: the payload back, moved rather than copied. */
export function echoMove(u8: Uint8Array): Uint8Array {
  return move(u8);
}
