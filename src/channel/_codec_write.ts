/**
 * The codec's writer core: one pass over the value, straight into a reused chunk of memory.
 * Plain objects, arrays and primitives are written here; every other object goes through a
 * per-prototype writer that `_codec_write_types.ts` supplies.
 *
 * Results are views into a chunk that is never written again, so a returned Uint8Array stays
 * valid; a chunk is replaced when it runs low. Objects get an id in first-seen order (the reader
 * numbers them the same way), so a repeated object is written as a back-reference: cycles and
 * shared references cost one Set insertion per object. Object keys are numbered per message the
 * same way, so a key repeated in many records is one byte after the first time. Unsupported
 * values throw `_Unsendable`; each container frame adds its path segment on the way up, which
 * costs nothing when nothing fails.
 *
 * @module
 */

import * as W from "./_codec_shared.ts";
import { BLOB_MIN_BYTES, unlinkBlob, writeBlob } from "./blob.ts";
import { isMoved, type SideList } from "./port_buffers.ts";

const { _Unsendable, _keySegment } = W;

/** Writes one object whose prototype is not Object.prototype, Array.prototype or null. */
export type ObjectWriter = (v: object) => void;

const _CHUNK = 16384; // smallest fresh chunk; small messages share it
const _MIN_FREE = 512; // start a new chunk when less than this (+ the last message's size) is left
const _MAX_KEEP = 1 << 20; // a chunk grown past this is not reused after its message
const _SLACK = 16; // fixed-size writes (tag + 8 bytes) may run this far past the check

let _buf: Uint8Array = new Uint8Array(0);
let _view: DataView = new DataView(_buf.buffer);
let _pos = 0;
let _start = 0;
let _safeEnd = -1;
// Objects seen in this message, in first-seen order: an object's id is its index. A Set costs
// one hash operation per object (a Map needs get + set); ids are looked up only for repeats,
// through a live iterator that adds each object to _ids at most once.
let _seen: Set<object> = new Set();
let _ids: Map<object, number> = new Map();
let _idsIter: Iterator<object> | undefined;
let _pending: Set<object> | undefined; // registered objects whose state is being written
let _keys: Map<string, number> = new Map();
let _busy = false;
const _MAX_DEPTH = W.MAX_DEPTH; // a local const: cheaper than a namespace lookup in the hot path
let _depth = 0; // objects open on the way down to the value being written
let _lastSize = 0; // of the previous message, capped; sizes the next chunk
// Set while a frame is written: big binary data goes to blob files, whose names collect here.
let _blobs: string[] | undefined;
// Set while a frame for a link between threads is written: binary data goes beside it (port_buffers.ts).
let _side: SideList | undefined;

const _te = new TextEncoder();
const _hasWellFormed = typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === "function";

const _dispatch = new Map<object, ObjectWriter>(); // per prototype, filled lazily
let _resolver: (proto: object) => ObjectWriter = () => {
  throw new Error("codec writer used before its types module was loaded");
};

/** Installs the function that finds the writer for a prototype (done once by the types module). */
export function _setResolver(resolve: (proto: object) => ObjectWriter): void {
  _resolver = resolve;
  _dispatch.clear();
}

/** Forgets cached writers (after registerType). */
export function _clearDispatch(): void {
  _dispatch.clear();
}

/**
 * Encodes one value; `_Unsendable` escapes with its path segments (codec.ts words the error).
 * `head` bytes are reserved in front of the message (a frame header the caller fills in). With
 * `blobs`, large binary data goes to blob files (blob.ts) whose names are added to it; with `side`
 * (a frame for a link between threads), binary data goes into that list instead (port_buffers.ts).
 */
export function _encodeValue(value: unknown, head = 0, blobs?: string[], side?: SideList): Uint8Array {
  if (_busy) return head ? _prefixed(_encodeReentrant(value), head) : _encodeReentrant(value);
  return _encodeInner(value, 0, head, blobs, side);
}

