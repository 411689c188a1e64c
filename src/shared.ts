/**
 * Shared values: `Value` and `SharedArray` over shared memory, read and written
 * synchronously (`v.value`, `a.get(i)` / `a.set(i, x)` / `a.view`), with an optional lock as in
 * Python's `multiprocessing.Value` / `Array`. They need shared memory; where it is unavailable
 * their constructors throw, and a Manager's `Value`/`Array` is the way to share values.
 *
 * Typecodes (as Python's `array` module, sizes as on 64-bit Linux): `b B h H i I` (8/16/32-bit
 * integers, `number`), `l L q Q` (64-bit, `bigint`), `f d` (float32/float64, `number`), and `c`
 * (one byte, read as a one-character string).
 *
 * @module
 */
import { registerType } from "./channel/codec.ts";
import { REBUILD } from "./core/rebuild.ts";
import { StateError } from "./errors.ts";
import { allocate, openBlock, sharedMemory, unavailableReason } from "./sync/shm/arena.ts";
import { Lock } from "./sync/lock.ts";
import { RLock } from "./sync/rlock.ts";

/**
 * A typecode of Python's `array` module, plus `"c"`.
 *
 * @example
 * ```ts
 * import { SharedArray, type Typecode, Value } from "multiproc";
 * import assert from "node:assert/strict";
 * const codes: Typecode[] = ["i", "d", "q", "c"];
 * assert.deepEqual(codes.map((t) => new Value(t).value), [0, 0, 0n, "\0"]); // 64-bit codes read as bigint
 * assert.equal(new SharedArray("c", "hi").toArray().join(""), "hi");
 * ```
 */
export type Typecode = "b" | "B" | "h" | "H" | "i" | "I" | "l" | "L" | "q" | "Q" | "f" | "d" | "c";

/**
 * The typed array a typecode maps to.
 *
 * @example
 * ```ts
 * import { SharedArray, type SharedView } from "multiproc";
 * import assert from "node:assert/strict";
 * const a = new SharedArray("i", [1, 2, 3]);
 * const view: SharedView = a.view; // an Int32Array over the shared bytes themselves
 * assert.ok(view instanceof Int32Array);
 * view[0] = 10;
 * assert.equal(a.get(0), 10);
 * ```
 */
export type SharedView =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

/**
 * Options of {@linkcode Value} and {@linkcode SharedArray}.
 *
 * @example
 * ```ts
 * import { RLock, SharedArray, type SharedOptions, Value } from "multiproc";
 * import assert from "node:assert/strict";
 * const unlocked: SharedOptions = { lock: false };
 * assert.equal(new Value("d", 1.5, unlocked).getLock(), null);
 * const lock = new RLock();
 * const a = new SharedArray("i", 4, { lock }); // several values can share one lock
 * const v = new Value("i", 0, { lock });
 * assert.ok(a.getLock() === lock && v.getLock() === lock);
 * ```
 */
export interface SharedOptions {
  /** `true` (default): a new RLock; `false`: no lock; or a Lock/RLock to use. */
  lock?: boolean | Lock | RLock;
}

type _Ctor = { new (buffer: ArrayBuffer, byteOffset: number, length: number): SharedView; BYTES_PER_ELEMENT: number };
const _TYPES: Record<Typecode, _Ctor> = {
  b: Int8Array,
  B: Uint8Array,
  h: Int16Array,
  H: Uint16Array,
  i: Int32Array,
  I: Uint32Array,
  l: BigInt64Array,
  L: BigUint64Array,
  q: BigInt64Array,
  Q: BigUint64Array,
  f: Float32Array,
  d: Float64Array,
  c: Uint8Array,
};

interface _State {
  t: Typecode;
  n: number;
  s: string;
  o: number;
  l: Lock | RLock | null;
}

