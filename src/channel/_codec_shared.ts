/**
 * Pieces the codec's writer and reader share: the wire tags, the typed-array kind table, the
 * registry of library types that travel as references, and the codec's error classes.
 *
 * @module
 */

/**
 * Deepest nesting of objects (arrays, plain objects, Map, Set, Error, registered types, ...) a
 * message may have; primitives and back-references do not count. Encode and decode walk values
 * recursively: the limit keeps the walk well inside the smallest call stack of the three
 * runtimes (measured at about 3,000 levels for Node's encoder), even when encode is called deep
 * inside user code, so a deep value fails with an error naming the limit instead of a stack overflow.
 */
export const MAX_DEPTH = 1000;

/** First byte of every encoded message; bump it when the wire format changes incompatibly. */
export const FORMAT_VERSION = 0x01;

// One-byte immediates: 0x00-0x7f uint 0..127 and 0xe0-0xff int -32..-1, plus the three below.
// Byte orders are little-endian; a varuint is unsigned LEB128.
/** 0x80-0x9f: a UTF-8 string of 0..31 bytes. */
export const T_FIXSTR = 0x80;
/** 0xa0-0xaf: an array of 0..15 items. */
export const T_FIXARRAY = 0xa0;
/** 0xb0-0xbf: a plain object of 0..15 (key, value) entries. */
export const T_FIXOBJECT = 0xb0;
/** undefined. */
export const T_UNDEFINED = 0xc0;
/** null. */
export const T_NULL = 0xc1;
/** false. */
export const T_FALSE = 0xc2;
/** true. */
export const T_TRUE = 0xc3;
/** An integer 128..255: 1 byte. */
export const T_UINT8 = 0xc4;
/** An integer 256..65535: u16. */
export const T_UINT16 = 0xc5;
/** Any other int32: 4 bytes. */
export const T_INT32 = 0xc6;
/** Any other number (also -0, NaN, ±Infinity, integers beyond int32): f64. */
export const T_FLOAT64 = 0xc7;
/** A string of 32..255 UTF-8 bytes: u8 length, bytes. */
export const T_STR8 = 0xc8;
/** A longer string: u32 length, UTF-8 bytes. */
export const T_STR32 = 0xc9;
/** A string with lone surrogates, which UTF-8 cannot carry: u32 unit count, UTF-16 units. */
export const T_STR16 = 0xca;
/** An array of 16 or more items: varuint count, items. */
export const T_ARRAY = 0xcb;
/** A plain object of 16 or more entries: varuint count, (key, value) entries. */
export const T_OBJECT = 0xcc;
/** A Map: varuint count, (key value, value) entries. */
export const T_MAP = 0xcd;
/** A Set: varuint count, items. */
export const T_SET = 0xce;
/** A Date: f64 time value (NaN for an invalid Date). */
export const T_DATE = 0xcf;
/** A RegExp: source string, flags string. */
export const T_REGEXP = 0xd0;
/** A bigint that fits int64: 8 bytes. */
export const T_BIGINT64 = 0xd1;
/** Any other bigint: u8 sign (1 = negative), u32 length, lowercase hex digits of the magnitude. */
export const T_BIGINT = 0xd2;
/** An ArrayBuffer: u32 length, bytes. */
export const T_ARRAYBUFFER = 0xd3;
/** A typed array: u8 kind (index in TYPED_KINDS), u32 byte length, bytes. */
export const T_TYPED = 0xd4;
/** A DataView: u32 length, bytes. */
export const T_DATAVIEW = 0xd5;
/** An Error: name, message, stack or undefined, u8 flags, [cause], [errors], varuint n, n (key, value). */
export const T_ERROR = 0xd6;
/** An object seen earlier in this message: varuint index in first-seen order. */
export const T_REF = 0xd7;
/** A registered type: its tag (written as a key), then its reduced state. */
export const T_CUSTOM = 0xd8;
/** An integer -32768..-33: i16. */
export const T_INT16 = 0xd9;
/** In key position, a key seen earlier in this message: varuint key id (ids 0..127 are one byte). */
export const T_KEYREF = 0xda;
/**
 * Binary data in a shared-memory file (frames only, see blob.ts): the tag it stands for (T_ARRAYBUFFER,
 * T_DATAVIEW, or T_TYPED then u8 kind), u32 byte length, u8 name length, the file name (ASCII).
 */
export const T_BLOB = 0xdb;
/**
 * Binary data beside the frame (links between threads, see port_buffers.ts): the tag it stands for
 * (T_ARRAYBUFFER, T_DATAVIEW, T_TYPED then u8 kind, or {@linkcode PORTBUF_SHARED} for a
 * SharedArrayBuffer), varuint index in the frame's side list, u32 byte offset, u32 byte length.
 */