function _encodeInner(value: unknown, depth: number, head = 0, blobs?: string[], side?: SideList): Uint8Array {
  _busy = true;
  _blobs = blobs;
  _side = side;
  try {
    const want = _lastSize + _MIN_FREE;
    if (_buf.length - _pos < want) _newChunk(Math.max(_CHUNK, Math.min(_MAX_KEEP, 4 * want)));
    _pos = (_pos + 7) & ~7; // word-align each message
    _start = _pos;
    _safeEnd = _buf.length - _SLACK;
    _pos += head;
    _depth = depth;
    _buf[_pos++] = W.FORMAT_VERSION;
    _writeValue(value);
    const out = _buf.subarray(_start, _pos);
    _lastSize = Math.min(_pos - _start, _MAX_KEEP >>> 2);
    if (_buf.length > _MAX_KEEP) _newChunk(0);
    return out;
  } catch (e) {
    _pos = _start; // the chunk's unfinished bytes are free again
    if (blobs !== undefined) { for (const n of blobs.splice(0)) unlinkBlob(n); }
    if (side !== undefined) side.length = 0;
    throw e;
  } finally {
    _blobs = undefined;
    _side = undefined;
    if (_seen.size !== 0) {
      _seen.clear();
      if (_idsIter !== undefined) {
        _ids.clear();
        _idsIter = undefined;
      }
      _pending = undefined;
    }
    if (_keys.size !== 0) _keys.clear();
    _busy = false;
  }
}

/** A `reduce` that calls `encode` itself: run it on fresh state, then restore ours. */
function _encodeReentrant(value: unknown): Uint8Array {
  const saved = [_buf, _view, _pos, _start, _safeEnd, _seen, _ids, _idsIter, _pending, _keys, _blobs, _side] as const;
  // The inner message runs on the same stack: its depth counts on from the outer one's.
  const depth = _depth;
  _buf = new Uint8Array(0);
  _pos = 0;
  _seen = new Set();
  _ids = new Map();
  _idsIter = undefined;
  _pending = undefined;
  _keys = new Map();
  _busy = false;
  try {
    return _encodeInner(value, depth);
  } finally {
    [_buf, _view, _pos, _start, _safeEnd, _seen, _ids, _idsIter, _pending, _keys, _blobs, _side] = saved;
    _depth = depth;
    _busy = true;
  }
}

function _prefixed(body: Uint8Array, head: number): Uint8Array {
  const out = new Uint8Array(head + body.length);
  out.set(body, head);
  return out;
}

function _newChunk(size: number): void {
  _buf = new Uint8Array(size);
  _view = new DataView(_buf.buffer);
  _pos = 0;
}

/** Makes room for `need` more bytes, moving the message written so far to a bigger buffer. */
function _grow(need: number): void {
  const used = _pos - _start;
  let size = used + need + _SLACK;
  // Doubling amortizes many small writes; a big blob gets just what it needs (+1/8).
  size = need > _CHUNK ? size + (size >>> 3) : Math.max(_CHUNK, size * 2);
  const next = new Uint8Array(size);
  next.set(_buf.subarray(_start, _pos));
  _buf = next;
  _view = new DataView(next.buffer);
  _pos = used;
  _start = 0;
  _safeEnd = size - _SLACK;
}

/** Makes sure `n` more bytes (plus the usual slack) fit. */
export function _ensure(n: number): void {
  if (_pos + n > _safeEnd) _grow(n);
}

/** Writes one byte (callers stay within the slack that `_writeValue` checked). */
export function _writeByte(b: number): void {
  _buf[_pos++] = b;
}

/** Writes any value. */
export function _writeValue(v: unknown): void {
  if (_pos > _safeEnd) _grow(_SLACK);
  switch (typeof v) {
    case "string":
      _writeString(v);
      return;
    case "number":
      _writeNumber(v);
      return;
    case "object":
      if (v === null) _buf[_pos++] = W.T_NULL;
      else _writeObject(v);
      return;
    case "boolean":
      _buf[_pos++] = v ? W.T_TRUE : W.T_FALSE;
      return;
    case "undefined":
      _buf[_pos++] = W.T_UNDEFINED;
      return;
    case "bigint":
      _writeBigInt(v);
      return;
    case "function":
      throw new _Unsendable(
        "functions cannot be sent to another process; send data instead " +
          "(to run code in a child, export the function from a module and make it the process target)",
      );
    default:
      throw new _Unsendable(`symbols cannot be sent to another process (got ${String(v)}); send a string instead`);
  }
}

