/**
 * The served half of a queue (see `queue.ts` for the design): the item list, `maxsize`
 * accounting, waiting getters and putters, the items *leased* to consumers in other processes
 * (handed out in batches, held until acknowledged, put back at their place in line if the
 * consumer's process dies or closes the queue), and the unfinished-task count of a JoinableQueue.
 * For `Queue` handles, items are kept as the producer's encoded bytes; only consumers decode
 * them. A manager serves its queues with the same class (`manager/queue.ts`): its proxies take
 * one decoded item per request, never a lease.
 *
 * @module
 */
import type { Peer } from "../channel/peer.ts";
import type { Served } from "../core/node.ts";
import { Empty, Full, StateError } from "../errors.ts";
import { Fifo } from "../core/fifo.ts";
import { WaitList } from "../core/wait_list.ts";

/** An item in line: its sequence number (its place in line) and the item (a Queue's: encoded bytes). */
interface _Item {
  s: number;
  b: unknown;
}

/** A blocked get (see {@linkcode QueueServer.get} for `want`). */
interface _Getter {
  peer: Peer | null;
  client: string;
  want: number;
}

interface _Putter {
  peer: Peer | null;
  item: unknown;
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
  // Only a get or put of this process keeps it alive; a join() does, wherever it comes from.
  #getters = new WaitList<unknown, _Getter>({ holdRemote: false });
  #putters = new WaitList<void, _Putter>({ holdRemote: false });
  #joinable: boolean;
  #unfinished = 0;
  #joiners = new WaitList<void>();
  #scheduled = false;
  #label: string;

  /**
   * @param maxsize Most items in the queue at once (0: no limit).
   * @param joinable Count unfinished tasks (JoinableQueue).
   * @param label What errors call the queue (default "Queue").
   */
  constructor(maxsize: number, joinable: boolean, label = "Queue") {
    this.#maxsize = maxsize;
    this.#joinable = joinable;
    this.#label = label;
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
        return this.get(String(a[0]), Math.max(1, a[2] as number), Boolean(a[3]), a[4] as number, peer);
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
        return this.join(peer);
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
  put(item: unknown, block: boolean, timeout: number | undefined, peer: Peer | null): void | Promise<unknown> {
    if (!this.full() && this.#putters.length === 0) return this.#append(item);
    if (!block) throw this.#fullError();
    return this.#putters.add({ peer, item }, _limit(timeout), () => {
      throw this.#fullError();
    });
  }

  /**
   * Takes items: one outright for a local caller (`peer` null) or with `want` 0 (a manager proxy),
   * else up to `want` for a consumer elsewhere (leased to `client` until acknowledged). Waits up
   * to `timeout` ms; rejects with Empty.
   * @returns The item when taken outright; else a flat array `[seq, bytes, seq, bytes, ...]`.
   */
  get(client: string, want: number, block: boolean, timeout: number | undefined, peer: Peer | null): unknown {
    if (this.#items.length > 0 && ((this.#getters.length === 0 && !this.#leasedByOthers(client)) || !block)) {
      return this.#take(peer, client, want);
    }
    if (!block) throw this.#emptyError();
    this.#recall(client);
    return this.#getters.add({ peer, client, want }, _limit(timeout), () => {
      throw this.#emptyError();
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
    this.#getters.settleWhere(
      (g) => g.client === client,
      (_, _resolve, reject) => reject(new StateError(`${this.#label} is closed: it was closed while get() waited`)),
    );
  }

  /** JoinableQueue: one task is done. @throws {StateError} If called more times than items were put. */
  taskDone(): void {
    if (this.#unfinished === 0) {
      throw new StateError(
        `taskDone() called too many times on ${this.#label}: call it once per item taken with get()`,
      );
    }
    if (--this.#unfinished === 0) this.#joiners.wakeAll(undefined);
  }

  /**
   * JoinableQueue: resolves once every item put has been marked done.
   * @param peer The link the request came over, or null for a local join().
   */
  join(peer: Peer | null): void | Promise<void> {
    if (this.#unfinished === 0) return;
    return this.#joiners.add({ peer }, null, () => undefined);
  }

  /** Forgets a process whose link closed: its leased items return to the line, its waits end. */
  peerClosed(peer: Peer): void {
    this.#getters.dropPeer(peer);
    this.#putters.dropPeer(peer);
    for (const [client, lease] of [...this.#leases]) {
      if (lease.peer === peer) this.giveBack(client, [...lease.items.keys()]);
    }
    this.#freed();
  }

  #append(item: unknown): void {
    this.#items.push({ s: ++this.#seq, b: item });
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
    if (want === 0 || peer === null) {
      const it = this.#items.shift()!;
      this.#freed();
      return it.b;
    }
    // Competing consumers get one item at a time; a lone one gets a batch.
    const alone = this.#getters.length === 0 && !this.#leasedByOthers(client);
    const n = alone ? want : 1;
    const out: unknown[] = [];
    let lease = this.#leases.get(client);
    if (!lease) this.#leases.set(client, lease = { peer, items: new Map() });
    let bytes = 0;
    for (let i = 0; i < n && this.#items.length > 0 && (i === 0 || bytes < _BATCH_BYTES); i++) {
      const it = this.#items.shift()!;
      lease.items.set(it.s, it);
      bytes += (it.b as Uint8Array).length;
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
      while (this.#items.length > 0) {
        const g = this.#getters.first();
        if (g === undefined) return;
        if (this.#leasedByOthers(g.client)) {
          this.#recall(g.client);
          return;
        }
        this.#getters.wakeFirstWith((w) => this.#take(w.peer, w.client, w.want));
      }
    });
  }

  /** A slot came free: admit waiting putters in order. */
  #freed(): void {
    while (!this.full()) {
      if (this.#putters.wakeFirstWith((p) => this.#append(p.item)) === undefined) return;
    }
  }

  /** Asks consumers holding leased items they have not taken to hand them back (someone starves). */
  #recall(except: string): void {
    for (const [client, lease] of this.#leases) {
      if (client !== except && !lease.peer.closed) lease.peer.notify(client, "recall", []);
    }
  }

  #fullError(): Full {
    return new Full(
      `${this.#label} is full (maxsize ${this.#maxsize}): wait with put({ timeout }) or take items out first`,
    );
  }

  #emptyError(): Empty {
    return new Empty(
      `${this.#label} is empty: nothing arrived in time; wait longer with get({ timeout }) or put items first`,
    );
  }
}

/** A wait's limit for {@linkcode WaitList.add}: null (none) unless `timeout` is a finite number. */
function _limit(timeout: number | undefined | null): number | null {
  return timeout !== undefined && timeout !== null && Number.isFinite(timeout) ? Math.max(0, timeout) : null;
}
