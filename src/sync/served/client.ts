/**
 * The caller's side of the served primitives: classes with the public method shapes of the public primitives
 * that turn each call into a request to the served state machine (local or remote), sending the
 * caller's owner token where ownership matters. Manager proxies extend them, and so do the
 * served backends of the public primitives (`sync/served/backend.ts`).
 *
 * @module
 */
import type { Peer } from "../../channel/peer.ts";
import { node, type Ref } from "../../core/node.ts";
import { EOFError, StateError } from "../../errors.ts";
import { _show } from "./common.ts";
import { holdWith } from "../hold.ts";
import type { HolderInfo } from "./lock.ts";
import { acquireToken, callAs, currentToken } from "./owner.ts";

/** How a client reaches its state machine. */
export interface Remote {
  /** The served object's reference. */
  readonly ref: Ref;
  /** Runs `method` on the served object; rejects with what the object threw. */
  call(method: string, args: unknown[]): Promise<unknown>;
}

/**
 * Options of `acquire` and `hold`.
 *
 * @example
 * ```ts
 * import { type AcquireOptions, Lock } from "multiproc";
 * import assert from "node:assert/strict";
 * const lock = new Lock();
 * const now: AcquireOptions = { block: false };
 * assert.equal(await lock.acquire(now), true);
 * assert.equal(await lock.acquire(now), false); // taken: answers at once
 * assert.equal(await lock.acquire({ timeout: 20 }), false); // gives up after 20 ms
 * await lock.release();
 * ```
 */
export interface AcquireOptions {
  /** Wait for the lock (default true); false answers at once and ignores `timeout`. */
  block?: boolean;
  /** Longest wait in ms (default: no limit); negative counts as 0. */
  timeout?: number;
}

/**
 * A {@linkcode Remote} for a served object's reference: a local call in the owner process, a
 * request over the link anywhere else. A lost owner (its link closed, or it cannot be reached)
 * rejects with `StateError`.
 *
 * @param ref The object's reference.
 * @param what What to call the object in errors ("Lock", "manager dict", ...).
 * @returns The remote.
 * @example
 * ```ts
 * import { node } from "../../core/node.ts";
 * import { ServedLock } from "./lock.ts";
 * import { LockClient, refRemote } from "./client.ts";
 * const lock = new LockClient(refRemote(node.serve(new ServedLock()), "Lock"), "Lock");
 * await lock.acquire();
 * await lock.release();
 * ```
 */
export function refRemote(ref: Ref, what: string): Remote {
  return { ref, call: (method, args) => callRef(ref, method, args, what) };
}

/**
 * Calls `method` on the object `ref` names, mapping a lost owner to `StateError`.
 *
 * @param ref The object's reference.
 * @param method The method.
 * @param args Its arguments.
 * @param what What to call the object in errors.
 * @returns What the method returned.
 * @throws {StateError} If the owner process cannot be reached or its link closed during the call.
 */
export async function callRef(ref: Ref, method: string, args: unknown[], what: string): Promise<unknown> {
  const local = node.local(ref);
  if (local) return await local.call(method, args, null);
  let peer: Peer | undefined = node.openPeer(ref.a);
  if (peer === undefined) {
    try {
      peer = await node.peer(ref.a);
    } catch (e) {
      throw new StateError(
        `${what} is gone: its owner process (pid ${_pidOf(ref)}) cannot be reached; it has exited or was shut down`,
        { cause: e },
      );
    }
  }
  try {
    return await peer.request(ref.i, method, args);
  } catch (e) {
    if (e instanceof EOFError && peer.closed) {
      throw new StateError(
        `${what} is gone: the link to its owner process (pid ${_pidOf(ref)}) closed; it has exited or was shut down`,
        { cause: e },
      );
    }
    throw e;
  }
}

function _pidOf(ref: Ref): string {
  return /(\d+)\.sock$/.exec(ref.a)?.[1] ?? "?";
}

/**
 * Checks `acquire` options.
 * @returns [block, timeout or null].
 * @throws {TypeError} If an option has the wrong type.
 */
export function acquireArgs(o: AcquireOptions | undefined, what: string): [boolean, number | null] {
  if (o === undefined || o === null) return [true, null];
  if (typeof o !== "object") {
    throw new TypeError(`${what} options must be an object like { block, timeout }, got ${_show(o)}`);
  }
  const block = o.block ?? true;
  if (typeof block !== "boolean") throw new TypeError(`${what} block must be a boolean, got ${_show(block)}`);
  return [block, block ? timeoutOption(o.timeout, what) : null];
}

/**
 * `Condition.waitFor()` on any Condition: checks `predicate` first and after each wake-up, until it
 * is truthy or `timeout` ms have passed in all.
 * @param predicate Checked with the lock held.
 * @param timeout Longest total wait in ms (undefined/null: no limit).
 * @param wait The Condition's `wait(timeout)`.
 * @returns The predicate's last result, as a boolean.
 * @throws {TypeError} If `predicate` is not a function or `timeout` not a number.
 */
export async function waitForWith(
  predicate: () => boolean | Promise<boolean>,
  timeout: number | undefined,
  wait: (timeout?: number) => Promise<boolean>,
): Promise<boolean> {
  if (typeof predicate !== "function") throw new TypeError("Condition.waitFor() needs a predicate function");
  const limit = timeoutOption(timeout, "Condition.waitFor()");
  const end = limit === null ? Infinity : performance.now() + limit;
  let result = await predicate();
  while (!result) {
    const left = end - performance.now();
    if (left <= 0) break;
    await wait(end === Infinity ? undefined : left);
    result = await predicate();
  }
  return Boolean(result);
}