function _writeNumber(v: number): void {
  const b = _buf;
  if ((v | 0) === v) {
    if (v >= 0) {
      if (v < 0x80) {
        if (v === 0 && 1 / v < 0) return _writeF64(W.T_FLOAT64, v); // -0
        b[_pos++] = v;
      } else if (v < 0x100) {
        b[_pos++] = W.T_UINT8;
        b[_pos++] = v;
      } else if (v < 0x10000) {
        b[_pos++] = W.T_UINT16;
        b[_pos++] = v;
        b[_pos++] = v >>> 8;
      } else {
        b[_pos++] = W.T_INT32;
        _writeU32(v);
      }
    } else if (v >= -32) {
      b[_pos++] = 0x100 + v;
    } else if (v >= -0x8000) {
      b[_pos++] = W.T_INT16;
      b[_pos++] = v;
      b[_pos++] = v >> 8;
    } else {
      b[_pos++] = W.T_INT32;
      _writeU32(v);
    }
  } else {
    _writeF64(W.T_FLOAT64, v);
  }
}

/** Writes a tag and a little-endian float64. */
export function _writeF64(tag: number, v: number): void {
  _buf[_pos++] = tag;
  _view.setFloat64(_pos, v, true);
  _pos += 8;
}

/** Writes a little-endian u32 (also the bits of an int32). */
export function _writeU32(v: number): void {
  const b = _buf;
  b[_pos] = v;
  b[_pos + 1] = v >>> 8;
  b[_pos + 2] = v >>> 16;
  b[_pos + 3] = v >>> 24;
  _pos += 4;
}

