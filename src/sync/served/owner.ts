/**
 * Owner tokens: which async task of this process is calling, so that an `RLock` (and a
 * `Condition`'s lock) can be owned by a task, like Python's locks are owned by a thread.
 *
 * **The rule.** A task is an async context as tracked by a library-private `AsyncLocalStorage`
 * (available on Node, Deno and Bun alike).
 *
 * 1. `acquire()` reuses the current context's token while that token holds something (a lock it
 *    acquired and has not released) and has no call in flight. Otherwise it makes a new token and
 *    enters it with `enterWith`: the rest of the calling function, and everything it awaits or
 *    starts from then on, is that task. So `await r.acquire(); await r.acquire(); await
 *    r.release(); await r.release()` in one async function works.
 * 2. `enterWith` also leaks the token to the synchronous code that called the task's function,
 *    and so to tasks that code starts next and to its own later code. A token that holds nothing,
 *    or has a call in flight (a task awaits each of its calls, so a second caller is another
 *    task), is not reused: tasks started one after another (`Promise.all([a(), b()])`) get tokens
 *    of their own, and so does code that started a task which is now blocked in `acquire()` or
 *    `Condition.wait()`.
 * 3. Other calls (`release`, `wait`, `notify`) never make a token: they use the current one.
 *
 * The limit of the rule: code that shares a token with a task that holds an RLock and is not
 * blocked in a call (it awaits something else inside its critical section) re-enters instead of
 * waiting: a context that holds an RLock and starts tasks, or code that started a task which
 * acquired and then acquires the same RLock itself. Run such a task in a context of its own, e.g.
 * `AsyncLocalStorage.snapshot()(task)` (a `run`-style call confines `enterWith` to it).
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { node } from "../../core/node.ts";

/** A task's owner token. */
export interface OwnerToken {
  /** Unique within this process, across its threads (never 0). */
  readonly id: number;
  /** Locks held (acquired and not yet released) under this token. */
  holds: number;
  /** Calls made under this token that have not answered yet. */
  inflight: number;
}

const _storage = new AsyncLocalStorage<OwnerToken>();

/** A token id no other task of this process has: the threads of a process share the counter. */
function _nextId(): number {
  return (node.nextNumber(3) & 0x7fffffff) || 1;
}

/**
 * The token an `acquire()` of the calling task uses, making one when the current context has none
 * that it may reuse (rules 1 and 2 of the module doc). Make the call with {@linkcode callAs}.
 *
 * @returns The token.
 * @example
 * ```ts
 * import { acquireToken } from "./owner.ts";
 * console.log(acquireToken().id > 0); // true
 * ```
 */
export function acquireToken(): OwnerToken {
  const t = _storage.getStore();
  if (t !== undefined && t.holds > 0 && t.inflight === 0) return t;
  const made: OwnerToken = { id: _nextId(), holds: 0, inflight: 0 };
  _storage.enterWith(made);
  return made;
}

/**
 * The token of the calling task, if it has one.
 *
 * @returns The token, or undefined.
 * @example
 * ```ts
 * import { currentToken } from "./owner.ts";
 * console.log(currentToken()?.id ?? 0); // 0 before any acquire
 * ```
 */
export function currentToken(): OwnerToken | undefined {
  return _storage.getStore();
}

/**
 * Makes a call under `tok` (counted in flight while it runs).
 *
 * @param tok The token, or undefined (the call then sends 0).
 * @param call Sends the request with the token's id.
 * @returns What the call returned.
 * @example
 * ```ts
 * import { acquireToken, callAs } from "./owner.ts";
 * console.log(await callAs(acquireToken(), async (id) => id > 0)); // true
 * ```
 */
export async function callAs<T>(tok: OwnerToken | undefined, call: (id: number) => Promise<T>): Promise<T> {
  if (tok === undefined) return await call(0);
  tok.inflight++;
  try {
    return await call(tok.id);
  } finally {
    tok.inflight--;
  }
}
