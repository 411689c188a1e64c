/**
 * `Pipe()` and `Connection`: Python's `multiprocessing.Pipe` between any processes of a tree
 * (`wait()` on connections and processes is in `connection/wait.ts`).
 *
 * **Design.** A pipe end may be used by a process that did not create it and has no link to the
 * other end's holder, so the process that calls `Pipe()` *serves* the pipe (`connection/pipe_server.ts`):
 * two message buffers (buffer `s` is read by end `s` and written by end `1 - s`) and the number of
 * open handles of each end across all processes. Every `Connection` object is one handle:
 *
 * - In the serving process a handle calls the server directly (no encoding, no link).
 * - Elsewhere, `send` is a one-way notification over the link to the server (ordered per link;
 *   messages of 64 KiB and more are requests, answered once the buffer has room: back-pressure),
 *   and `recv`/`poll` are requests the server answers as soon as there is a message (or EOF).
 *   Messages travel and rest as the sender's encoded bytes; only the reader decodes them.
 * - Sending a handle inside any message (`args`, a queue item, another pipe's message) counts a
 *   new handle for its end *before* the message leaves (over the same link as the sender's later
 *   `close`, so the count cannot drop to zero in between); the receiving process attaches it, so
 *   the server releases it when that process's link closes (exit, kill).
 * - A reader sees EOF once every handle of the other end is closed and its buffer is drained.
 *   A child closes its handles when its target returns, after the server has received its sends.
 *
 * Parent↔child traffic thus takes the shortest path: a child's messages travel its one link to the
 * parent, and the parent reads and writes its buffers in memory. Siblings go through the creator
 * (two hops each way); `bench/pipe_rtt.bench.ts` measures both.
 *
 * @module
 */
import { decodeOrLoad, encode, registerType } from "./channel/codec.ts";
import { node, type Ref } from "./core/node.ts";
import { BufferTooShort, EOFError, StateError } from "./errors.ts";
import { PipeServer } from "./connection/pipe_server.ts";
import { type Route, routeTo } from "./core/route.ts";
import { REBUILD } from "./core/rebuild.ts";

/** Messages of at least this many bytes are sent as requests (answered when the buffer has room). */
const _BIG = 64 * 1024;

let _pollSeq = 0;
const _open = new Set<Connection<unknown>>();
let _hookInstalled = false;

function _newHandleId(): string {
  return node.handleId("");
}

interface _State {
  ref: Ref;
  end: 0 | 1;
  duplex: boolean;
  h: string;
}

const _finalizer = new FinalizationRegistry<() => void>((close) => {
  try {
    close();
  } catch { /* the owner is gone */ }
});

/** Closes this process's open handles and waits until their servers got everything (child exit). */
async function _closeAllBeforeExit(): Promise<void> {
  const routes = new Map<Route, string>();
  for (const c of [..._open]) {
    const r = _routeOf(c);
    if (r) routes.set(r.route, r.id);
    c.close();
  }
  await Promise.all([...routes].map(([route, id]) => route.request(id, "y", [], true).catch(() => {})));
}

let _routeOf: (c: Connection<unknown>) => { route: Route; id: string } | undefined;
let _pollCancelable: (c: Connection<unknown>, timeout: number) => PendingPoll;

/** A poll that can be called off: `done` resolves with whether the connection is ready. */
export interface PendingPoll {
  /** Whether there is something to read (a message, or EOF) before the poll ended. */
  done: Promise<boolean>;
  /** Ends the poll (its answer is then false). */
  cancel(): void;
}

/**
 * Starts a poll of `c` that `wait()` can cancel once another object is ready. @internal
 * @param c A readable, open connection.
 * @param timeout Milliseconds; `Infinity` waits.
 * @returns The poll.
 */
export function pollCancelable(c: Connection<unknown>, timeout: number): PendingPoll {
  return _pollCancelable(c, timeout);
}

/**
 * One end of a pipe made by {@linkcode Pipe}. Messages are structured-clone values (`send`/`recv`)
 * or raw bytes (`sendBytes`/`recvBytes`); they are never merged or split, and an empty message is
 * a message. An end may be passed to any process of the tree (inside `args`, a queue item or a
 * message) and is usable there.
 *
 * @example
 * ```ts
 * import { Pipe } from "multiproc";
 * const [a, b] = Pipe();
 * await a.send({ hello: "world" });
 * console.log(await b.recv()); // { hello: "world" }
 * a.close();
 * ```
 */
