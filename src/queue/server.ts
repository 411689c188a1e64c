/**
 * The served half of a queue (see `queue.ts` for the design): the item list, `maxsize`
 * accounting, waiting getters and putters, the items *leased* to consumers in other processes
 * (handed out in batches, held until acknowledged, put back at their place in line if the
 * consumer's process dies or closes the queue), and the unfinished-task count of a JoinableQueue.
 * Items are kept as the producer's encoded bytes; only consumers decode them.
 *
 * @module
 */
import type { Peer } from "../channel/peer.ts";
import type { Served } from "../core/node.ts";
import { Empty, Full, StateError } from "../errors.ts";
import { Fifo } from "../core/fifo.ts";
import { holdAlive, releaseAlive } from "../core/hold_alive.ts";

/** An item in line: its sequence number (its place in line) and its encoded bytes. */
interface _Item {
  s: number;
  b: Uint8Array;
}

interface _Getter {
  peer: Peer | null;
  client: string;
  want: number;
  resolve(v: unknown): void;
  reject(e: unknown): void;
  timer?: ReturnType<typeof setTimeout>;
}

interface _Putter {
  peer: Peer | null;
  bytes: Uint8Array;
  resolve(v: unknown): void;
  reject(e: unknown): void;
  timer?: ReturnType<typeof setTimeout>;
}

interface _Lease {
  peer: Peer;
  items: Map<number, _Item>;
}

/** Largest batch handed to a consumer in one answer, in bytes (at least one item is always handed). */
const _BATCH_BYTES = 1024 * 1024;

/** Serves one queue; methods run for local handles directly and for remote ones via `call`. */
export class QueueServer implements Served {
  #items = new Fifo<_Item>();
  #seq = 0;
  #maxsize: number;
  #leased = 0;
  #leases = new Map<string, _Lease>();
  #getters: _Getter[] = [];
  #putters: _Putter[] = [];
  #joinable: boolean;
  #unfinished = 0;
  #joiners: Array<() => void> = [];
  #scheduled = false;

  /**
   * @param maxsize Most items in the queue at once (0: no limit).
   * @param joinable Count unfinished tasks (JoinableQueue).
   */
  constructor(maxsize: number, joinable: boolean) {
    this.#maxsize = maxsize;
    this.#joinable = joinable;
  }

  /** Dispatches a call from a handle in another process. */
  call(method: string, a: unknown[], peer: Peer | null): unknown {
    switch (method) {
      case "P":
        for (const b of a[0] as Uint8Array[]) this.#append(b);
        return;
      case "p":
        return this.put(a[0] as Uint8Array, Boolean(a[1]), a[2] as number, peer);
      case "g":
        this.ack(String(a[0]), a[1] as number[]);
        return this.get(String(a[0]), a[2] as number, Boolean(a[3]), a[4] as number, peer);
      case "k":
        return void this.ack(String(a[0]), a[1] as number[]);
      case "b":
        this.ack(String(a[0]), a[1] as number[]);
        return void this.giveBack(String(a[0]), a[2] as number[]);
      case "x":
        return void this.cancelGets(String(a[0]));
      case "q":
        this.ack(String(a[0]), a[1] as number[]);
        return [this.qsize(), this.full()];
      case "t":
        return this.taskDone();
      case "j":
        return this.join();
      case "y":
        return null;
      default:
        throw new StateError(`Queue has no method "${method}"`);
    }
  }

  /** Items in line plus items handed to consumers and not yet taken by them. */
  qsize(): number {
    return this.#items.length + this.#leased;
  }

  /** Whether a bounded queue has no free slot. */
  full(): boolean {
    return this.#maxsize > 0 && this.qsize() >= this.#maxsize;
  }

