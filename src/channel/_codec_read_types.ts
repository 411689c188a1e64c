/**
 * Readers for the tags the reader core does not handle: Map, Set, Date, RegExp, bigint, binary
 * data, Errors and registered library types. Loading this module installs them.
 *
 * @module
 */

import * as W from "./_codec_shared.ts";
import {
  _blobList,
  _enter,
  _fill,
  _leave,
  _need,
  _pushRef,
  _readByte,
  _readBytes,
  _readF64,
  _readI64,
  _readKey,
  _readString,
  _readText,
  _readU32,
  _readValue,
  _readVarUint,
  _reserve,
  _setRareReader,
  _sideList,
} from "./_codec_read.ts";
import { _buildError, _defineHidden, _defineProp } from "./_codec_errors.ts";
import { readBlob } from "./blob.ts";

const { CodecError, _RebuildFailure } = W;

function _malformed(what: string): never {
  throw new CodecError(`Cannot decode message: ${what}`);
}

function _readRare(tag: number): unknown {
  // bigints are primitives (the writer does not count them); every other tag here is an object.
  if (tag === W.T_BIGINT64 || tag === W.T_BIGINT) return tag === W.T_BIGINT64 ? _readI64() : _readBigInt();
  _enter();
  const v = _readRareObject(tag);
  _leave();
  return v;
}

function _readRareObject(tag: number): unknown {
  switch (tag) {
    case W.T_MAP: {
      const n = _readVarUint();
      _need(2 * n);
      const m = new Map<unknown, unknown>();
      _pushRef(m);
      for (let i = 0; i < n; i++) {
        const k = _readValue();
        m.set(k, _readValue());
      }
      return m;
    }
    case W.T_SET: {
      const n = _readVarUint();
      _need(n);
      const s = new Set<unknown>();
      _pushRef(s);
      for (let i = 0; i < n; i++) s.add(_readValue());
      return s;
    }
    case W.T_DATE: {
      const d = new Date(_readF64());
      _pushRef(d);
      return d;
    }
    case W.T_REGEXP: {
      const slot = _reserve();
      const source = _readString();
      return _fill(slot, new RegExp(source, _readString()));
    }
    case W.T_ARRAYBUFFER: {
      const ab = _readBytes().buffer;
      _pushRef(ab);
      return ab;
    }
    case W.T_DATAVIEW: {
      const dv = new DataView(_readBytes().buffer);
      _pushRef(dv);
      return dv;
    }
    case W.T_TYPED:
      return _readTyped();
    case W.T_BLOB:
      return _readBlobRef();
    case W.T_PORTBUF:
      return _readSideRef();
    case W.T_ERROR:
      return _readError();
    case W.T_CUSTOM:
      return _readCustom();
    default:
      return _malformed(`unknown tag 0x${tag.toString(16)}`);
  }
}

function _readBigInt(): bigint {
  const neg = _readByte();
  _need(4);
  const n = _readU32();
  if (neg > 1 || n === 0) _malformed("malformed bigint");
  const hex = _readText(n);
  if (!/^[0-9a-f]+$/.test(hex)) _malformed("malformed bigint digits");
  const v = BigInt("0x" + hex);
  return neg ? -v : v;
}