/**
 * Checks a `timeout` argument (ms; negative → 0; undefined/null → no limit).
 * @throws {TypeError} If it is not a number.
 */
export function timeoutOption(t: unknown, what: string): number | null {
  if (t === undefined || t === null) return null;
  if (typeof t !== "number" || Number.isNaN(t)) {
    throw new TypeError(`${what} timeout must be a number of milliseconds, got ${_show(t)}`);
  }
  return Math.max(0, t);
}

let _remoteOf: (c: ServedClient) => Remote;

/**
 * Base of every client: holds the {@linkcode Remote}.
 * @internal The public types are the manager proxies and the primitives built on this.
 */
export class ServedClient {
  #remote: Remote;
  static {
    _remoteOf = (c) => c.#remote;
  }
  /** @param remote How to reach the state machine. */
  constructor(remote: Remote) {
    this.#remote = remote;
  }
}

/**
 * The {@linkcode Remote} of a client (for `registerType` reducers).
 * @param c The client.
 * @returns Its remote.
 */
export function remoteOf(c: ServedClient): Remote {
  return _remoteOf(c);
}

/**
 * Sends a request through a client's remote.
 * @param c The client.
 * @param method The method.
 * @param args Its arguments.
 * @returns The answer.
 */
export function clientCall(c: ServedClient, method: string, args: unknown[]): Promise<unknown> {
  return _remoteOf(c).call(method, args);
}

/** Lock-like clients: `acquire`, `release`, `hold` (Lock, RLock, Semaphore, Condition). */
export abstract class AcquirerClient extends ServedClient {
  #what: string;
  /**
   * @param remote How to reach the state machine.
   * @param what Name used in errors.
   */
  constructor(remote: Remote, what: string) {
    super(remote);
    this.#what = what;
  }
  /** Name used in errors. */
  get _what(): string {
    return this.#what;
  }

  /**
   * Acquires, blocking (by default) until it is free.
   * @param options `{ block, timeout }`.
   * @returns true when acquired, false when not (non-blocking or timed out).
   * @throws {TypeError} If an option has the wrong type (rejects).
   */
  async acquire(options?: AcquireOptions): Promise<boolean> {
    const [block, timeout] = acquireArgs(options, `${this._what}.acquire()`);
    if (!this._owned) return (await clientCall(this, "acquire", [0, block, timeout])) as boolean;
    const tok = acquireToken();
    const ok = await callAs(tok, (id) => clientCall(this, "acquire", [id, block, timeout]));
    if (ok) tok.holds++;
    return ok as boolean;
  }

  /** Whether holders are tasks (locks, conditions) rather than anonymous (semaphores). */
  get _owned(): boolean {
    return true;
  }

  /** Releases once as the calling task (for owned kinds). */
  async _releaseOwned(): Promise<void> {
    const tok = currentToken();
    await callAs(tok, (id) => clientCall(this, "release", [id]));
    if (tok !== undefined && tok.holds > 0) tok.holds--;
  }

  /**
   * Acquires and resolves to a handle whose disposal releases: `await using _ = await x.hold()`.
   * @param options As for `acquire`.
   * @returns The handle.
   * @throws {TimeoutError} If it could not acquire (non-blocking, or timed out) (rejects).
   */
  hold(options?: AcquireOptions): Promise<AsyncDisposable> {
    return holdWith(this.acquire(options), options, this._what, () => this.release(), () => this._holderText());
  }

  /** Releases once. */
  abstract release(...args: number[]): Promise<void>;

  /** Extra text for a failed hold (who holds it). */
  _holderText(): Promise<string> {
    return Promise.resolve("");
  }
}

/**
 * Client of a served Lock or RLock.
 * @example
 * ```ts
 * const lock = await manager.Lock();
 * await using _ = await lock.hold();
 * ```
 * @internal Exported to users as the manager proxy `LockProxy`.
 */
export class LockClient extends AcquirerClient {
  /**
   * Releases once. A Lock may be released by any task or process; an RLock only by its owner.
   * @throws {StateError} If unlocked, or (RLock) not owned by the calling task (rejects).
   */
  async release(): Promise<void> {
    await this._releaseOwned();
  }
  /** @returns Whether some task holds it. */
  async locked(): Promise<boolean> {
    return (await clientCall(this, "locked", [])) as boolean;
  }
  override async _holderText(): Promise<string> {
    try {
      const h = (await clientCall(this, "holder", [])) as HolderInfo | null;
      if (h === null) return "";
      return h.gone
        ? `: it is held by pid ${h.pid}, which has exited (a lock held by a process that died stays held, as in Python)`
        : `: it is held by pid ${h.pid}`;
    } catch {
      return "";
    }
  }
}

/**
 * Client of a served Semaphore or BoundedSemaphore.
 * @example
 * ```ts
 * const sem = await manager.Semaphore(2);
 * await sem.acquire();
 * await sem.release();
 * ```
 * @internal Exported to users as the manager proxy `SemaphoreProxy`.
 */
export class SemaphoreClient extends AcquirerClient {
  override get _owned(): boolean {
    return false;
  }
  /**
   * Gives back `n` units (default 1).
   * @throws {RangeError} If `n` is not a positive integer (rejects).
   * @throws {StateError} If a BoundedSemaphore would exceed its initial value (rejects).
   */
  async release(n = 1): Promise<void> {
    await clientCall(this, "release", [n]);
  }
  /** @returns The current value. */
  async getValue(): Promise<number> {
    return (await clientCall(this, "getValue", [])) as number;
  }
}