  /**
   * Adds an item, waiting for a free slot (up to `timeout` ms) when the queue is full.
   * @returns Undefined when added at once, else a promise; rejects with Full.
   */
  put(bytes: Uint8Array, block: boolean, timeout: number | undefined, peer: Peer | null): void | Promise<unknown> {
    if (!this.full() && this.#putters.length === 0) return this.#append(bytes);
    if (!block) throw _full(this.#maxsize);
    return new Promise((resolve, reject) => {
      const p: _Putter = { peer, bytes, resolve, reject };
      if (peer === null) holdAlive();
      if (timeout !== undefined && timeout !== null && Number.isFinite(timeout)) {
        p.timer = setTimeout(() => {
          this.#putters = this.#putters.filter((x) => x !== p);
          this.#settle(p);
          reject(_full(this.#maxsize));
        }, Math.max(0, timeout));
      }
      this.#putters.push(p);
    });
  }

  /**
   * Takes items: one for a local caller (`peer` null), up to `want` for a consumer elsewhere
   * (leased to `client` until acknowledged). Waits up to `timeout` ms; rejects with Empty.
   * @returns For a local caller the bytes; for a remote one a flat array `[seq, bytes, seq, bytes, ...]`.
   */
  get(client: string, want: number, block: boolean, timeout: number | undefined, peer: Peer | null): unknown {
    if (this.#items.length > 0 && ((this.#getters.length === 0 && !this.#leasedByOthers(client)) || !block)) {
      return this.#take(peer, client, want);
    }
    if (!block) throw _empty();
    this.#recall(client);
    return new Promise((resolve, reject) => {
      const g: _Getter = { peer, client, want, resolve, reject };
      if (peer === null) holdAlive();
      if (timeout !== undefined && timeout !== null && Number.isFinite(timeout)) {
        g.timer = setTimeout(() => {
          this.#getters = this.#getters.filter((x) => x !== g);
          this.#settle(g);
          reject(_empty());
        }, Math.max(0, timeout));
      }
      this.#getters.push(g);
    });
  }

  /** A consumer took leased items `seqs`: their slots are free. */
  ack(client: string, seqs: number[]): void {
    if (!seqs || seqs.length === 0) return;
    const lease = this.#leases.get(client);
    if (!lease) return;
    let n = 0;
    for (const s of seqs) if (lease.items.delete(s)) n++;
    this.#leased -= n;
    if (lease.items.size === 0) {
      this.#leases.delete(client);
      this.#schedule();
    }
    if (n > 0) this.#freed();
  }

  /** A consumer hands back leased items it did not take: they return to their place in line. */
  giveBack(client: string, seqs: number[]): void {
    const lease = this.#leases.get(client);
    if (!lease || !seqs || seqs.length === 0) return;
    const back: _Item[] = [];
    for (const s of seqs) {
      const it = lease.items.get(s);
      if (it) {
        lease.items.delete(s);
        back.push(it);
      }
    }
    if (lease.items.size === 0) this.#leases.delete(client);
    this.#leased -= back.length;
    this.#items.insertSorted(back, (it) => it.s);
    this.#schedule();
  }

  /** Rejects the waiting gets of `client` (its handle was closed). */
  cancelGets(client: string): void {
    this.#getters = this.#getters.filter((g) => {
      if (g.client !== client) return true;
      this.#settle(g);
      g.reject(new StateError("Queue is closed: it was closed while get() waited"));
      return false;
    });
  }

  /** JoinableQueue: one task is done. @throws {StateError} If called more times than items were put. */
  taskDone(): void {
    if (this.#unfinished === 0) throw new StateError("taskDone() called too many times: call it once per item taken with get()");
    if (--this.#unfinished === 0) {
      for (const j of this.#joiners.splice(0)) {
        releaseAlive();
        j();
      }
    }
  }

  /** JoinableQueue: resolves once every item put has been marked done. */
  join(): void | Promise<void> {
    if (this.#unfinished === 0) return;
    holdAlive(); // a local join() must keep this process waiting, like Python's
    return new Promise((r) => this.#joiners.push(r));
  }

  /** Forgets a process whose link closed: its leased items return to the line, its waits end. */
  peerClosed(peer: Peer): void {
    this.#getters = this.#getters.filter((g) => g.peer !== peer || (this.#settle(g), false));
    this.#putters = this.#putters.filter((p) => p.peer !== peer || (this.#settle(p), false));
    for (const [client, lease] of [...this.#leases]) {
      if (lease.peer === peer) this.giveBack(client, [...lease.items.keys()]);
    }
    this.#freed();
  }

  #append(bytes: Uint8Array): void {
    this.#items.push({ s: ++this.#seq, b: bytes });
    if (this.#joinable) this.#unfinished++;
    if (this.#getters.length > 0) this.#schedule();
  }

  /**
   * Whether a consumer other than `client` holds leased items. Items are handed out in line order,
   * so while one does, a getter waits (and the items are recalled): no consumer ever takes an item
   * that was put after one still leased elsewhere, which keeps every consumer's view FIFO.
   */
  #leasedByOthers(client: string): boolean {
    for (const k of this.#leases.keys()) if (k !== client) return true;
    return false;
  }

  #take(peer: Peer | null, client: string, want: number): unknown {
    if (peer === null) {
      const it = this.#items.shift()!;
      this.#freed();
      return it.b;
    }
    // Competing consumers get one item at a time; a lone one gets a batch.
    const alone = this.#getters.length === 0 && !this.#leasedByOthers(client);
    const n = alone ? Math.max(1, want) : 1;
    const out: unknown[] = [];
    let lease = this.#leases.get(client);
    if (!lease) this.#leases.set(client, lease = { peer, items: new Map() });
    let bytes = 0;
    for (let i = 0; i < n && this.#items.length > 0 && (i === 0 || bytes < _BATCH_BYTES); i++) {
      const it = this.#items.shift()!;
      lease.items.set(it.s, it);
      bytes += it.b.length;
      out.push(it.s, it.b);
    }
    this.#leased += out.length / 2;
    return out;
  }

  /** Hands waiting getters what is in line (batched: runs once per tick). */
  #schedule(): void {
    if (this.#scheduled || this.#getters.length === 0) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      while (this.#items.length > 0 && this.#getters.length > 0) {
        const g = this.#getters[0];
        if (g.peer?.closed) {
          this.#getters.shift();
          this.#settle(g);
          continue;
        }
        if (this.#leasedByOthers(g.client)) {
          this.#recall(g.client);
          return;
        }
        this.#getters.shift();
        this.#settle(g);
        g.resolve(this.#take(g.peer, g.client, g.want));
      }
    });
  }

  /** A slot came free: admit waiting putters in order. */
  #freed(): void {
    while (this.#putters.length > 0 && !this.full()) {
      const p = this.#putters.shift()!;
      this.#settle(p);
      if (p.peer?.closed) continue;
      this.#append(p.bytes);
      p.resolve(undefined);
    }
  }

  /** Asks consumers holding leased items they have not taken to hand them back (someone starves). */
  #recall(except: string): void {
    for (const [client, lease] of this.#leases) {
      if (client !== except && !lease.peer.closed) lease.peer.notify(client, "recall", []);
    }
  }

  #settle(w: { peer: Peer | null; timer?: ReturnType<typeof setTimeout> }): void {
    if (w.timer !== undefined) clearTimeout(w.timer);
    if (w.peer === null) releaseAlive();
  }
}

function _full(maxsize: number): Full {
  return new Full(`Queue is full (maxsize ${maxsize}): wait with put({ timeout }) or take items out first`);
}

function _empty(): Empty {
  return new Empty("Queue is empty: nothing arrived in time; wait longer with get({ timeout }) or put items first");
}
