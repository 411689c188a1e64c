/**
 * The codec: any value a user may send between processes, to bytes and back.
 *
 * **Format.** A tagged binary format of our own (wire details in `_codec_shared.ts`), not
 * msgpackr. Both were measured with `bench/codec.ts`; this one was faster on every runtime for
 * small messages (the IPC hot path) and on par or faster for 1-40 KB objects, and it does what
 * msgpackr would need a second walk or global patching for: it names the path of a value that
 * cannot be sent, rejects unregistered class instances, keeps -0, error stacks, causes and
 * props, and leaves msgpackr's process-global extension table alone. It is runtime-neutral
 * (no `v8.serialize`): bytes from Node decode on Bun and Deno and the other way round. Numbers
 * in typed arrays are in the host's byte order (little-endian on every platform these runtimes
 * ship for), which is fine for processes on one machine.
 *
 * **What round-trips exactly**: undefined, null, booleans, numbers (NaN, -0, ±Infinity),
 * strings (also with lone surrogates), bigint of any size, plain objects (a null-prototype
 * object comes back with Object.prototype), arrays, Map, Set, Date (also invalid), RegExp
 * (source and flags; not lastIndex), ArrayBuffer, DataView and every typed array (only the
 * view's bytes travel; the copy has a fresh buffer of its own; Node's Buffer arrives as
 * Uint8Array), Errors (class by name, message, stack, cause, AggregateError's errors, own
 * enumerable props), and objects of types registered with `registerType`. Cycles and shared
 * references are kept: an object that occurs twice arrives as one object.
 *
 * **What does not**: holes in sparse arrays arrive as undefined; non-index properties of arrays,
 * symbol-keyed properties and non-enumerable properties are not sent; two views of one buffer
 * arrive over two buffers. Functions, symbols, SharedArrayBuffer and instances of classes that
 * are neither built-in nor registered make `encode` throw a TypeError that names where in the
 * value they are (a subclass of Map, Set, Date, RegExp or Array counts as such a class; a
 * subclass of a typed array or of Error does not). Objects nested more than 1,000 levels deep
 * (arrays, plain objects, Map, Set, Error causes, registered types; primitives and repeated
 * objects do not count) make `encode` throw a TypeError and `decode` a CodecError.
 *
 * @module
 */

import { _encodeValue } from "./_codec_write.ts";
import { stackFrameUrl } from "./_stack.ts";
import "./_codec_write_types.ts";
import { _decodeValue } from "./_codec_read.ts";
import { frameBlobs, unlinkBlob } from "./blob.ts";
import { frameSides, type SideList } from "./port_buffers.ts";
import "./_codec_read_types.ts";
import {
  _Unsendable,
  CodecError,
  registryListeners,
  typeModules,
  typesByProto,
  typesByTag,
  type TypeSpec,
} from "./_codec_shared.ts";
import { _buildError, _defineHidden, _defineProp, _errorName, _isError, registerErrorClass } from "./_codec_errors.ts";

export { CodecError, registerErrorClass, type TypeSpec };

/**
 * Encodes a value for another process.
 *
 * The result is a view into memory the codec never writes again; it stays valid as long as
 * it is referenced (its `.buffer` may be larger than the view and shared with other results).
 *
 * @param value Any value listed in this module's documentation.
 * @param name What to call the value in error messages, e.g. `"args"` gives "at args[1].fn".
 * @returns The encoded bytes.
 * @throws {TypeError} If the value holds something that cannot be sent; the message names its
 *   path, e.g. "Cannot send value at args[1].fn: functions cannot be sent to another process; ...";
 *   or if it nests objects more than 1,000 levels deep.
 *   Errors thrown by a registered type's `reduce` propagate unchanged.
 * @example
 * ```ts
 * import { decode, encode } from "./codec.ts";
 * const bytes = encode({ id: 3, when: new Date(0), tags: new Set(["a"]) });
 * console.log(decode(bytes)); // { id: 3, when: 1970-01-01T00:00:00.000Z, tags: Set(1) { 'a' } }
 * ```
 */
export function encode(value: unknown, name: string = "value"): Uint8Array {
  try {
    return _encodeValue(value);
  } catch (e) {
    if (!(e instanceof _Unsendable)) throw e;
    const path = name + e.segments.reverse().join("");
    throw new TypeError(`Cannot send value at ${path}: ${e.message}`);
  }
}

/**
 * Encodes a value as one whole frame: a 4-byte big-endian length, then the message (what
 * {@linkcode encode} returns), without copying the message a second time.
 *
 * @param value Any value `encode` accepts.
 * @param toThread The frame goes to another thread of this process: binary data travels beside it
 *   (`frameSides`, see port_buffers.ts), and a SharedArrayBuffer can be sent.
 * @returns Header and message in one view.
 * @throws {TypeError} Like `encode`.
 */
