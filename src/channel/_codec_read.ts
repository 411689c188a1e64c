/**
 * The codec's reader core: primitives, strings, plain objects, arrays and back-references; the
 * other tags are read by `_codec_read_types.ts`. Every length and count is checked against the
 * bytes left before anything is allocated, so garbage input fails fast with a `CodecError`
 * instead of crashing or hanging.
 *
 * @module
 */

import * as W from "./_codec_shared.ts";
import { _defineProp } from "./_codec_errors.ts";

const { CodecError, _RebuildFailure } = W;

const _EMPTY = new Uint8Array(0);
let _src: Uint8Array = _EMPTY;
let _pos = 0;
let _end = 0;
let _refs: unknown[] = [];
let _keys: string[] = [];
let _busy = false;
const _MAX_DEPTH = W.MAX_DEPTH; // a local const: cheaper than a namespace lookup in the hot path
let _depth = 0; // objects open on the way down to the value being read
// Set while a frame is read: blob references are allowed, and the files read are listed here.
let _blobs: string[] | undefined;
// Set while a frame from another thread is read: the buffers that came beside it (port_buffers.ts).
let _side: readonly (ArrayBuffer | SharedArrayBuffer)[] | undefined;

/** The buffers beside the frame being read; undefined when it has none (no `T_PORTBUF` allowed). */
export function _sideList(): readonly (ArrayBuffer | SharedArrayBuffer)[] | undefined {
  return _side;
}

/** The blob files read so far in this frame; undefined when the message is not a frame (no blobs allowed). */
export function _blobList(): string[] | undefined {
  return _blobs;
}

const _PENDING = Symbol("pending");
const _td = new TextDecoder();
const _fcc = String.fromCharCode;
// Node, Bun and Deno 2 all have Buffer's utf8Slice, which works on any Uint8Array and is 2-3x
// faster than TextDecoder for short strings; other hosts fall back to TextDecoder.
const _utf8Slice = (globalThis as { Buffer?: { prototype?: { utf8Slice?: unknown } } }).Buffer?.prototype?.utf8Slice as
  | ((this: Uint8Array, start: number, end: number) => string)
  | undefined;
/** Decodes UTF-8 bytes `start..end` of `s` (invalid sequences become U+FFFD). */
export const _decodeUtf8: (s: Uint8Array, start: number, end: number) => string = typeof _utf8Slice === "function"
  ? (s, start, end) => _utf8Slice.call(s, start, end)
  : (s, start, end) => _td.decode(s.subarray(start, end));

let _readRare: (tag: number) => unknown = () => {
  throw new Error("codec reader used before its types module was loaded");
};

/** Installs the reader for the tags this module does not handle (done once by the types module). */
export function _setRareReader(read: (tag: number) => unknown): void {
  _readRare = read;
}

/**
 * Decodes one message; see `decode` in codec.ts for the contract. With `blobs`, blob references
 * are read and the names of the files read are added to it (the caller removes them); `side` holds
 * the buffers that came beside a frame from another thread.
 */
