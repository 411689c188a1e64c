/**
 * Which Error classes the codec can rebuild by name, and how an error is named and rebuilt.
 *
 * An error travels as { name, message, stack, cause, errors (AggregateError), own enumerable
 * props }. The receiving process rebuilds `name` as a built-in class or a class registered with
 * `registerErrorClass`, without running its constructor (like pickle); any other name gives a
 * plain `Error` whose `name` is that name.
 *
 * @module
 */

type ErrorClass = new (...args: any[]) => Error;

const _BUILTINS: ReadonlyArray<ErrorClass> = [
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
  AggregateError,
];
const _BUILTIN_NAMES: ReadonlySet<string> = new Set(_BUILTINS.map((c) => c.name));

const _classByName = new Map<string, ErrorClass>();
const _nameByProto = new Map<object, string>();
/**
 * Errors rebuilt as a plain Error because their class is unknown here: sent on (a manager hands a
 * stored error to another process), they travel under the name they came with, so a process that
 * knows the class rebuilds it.
 */
const _standIns = new WeakSet<Error>();
/** The built-in class whose constructor creates instances of a registered class. */
const _baseByClass = new Map<ErrorClass, ErrorClass>();

for (const cls of _BUILTINS) {
  _classByName.set(cls.name, cls);
  _nameByProto.set(cls.prototype, cls.name);
  _baseByClass.set(cls, cls);
}

/**
 * Lets `decode` and `decodeError` rebuild instances of `cls` by name. Register the class in every
 * process that receives its instances (the sender needs it only to name a class whose instances
 * have an inherited `name` of "Error").
 *
 * @param cls A subclass of a built-in Error class.
 * @param name The name on the wire; defaults to `cls.name`.
 * @throws {TypeError} If `cls` does not extend a built-in Error class.
 * @throws {RangeError} If `name` is empty or is the name of a built-in Error class.
 * @example
 * ```ts
 * import { registerErrorClass } from "multiproc";
 * export class HttpError extends Error { status = 0; }
 * registerErrorClass(HttpError); // at the top level of a module both processes import
 * ```
 */
export function registerErrorClass(cls: new (...args: any[]) => Error, name?: string): void {
  if (typeof cls !== "function" || typeof cls.prototype !== "object" || cls.prototype === null) {
    throw new TypeError("registerErrorClass() expects a class that extends Error");
  }
  const wire = name ?? cls.name;
  if (typeof wire !== "string" || wire === "") {
    throw new RangeError("registerErrorClass() needs a non-empty name; pass one as the second argument");
  }
  if (_BUILTIN_NAMES.has(wire) && _classByName.get(wire) !== cls) {
    throw new RangeError(
      `"${wire}" is the name of a built-in error class; register ${cls.name || "the class"} under another name`,
    );
  }
  let base: unknown = cls;
  while (typeof base === "function" && !_BUILTINS.includes(base as ErrorClass)) {
    base = Object.getPrototypeOf(base);
  }
  if (typeof base !== "function") {
    throw new TypeError(
      `registerErrorClass() expects a class that extends Error; ${cls.name || "this class"} does not`,
    );
  }
  _classByName.set(wire, cls);
  _nameByProto.set(cls.prototype, wire);
  _baseByClass.set(cls, base as ErrorClass);
}

/**
 * The name an error travels under: its registered (or built-in) class name; else a name the
 * error chose itself (`this.name = "X"` or a prototype `name`); else its constructor's name.
 */
export function _errorName(err: Error): string {
  if (_standIns.has(err)) return err.name;
  const proto = Object.getPrototypeOf(err);
  const known = _nameByProto.get(proto);
  if (known !== undefined) return known;
  let own: unknown;
  try {
    own = err.name;
  } catch {
    own = undefined;
  }
  if (typeof own === "string" && own !== "" && !_BUILTIN_NAMES.has(own)) return own;
  let ctorName = "";
  try {
    const ctor = proto === null ? undefined : proto.constructor;
    if (typeof ctor === "function" && typeof ctor.name === "string") ctorName = ctor.name;
  } catch {
    // a hostile getter: fall through
  }
  return ctorName || (typeof own === "string" && own !== "" ? own : "Error");
}

/** Defines a writable, configurable, non-enumerable own property (how Error fields look). */
export function _defineHidden(obj: object, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, writable: true, configurable: true, enumerable: false });
}

/** Defines a plain own enumerable property, also for keys like `__proto__`. */
export function _defineProp(obj: object, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, writable: true, configurable: true, enumerable: true });
}

/**
 * Creates the error object for a record's name, message and stack. `cause`, `errors` and props
 * are added by the caller afterwards (so cycles through them can point back at the error).
 */
export function _buildError(name: string, message: string, stack: string | undefined): Error {
  const cls = _classByName.get(name);
  let err: Error;
  if (cls === undefined) {
    err = new Error(message);
    _defineHidden(err, "name", name);
    _standIns.add(err);
  } else {
    const base = _baseByClass.get(cls)!;
    // Reflect.construct gives a real Error object with cls.prototype without running cls's
    // constructor, whose parameters we do not know (pickle does the same).
    err = base === AggregateError
      ? Reflect.construct(AggregateError, [[], message], cls)
      : Reflect.construct(base, [message], cls);
  }
  if (stack === undefined) {
    // the stack captured here would describe the decoder, not the original throw
    delete (err as { stack?: string }).stack;
  } else {
    _defineHidden(err, "stack", stack);
  }
  return err;
}

/** True for Error objects, also ones made in another realm. */
export function _isError(value: unknown): value is Error {
  return value instanceof Error ||
    (typeof value === "object" && value !== null && Object.prototype.toString.call(value) === "[object Error]");
}