export function encodeFrame(value: unknown, toThread = false): Uint8Array {
  let out: Uint8Array;
  const blobs: string[] = [];
  const side: SideList | undefined = toThread ? [] : undefined;
  try {
    out = _encodeValue(value, 4, blobs, side);
  } catch (e) {
    if (!(e instanceof _Unsendable)) throw e;
    throw new TypeError(`Cannot send value at value${e.segments.reverse().join("")}: ${e.message}`);
  }
  const n = out.length - 4;
  out[0] = n >>> 24;
  out[1] = (n >>> 16) & 255;
  out[2] = (n >>> 8) & 255;
  out[3] = n & 255;
  if (blobs.length !== 0) frameBlobs.set(out, blobs);
  if (side !== undefined && side.length !== 0) frameSides.set(out, side);
  return out;
}

/**
 * Decodes a message made by {@linkcode encodeFrame} (without its 4-byte header): like `decode`, and
 * binary data that travelled as shared-memory blob files is read and the files removed.
 *
 * @param bytes One whole message.
 * @returns The value.
 * @throws {CodecError} Like `decode`, and for a blob reference that names no usable file (see blob.ts).
 *   After an error for a type the type loader may still bring (see {@linkcode loadMissingTypes}), the
 *   blob files read so far stay, for decoding the frame again once it has run; otherwise they are removed.
 * @example
 * ```ts
 * import { decodeFrame, encodeFrame } from "./codec.ts";
 * const frame = encodeFrame({ data: new Uint8Array(1 << 20) });
 * console.log(decodeFrame(frame.subarray(4))); // { data: Uint8Array(1048576) [...] }
 * ```
 */
export function decodeFrame(bytes: Uint8Array): unknown {
  const blobs: string[] = [];
  let value: unknown;
  try {
    value = _decodeValue(_plain(bytes), blobs, frameSides.get(bytes));
  } catch (e) {
    // Kept only when the caller can load the missing types and decode the frame again.
    const retry = isUnknownTypeError(e) && !_loaded && _loader !== undefined;
    if (!retry) { for (const n of blobs) unlinkBlob(n); }
    throw e;
  }
  for (const n of blobs) unlinkBlob(n);
  return value;
}

/**
 * Decodes bytes made by `encode` (in this or any other runtime).
 *
 * @param bytes One whole message. It is not modified or retained; decoded binary data is copied.
 * @returns The value.
 * @throws {CodecError} If the bytes are not a complete message from this codec, nest objects more
 *   than 1,000 levels deep, or name a type this process has not registered. Errors thrown by a registered type's `rebuild` propagate unchanged.
 * @throws {TypeError} If `bytes` is not a Uint8Array, other ArrayBufferView or ArrayBuffer.
 * @example
 * ```ts
 * import { decode, encode } from "./codec.ts";
 * const m = new Map([[1, "one"]]);
 * console.log(decode(encode(m))); // Map(1) { 1 => 'one' }
 * ```
 */
export function decode(bytes: Uint8Array): unknown {
  return _decodeValue(_plain(bytes));
}

/** The input as a plain Uint8Array: a Node Buffer's `slice` would give views, not copies. */
function _plain(bytes: Uint8Array): Uint8Array {
  if (bytes instanceof Uint8Array && bytes.constructor === Uint8Array) return bytes;
  const b = bytes as unknown;
  if (ArrayBuffer.isView(b)) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  if (b instanceof ArrayBuffer) return new Uint8Array(b);
  throw new TypeError(`decode() expects a Uint8Array, got ${b === null ? "null" : typeof b}`);
}

/**
 * Lets instances of a library class travel by reference: `encode` embeds `spec.reduce(obj)` and
 * `decode` returns `spec.rebuild(state)`. A registered class wins over its built-in base classes,
 * and the most-derived registered class wins. Registering a tag again replaces the earlier spec.
 *
 * The state is encoded like any value, so it may share objects with the rest of the message,
 * but it may not contain the object itself (encode throws a TypeError): `rebuild` runs after its
 * state is decoded, so there would be nothing to point at yet. An object that occurs twice in a
 * message is reduced once and rebuilt once.
 *
 * @param spec The tag, class and the two conversions.
 * @throws {TypeError} If a field of `spec` is missing or has the wrong type.
 * @example
 * ```ts
 * import { decode, encode, registerType } from "./codec.ts";
 * class Ticket { id = 0; }
 * registerType<Ticket>({
 *   tag: "Ticket",
 *   cls: Ticket,
 *   reduce: (t) => t.id,
 *   rebuild: (id) => Object.assign(new Ticket(), { id: id as number }),
 * });
 * const t = Object.assign(new Ticket(), { id: 7 });
 * console.log(decode(encode([t, t]))); // [ Ticket { id: 7 }, Ticket { id: 7 } ] (one object)
 * ```
 */
