// Zero copy to threads (issue 11): how the data scenarios hand a payload's memory to a ThreadPool
// worker, and back, instead of copying it. With the thread kind and TRANSFER on, data_in and
// data_roundtrip run a second pass with fresh payloads moved this way and report it as their
// "transfer" peer, the figure the JS pools report with transfer lists (bench/peers/js_pool.mjs); the
// runner compares the two round by round ("+ transfer" rows). Moving into a process still copies, so
// the process kind never runs this pass.
//
// TODO(issue 11, lead): the ONE place to fill in once the opt-in transfer API lands: set TRANSFER to
// true, make applyMoved() pass the payload with the API (an option on the call, or a transfer()
// marker around the argument), and make echoMove() return its answer the same way. Nothing else in
// bench/ needs to change.
import type { AsyncResult, Pool } from "./_lib.ts";

/** Whether the library can move ArrayBuffers to threads (the transfer pass runs only then). */
export const TRANSFER: boolean = false;

/**
 * Submits `fn(u8)` to `pool` with `u8`'s memory moved to the worker, not copied (u8 is detached
 * afterwards).
 */
export function applyMoved<R>(pool: Pool, fn: (u8: Uint8Array) => R, u8: Uint8Array): AsyncResult<R> {
  // TODO(issue 11, lead): e.g. pool.applyAsync(fn, [u8], { transfer: [u8.buffer] }), or
  // pool.applyAsync(fn, [transfer(u8)]).
  return pool.applyAsync(fn, [u8]);
}

/** The worker side of data_roundtrip's transfer pass: the payload back, moved rather than copied. */
export function echoMove(u8: Uint8Array): Uint8Array {
  // TODO(issue 11, lead): e.g. return transfer(u8);
  return u8;
}
