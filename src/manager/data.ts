/**
 * The objects a manager process serves for its data proxies: dict, list, namespace, Value and
 * Array. Each checks the arguments of every request (a request from a broken or hostile client
 * gets an error reply; the server keeps serving).
 *
 * @module
 */
import type { Peer } from "../channel/peer.ts";
import type { Served } from "../core/node.ts";
import { _show } from "../sync/served/common.ts";

type _Method = (args: unknown[]) => unknown;

/** Served object whose methods are a fixed table (unknown names get a TypeError reply). */
class _Table implements Served {
  #label: string;
  #methods: Record<string, _Method>;
  constructor(label: string, methods: Record<string, _Method>) {
    this.#label = label;
    this.#methods = methods;
  }
  call(method: string, args: unknown[], _peer: Peer | null): unknown {
    const m = Object.hasOwn(this.#methods, method) ? this.#methods[method] : undefined;
    if (m === undefined) throw new TypeError(`${this.#label} has no method ${_show(method)}`);
    return m(args);
  }
}

function _key(label: string, k: unknown): string {
  if (typeof k !== "string") throw new TypeError(`${label} keys must be strings, got ${_show(k)}`);
  return k;
}

function _record(label: string, o: unknown): Iterable<[string, unknown]> {
  if (o instanceof Map) return [...o].map(([k, v]) => [_key(label, k), v] as [string, unknown]);
  if (typeof o !== "object" || o === null || Array.isArray(o)) {
    throw new TypeError(`${label} expects a plain object or a Map of string keys, got ${_show(o)}`);
  }
  return Object.entries(o);
}

function _fromEntries(entries: Iterable<[string, unknown]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) {
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** A string-keyed map from a request's initial entries, and the methods a dict and a namespace share. */
function _keyed(L: string, init: unknown): [Map<string, unknown>, Record<string, _Method>] {
  const m = new Map<string, unknown>(init === undefined || init === null ? [] : _record(L, init));
  return [m, {
    get: ([k]) => m.get(_key(L, k)),
    set: ([k, v]) => void m.set(_key(L, k), v),
    toObject: () => _fromEntries(m),
  }];
}

/**
 * A served dict (string keys, insertion order). A missing key reads as `undefined`, like a Map
 * (there is no KeyError).
 */
export function servedDict(init: unknown): Served {
  const L = "DictProxy";
  const [m, shared] = _keyed(L, init);
  return new _Table(L, {
    ...shared,
    delete: ([k]) => m.delete(_key(L, k)),
    has: ([k]) => m.has(_key(L, k)),
    keys: () => [...m.keys()],
    values: () => [...m.values()],
    entries: () => [...m.entries()],
    size: () => m.size,
    clear: () => m.clear(),
    update: ([o]) => {
      for (const [k, v] of _record(`${L}.update()`, o)) m.set(k, v);
    },
  });
}

function _index(label: string, i: unknown, length: number, what: string): number {
  if (typeof i !== "number" || !Number.isInteger(i)) {
    throw new TypeError(`${label} index must be an integer, got ${_show(i)}`);
  }
  const j = i < 0 ? i + length : i;
  if (j < 0 || j >= length) throw new RangeError(`${label} ${what} index ${i} is out of range for length ${length}`);
  return j;
}

function _array(label: string, vs: unknown): unknown[] {
  if (!Array.isArray(vs)) throw new TypeError(`${label} expects an array, got ${_show(vs)}`);
  return vs;
}

/** A served list with Python's indexing (negative indices count from the end). */
export function servedList(init: unknown): Served {
  const L = "ListProxy";
  const a: unknown[] = init === undefined || init === null ? [] : [..._array(L, init)];
  return new _Table(L, {
    get: ([i]) => a[_index(L, i, a.length, "get()")],
    set: ([i, v]) => void (a[_index(L, i, a.length, "set()")] = v),
    append: ([v]) => void a.push(v),
    extend: ([vs]) => {
      // One push per item: spreading a big array into push() overflows the stack (~120k items).
      for (const v of _array(`${L}.extend()`, vs)) a.push(v);
    },
    insert: ([i, v]) => {
      if (typeof i !== "number" || !Number.isInteger(i)) {
        throw new TypeError(`${L}.insert() index must be an integer, got ${_show(i)}`);
      }
      const j = i < 0 ? Math.max(0, i + a.length) : Math.min(i, a.length);
      a.splice(j, 0, v);
    },
    pop: ([i]) => {
      if (a.length === 0) throw new RangeError(`${L}.pop() on an empty list: check length() first`);
      return a.splice(_index(L, i ?? -1, a.length, "pop()"), 1)[0];
    },
    length: () => a.length,
    toArray: () => a,
    clear: () => void (a.length = 0),
  });
}

/** A served namespace: named attributes; a missing one reads as `undefined`. */
export function servedNamespace(init: unknown): Served {
  const L = "NamespaceProxy";
  return new _Table(L, _keyed(L, init)[1]);
}

// A Map, not an object: a typecode from a request must not find "toString" or "__proto__".
const _INT_RANGES: ReadonlyMap<string, [bigint, bigint]> = new Map([
  ["b", [-(2n ** 7n), 2n ** 7n - 1n]],
  ["B", [0n, 2n ** 8n - 1n]],
  ["h", [-(2n ** 15n), 2n ** 15n - 1n]],
  ["H", [0n, 2n ** 16n - 1n]],
  ["i", [-(2n ** 31n), 2n ** 31n - 1n]],
  ["I", [0n, 2n ** 32n - 1n]],
  ["l", [-(2n ** 63n), 2n ** 63n - 1n]],
  ["L", [0n, 2n ** 64n - 1n]],
  ["q", [-(2n ** 63n), 2n ** 63n - 1n]],
  ["Q", [0n, 2n ** 64n - 1n]],
]);

/** Most items of a manager Array made from a size: a short request must not make the server allocate without bound. */
export const MAX_ARRAY_SIZE: number = 1 << 24;

/**
 * Checks a typecode (Python's `array` codes plus "c").
 * @throws {TypeError} If it is not one.
 */
export function checkTypecode(label: string, code: unknown): string {
  if (typeof code !== "string" || !(_INT_RANGES.has(code) || code === "f" || code === "d" || code === "c")) {
    throw new TypeError(`${label} typecode must be one of b B h H i I l L q Q f d c, got ${_show(code)}`);
  }
  return code;
}

/**
 * Checks that `v` fits typecode `code` (integers in range as number or bigint, numbers for f/d,
 * a one-character string for c); "f" values are rounded to float32.
 * @throws {TypeError} If `v` has the wrong type.
 * @throws {RangeError} If an integer is out of the typecode's range.
 */
export function coerce(label: string, code: string, v: unknown): unknown {
  const range = _INT_RANGES.get(code);
  if (range !== undefined) {
    if (!(typeof v === "bigint" || (typeof v === "number" && Number.isInteger(v)))) {
      throw new TypeError(`${label} of typecode "${code}" holds integers, got ${_show(v)}`);
    }
    const b = BigInt(v);
    if (b < range[0] || b > range[1]) {
      throw new RangeError(`${label} value ${_show(v)} is out of range for typecode "${code}"`);
    }
    return v;
  }
  if (code === "c") {
    if (typeof v !== "string" || v.length !== 1) {
      throw new TypeError(`${label} of typecode "c" holds one-character strings, got ${_show(v)}`);
    }
    return v;
  }
  if (typeof v !== "number") throw new TypeError(`${label} of typecode "${code}" holds numbers, got ${_show(v)}`);
  return code === "f" ? Math.fround(v) : v;
}

/** A served Value: one typed value. */
export function servedValue(code: unknown, init: unknown): Served {
  const L = "ValueProxy";
  const tc = checkTypecode(L, code);
  let value = coerce(L, tc, init);
  return new _Table(L, {
    get: () => value,
    set: ([v]) => void (value = coerce(L, tc, v)),
  });
}

/** A served Array: a fixed-length typed sequence (from a length, filled with zeros, or values). */
export function servedArray(code: unknown, init: unknown): Served {
  const L = "ArrayProxy";
  const tc = checkTypecode(L, code);
  let a: unknown[];
  if (typeof init === "number") {
    if (!Number.isInteger(init) || init < 0 || init > MAX_ARRAY_SIZE) {
      throw new RangeError(`${L} size must be an integer from 0 to ${MAX_ARRAY_SIZE}, got ${init}`);
    }
    a = new Array(init).fill(tc === "c" ? "\0" : 0);
  } else a = _array(L, init).map((v) => coerce(L, tc, v));
  return new _Table(L, {
    get: ([i]) => a[_index(L, i, a.length, "get()")],
    set: ([i, v]) => void (a[_index(L, i, a.length, "set()")] = coerce(L, tc, v)),
    length: () => a.length,
    toArray: () => a,
  });
}
