/**
 * Chunking and the lazy, back-pressured producer behind `Pool.imap` and `imapUnordered`, plus the
 * argument checks the pool and the executor share.
 *
 * @module
 */
import { TimeoutError } from "../errors.ts";
import type { Engine } from "./engine.ts";
import { PoolTask } from "./task.ts";
import { MODE_MAP } from "./worker.ts";

/**
 * Per-call limits accepted by every pool method.
 *
 * @example
 * ```ts
 * import { type CallOptions, isMainProcess, Pool, TimeoutError } from "multiproc";
 * import assert from "node:assert/strict";
 * export function nap(ms: number) { return new Promise((r) => setTimeout(r, ms)); }
 * if (isMainProcess(import.meta)) {
 *   await using pool = new Pool(1);
 *   const limit: CallOptions = { timeout: 50 };
 *   await assert.rejects(pool.apply(nap, [10_000], limit), TimeoutError); // the worker is killed and replaced
 *   const stop = new AbortController();
 *   const call = pool.apply(nap, [10_000], { signal: stop.signal });
 *   stop.abort(new Error("not needed any more"));
 *   await assert.rejects(call, /not needed any more/);
 * }
 * ```
 */
export interface CallOptions {
  /** Milliseconds before the call rejects with `TimeoutError` (its running worker is killed and replaced). */
  timeout?: number;
  /** Aborting rejects the call with the signal's reason (its running worker is killed and replaced). */
  signal?: AbortSignal;
}

/**
 * Checks that `n` is an integer ≥ 1.
 * @throws {TypeError} If `n` is not a number. @throws {RangeError} If it is not an integer ≥ 1.
 */
export function positiveInt(n: unknown, what: string): void {
  if (typeof n !== "number") throw new TypeError(`${what} must be a number, got ${typeof n}`);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${what} must be an integer of at least 1, got ${n}`);
}

/** Checks `timeout` and `signal`. @throws {TypeError} or {RangeError} for a bad value. */
export function checkCallOptions(o: CallOptions, what: string): void {
  if (typeof o !== "object" || o === null) throw new TypeError(`The options of ${what}() must be an object`);
  if (o.timeout !== undefined) {
    if (typeof o.timeout !== "number" || Number.isNaN(o.timeout)) {
      throw new TypeError(`${what}() timeout must be a number of milliseconds`);
    }
    if (o.timeout < 0) throw new RangeError(`${what}() timeout must be at least 0 ms, got ${o.timeout}`);
  }
  if (
    o.signal !== undefined &&
    (typeof o.signal !== "object" || o.signal === null || typeof o.signal.addEventListener !== "function")
  ) {
    throw new TypeError(`${what}() signal must be an AbortSignal`);
  }
}

/** Python's default map chunk size: `ceil(n / (4 * workers))`. */
export function chunkCount(n: number, workers: number): number {
  return Math.max(1, Math.ceil(n / (workers * 4)));
}

/** Splits `items` into arrays of `size`. */
export function chunksOf<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

interface _Slot {
  done: boolean;
  ok: boolean;
  value: unknown;
}

/** What {@linkcode runStream} needs. */
export interface StreamSpec {
  fnId: number;
  iterable: Iterable<unknown> | AsyncIterable<unknown>;
  chunksize: number;
  ordered: boolean;
  /** Chunks submitted but not yet yielded, at most. */
  ahead: number;
  options: CallOptions;
  what: string;
}

/**
 * Yields `fn(item)` for every item, reading the input only while fewer than `ahead` chunks are
 * in flight or buffered. An error thrown by the input surfaces where its chunk's results would
 * have been (after every earlier chunk), unchanged.
 */
export async function* runStream<R>(engine: Engine, s: StreamSpec): AsyncGenerator<R> {
  const { timeout, signal } = s.options;
  if (signal?.aborted) throw signal.reason;
  engine.streamStarted();
  const asyncIt = typeof (s.iterable as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function";
  const it = asyncIt
    ? (s.iterable as AsyncIterable<unknown>)[Symbol.asyncIterator]()
    : (s.iterable as Iterable<unknown>)[Symbol.iterator]() as Iterator<unknown> | AsyncIterator<unknown>;
  const slots: _Slot[] = []; // ordered: submission order; unordered: completion order
  const tasks = new Set<PoolTask>();
  let inFlight = 0;
  let inputDone = false;
  let inputError: { e: unknown } | undefined;
  let failure: { e: unknown } | undefined;
  let wake: (() => void) | undefined;
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const fail = (e: unknown) => {
    if (failure) return;
    failure = { e };
    for (const t of tasks) engine.cancel(t, e);
    poke();
  };
  const onAbort = () => fail(signal!.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  const timer = timeout === undefined ? undefined : setTimeout(
    () => fail(new TimeoutError(`${s.what} timed out after ${timeout} ms; ${engine.onCancel}`)),
    timeout,
  );
  try {
    for (;;) {
      while (!inputDone && inFlight < s.ahead && !failure) {
        const items: unknown[] = [];
        try {
          while (items.length < s.chunksize) {
            const r = asyncIt ? await (it as AsyncIterator<unknown>).next() : (it as Iterator<unknown>).next();
            if (r.done) {
              inputDone = true;
              break;
            }
            items.push(r.value);
          }
        } catch (e) {
          inputDone = true;
          inputError = { e };
          break;
        }
        if (items.length === 0) break;
        const slot: _Slot = { done: false, ok: false, value: undefined };
        if (s.ordered) slots.push(slot);
        const task = new PoolTask(s.fnId, MODE_MAP, items, (ok, v) => {
          tasks.delete(task);
          slot.done = true;
          slot.ok = ok;
          slot.value = v;
          if (!s.ordered) slots.push(slot);
          poke();
        });
        tasks.add(task);
        inFlight++;
        engine.submit(task);
      }
      if (failure) throw failure.e;
      const head = slots[0];
      if (head?.done) {
        slots.shift();
        inFlight--;
        if (!head.ok) throw head.value;
        for (const v of head.value as R[]) yield v;
        continue;
      }
      if (inFlight === 0) {
        if (inputError) throw inputError.e;
        if (inputDone) return;
        continue;
      }
      await new Promise<void>((r) => (wake = r));
    }
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
    engine.streamEnded();
    if (!inputDone) {
      try {
        await it.return?.();
      } catch { /* the consumer's exit wins */ }
    }
  }
}