/** Binary data sent as a blob file: read it (one copy) into what the inline tag would give. */
function _readBlobRef(): unknown {
  const blobs = _blobList();
  if (blobs === undefined) _malformed("a shared-memory blob reference outside a message frame");
  const tag = _readByte();
  const kind = tag === W.T_TYPED ? _readByte() : -1;
  if (tag !== W.T_TYPED && tag !== W.T_ARRAYBUFFER && tag !== W.T_DATAVIEW) {
    _malformed(`blob of tag 0x${tag.toString(16)}`);
  }
  _need(5);
  const length = _readU32();
  const name = _readText(_readByte());
  let bytes: Uint8Array;
  try {
    bytes = readBlob(name, length);
  } catch (e) {
    throw new CodecError(`Cannot decode message: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  blobs.push(name);
  if (tag === W.T_TYPED) return _readTyped(kind, bytes);
  const v = tag === W.T_ARRAYBUFFER ? bytes.buffer : new DataView(bytes.buffer);
  _pushRef(v);
  return v;
}

/** Binary data that came beside the frame from another thread: a view of it, without a copy. */
function _readSideRef(): unknown {
  const side = _sideList();
  if (side === undefined) _malformed("a buffer reference in a message that came with no buffers");
  const tag = _readByte();
  const kind = tag === W.T_TYPED ? _readByte() : -1;
  const index = _readVarUint();
  _need(8);
  const offset = _readU32();
  const length = _readU32();
  const buf = side[index];
  if (buf === undefined || offset + length > buf.byteLength) _malformed("a buffer reference outside its buffers");
  const shared = typeof SharedArrayBuffer === "function" && buf instanceof SharedArrayBuffer;
  let v: unknown;
  if (tag === W.PORTBUF_SHARED) {
    if (!shared || offset !== 0 || length !== buf.byteLength) _malformed("a malformed shared buffer reference");
    v = buf;
  } else if (tag === W.T_ARRAYBUFFER) {
    v = !shared && offset === 0 && length === buf.byteLength ? buf : buf.slice(offset, offset + length);
  } else if (tag === W.T_DATAVIEW) {
    v = new DataView(buf, offset, length);
  } else if (tag === W.T_TYPED) {
    if (kind >= W.TYPED_KINDS.length) _malformed(`unknown typed array kind ${kind}`);
    const ctor = W.TYPED_CTORS[kind] as unknown as
      | (new (b: ArrayBufferLike, o: number, n: number) => ArrayBufferView) & { BYTES_PER_ELEMENT: number }
      | undefined;
    if (ctor === undefined) _malformed(`${W.TYPED_KINDS[kind]} is not available in this runtime`);
    if (length % ctor.BYTES_PER_ELEMENT !== 0 || offset % ctor.BYTES_PER_ELEMENT !== 0) {
      _malformed(`${W.TYPED_KINDS[kind]} of ${length} bytes at ${offset} is not whole elements`);
    }
    v = new ctor(buf, offset, length / ctor.BYTES_PER_ELEMENT);
  } else _malformed(`buffer reference of tag 0x${tag.toString(16)}`);
  _pushRef(v);
  return v;
}

function _readTyped(kind = _readByte(), blob?: Uint8Array): ArrayBufferView {
  if (kind >= W.TYPED_KINDS.length) _malformed(`unknown typed array kind ${kind}`);
  const ctor = W.TYPED_CTORS[kind];
  if (ctor === undefined) _malformed(`${W.TYPED_KINDS[kind]} is not available in this runtime`);
  const bytes = blob ?? _readBytes();
  if (bytes.length % (ctor as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT !== 0) {
    _malformed(`${W.TYPED_KINDS[kind]} byte length ${bytes.length} is not a whole number of elements`);
  }
  const ta = ctor === Uint8Array ? bytes : new ctor(bytes.buffer as ArrayBuffer);
  _pushRef(ta);
  return ta;
}

function _readError(): Error {
  const name = _readString();
  const message = _readString();
  const stack = _readValue();
  if (stack !== undefined && typeof stack !== "string") _malformed("error stack is not a string");
  const flags = _readByte();
  const err = _buildError(name, message, stack);
  _pushRef(err);
  if (flags & W.ERR_HAS_CAUSE) _defineHidden(err, "cause", _readValue());
  if (flags & W.ERR_HAS_ERRORS) {
    const errors = _readValue();
    if (!Array.isArray(errors)) _malformed("AggregateError errors is not an array");
    _defineHidden(err, "errors", errors);
  }
  const n = _readVarUint();
  _need(2 * n);
  for (let i = 0; i < n; i++) {
    const k = _readKey();
    _defineProp(err, k, _readValue());
  }
  return err;
}

function _readCustom(): unknown {
  const tag = _readKey();
  const spec = W.typesByTag.get(tag);
  if (spec === undefined) {
    _malformed(
      `it holds an object of type "${tag}", which this process has not registered; ` +
        "call registerType() for it before decoding",
    );
  }
  const slot = _reserve();
  const state = _readValue();
  let obj: unknown;
  try {
    obj = spec.rebuild(state);
  } catch (e) {
    throw new _RebuildFailure(e);
  }
  return _fill(slot, obj);
}

_setRareReader(_readRare);
