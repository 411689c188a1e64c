/**
 * Writers for objects that are not plain objects or arrays: built-ins (Map, Set, Date, RegExp,
 * ArrayBuffer, DataView, typed arrays, Errors), registered library types, and the TypeError for
 * everything else. Loading this module installs them into the writer core.
 *
 * @module
 */

import * as W from "./_codec_shared.ts";
import {
  _at,
  _clearDispatch,
  _ensure,
  _setPending,
  _setResolver,
  _writeArray,
  _writeBlob,
  _writeByte,
  _writeF64,
  _writeKey,
  _writeSharedBuffer,
  _writeString,
  _writeValue,
  _writeVarUint,
  type ObjectWriter,
} from "./_codec_write.ts";
import { _errorName } from "./_codec_errors.ts";

const { _Unsendable, _className, _describeKey, _keySegment } = W;

const _builtins = new Map<object, ObjectWriter>();
const _exactOnly = new Set<object>(); // a subclass of one of these is a class instance, not a built-in

/** Finds the writer for a prototype: registered types first, the most-derived class first. */
function _resolve(proto: object): ObjectWriter {
  for (let p: object | null = proto; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    const spec = W.typesByProto.get(p);
    if (spec !== undefined) return (v) => _writeCustom(v, spec);
    const builtin = _builtins.get(p);
    if (builtin !== undefined) {
      if (p === proto || !_exactOnly.has(p)) return builtin;
      const base = _className(p);
      return () => _unsendableClass(proto, ` (a subclass of ${base})`);
    }
  }
  return () => _unsendableClass(proto, "");
}

function _unsendableClass(proto: object, extra: string): never {
  throw new _Unsendable(
    `instances of class ${_className(proto)}${extra} cannot be sent to another process; ` +
      "send a plain object instead, or register the class with registerType()",
  );
}

function _writeCustom(v: object, spec: W.TypeSpec<unknown>): void {
  const state = spec.reduce(v);
  if (W.typeModules.used !== undefined && spec.module !== undefined) W.typeModules.used.add(spec.module);
  _ensure(1);
  _writeByte(W.T_CUSTOM);
  _writeKey(spec.tag);
  _setPending(v, true); // the state may not contain v: it does not exist until rebuilt
  try {
    _writeValue(state);
  } catch (e) {
    throw _at(e, `[[${spec.tag} state]]`);
  }
  _setPending(v, false);
}

function _writeError(e: object): void {
  const err = e as Error & { errors?: unknown };
  const name = _errorName(err);
  const message = err.message;
  const stack = err.stack;
  const hasCause = Object.prototype.hasOwnProperty.call(err, "cause");
  const errors = err.errors;
  const hasErrors = err instanceof AggregateError && Array.isArray(errors);
  const keys = Object.keys(err);
  _writeByte(W.T_ERROR);
  _writeString(name);
  _writeString(typeof message === "string" ? message : String(message ?? ""));
  _writeValue(typeof stack === "string" ? stack : undefined);
  _ensure(1);
  _writeByte((hasCause ? W.ERR_HAS_CAUSE : 0) | (hasErrors ? W.ERR_HAS_ERRORS : 0));
  let seg = ".cause";
  try {
    if (hasCause) _writeValue(err.cause);
    seg = ".errors";
    if (hasErrors) _writeValue(errors);
    _ensure(5);
    _writeVarUint(keys.length);
    for (const key of keys) {
      seg = _keySegment(key);
      _writeKey(key);
      _writeValue((err as unknown as Record<string, unknown>)[key]);
    }
  } catch (x) {
    throw _at(x, seg);
  }
}

function _writeMap(v: object): void {
  const m = v as Map<unknown, unknown>;
  _writeByte(W.T_MAP);
  _writeVarUint(m.size);
  let i = 0;
  let seg = "";
  try {
    for (const [k, x] of m) {
      seg = `.<Map key #${i}>`;
      _writeValue(k);
      seg = `.get(${_describeKey(k)})`;
      _writeValue(x);
      i++;
    }
  } catch (e) {
    throw _at(e, seg);
  }
}

function _writeSet(v: object): void {
  const s = v as Set<unknown>;
  _writeByte(W.T_SET);
  _writeVarUint(s.size);
  let i = 0;
  try {
    for (const x of s) {
      _writeValue(x);
      i++;
    }
  } catch (e) {
    throw _at(e, `.<Set item #${i}>`);
  }
}

function _bytesOf(v: ArrayBufferView): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

function _init(): void {
  const exact = (proto: object, w: ObjectWriter): void => {
    _builtins.set(proto, w);
    _exactOnly.add(proto);
  };
  exact(Array.prototype, (v) => _writeArray(v as unknown[])); // only Array subclasses get here
  exact(Map.prototype, _writeMap);
  exact(Set.prototype, _writeSet);
  exact(Date.prototype, (v) => _writeF64(W.T_DATE, (v as Date).getTime()));
  exact(RegExp.prototype, (v) => {
    _writeByte(W.T_REGEXP);
    _writeString((v as RegExp).source);
    _writeString((v as RegExp).flags);
  });
  exact(ArrayBuffer.prototype, (v) => _writeBlob(W.T_ARRAYBUFFER, -1, new Uint8Array(v as ArrayBuffer)));
  exact(DataView.prototype, (v) => _writeBlob(W.T_DATAVIEW, -1, _bytesOf(v as DataView)));
  if (typeof SharedArrayBuffer === "function") {
    exact(SharedArrayBuffer.prototype, (v) => {
      if (_writeSharedBuffer(v as SharedArrayBuffer)) return;
      throw new _Unsendable(
        "a SharedArrayBuffer cannot be shared with another process (it can with a thread); " +
          "use SharedArray, or send a copy as an ArrayBuffer or typed array",
      );
    });
  }
  W.TYPED_CTORS.forEach((ctor, kind) => {
    // Subclasses (Node's Buffer) arrive as the base typed array.
    if (ctor !== undefined) {
      _builtins.set(ctor.prototype, (v) => _writeBlob(W.T_TYPED, kind, _bytesOf(v as ArrayBufferView)));
    }
  });
  _builtins.set(Error.prototype, _writeError); // every Error subclass
  _setResolver(_resolve);
  W.registryListeners.push(_clearDispatch);
}
_init();