export function registerType<T>(spec: TypeSpec<T>): void {
  if (typeof spec !== "object" || spec === null) throw new TypeError("registerType() expects a spec object");
  const { tag, cls, reduce, rebuild } = spec;
  if (typeof tag !== "string" || tag === "") throw new TypeError("registerType() needs a non-empty string tag");
  if (typeof cls !== "function" || typeof cls.prototype !== "object" || cls.prototype === null) {
    throw new TypeError(`registerType() needs a class for tag "${tag}"`);
  }
  if (typeof reduce !== "function" || typeof rebuild !== "function") {
    throw new TypeError(`registerType() needs reduce and rebuild functions for tag "${tag}"`);
  }
  spec.module ??= _registeringModule();
  const old = typesByTag.get(tag);
  if (old !== undefined && typesByProto.get(old.cls.prototype) === old) typesByProto.delete(old.cls.prototype);
  typesByTag.set(tag, spec as TypeSpec<unknown>);
  typesByProto.set(cls.prototype, spec as TypeSpec<unknown>);
  for (const listener of registryListeners) listener();
}

/** URL of the module that called `registerType`: the stack frame right after registerType's own. */
function _registeringModule(): string | undefined {
  const lines = (new Error().stack ?? "").split("\n");
  const at = lines.findIndex((l) => /\bregisterType\b/.test(l));
  for (const line of lines.slice(at + 1)) {
    const url = stackFrameUrl(line);
    if (url) return url;
  }
  return undefined;
}

let _loader: (() => Promise<unknown>) | undefined;
let _loading: Promise<void> | undefined;
let _loaded = false;

/**
 * Sets how this process loads the modules that register library types it has not imported yet
 * (a child loads the rest of the library). Used by {@linkcode decodeOrLoad} and the link layer.
 * @param load Imports the modules.
 */
export function setTypeLoader(load: () => Promise<unknown>): void {
  _loader = load;
}

/** True when `e` is decode's error for a type this process has not registered. */
export function isUnknownTypeError(e: unknown): boolean {
  return e instanceof CodecError && e.message.includes("has not registered");
}

/**
 * Runs the type loader once; the same promise while it runs (a second link may meet an unknown
 * type meanwhile); undefined when there is none or it has finished (a type still unknown then is
 * not the library's). The promise never rejects.
 */
export function loadMissingTypes(): Promise<void> | undefined {
  if (_loaded || !_loader) return undefined;
  if (!_loading) {
    try {
      _loading = Promise.resolve(_loader()).then(() => {}, () => {});
    } catch {
      _loading = Promise.resolve();
    }
    _loading = _loading.then(() => {
      _loaded = true;
    });
  }
  return _loading;
}

/**
 * Decodes like {@linkcode decode}; a message that holds a library type this process has not
 * loaded yet waits for the type loader and is decoded again.
 * @param bytes One whole message.
 * @returns The value, or a Promise of it when types had to be loaded first.
 * @throws {CodecError} Like `decode` (or rejects, after a load).
 */
export function decodeOrLoad(bytes: Uint8Array): unknown {
  try {
    return decode(bytes);
  } catch (e) {
    const loading = isUnknownTypeError(e) ? loadMissingTypes() : undefined;
    if (!loading) throw e;
    return loading.then(() => decode(bytes));
  }
}

/**
 * Runs `fn` (which encodes) and reports the modules of the registered types it wrote, so that
 * a receiving process can import exactly those before it decodes (see `TypeSpec.module`).
 *
 * @param fn Code that calls `encode`.
 * @returns What `fn` returned, and the module URLs.
 */
export function withTypeModules<T>(fn: () => T): [T, string[]] {
  const outer = typeModules.used;
  const used = new Set<string>();
  typeModules.used = used;
  try {
    return [fn(), [...used]];
  } finally {
    typeModules.used = outer;
    if (outer) { for (const m of used) outer.add(m); }
  }
}

/** The plain record `encodeError` returns; every field is encodable. */
export interface ErrorRecord {
  /** Class name to rebuild (registered or built-in), else the error's own name. */
  name: string;
  /** The message. */
  message: string;
  /** The stack text, if the error had one. */
  stack: string | undefined;
  /** Present if the error had an own `cause`: an ErrorRecord for an Error, else the (encodable) value. */
  cause?: unknown;
  /** AggregateError's errors, each an ErrorRecord or an encodable value. */
  errors?: unknown[];
  /** Own enumerable properties (e.g. `code`); values that cannot be sent are replaced by a description. */
  props: Record<string, unknown>;
}

