/**
 * An ordered path to the process that serves an object: calls made through one route leave in the
 * order they were made, also while the link is still being opened (the first call to a sibling
 * connects to its socket; later ones must not overtake it).
 *
 * @module
 */
import type { Peer } from "../channel/peer.ts";
import { node } from "./node.ts";
import { EOFError } from "../errors.ts";

const _routes = new Map<string, Route>();

/**
 * The route to the process listening at `address` (one per address, reused).
 * @param address The serving process's address (a `Ref`'s `a`).
 * @returns The route.
 * @example
 * ```ts
 * import { routeTo } from "./route.ts";
 * routeTo(ref.a).notify(ref.i, "s", [0, bytes]);
 * ```
 */
export function routeTo(address: string): Route {
  let r = _routes.get(address);
  if (!r || r.broken) {
    r = new Route(address);
    _routes.set(address, r);
  }
  return r;
}

/** Calls over the link to one process, kept in order. */
export class Route {
  /** True once the link has closed or could not be opened (a new route is made on next use). */
  broken = false;
  #peer: Peer | undefined;
  #ready: Promise<Peer>;
  #address: string;
  #before = new Set<() => void>();

  /** @param address The serving process's address. */
  constructor(address: string) {
    this.#address = address;
    this.#ready = node.peer(address);
    this.#ready.then((p) => {
      this.#peer = p;
      p.onClose(() => (this.broken = true));
    }, () => (this.broken = true));
  }

  /**
   * Runs `fn` once, just before the next message leaves on this route (a queue's acknowledgements
   * must precede anything its consumer sends after taking an item).
   * @param fn The flusher; it may send on this route.
   */
  beforeNextSend(fn: () => void): void {
    this.#before.add(fn);
  }

  #runBefore(): void {
    const fns = [...this.#before];
    this.#before.clear();
    for (const fn of fns) fn();
  }

  /** The link's peer once open (undefined before). */
  get peer(): Peer | undefined {
    return this.#peer;
  }

  /**
   * Sends a one-way message (dropped if the link is gone).
   * @param target Object id in the serving process.
   * @param method Method name.
   * @param args Arguments (must be encodable).
   */
  notify(target: string, method: string, args: unknown[]): void {
    if (this.#before.size > 0) this.#runBefore();
    if (this.#peer) this.#peer.notify(target, method, args);
    else this.#ready.then((p) => p.notify(target, method, args), () => {});
  }

  /**
   * Undefined when every message sent on this route so far is in the kernel, so the serving process
   * gets it even if this one dies next; else a promise that resolves once it is. Rejects with
   * EOFError if the link is gone or could not be opened: those messages will not arrive.
   * @returns Undefined, or the promise.
   */
  flushed(): Promise<void> | undefined {
    if (this.#peer) return this.#peer.flushed();
    // Runs after the notifications queued on #ready before it, so it covers them.
    return this.#ready.then((p) => p.flushed(), (e) => {
      throw new EOFError(`Cannot reach process at ${this.#address}: ${e instanceof Error ? e.message : e}`);
    });
  }

  /**
   * Calls a method and waits for its answer; a lost or unreachable process rejects with EOFError.
   * @param target Object id in the serving process.
   * @param method Method name.
   * @param args Arguments (must be encodable).
   * @param hold Keep this process alive while waiting (default true).
   * @returns The answer.
   */
  request(target: string, method: string, args: unknown[], hold = true): Promise<unknown> {
    if (this.#before.size > 0) this.#runBefore();
    const p = this.#peer
      ? this.#peer.request(target, method, args, hold)
      : this.#ready.then((peer) => peer.request(target, method, args, hold));
    return p.catch((e) => {
      if (typeof (e as { code?: unknown })?.code !== "string") throw e; // an answer, not a failed connect
      throw new EOFError(
        `Cannot reach process at ${this.#address}, which serves this object: ${e instanceof Error ? e.message : e}`,
      );
    });
  }
}