function _ctor(typecode: unknown, what: string): _Ctor {
  if (typeof typecode !== "string" || !Object.hasOwn(_TYPES, typecode)) {
    throw new TypeError(
      `${what} typecode must be one of "b B h H i I l L q Q f d c", got ${
        JSON.stringify(typecode) ?? String(typecode)
      }`,
    );
  }
  return _TYPES[typecode as Typecode];
}

function _needShm(what: string): void {
  if (sharedMemory()) return;
  throw new StateError(
    `${what} needs shared memory, which is unavailable here: ${unavailableReason()}. ` +
      `Enable it (Deno: run with --allow-ffi or -A; Node: install the koffi package; Linux x64/arm64 only; ` +
      `unset MULTIPROC_SHM=0), or share the value through a Manager instead: await manager.Value(...) / manager.Array(...)`,
  );
}

function _lockOf(o: SharedOptions | undefined, what: string): Lock | RLock | null {
  const lock = o?.lock ?? true;
  if (lock === true) return new RLock();
  if (lock === false) return null;
  if (lock instanceof Lock || lock instanceof RLock) return lock;
  throw new TypeError(`${what} lock option must be true, false, a Lock or an RLock`);
}

/** Converts a JS value for storing under `typecode`. */
function _toStored(typecode: Typecode, v: unknown, what: string): number | bigint {
  if (typecode === "c") {
    if (typeof v === "string" && v.length === 1 && v.charCodeAt(0) < 256) return v.charCodeAt(0);
    if (typeof v === "number" && Number.isInteger(v) && v >= 0 && v < 256) return v;
    throw new TypeError(
      `${what} of typecode "c" takes a one-character string (code below 256), got ${JSON.stringify(v) ?? String(v)}`,
    );
  }
  if (typecode === "l" || typecode === "L" || typecode === "q" || typecode === "Q") {
    if (typeof v === "bigint") return v;
    if (typeof v === "number" && Number.isSafeInteger(v)) return BigInt(v);
    throw new TypeError(`${what} of typecode "${typecode}" takes a bigint (or a safe integer), got ${typeof v}`);
  }
  if (typeof v === "number") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  throw new TypeError(`${what} of typecode "${typecode}" takes a number, got ${typeof v}`);
}

function _fromStored(typecode: Typecode, v: number | bigint): number | bigint | string {
  return typecode === "c" ? String.fromCharCode(v as number) : v;
}

function _state(t: Typecode, n: number, lock: Lock | RLock | null): { view: SharedView; st: _State } {
  const C = _TYPES[t];
  const b = allocate(Math.max(1, n) * C.BYTES_PER_ELEMENT);
  return { view: new C(b.buffer, b.off, n), st: { t, n, s: b.name, o: b.off, l: lock } };
}

function _open(st: _State, what: string): SharedView {
  const b = openBlock(st.s, st.o, what);
  return new _TYPES[st.t](b.buffer, st.o, st.n);
}

/**
 * The type a `Value`/`SharedArray` reads and writes: `T` without literal narrowing (`0` → `number`).
 *
 * @example
 * ```ts
 * import { Value, type Widen } from "multiproc";
 * import assert from "node:assert/strict";
 * const v = new Value("i", 0); // a Value<0> ...
 * const read: Widen<0> = v.value; // ... whose value is a number, not the literal 0
 * v.value = read + 41;
 * assert.equal(v.value, 41);
 * ```
 */
export type Widen<T> = T extends number ? number : T extends bigint ? bigint : T extends string ? string : T;

/**
 * One number in shared memory: Python's `multiprocessing.Value`. Read and write it synchronously
 * with `v.value`; `+=` is not atomic, so guard it with `getLock()` when processes write at once.
 *
 * @example
 * ```ts
 * import { Value } from "multiproc";
 * const counter = new Value("i", 0);
 * {
 *   await using _ = await counter.getLock()!.hold();
 *   counter.value += 1;
 * }
 * console.log(counter.value); // 1
 * ```
 */
