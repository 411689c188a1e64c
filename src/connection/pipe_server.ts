/**
 * The served half of a pipe: its two message buffers and the open-handle count of each end, kept
 * by one process (see `connection.ts` for the design). Buffer `s` holds messages for end `s` to
 * read; end `1 - s` writes into it. Messages are kept as the bytes the sender encoded, so the
 * server never decodes or re-encodes them.
 *
 * @module
 */
import type { Peer } from "../channel/peer.ts";
import type { Served } from "../core/node.ts";
import { EOFError, StateError } from "../errors.ts";
import { Fifo } from "../core/fifo.ts";
import { WaitList } from "../core/wait_list.ts";

/** Bytes a buffer may hold before a sender that asked for room waits (like a socket buffer). */
export const PIPE_HIGH_WATER: number = 4 * 1024 * 1024;

/** A blocked `recv` (answered with a message) or `poll` (answered with a boolean). */
interface _Waiter {
  /** 0: recv, 1: poll. */
  kind: 0 | 1;
  h: string;
  peer: Peer | null;
  id: number;
}

interface _Handle {
  end: 0 | 1;
  peer: Peer | null;
}

type _Side = 0 | 1;

/** Serves one pipe's buffers; methods run for local handles directly and for remote ones via `call`. */
export class PipeServer implements Served {
  #bufs: [Fifo<Uint8Array>, Fifo<Uint8Array>] = [new Fifo(), new Fifo()];
  #bytes: [number, number] = [0, 0];
  #open: [number, number] = [0, 0];
  #handles = new Map<string, _Handle>();
  #dead = new Set<string>();
  /** Readers of each buffer; only a waiter of this process keeps it alive. */
  #waiters: [WaitList<unknown, _Waiter>, WaitList<unknown, _Waiter>] = [
    new WaitList({ holdRemote: false }),
    new WaitList({ holdRemote: false }),
  ];
  #space: [Array<() => void>, Array<() => void>] = [[], []];
  #onIdle: () => void;

  /**
   * @param handles Ids of the two handles `Pipe()` creates in this process, end 0 then end 1.
   * @param onIdle Called once every handle of both ends is closed (stop serving then).
   */
  constructor(handles: [string, string], onIdle: () => void) {
    this.inc(handles[0], 0);
    this.inc(handles[1], 1);
    this.#onIdle = onIdle;
  }

  /** Dispatches a call from a handle in another process (`peer` null: this process). */
  call(method: string, a: unknown[], peer: Peer | null): unknown {
    switch (method) {
      case "s":
        return void this.push(a[0] as _Side, a[1] as Uint8Array, false);
      case "S":
        return this.push(a[0] as _Side, a[1] as Uint8Array, true);
      case "r":
        return this.recv(a[0] as _Side, String(a[1]), peer);
      case "p":
        return this.poll(a[0] as _Side, String(a[1]), Number(a[2]), Number(a[3]), peer);
      case "x":
        return void this.cancelPoll(Number(a[0]), peer);
      case "i":
        return void this.inc(String(a[0]), a[1] as _Side);
      case "a":
        return void this.attach(String(a[0]), a[1] as _Side, peer);
      case "c":
        return void this.close(String(a[0]));
      case "y":
        return null;
      default:
        throw new StateError(`Pipe has no method "${method}"`);
    }
  }

  /**
   * Adds a message for end `side` to read. With `wantRoom`, returns a promise that resolves once
   * the buffer holds no more than {@linkcode PIPE_HIGH_WATER} bytes (back-pressure).
   */
  push(side: _Side, bytes: Uint8Array, wantRoom: boolean): void | Promise<void> {
    if (this.#open[side] === 0) {
      if (wantRoom) throw new EOFError("Cannot send on the Connection: every handle of the other end is closed");
      return;
    }
    if (this.#waiters[side].wakeWhere((w) => w.kind === 0, bytes)) return;
    const before = this.#bytes[side];
    this.#bufs[side].push(bytes);
    this.#bytes[side] += bytes.length;
    this.#wakePollers(side);
    if (wantRoom && before > PIPE_HIGH_WATER) return new Promise((r) => this.#space[side].push(r));
  }

  /** Takes the next message for end `side`; waits for one; rejects with EOFError at the end. */
  recv(side: _Side, h: string, peer: Peer | null): Uint8Array | Promise<Uint8Array> {
    this.#checkHandle(h);
    const buf = this.#bufs[side];
    if (buf.length > 0) {
      const m = buf.shift()!;
      this.#bytes[side] -= m.length;
      if (this.#bytes[side] <= PIPE_HIGH_WATER) this.#freeSpace(side);
      return m;
    }
    if (this.#open[1 - side] === 0) throw _eof();
    return this.#waiters[side].add({ kind: 0, h, peer, id: 0 }, null, () => undefined) as Promise<Uint8Array>;
  }

  /** Whether end `side` has something to read (a message, or EOF), waiting up to `timeout` ms. */
  poll(side: _Side, h: string, timeout: number, id: number, peer: Peer | null): boolean | Promise<boolean> {
    this.#checkHandle(h);
    if (this.#bufs[side].length > 0 || this.#open[1 - side] === 0) return true;
    if (!(timeout > 0)) return false;
    return this.#waiters[side].add(
      { kind: 1, h, peer, id },
      Number.isFinite(timeout) ? timeout : null,
      () => false,
    ) as Promise<boolean>;
  }

  /** Ends a waiting poll (its answer is false). */
  cancelPoll(id: number, peer: Peer | null): void {
    for (const ws of this.#waiters) ws.wakeWhere((w) => w.kind === 1 && w.id === id && w.peer === peer, false);
  }

  /** Counts a new handle of `end` (sent to another process, or made by `Pipe()`). */
  inc(h: string, end: _Side): void {
    if (this.#dead.delete(h) || this.#handles.has(h)) return;
    this.#handles.set(h, { end, peer: null });
    this.#open[end]++;
  }

  /** A process rebuilt handle `h`: release it if that process's link closes. */
  attach(h: string, end: _Side, peer: Peer | null): void {
    if (this.#dead.has(h)) return;
    const rec = this.#handles.get(h);
    if (rec) rec.peer = peer;
    else {
      this.#handles.set(h, { end, peer });
      this.#open[end]++;
    }
  }

  /** Closes handle `h`; when it was its end's last, readers of the other end see EOF. */
  close(h: string): void {
    const rec = this.#handles.get(h);
    if (!rec) {
      this.#dead.add(h);
      return;
    }
    this.#handles.delete(h);
    const end = rec.end;
    for (const ws of this.#waiters) {
      ws.settleWhere(
        (w) => w.h === h,
        (_, _resolve, reject) => reject(new StateError("Connection is closed: it was closed while waiting")),
      );
    }
    if (--this.#open[end] > 0) return;
    // Nobody writes into buffer 1-end any more: its readers reach EOF once it is drained.
    const other = (1 - end) as _Side;
    this.#waiters[other].settleWhere(
      () => true,
      (w, resolve, reject) => (w.kind === 0 ? reject(_eof()) : resolve(true)),
    );
    // Nobody reads buffer `end` any more: drop what it holds and let its senders go on.
    this.#bufs[end].clear();
    this.#bytes[end] = 0;
    this.#freeSpace(end);
    if (this.#open[0] === 0 && this.#open[1] === 0) this.#onIdle();
  }

  /** Releases the handles of a process whose link closed, and forgets its waiters. */
  peerClosed(peer: Peer): void {
    for (const ws of this.#waiters) ws.dropPeer(peer);
    for (const [h, rec] of [...this.#handles]) if (rec.peer === peer) this.close(h);
  }

  #checkHandle(h: string): void {
    if (!this.#handles.has(h)) throw new StateError("Connection is closed: open a new Pipe()");
  }

  #wakePollers(side: _Side): void {
    this.#waiters[side].settleWhere((w) => w.kind === 1, (_, resolve) => resolve(true));
  }

  #freeSpace(side: _Side): void {
    for (const r of this.#space[side].splice(0)) r();
  }
}

function _eof(): EOFError {
  return new EOFError("The other end of the Connection is closed and nothing is left to read");
}