export class Connection<T = unknown> implements AsyncIterable<T>, AsyncDisposable {
  #ref: Ref;
  #end: 0 | 1;
  #duplex: boolean;
  #h: string;
  #closed = false;
  #server: PipeServer | undefined;
  #route: Route | undefined;

  static {
    _routeOf = (c) => (c.#route ? { route: c.#route, id: c.#ref.i } : undefined);
    _pollCancelable = (c, timeout) => c.#pollCancelable(timeout);
    registerType<Connection<unknown>>({
      tag: "multiproc.Connection",
      cls: Connection,
      reduce: (c) => {
        if (c.#closed) {
          throw new StateError("Cannot send a closed Connection to another process: send it before closing it");
        }
        const h = _newHandleId();
        if (c.#server) c.#server.inc(h, c.#end);
        else c.#route!.notify(c.#ref.i, "i", [h, c.#end]);
        return { ref: c.#ref, end: c.#end, duplex: c.#duplex, h } satisfies _State;
      },
      rebuild: (s) => {
        const state = s as _State;
        const c = new Connection(REBUILD, state);
        if (c.#server) c.#server.attach(state.h, state.end, null);
        else c.#route!.notify(state.ref.i, "a", [state.h, state.end]);
        return c;
      },
    });
  }

  /**
   * Made by {@linkcode Pipe} (and when a connection arrives from another process, see
   * `core/rebuild.ts`); not meant to be called directly.
   * @param tag The rebuild tag.
   * @param state Where the pipe is served and which end this is.
   * @throws {TypeError} If called without the internal state.
   */
  constructor(tag: typeof REBUILD, state: _State) {
    if (tag !== REBUILD || typeof state !== "object" || state === null || typeof state.h !== "string") {
      throw new TypeError("Connection objects are made by Pipe(); call Pipe() instead of new Connection()");
    }
    this.#ref = state.ref;
    this.#end = state.end;
    this.#duplex = state.duplex;
    this.#h = state.h;
    const local = node.local(state.ref);
    if (local instanceof PipeServer) this.#server = local;
    else this.#route = routeTo(state.ref.a);
    _open.add(this as Connection<unknown>);
    const server = this.#server;
    const route = this.#route;
    const { i } = state.ref;
    const h = state.h;
    _finalizer.register(this, () => (server ? server.close(h) : route!.notify(i, "c", [h])), this);
    if (!_hookInstalled) {
      _hookInstalled = true;
      node.beforeExit.push(_closeAllBeforeExit);
    }
  }

  /** Whether {@linkcode close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Whether this end can receive (false for the sending end of a one-way pipe). */
  get readable(): boolean {
    return this.#duplex || this.#end === 0;
  }

  /** Whether this end can send (false for the receiving end of a one-way pipe). */
  get writable(): boolean {
    return this.#duplex || this.#end === 1;
  }

  /**
   * Sends a structured-clone value to the other end.
   * @param value The value.
   * @returns Resolves once the message has left this process (it is in the kernel, or in the buffer
   *   of the process that serves the pipe): it then arrives even if this process exits or is killed.
   * @throws {EOFError} If the process that serves the pipe is gone (the message cannot arrive).
   * @throws {TypeError} If the value cannot be sent (the message names its path).
   * @throws {StateError} If this end is closed or is the receiving end of a one-way pipe.
   * @example
   * ```ts
   * const [a, b] = Pipe();
   * await a.send([1, "two", new Map([[3, 4]])]);
   * ```
   */
  async send(value: T): Promise<void> {
    this.#check("send", this.writable);
    await this.#push(encode(value, "value"));
  }

  /**
   * Sends raw bytes as one message: `size` bytes of `buf` starting at byte `offset`.
   * @param buf The bytes.
   * @param offset First byte to send (default 0).
   * @param size Number of bytes (default: to the end of `buf`).
   * @returns Resolves once the message has left this process (as for {@linkcode send}).
   * @throws {EOFError} If the process that serves the pipe is gone.
   * @throws {TypeError} If `buf` is not an ArrayBuffer or view, or offset/size are not integers.
   * @throws {RangeError} If `offset` or `size` fall outside `buf`.
   * @throws {StateError} If this end is closed or cannot send.
   * @example
   * ```ts
   * await conn.sendBytes(new Uint8Array([1, 2, 3, 4]), 1, 2); // sends [2, 3]
   * ```
   */
  async sendBytes(buf: ArrayBufferView | ArrayBuffer, offset: number = 0, size?: number): Promise<void> {
    this.#check("sendBytes", this.writable);
    let view: Uint8Array;
    if (buf instanceof ArrayBuffer) view = new Uint8Array(buf);
    else if (ArrayBuffer.isView(buf)) view = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    else {throw new TypeError(
        `sendBytes() expects an ArrayBuffer or a typed array, got ${buf === null ? "null" : typeof buf}`,
      );}
    const n = view.length;
    if (!Number.isInteger(offset)) throw new TypeError(`sendBytes() offset must be an integer, got ${offset}`);
    if (offset < 0 || offset > n) {
      throw new RangeError(`sendBytes() offset ${offset} is outside the buffer of ${n} bytes: use 0..${n}`);
    }
    const count = size ?? n - offset;
    if (!Number.isInteger(count)) throw new TypeError(`sendBytes() size must be an integer, got ${size}`);
    if (count < 0) throw new RangeError(`sendBytes() size ${count} is negative: use 0..${n - offset}`);
    if (offset + count > n) {
      throw new RangeError(
        `sendBytes() offset ${offset} + size ${count} exceeds the buffer of ${n} bytes: use a size of at most ${
          n - offset
        }`,
      );
    }
    await this.#push(view.slice(offset, offset + count));
  }

  /**
   * Receives the next value sent with `send`.
   * @returns The value.
   * @throws {EOFError} If the other end is closed and nothing is left to read.
   * @throws {StateError} If this end is closed or cannot receive.
   * @example
   * ```ts
   * const msg = await conn.recv();
   * ```
   */
  async recv(): Promise<T> {
    this.#check("recv", this.readable);
    return (await decodeOrLoad(await this.#pull())) as T;
  }

  /**
   * Receives the next message as bytes.
   * @param maxLength Largest message accepted; a longer one closes this end and rejects.
   * @returns The bytes.
   * @throws {RangeError} If `maxLength` is negative, or the message is longer (this end is then closed).
   * @throws {EOFError} If the other end is closed and nothing is left to read.
   * @throws {StateError} If this end is closed or cannot receive.
   * @example
   * ```ts
   * const bytes = await conn.recvBytes(1024);
   * ```
   */
  async recvBytes(maxLength?: number): Promise<Uint8Array> {
    this.#check("recvBytes", this.readable);
    if (maxLength !== undefined && (typeof maxLength !== "number" || Number.isNaN(maxLength))) {
      throw new TypeError(`recvBytes() maxLength must be a number, got ${typeof maxLength}`);
    }
    if (maxLength !== undefined && maxLength < 0) {
      throw new RangeError(`recvBytes() maxLength ${maxLength} is negative: use 0 or more`);
    }
    const bytes = await this.#pull();
    if (maxLength !== undefined && bytes.length > maxLength) {
      this.close();
      throw new RangeError(
        `Message of ${bytes.length} bytes is longer than maxLength ${maxLength}; the Connection is now closed`,
      );
    }
    return bytes;
  }

  /**
   * Receives the next message into `buf` at byte `offset`.
   * @param buf Where to write the bytes.
   * @param offset Byte position in `buf` (default 0).
   * @returns The message length in bytes.
   * @throws {BufferTooShort} If the message does not fit; its `data` holds the whole message.
   * @throws {RangeError} If `offset` is outside `buf`.
   * @throws {EOFError} If the other end is closed and nothing is left to read.
   * @example
   * ```ts
   * const buf = new Uint8Array(64);
   * const n = await conn.recvBytesInto(buf);
   * ```
   */
  async recvBytesInto(buf: ArrayBufferView, offset: number = 0): Promise<number> {
    this.#check("recvBytesInto", this.readable);
    if (!ArrayBuffer.isView(buf)) {
      throw new TypeError(
        `recvBytesInto() expects a typed array or DataView, got ${buf === null ? "null" : typeof buf}`,
      );
    }
    if (!Number.isInteger(offset)) throw new TypeError(`recvBytesInto() offset must be an integer, got ${offset}`);
    if (offset < 0 || offset > buf.byteLength) {
      throw new RangeError(
        `recvBytesInto() offset ${offset} is outside the buffer of ${buf.byteLength} bytes: use 0..${buf.byteLength}`,
      );
    }
    const bytes = await this.#pull();
    const room = buf.byteLength - offset;
    if (bytes.length > room) {
      throw new BufferTooShort(
        `Message of ${bytes.length} bytes does not fit in ${room} bytes of buffer; it is in the error's data`,
        bytes,
      );
    }
    new Uint8Array(buf.buffer, buf.byteOffset + offset, bytes.length).set(bytes);
    return bytes.length;
  }

  /**
   * Whether there is something to read (a message, or EOF), waiting up to `timeout` ms.
   * @param timeout Milliseconds to wait; omitted or negative answers at once; `Infinity` waits.
   * @returns True if `recv` would not wait.
   * @throws {StateError} If this end is closed or cannot receive.
   * @example
   * ```ts
   * if (await conn.poll(100)) console.log(await conn.recv());
   * ```
   */
  async poll(timeout?: number): Promise<boolean> {
    this.#check("poll", this.readable);
    if (timeout !== undefined && timeout !== null && typeof timeout !== "number") {
      throw new TypeError(`poll() timeout must be a number of milliseconds, got ${typeof timeout}`);
    }
    return await this.#pollCancelable(timeout ?? 0).done;
  }

  /** Closes this handle (idempotent); the other end sees EOF once all its peer handles are closed. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    _open.delete(this as Connection<unknown>);
    _finalizer.unregister(this);
    if (this.#server) this.#server.close(this.#h);
    else this.#route!.notify(this.#ref.i, "c", [this.#h]);
  }

  /** Closes this handle. */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }

  /** Yields received values until the other end is closed (EOF) or this end is closed. */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      let v: T;
      try {
        v = await this.recv();
      } catch (e) {
        if (e instanceof EOFError || this.#closed) return;
        throw e;
      }
      yield v;
    }
  }

  #check(op: string, allowed: boolean): void {
    if (this.#closed) throw new StateError(`Cannot ${op}() on a closed Connection`);
    if (!allowed) {
      throw new StateError(
        `Cannot ${op}() on this Connection: it is the ${
          this.#end === 0 ? "receiving" : "sending"
        } end of a one-way Pipe({ duplex: false })`,
      );
    }
  }

  #push(bytes: Uint8Array): void | Promise<unknown> {
    const side = (1 - this.#end) as 0 | 1;
    if (this.#server) return this.#server.push(side, bytes, true);
    if (bytes.length >= _BIG) return this.#route!.request(this.#ref.i, "S", [side, bytes]);
    this.#route!.notify(this.#ref.i, "s", [side, bytes]);
    // Resolve once the message is in the kernel: it then arrives whatever this process does next.
    return this.#route!.flushed();
  }

  #pull(): Uint8Array | Promise<Uint8Array> {
    if (this.#server) return this.#server.recv(this.#end, this.#h, null);
    return this.#route!.request(this.#ref.i, "r", [this.#end, this.#h]) as Promise<Uint8Array>;
  }

  #pollCancelable(timeout: number): PendingPoll {
    const id = ++_pollSeq;
    const t = timeout < 0 ? 0 : timeout;
    if (this.#server) {
      const server = this.#server;
      return {
        done: Promise.resolve(server.poll(this.#end, this.#h, t, id, null)),
        cancel: () => server.cancelPoll(id, null),
      };
    }
    const route = this.#route!;
    const target = this.#ref.i;
    return {
      done: route.request(target, "p", [this.#end, this.#h, t, id]) as Promise<boolean>,
      cancel: () => route.notify(target, "x", [id]),
    };
  }
}

/**
 * Makes a pipe and returns its two ends. Duplex (the default): both ends send and receive.
 * One-way (`duplex: false`): `[receiver, sender]`, like Python.
 * @param options `duplex` (default true).
 * @returns The two connections.
 * @throws {TypeError} If `options` is not an object.
 * @example
 * ```ts
 * import { Pipe } from "multiproc";
 * const [rx, tx] = Pipe({ duplex: false });
 * await tx.send("hi");
 * console.log(await rx.recv()); // "hi"
 * ```
 */
export function Pipe<T = unknown>(options: { duplex?: boolean } = {}): [Connection<T>, Connection<T>] {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("Pipe() options must be an object like { duplex: false }");
  }
  const duplex = options.duplex === undefined ? true : Boolean(options.duplex);
  const h0 = _newHandleId();
  const h1 = _newHandleId();
  let id = "";
  const server = new PipeServer([h0, h1], () => node.unserve(id));
  const ref = node.serve(server);
  id = ref.i;
  return [
    new Connection<T>(REBUILD, { ref, end: 0, duplex, h: h0 }),
    new Connection<T>(REBUILD, { ref, end: 1, duplex, h: h1 }),
  ];
}