/**
 * Turns anything thrown into a plain record that `encode` always accepts, for reporting an
 * error whatever it carries. A thrown non-Error becomes `{ name: "Error", message: String(value) }`.
 *
 * @param err The thrown value.
 * @returns The record; `decodeError` turns it back into an Error.
 * @example
 * ```ts
 * import { decodeError, encodeError } from "./codec.ts";
 * const e = Object.assign(new RangeError("too big"), { code: 42 });
 * const back = decodeError(encodeError(e));
 * console.log(back instanceof RangeError, (back as RangeError & { code: number }).code); // true 42
 * ```
 */
export function encodeError(err: unknown): ErrorRecord {
  return _toRecord(err, new Set());
}

function _toRecord(err: unknown, seen: Set<unknown>): ErrorRecord {
  if (!_isError(err)) {
    let message: string;
    try {
      message = String(err);
    } catch {
      message = Object.prototype.toString.call(err);
    }
    return { name: "Error", message, stack: undefined, props: {} };
  }
  seen.add(err);
  const rec: ErrorRecord = { name: _errorName(err), message: "", stack: undefined, props: {} };
  try {
    rec.message = String(err.message ?? "");
    if (typeof err.stack === "string") rec.stack = err.stack;
  } catch {
    // hostile getters: keep what we have
  }
  const nested = (
    v: unknown,
  ): unknown => (_isError(v) ? (seen.has(v) ? _sendable(String(v)) : _toRecord(v, seen)) : _sendable(v));
  if (Object.prototype.hasOwnProperty.call(err, "cause")) rec.cause = nested(err.cause);
  const errors = (err as { errors?: unknown }).errors;
  if (err instanceof AggregateError && Array.isArray(errors)) rec.errors = errors.map(nested);
  for (const key of Object.keys(err)) {
    let v: unknown;
    try {
      v = (err as unknown as Record<string, unknown>)[key];
    } catch (e) {
      v = `[unreadable: ${e instanceof Error ? e.message : String(e)}]`;
    }
    _defineProp(rec.props, key, _sendable(v));
  }
  return rec;
}

/** The value itself if `encode` accepts it, else a string saying why not. */
function _sendable(v: unknown): unknown {
  if (v === null || (typeof v !== "object" && typeof v !== "function" && typeof v !== "symbol")) return v;
  try {
    encode(v);
    return v;
  } catch (e) {
    return `[unsendable: ${e instanceof Error ? e.message.replace(/^Cannot send value at value: /, "") : String(e)}]`;
  }
}

/**
 * Rebuilds an Error from a record made by `encodeError`: a built-in class (Error, TypeError,
 * RangeError, SyntaxError, ReferenceError, EvalError, URIError, AggregateError) or a class
 * registered with `registerErrorClass`, created without running its constructor; any other
 * name gives a plain Error whose `name` is that name. Stack text, cause (recursively), errors
 * and own props are restored. An Error passed in is returned as is.
 *
 * @param rec A record from `encodeError` (after `encode`/`decode`, or as is).
 * @returns The rebuilt error.
 * @throws {CodecError} If `rec` is not such a record.
 * @example
 * ```ts
 * import { decodeError, encodeError } from "./codec.ts";
 * const back = decodeError(encodeError(new TypeError("bad", { cause: new Error("root") })));
 * console.log(back.name, (back.cause as Error).message); // TypeError root
 * ```
 */
export function decodeError(rec: unknown): Error {
  if (_isError(rec)) return rec;
  if (!_isRecord(rec)) throw new CodecError("decodeError() expects a record made by encodeError()");
  const err = _buildError(rec.name, rec.message, typeof rec.stack === "string" ? rec.stack : undefined);
  const nested = (v: unknown): unknown => (_isRecord(v) ? decodeError(v) : v);
  if (Object.prototype.hasOwnProperty.call(rec, "cause")) _defineHidden(err, "cause", nested(rec.cause));
  if (Array.isArray(rec.errors)) _defineHidden(err, "errors", rec.errors.map(nested));
  for (const key of Object.keys(rec.props)) _defineProp(err, key, rec.props[key]);
  return err;
}

const _RECORD_KEYS = new Set(["name", "message", "stack", "cause", "errors", "props"]);

function _isRecord(v: unknown): v is ErrorRecord {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const r = v as Record<string, unknown>;
  if (typeof r.name !== "string" || typeof r.message !== "string") return false;
  if (typeof r.props !== "object" || r.props === null) return false;
  for (const k of Object.keys(r)) if (!_RECORD_KEYS.has(k)) return false;
  return true;
}