export function _decodeValue(
  bytes: Uint8Array,
  blobs?: string[],
  side?: readonly (ArrayBuffer | SharedArrayBuffer)[],
): unknown {
  if (_busy) return _decodeReentrant(bytes);
  _busy = true;
  _blobs = blobs;
  _side = side;
  try {
    if (bytes.length === 0) throw new CodecError("Cannot decode an empty message");
    if (bytes[0] !== W.FORMAT_VERSION) {
      throw new CodecError(
        `Cannot decode message: it starts with byte 0x${bytes[0].toString(16)}, not format version ` +
          `0x${W.FORMAT_VERSION.toString(16)}; it was not made by this codec or by a compatible version`,
      );
    }
    _src = bytes;
    _pos = 1;
    _end = bytes.length;
    _depth = 0;
    const value = _readValue();
    if (_pos !== _end) throw new CodecError(`Cannot decode message: ${_end - _pos} bytes left over after the value`);
    return value;
  } catch (e) {
    if (e instanceof _RebuildFailure) throw e.error;
    if (e instanceof CodecError) throw e;
    throw new CodecError(`Cannot decode message: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  } finally {
    if (_refs.length !== 0) _refs.length = 0;
    if (_keys.length !== 0) _keys.length = 0;
    _src = _EMPTY;
    _blobs = undefined;
    _side = undefined;
    _busy = false;
  }
}

/** A `rebuild` that calls `decode` itself: run it on fresh state, then restore ours. */
function _decodeReentrant(bytes: Uint8Array): unknown {
  const saved = [_src, _pos, _end, _refs, _keys, _depth, _blobs, _side] as const;
  _refs = [];
  _keys = [];
  _busy = false;
  try {
    return _decodeValue(bytes);
  } finally {
    [_src, _pos, _end, _refs, _keys, _depth, _blobs, _side] = saved;
    _busy = true;
  }
}

function _eof(): never {
  throw new CodecError("Cannot decode message: it ends in the middle of a value (truncated?)");
}

/** Throws unless `n` more bytes are left. */
export function _need(n: number): void {
  if (n > _end - _pos) _eof();
}

/** Reads one byte. */
export function _readByte(): number {
  if (_pos >= _end) _eof();
  return _src[_pos++];
}

/** Reads any value. */
export function _readValue(): unknown {
  if (_pos >= _end) _eof();
  const b = _src[_pos++];
  if (b < 0x80) return b;
  if (b < 0xa0) return _readUtf8(b & 0x1f);
  if (b < 0xb0) return _readArray(b & 0x0f);
  if (b < 0xc0) return _readObject(b & 0x0f);
  if (b >= 0xe0) return b - 0x100;
  switch (b) {
    case W.T_UNDEFINED:
      return undefined;
    case W.T_NULL:
      return null;
    case W.T_FALSE:
      return false;
    case W.T_TRUE:
      return true;
    case W.T_UINT8:
      return _readByte();
    case W.T_UINT16:
      _need(2);
      _pos += 2;
      return _src[_pos - 2] | (_src[_pos - 1] << 8);
    case W.T_INT16:
      _need(2);
      _pos += 2;
      return ((_src[_pos - 2] | (_src[_pos - 1] << 8)) << 16) >> 16;
    case W.T_INT32:
      _need(4);
      return _readU32() | 0;
    case W.T_FLOAT64:
      _need(8);
      return _read8()[0];
    case W.T_STR8:
      return _readUtf8(_readByte());
    case W.T_STR32:
      _need(4);
      return _readUtf8(_readU32());
    case W.T_STR16:
      return _readUtf16();
    case W.T_ARRAY:
      return _readArray(_readVarUint());
    case W.T_OBJECT:
      return _readObject(_readVarUint());
    case W.T_REF:
      return _readRef();
    default:
      return _readRare(b);
  }
}

/** Reads a little-endian u32 (the caller checked that 4 bytes are left). */
export function _readU32(): number {
  const s = _src;
  const p = _pos;
  _pos += 4;
  return (s[p] | (s[p + 1] << 8) | (s[p + 2] << 16) | (s[p + 3] << 24)) >>> 0;
}

// Copying 8 bytes into a scratch buffer is cheaper than creating a DataView per message.
const _scratch = new ArrayBuffer(8);
const _f64 = new Float64Array(_scratch);
const _i64 = new BigInt64Array(_scratch);
const _s8 = new Uint8Array(_scratch);

/** Copies the next 8 bytes (checked by the caller) into the scratch buffer; returns its f64 view. */
function _read8(): Float64Array {
  const s = _src;
  const p = _pos;
  const b = _s8;
  b[0] = s[p];
  b[1] = s[p + 1];
  b[2] = s[p + 2];
  b[3] = s[p + 3];
  b[4] = s[p + 4];
  b[5] = s[p + 5];
  b[6] = s[p + 6];
  b[7] = s[p + 7];
  _pos = p + 8;
  return _f64;
}

/** Reads a little-endian float64. */
export function _readF64(): number {
  _need(8);
  return _read8()[0];
}

/** Reads a little-endian int64. */
export function _readI64(): bigint {
  _need(8);
  _read8();
  return _i64[0];
}

/** Reads an unsigned LEB128 number of at most 5 bytes. */
export function _readVarUint(): number {
  let result = 0;
  let scale = 1;
  for (let i = 0; i < 5; i++) {
    if (_pos >= _end) _eof();
    const b = _src[_pos++];
    result += (b & 0x7f) * scale;
    if (b < 0x80) return result;
    scale *= 128;
  }
  throw new CodecError("Cannot decode message: a length is too large");
}

/** A fresh copy of the next (u32-length-prefixed) bytes, over its own ArrayBuffer. */
export function _readBytes(): Uint8Array {
  _need(4);
  const n = _readU32();
  _need(n);
  return _src.slice(_pos, _pos += n);
}

/** Reads `n` bytes of ASCII/UTF-8 text. */
export function _readText(n: number): string {
  _need(n);
  return _decodeUtf8(_src, _pos, _pos += n);
}

/** Records an object (in the order the writer saw it) so back-references can find it. */
export function _pushRef(v: unknown): void {
  _refs.push(v);
}

/** Reserves a reference slot for an object that is built after its parts are read. */
export function _reserve(): number {
  _refs.push(_PENDING);
  return _refs.length - 1;
}

/** Fills a reserved slot; returns the value. */
export function _fill<T>(slot: number, v: T): T {
  _refs[slot] = v;
  return v;
}

function _readRef(): unknown {
  const id = _readVarUint();
  const v = id < _refs.length ? _refs[id] : _PENDING;
  if (v === _PENDING) throw new CodecError(`Cannot decode message: back-reference #${id} points at no finished object`);
  return v;
}

function _readUtf8(n: number): string {
  if (n > _end - _pos) _eof();
  const s = _src;
  const p = _pos;
  _pos += n;
  if (n > 7) return _decodeUtf8(s, p, p + n);
  // Very short ASCII strings: String.fromCharCode beats any call into native code.
  switch (n) {
    case 0:
      return "";
    case 1:
      if (s[p] < 0x80) return _fcc(s[p]);
      break;
    case 2:
      if ((s[p] | s[p + 1]) < 0x80) return _fcc(s[p], s[p + 1]);
      break;
    case 3:
      if ((s[p] | s[p + 1] | s[p + 2]) < 0x80) return _fcc(s[p], s[p + 1], s[p + 2]);
      break;
    case 4:
      if ((s[p] | s[p + 1] | s[p + 2] | s[p + 3]) < 0x80) return _fcc(s[p], s[p + 1], s[p + 2], s[p + 3]);
      break;
    case 5:
      if ((s[p] | s[p + 1] | s[p + 2] | s[p + 3] | s[p + 4]) < 0x80) {
        return _fcc(s[p], s[p + 1], s[p + 2], s[p + 3], s[p + 4]);
      }
      break;
    case 6:
      if ((s[p] | s[p + 1] | s[p + 2] | s[p + 3] | s[p + 4] | s[p + 5]) < 0x80) {
        return _fcc(s[p], s[p + 1], s[p + 2], s[p + 3], s[p + 4], s[p + 5]);
      }
      break;
    default:
      if ((s[p] | s[p + 1] | s[p + 2] | s[p + 3] | s[p + 4] | s[p + 5] | s[p + 6]) < 0x80) {
        return _fcc(s[p], s[p + 1], s[p + 2], s[p + 3], s[p + 4], s[p + 5], s[p + 6]);
      }
  }
  return _decodeUtf8(s, p, p + n);
}

function _readUtf16(): string {
  _need(4);
  const n = _readU32();
  _need(2 * n);
  const units = new Uint16Array(_src.slice(_pos, _pos += 2 * n).buffer);
  let out = "";
  for (let i = 0; i < n; i += 4096) out += _fcc.apply(null, units.subarray(i, i + 4096) as unknown as number[]);
  return out;
}

/** A value that must be a string (error fields, RegExp parts). */
export function _readString(): string {
  const v = _readValue();
  if (typeof v !== "string") throw new CodecError("Cannot decode message: expected a string");
  return v;
}

// Keys decoded in earlier messages, by a hash of their bytes. Returning the same string object
// each time matters: V8 and JSC internalize a fresh string before using it as a property name,
// which costs more than reading it.
const _keyCache: Array<string | undefined> = new Array(4096);

function _readKeyUtf8(n: number): string {
  if (n > 24 || n > _end - _pos) return _readUtf8(n);
  const s = _src;
  const p = _pos;
  let h = n;
  for (let i = p; i < p + n; i++) {
    const c = s[i];
    if (c >= 0x80) return _readUtf8(n); // only ASCII keys are cached
    h = (Math.imul(h, 31) + c) | 0;
  }
  const slot = (h ^ (h >>> 12)) & 4095;
  const cached = _keyCache[slot];
  if (cached !== undefined && cached.length === n) {
    let i = 0;
    while (i < n && cached.charCodeAt(i) === s[p + i]) i++;
    if (i === n) {
      _pos = p + n;
      return cached;
    }
  }
  return (_keyCache[slot] = _readUtf8(n));
}

/** Reads a property name: a new one (added to this message's names) or the number of an earlier one. */
export function _readKey(): string {
  if (_pos >= _end) _eof();
  const b = _src[_pos++];
  let k: string | undefined;
  if (b < 0x80) k = _keys[b];
  else if (b < 0xa0) return (_keys[_keys.length] = _readKeyUtf8(b & 0x1f));
  else if (b === W.T_KEYREF) k = _keys[_readVarUint()];
  else if (b === W.T_STR8 || b === W.T_STR32 || b === W.T_STR16) {
    _pos--;
    return (_keys[_keys.length] = _readValue() as string);
  } else throw new CodecError(`Cannot decode message: tag 0x${b.toString(16)} where a property name belongs`);
  if (k === undefined) throw new CodecError("Cannot decode message: a property name refers to no earlier name");
  return k;
}

/** Counts one more open object (see `MAX_DEPTH`); a deeper message is refused before the stack runs out. */
export function _enter(): void {
  if (++_depth > _MAX_DEPTH) _tooDeep();
}

/** Closes what {@linkcode _enter} opened (an error needs no undo: the next message starts at 0). */
export function _leave(): void {
  _depth--;
}

function _tooDeep(): never {
  throw new CodecError(
    `Cannot decode message: it nests objects more than ${W.MAX_DEPTH} levels deep (the codec's limit)`,
  );
}

function _readArray(n: number): unknown[] {
  _need(n);
  if (++_depth > _MAX_DEPTH) _tooDeep();
  const a: unknown[] = new Array(n); // sized once: a push loop regrows the backing store as it goes
  _refs.push(a);
  for (let i = 0; i < n; i++) a[i] = _readValue();
  _depth--;
  return a;
}

function _readObject(n: number): Record<string, unknown> {
  _need(2 * n);
  if (++_depth > _MAX_DEPTH) _tooDeep();
  const o: Record<string, unknown> = {};
  _refs.push(o);
  for (let i = 0; i < n; i++) {
    const k = _readKey();
    const v = _readValue();
    if (k === "__proto__") _defineProp(o, k, v);
    else o[k] = v;
  }
  _depth--;
  return o;
}