export const T_PORTBUF = 0xdc;
/** In a `T_PORTBUF`: the value is the SharedArrayBuffer itself. */
export const PORTBUF_SHARED = 0xff;

/** Flag in an encoded error: a cause follows. */
export const ERR_HAS_CAUSE = 1;
/** Flag in an encoded error: AggregateError's errors follow. */
export const ERR_HAS_ERRORS = 2;

/** Typed-array classes by wire kind; a name this runtime lacks (Float16Array) maps to undefined. */
export const TYPED_KINDS: ReadonlyArray<string> = [
  "Int8Array",
  "Uint8Array",
  "Uint8ClampedArray",
  "Int16Array",
  "Uint16Array",
  "Int32Array",
  "Uint32Array",
  "Float32Array",
  "Float64Array",
  "BigInt64Array",
  "BigUint64Array",
  "Float16Array",
];

/** A typed-array constructor, as the reader needs it. */
export type TypedArrayCtor = new (buffer: ArrayBuffer) => ArrayBufferView;

/** Constructors for TYPED_KINDS in this runtime (undefined where missing). */
export const TYPED_CTORS: ReadonlyArray<TypedArrayCtor | undefined> = TYPED_KINDS.map(
  (name) => (globalThis as Record<string, unknown>)[name] as TypedArrayCtor | undefined,
);

/**
 * How a library class crosses a process boundary: by reference, like Python's `reduction`.
 *
 * @example
 * ```ts
 * import { registerType } from "./codec.ts";
 * class Handle { id = 0; }
 * registerType({
 *   tag: "Handle",
 *   cls: Handle,
 *   reduce: (h) => h.id,
 *   rebuild: (id) => Object.assign(new Handle(), { id: id as number }),
 * });
 * ```
 */
export interface TypeSpec<T> {
  /** Unique name on the wire; the receiving process must have registered the same tag. */
  tag: string;
  /** Instances of this class (and of its unregistered subclasses) use this spec. */
  cls: abstract new (...args: any[]) => T;
  /** Returns the encodable state that `rebuild` turns back into an object. */
  reduce(obj: T): unknown;
  /** Builds the receiving process's object from the state `reduce` returned. */
  rebuild(state: unknown): T;
  /**
   * URL of the module whose import registers this type (default: the module that called
   * `registerType`). A process that receives such an object must have imported it.
   */
  module?: string;
}

/** While set, modules of the registered types that `encode` writes are collected here. */
export const typeModules: { used: Set<string> | undefined } = { used: undefined };

/** Registered types by tag (for the reader). */
export const typesByTag: Map<string, TypeSpec<unknown>> = new Map();
/** Registered types by their class's prototype (for the writer). */
export const typesByProto: Map<object, TypeSpec<unknown>> = new Map();

/** Callbacks run when the registry changes (the writer drops its dispatch cache). */
export const registryListeners: Array<() => void> = [];

/**
 * Thrown by `decode` when its input is not a message this codec wrote (truncated, corrupted,
 * or from an incompatible version), and by `decodeError` when given something that is not a record.
 *
 * @example
 * ```ts
 * import { CodecError, decode } from "./codec.ts";
 * try { decode(new Uint8Array([0xff])); } catch (e) { console.log(e instanceof CodecError); }
 * ```
 */
export class CodecError extends Error {
  /**
   * @param message What was wrong with the input.
   * @param options `cause`: the low-level error, if any.
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CodecError";
  }
}

/** Internal: a value the writer cannot send; collects the path on its way up. */
export class _Unsendable extends Error {
  /** Path segments, innermost first. */
  readonly segments: string[] = [];
  constructor(reason: string) {
    super(reason);
  }
}

/** Internal: wraps an error thrown by a user's `rebuild` so `decode` rethrows it unchanged. */
export class _RebuildFailure {
  readonly error: unknown;
  constructor(error: unknown) {
    this.error = error;
  }
}

const _IDENT = /^[A-Za-z_$][\w$]*$/;

/** Formats one property-name path segment: `.name` or `["odd key"]`. */
export function _keySegment(key: string): string {
  return _IDENT.test(key) ? "." + key : "[" + JSON.stringify(key) + "]";
}

/** Short human description of a Map key for error paths. */
export function _describeKey(key: unknown): string {
  switch (typeof key) {
    case "string":
      return JSON.stringify(key);
    case "number":
    case "boolean":
    case "undefined":
      return String(key);
    case "bigint":
      return key + "n";
    default:
      return key === null ? "null" : "<" + typeof key + ">";
  }
}

/** The class name of an object, for messages; never throws. */
export function _className(proto: object | null): string {
  try {
    const ctor = proto === null ? undefined : (proto as { constructor?: unknown }).constructor;
    const name = typeof ctor === "function" ? ctor.name : "";
    return name || "(anonymous)";
  } catch {
    return "(anonymous)";
  }
}