export class Value<T extends number | bigint | string = number> {
  /** The typecode. */
  readonly typecode: Typecode;
  #view: SharedView;
  #st: _State;
  #numeric: boolean;

  static {
    registerType<Value<number | bigint | string>>({
      tag: "multiproc.Value",
      cls: Value,
      reduce: (v) => v.#st,
      rebuild: (s) => new Value(REBUILD, s as _State),
    });
  }

  /**
   * Creates the value in a new shared-memory block.
   * @param typecode One of `"b B h H i I l L q Q f d c"`.
   * @param init Initial value (default 0, `0n` or `"\0"`).
   * @param options `lock`: true (default, a new RLock), false, or a Lock/RLock.
   * @throws {TypeError} If the typecode or the value's type is wrong.
   * @throws {StateError} If shared memory is unavailable (use a Manager's Value then).
   */
  constructor(typecode: Typecode, init?: T, options?: SharedOptions);
  /** @internal */
  constructor(tag: typeof REBUILD, state: _State);
  constructor(typecode: Typecode | typeof REBUILD, init?: T | _State, options?: SharedOptions) {
    if (typecode === REBUILD) {
      this.#st = init as _State;
      this.typecode = this.#st.t;
      this.#view = _open(this.#st, "Value");
      this.#numeric = !/[lLqQc]/.test(this.typecode);
      return;
    }
    _ctor(typecode, "Value");
    _needShm("Value");
    const stored = init === undefined ? undefined : _toStored(typecode, init, "Value");
    const { view, st } = _state(typecode, 1, _lockOf(options, "Value"));
    this.typecode = typecode;
    this.#view = view;
    this.#st = st;
    this.#numeric = !/[lLqQc]/.test(typecode);
    if (stored !== undefined) this.#view[0] = stored as never;
  }