/** Writes an unsigned LEB128 number (at most 5 bytes for the counts we write). */
export function _writeVarUint(v: number): void {
  while (v >= 0x80) {
    _buf[_pos++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  _buf[_pos++] = v;
}

/** Writes a tag, an optional kind byte (-1: none), a u32 length and the bytes: one copy. */
export function _writeBlob(tag: number, kind: number, bytes: Uint8Array): void {
  if (_side !== undefined) {
    const buf = bytes.buffer;
    const shared = typeof SharedArrayBuffer === "function" && buf instanceof SharedArrayBuffer;
    if (shared || isMoved(buf)) _writeSide(tag, kind, buf, bytes.byteOffset, bytes.length);
    else if (bytes.length >= BLOB_MIN_BYTES) _writeSide(tag, kind, bytes.slice().buffer, 0, bytes.length);
    else _writeInline(tag, kind, bytes);
    return;
  }
  if (_blobs !== undefined && bytes.length >= BLOB_MIN_BYTES) {
    const name = writeBlob(bytes);
    if (name !== undefined) {
      _blobs.push(name);
      _ensure(name.length + 8);
      _buf[_pos++] = W.T_BLOB;
      _buf[_pos++] = tag;
      if (kind >= 0) _buf[_pos++] = kind;
      _writeU32(bytes.length);
      _buf[_pos++] = name.length;
      for (let i = 0; i < name.length; i++) _buf[_pos++] = name.charCodeAt(i);
      return;
    }
  }
  _writeInline(tag, kind, bytes);
}

function _writeInline(tag: number, kind: number, bytes: Uint8Array): void {
  _ensure(bytes.length + 6);
  _buf[_pos++] = tag;
  if (kind >= 0) _buf[_pos++] = kind;
  _writeU32(bytes.length);
  _buf.set(bytes, _pos);
  _pos += bytes.length;
}

/** Puts `buffer` in the frame's side list (once) and writes where the value lies in it. */
function _writeSide(tag: number, kind: number, buffer: ArrayBufferLike, offset: number, length: number): void {
  let i = _side!.indexOf(buffer as ArrayBuffer);
  if (i < 0) i = _side!.push(buffer as ArrayBuffer) - 1;
  _ensure(20);
  _buf[_pos++] = W.T_PORTBUF;
  _buf[_pos++] = tag;
  if (kind >= 0) _buf[_pos++] = kind;
  _writeVarUint(i);
  _writeU32(offset);
  _writeU32(length);
}

/**
 * Writes a SharedArrayBuffer: beside a frame for another thread it arrives shared; anything else
 * cannot carry it.
 * @returns False when no side list is open (the caller refuses the value).
 */
export function _writeSharedBuffer(sab: SharedArrayBuffer): boolean {
  if (_side === undefined) return false;
  _writeSide(W.PORTBUF_SHARED, -1, sab, 0, sab.byteLength);
  return true;
}

/** Writes a string (UTF-8, or UTF-16 units when it has lone surrogates). */
export function _writeString(s: string): void {
  const len = s.length;
  if (len < 64) {
    // Short strings: a JS loop beats the call into TextEncoder. Header is 1 byte (< 32 bytes)
    // or 2 bytes (STR8); at most 3 bytes per UTF-16 unit, so 189 bytes fit STR8.
    if (_pos + 3 * len + 2 > _safeEnd) _grow(3 * len + 2);
    const b = _buf;
    const hdr = len < 32 ? 1 : 2;
    let p = _pos + hdr;
    for (let i = 0; i < len; i++) {
      let c = s.charCodeAt(i);
      if (c < 0x80) b[p++] = c;
      else if (c < 0x800) {
        b[p++] = 0xc0 | (c >> 6);
        b[p++] = 0x80 | (c & 0x3f);
      } else if ((c & 0xf800) === 0xd800) {
        const d = s.charCodeAt(i + 1); // NaN past the end
        if (c >= 0xdc00 || (d & 0xfc00) !== 0xdc00) return _writeString16(s); // lone surrogate
        c = 0x10000 + ((c & 0x3ff) << 10) + (d & 0x3ff);
        i++;
        b[p++] = 0xf0 | (c >> 18);
        b[p++] = 0x80 | ((c >> 12) & 0x3f);
        b[p++] = 0x80 | ((c >> 6) & 0x3f);
        b[p++] = 0x80 | (c & 0x3f);
      } else {
        b[p++] = 0xe0 | (c >> 12);
        b[p++] = 0x80 | ((c >> 6) & 0x3f);
        b[p++] = 0x80 | (c & 0x3f);
      }
    }
    const n = p - _pos - hdr;
    if (hdr === 1) {
      if (n < 32) {
        b[_pos] = W.T_FIXSTR | n;
        _pos = p;
        return;
      }
      b.copyWithin(_pos + 2, _pos + 1, p);
      p++;
    }
    b[_pos] = W.T_STR8;
    b[_pos + 1] = n;
    _pos = p;
    return;
  }
  if (_hasWellFormed && !s.isWellFormed()) return _writeString16(s);
  _ensure(3 * len + 5);
  const n = _te.encodeInto(s, _buf.subarray(_pos + 5)).written;
  _buf[_pos++] = W.T_STR32;
  _writeU32(n);
  _pos += n;
}

/** Strings with lone surrogates, which UTF-8 cannot carry: raw UTF-16 code units. */
function _writeString16(s: string): void {
  const len = s.length;
  _ensure(2 * len + 5);
  _buf[_pos++] = W.T_STR16;
  _writeU32(len);
  const b = _buf;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    b[_pos++] = c;
    b[_pos++] = c >>> 8;
  }
}

/** Writes a property name: its string the first time in a message, its number after that. */
export function _writeKey(k: string): void {
  const id = _keys.get(k);
  if (id === undefined) {
    _keys.set(k, _keys.size);
    _writeString(k);
  } else {
    if (_pos > _safeEnd) _grow(_SLACK);
    if (id < 0x80) _buf[_pos++] = id;
    else {
      _buf[_pos++] = W.T_KEYREF;
      _writeVarUint(id);
    }
  }
}

function _writeBigInt(v: bigint): void {
  if (v >= -0x8000000000000000n && v < 0x8000000000000000n) {
    _buf[_pos++] = W.T_BIGINT64;
    _view.setBigInt64(_pos, v, true);
    _pos += 8;
    return;
  }
  const neg = v < 0n;
  const hex = (neg ? -v : v).toString(16); // ASCII: one byte per character
  _ensure(hex.length + 6);
  _buf[_pos++] = W.T_BIGINT;
  _buf[_pos++] = neg ? 1 : 0;
  _writeU32(hex.length);
  _pos += _te.encodeInto(hex, _buf.subarray(_pos)).written;
}

function _writeObject(v: object): void {
  const n = _seen.size;
  if (_seen.add(v).size === n) return _writeBackRef(v);
  // No try/finally to undo this: an error ends the whole message, and the next one starts at 0.
  if (++_depth > _MAX_DEPTH) _tooDeep();
  const proto = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) _writePlain(v as Record<string, unknown>);
  else if (proto === Array.prototype && Array.isArray(v)) _writeArray(v);
  else {
    let writer = _dispatch.get(proto);
    if (writer === undefined) _dispatch.set(proto, writer = _resolver(proto));
    writer(v);
  }
  _depth--;
}

function _tooDeep(): never {
  throw new TypeError(
    `Cannot send value: it nests objects more than ${W.MAX_DEPTH} levels deep (the codec's limit); ` +
      "send a flatter structure (a list of nodes instead of a chain, say)",
  );
}

function _writeBackRef(v: object): void {
  if (_pending !== undefined && _pending.has(v)) {
    throw new _Unsendable("an object registered with registerType() cannot contain itself in its reduced state");
  }
  let id = _ids.get(v);
  if (id === undefined) {
    const it = (_idsIter ??= _seen.values());
    for (let r = it.next(); !r.done; r = it.next()) {
      _ids.set(r.value, _ids.size);
      if (r.value === v) break;
    }
    id = _ids.get(v)!;
  }
  _buf[_pos++] = W.T_REF;
  _writeVarUint(id);
}

/** Marks a registered object whose state is being written, so the state cannot contain it. */
export function _setPending(v: object, pending: boolean): void {
  if (pending) (_pending ??= new Set()).add(v);
  else _pending?.delete(v);
}

const _hasOwn = Object.prototype.hasOwnProperty;

function _writePlain(o: Record<string, unknown>): void {
  // for-in with an own-property check is 2-3x faster than Object.keys() in V8 and JSC, but
  // the count is known only at the end: reserve the one-byte form and widen it if needed.
  const hdr = _pos++ - _start;
  let n = 0;
  let k = "";
  try {
    for (k in o) {
      if (_hasOwn.call(o, k)) {
        _writeKey(k);
        _writeValue(o[k]);
        n++;
      }
    }
  } catch (e) {
    throw _at(e, _keySegment(k));
  }
  if (n < 16) {
    _buf[_start + hdr] = W.T_FIXOBJECT | n;
    return;
  }
  const extra = n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : 4;
  _ensure(extra);
  const h = _start + hdr; // _ensure may have moved the message
  _buf.copyWithin(h + 1 + extra, h + 1, _pos);
  const end = _pos + extra;
  _pos = h;
  _buf[_pos++] = W.T_OBJECT;
  _writeVarUint(n);
  _pos = end;
}

/** Writes an array's items (holes as undefined). */
export function _writeArray(a: unknown[]): void {
  const n = a.length;
  if (n < 16) _buf[_pos++] = W.T_FIXARRAY | n;
  else {
    _buf[_pos++] = W.T_ARRAY;
    _writeVarUint(n);
  }
  let i = 0;
  try {
    for (; i < n; i++) _writeValue(a[i]);
  } catch (e) {
    throw _at(e, "[" + i + "]");
  }
}

/** Adds a path segment to an `_Unsendable` on its way up; other errors pass unchanged. */
export function _at(e: unknown, segment: string): unknown {
  if (e instanceof _Unsendable) e.segments.push(segment);
  return e;
}