  /** The value (a plain read/write of shared memory). */
  get value(): Widen<T> {
    return (this.typecode === "c" ? String.fromCharCode(this.#view[0] as number) : this.#view[0]) as Widen<T>;
  }
  set value(v: Widen<T>) {
    // Fast path: a number for a numeric typecode (the common `v.value += 1`).
    if (typeof v === "number" && this.#numeric) this.#view[0] = v;
    else this.#view[0] = _toStored(this.typecode, v, "Value") as never;
  }

  /**
   * The lock that guards this value.
   * @returns The Lock/RLock, or null when created with `lock: false`.
   * @example
   * ```ts
   * await using _ = await v.getLock()!.hold();
   * ```
   */
  getLock(): Lock | RLock | null {
    return this.#st.l;
  }
}

/**
 * A fixed-length array in shared memory: Python's `multiprocessing.Array`. Synchronous access with
 * `get(i)` / `set(i, x)`, `length`, iteration, and `view` (the typed array over the shared memory
 * itself, e.g. an `Int32Array` for `"i"`; for `"c"` a `Uint8Array` of byte codes).
 *
 * @example
 * ```ts
 * import { SharedArray } from "multiproc";
 * const a = new SharedArray("d", [1.5, 2.5]);
 * a.set(0, a.get(0) + 1);
 * console.log([...a]); // [2.5, 2.5]
 * ```
 */
export class SharedArray<T extends number | bigint | string = number> implements Iterable<Widen<T>> {
  /** The typecode. */
  readonly typecode: Typecode;
  #view: SharedView;
  #st: _State;

  static {
    registerType<SharedArray<number | bigint | string>>({
      tag: "multiproc.SharedArray",
      cls: SharedArray,
      reduce: (a) => a.#st,
      rebuild: (s) => new SharedArray(REBUILD, s as _State),
    });
  }

  /**
   * Creates the array in a new shared-memory block.
   * @param typecode One of `"b B h H i I l L q Q f d c"`.
   * @param sizeOrInit A length (zero-filled) or the initial items (for `"c"` also a string).
   * @param options `lock`: true (default, a new RLock), false, or a Lock/RLock.
   * @throws {TypeError} If the typecode or an item's type is wrong.
   * @throws {RangeError} If the length is not a non-negative integer.
   * @throws {StateError} If shared memory is unavailable (use a Manager's Array then).
   */
  constructor(typecode: Typecode, sizeOrInit: number | Iterable<T>, options?: SharedOptions);
  /** @internal */
  constructor(tag: typeof REBUILD, state: _State);
  constructor(typecode: Typecode | typeof REBUILD, sizeOrInit: number | Iterable<T> | _State, options?: SharedOptions) {
    if (typecode === REBUILD) {
      this.#st = sizeOrInit as _State;
      this.typecode = this.#st.t;
      this.#view = _open(this.#st, "SharedArray");
      return;
    }
    _ctor(typecode, "SharedArray");
    let items: (number | bigint)[] | undefined;
    let n: number;
    if (typeof sizeOrInit === "number") {
      if (!Number.isSafeInteger(sizeOrInit) || sizeOrInit < 0) {
        throw new RangeError(`SharedArray size must be a non-negative integer, got ${sizeOrInit}`);
      }
      n = sizeOrInit;
    } else if (sizeOrInit !== null && typeof (sizeOrInit as Iterable<T>)[Symbol.iterator] === "function") {
      items = Array.from(sizeOrInit as Iterable<T>, (v, i) => _toStored(typecode, v, `SharedArray item ${i}`));
      n = items.length;
    } else {
      throw new TypeError("SharedArray needs a size or an iterable of initial items");
    }
    _needShm("SharedArray");
    const { view, st } = _state(typecode, n, _lockOf(options, "SharedArray"));
    this.typecode = typecode;
    this.#view = view;
    this.#st = st;
    if (items) { for (let i = 0; i < n; i++) view[i] = items[i] as never; }
  }

  /** Number of items. */
  get length(): number {
    return this.#st.n;
  }

  /** The typed array over the shared memory itself (writes are seen by every process). */
  get view(): SharedView {
    return this.#view;
  }

  /**
   * Item `i`.
   * @param i An index from 0 to length-1.
   * @returns The item.
   * @throws {RangeError} If `i` is out of range.
   * @example
   * ```ts
   * a.get(0);
   * ```
   */
  get(i: number): Widen<T> {
    return _fromStored(this.typecode, this.#view[this.#check(i)]) as Widen<T>;
  }

  /**
   * Sets item `i`.
   * @param i An index from 0 to length-1.
   * @param v The new value.
   * @throws {RangeError} If `i` is out of range.
   * @throws {TypeError} If `v` has the wrong type for the typecode.
   * @example
   * ```ts
   * a.set(0, 42);
   * ```
   */
  set(i: number, v: Widen<T>): void {
    this.#view[this.#check(i)] = _toStored(this.typecode, v, "SharedArray item") as never;
  }

  /**
   * A copy of the items as a plain array.
   * @returns The items.
   * @example
   * ```ts
   * console.log(a.toArray());
   * ```
   */
  toArray(): Widen<T>[] {
    return Array.from(this.#view as ArrayLike<number | bigint>, (v) => _fromStored(this.typecode, v) as Widen<T>);
  }

  /** Iterates over the items. */
  *[Symbol.iterator](): Iterator<Widen<T>> {
    for (let i = 0; i < this.#st.n; i++) yield _fromStored(this.typecode, this.#view[i]) as Widen<T>;
  }

  /**
   * The lock that guards this array.
   * @returns The Lock/RLock, or null when created with `lock: false`.
   * @example
   * ```ts
   * await using _ = await a.getLock()!.hold();
   * ```
   */
  getLock(): Lock | RLock | null {
    return this.#st.l;
  }

  #check(i: number): number {
    if (!Number.isInteger(i) || i < 0 || i >= this.#st.n) {
      throw new RangeError(`SharedArray index ${i} is out of range: use 0 to ${this.#st.n - 1}`);
    }
    return i;
  }
}
