/**
 * The per-process node: who this process is (name, pid, parent, authkey), the objects it serves to
 * other processes, and its links to them. Every process of a tree has exactly one node.
 *
 * Addressing: each process that serves objects listens on `<treeDir>/<pid>.sock`, where `treeDir`
 * is a private (0700) directory made by the root; a thread of it has a node of its own (a worker
 * thread has its own copy of every module) at `<treeDir>/<pid>.t<thread id>.sock`, linked to the
 * thread that started it by a `MessagePort` instead of a socket. An object reference is `{ a: address, i: id }`.
 * A link to another process, once open, is reused in both directions: a child's link to its parent
 * carries the parent's requests to the child too, so parent↔child traffic never opens a second socket.
 *
 * @module
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { type ByteStream, type Listener, runtime } from "../runtime/adapter.ts";
import { nameStamp, processGone, processStamp, stampGone } from "../runtime/liveness.ts";
import { privateEntry } from "../runtime/private_entry.ts";
import { acceptAuthenticated, connectAuthenticated, type Hello, isRefused, randomBytes } from "../channel/auth.ts";
import { type Dispatch, Peer } from "../channel/peer.ts";
import { Link } from "../channel/link.ts";
import { MAX_FRAME } from "../channel/frame.ts";
import { StateError } from "../errors.ts";

/** An object this process serves; `call` runs a method for a remote (or local, `peer` null) caller. */
export interface Served {
  call(method: string, args: unknown[], peer: Peer | null): unknown;
  /** A process holding a link to us went away (release what it held). */
  peerClosed?(peer: Peer): void;
}

/** A reference to a served object, as it travels inside messages. */
export interface Ref {
  /** Address of the serving process. */
  a: string;
  /** Object id within that process. */
  i: string;
}

interface _Expected {
  token: Uint8Array;
  connected(peer: Peer): void;
}

// multiproc-<root pid>-<root start time>-<root pid namespace>-<random> (liveness.ts: nameStamp)
const _TREE_PREFIX = "multiproc";

/** Most connections a listener lets authenticate at once; more are closed on arrival. */
export const MAX_PENDING_HANDSHAKES = 64;

const _CONNECT_ATTEMPTS = 50;

/**
 * Removes the socket folders of process trees that are proven dead (best effort, never throws). A
 * folder goes only when it is a real directory with mode 0700 owned by this uid AND the root stamp in
 * its name names a process that is gone (pid free, or now another process by start time) in our own
 * pid namespace. A folder without a stamp (older naming), from another pid namespace, or failing
 * the owner/mode check is left alone: a pid alone proves nothing.
 * @param tmp The folder that holds the tree folders (the OS temp folder).
 * @returns How many were removed.
 * @internal
 */
export function sweepStaleTrees(tmp: string): number {
  let names: string[];
  try {
    names = fs.readdirSync(tmp);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const n of names) {
    const stamp = nameStamp(n, _TREE_PREFIX);
    if (stamp === undefined) continue;
    const dir = path.join(tmp, n);
    if (!privateEntry(dir, "dir") || stampGone(stamp) !== true) continue;
    try {
      fs.rmSync(dir, { recursive: true, force: true });
      removed++;
    } catch { /* someone else's, or already gone */ }
  }
  return removed;
}

/** True when no process `pid` runs (a zombie counts as gone). */
export const isProcessGone: (pid: number) => boolean = processGone;

/** The per-process node (one per process: {@linkcode node}). */
export class ProcessNode {
  /** True in a process started by this library. */
  isChild = false;
  /** True while a child imports its target's module (starting processes then is a bug). */
  importing = false;
  /** This process's name ("MainProcess" in the root). */
  name = "MainProcess";
  /** Identity path: [] in the root, [2] for Process-2, [2, 1] for Process-2:1. */
  identity: number[] = [];
  /** Whether this process is a daemon. */
  daemon = false;
  /** The parent, or null in the root. */
  parent: { name: string; pid: number } | null = null;
  /** The tree's shared secret. */
  authkey: Uint8Array = randomBytes(32);
  /** Pid of the tree's root process. */
  rootPid: number = process.pid;
  /**
   * Counters shared by every thread of this process: [processes, thread names, thread addresses,
   * owner tokens, handle ids], so that names (`Process-N`, `Thread-N`), thread addresses, the tokens
   * of tasks that own an RLock (`sync/served/owner.ts`) and the ids of queue and pipe handles
   * ({@linkcode handleId}) stay unique across threads.
   */
  counters: Int32Array = new Int32Array(new SharedArrayBuffer(20));
  /** Work to finish before a child exits normally (flush queues, join children). */
  readonly beforeExit: Array<() => Promise<void>> = [];

  #treeDir: string | undefined;
  #address: string | undefined;
  #rootStamp: string | undefined;
  #listener: Promise<Listener> | undefined;
  #served = new Map<string, Served>();
  #nextId = 1;
  #peers = new Map<string, Promise<Peer>>();
  /** The links of {@linkcode #peers} that are open, for callers that need not wait a tick. */
  #open = new Map<string, Peer>();
  #expected = new Map<string, _Expected>();
  #parentAddress: string | undefined;
  #selfAddress: string | undefined;
  #handshakes = 0;

  /**
   * The tree root's {@linkcode processStamp} (pid, start time, pid namespace): the socket folder and
   * the shared-memory segments of the tree carry it, so sweeps can prove the tree dead. A child reads
   * it from the folder name its parent handed over.
   */
  get rootStamp(): string {
    if (this.#rootStamp === undefined) {
      const fromDir = this.#treeDir === undefined ? undefined : nameStamp(path.basename(this.#treeDir), _TREE_PREFIX);
      // Without /proc the stamp cannot prove anything: "0" start time and namespace never match.
      this.#rootStamp = fromDir ?? (this.isChild ? undefined : processStamp(process.pid)) ?? `${this.rootPid}-0-0`;
    }
    return this.#rootStamp;
  }

  /** The private directory that holds this tree's sockets (made on first use by the root). */
  get treeDir(): string {
    if (this.#treeDir === undefined) {
      const tmp = os.tmpdir();
      sweepStaleTrees(tmp);
      this.#treeDir = fs.mkdtempSync(path.join(tmp, `${_TREE_PREFIX}-${this.rootStamp}-`));
      fs.chmodSync(this.#treeDir, 0o700);
      const dir = this.#treeDir;
      runtime.onExit(() => {
        try {
          fs.rmSync(dir, { recursive: true, force: true });
        } catch { /* best effort */ }
      });
    }
    return this.#treeDir;
  }

  /**
   * The next number of a counter shared by all threads of the process: `0` process names, `1`
   * thread names, `2` thread addresses, `3` owner tokens, `4` handle ids.
   * @param kind Which counter.
   * @returns The number, from 1.
   */
  nextNumber(kind: 0 | 1 | 2 | 3 | 4): number {
    return Atomics.add(this.counters, kind, 1) + 1;
  }

  /**
   * An id for a handle (a queue client, a pipe end) that no other handle of this process has, in
   * any of its threads: the objects that serve queues and pipes tell their clients apart by it.
   * @param tag Tells kinds of handle apart in the id.
   * @returns `<pid>.<tag><n>`.
   */
  handleId(tag: string): string {
    return `${process.pid}.${tag}${this.nextNumber(4) >>> 0}`;
  }

  /** This node's address, without starting to listen on it (a thread's address when it is one). */
  get addressName(): string {
    return this.#address ?? this.#selfAddress ?? path.join(this.treeDir, `${process.pid}.sock`);
  }

  /** This process's address (it starts listening on first use). */
  get address(): string {
    // Read on every call to a served object (`local`): computed once.
    if (this.#address !== undefined) return this.#address;
    const addr = this.addressName;
    this.#address = addr;
    if (!this.#listener) {
      this.#listener = runtime.listen(addr, (s) => void this.#accept(s));
      this.#listener.catch(() => {});
      if (this.isChild) {
        runtime.onExit(() => {
          try {
            fs.unlinkSync(addr);
          } catch { /* gone */ }
        });
      }
    }
    return addr;
  }

  /** How many connections are authenticating right now. */
  get pendingHandshakes(): number {
    return this.#handshakes;
  }

  /** Resolves once the listener is up. */
  async listening(): Promise<void> {
    void this.address;
    await this.#listener;
  }

  /** Adopts the identity a parent hands to a new child. */
  adopt(setup: {
    authkey: Uint8Array;
    name: string;
    identity: number[];
    daemon: boolean;
    /** Null for a thread of the root process. */
    parent: { name: string; pid: number } | null;
    rootPid: number;
    treeDir: string;
    parentAddress: string;
    /** A thread's own address, and the counters of its process. */
    self?: string;
    counters?: Int32Array;
  }, parentPeer: Peer): void {
    this.isChild = true;
    this.#selfAddress = setup.self;
    if (setup.counters) this.counters = setup.counters;
    this.authkey = setup.authkey;
    this.name = setup.name;
    this.identity = setup.identity;
    this.daemon = setup.daemon;
    this.parent = setup.parent;
    this.rootPid = setup.rootPid;
    this.#treeDir = setup.treeDir;
    this.#parentAddress = setup.parentAddress;
    // A parked thread adopts each next thread's setup over the same link.
    if (this.#open.get(setup.parentAddress) === parentPeer) return;
    const p = Promise.resolve(parentPeer);
    this.#peers.set(setup.parentAddress, p);
    this.#opened(setup.parentAddress, p, parentPeer);
  }

  /** Address of the parent's listener (children only). */
  get parentAddress(): string | undefined {
    return this.#parentAddress;
  }

  /** Serves `obj` to other processes; returns its reference (starts listening). */
  serve(obj: Served): Ref {
    const i = `${this.#nextId++}`;
    this.#served.set(i, obj);
    return { a: this.address, i };
  }

  /** Serves `obj` under a fixed id to linked peers only (does not start listening). */
  register(id: string, obj: Served): void {
    this.#served.set(id, obj);
  }

  /** Stops serving an object. */
  unserve(id: string): void {
    this.#served.delete(id);
  }

  /** The served object for a local reference, or undefined when the reference points elsewhere. */
  local(ref: Ref): Served | undefined {
    if (this.#listener === undefined || ref.a !== this.address) return undefined;
    return this.#served.get(ref.i);
  }

  /** Whether `ref` is served by this process. */
  isLocal(ref: Ref): boolean {
    return this.#listener !== undefined && ref.a === this.address;
  }

  /** A link to the process at `address` (reused, opened on first use). */
  peer(address: string): Promise<Peer> {
    let p = this.#peers.get(address);
    if (!p) {
      p = this.#connect(address);
      this.#peers.set(address, p);
      p.then(
        (peer) => this.#opened(address, p!, peer),
        () => this.#peers.delete(address),
      );
    }
    return p;
  }

  /** The open link to the process at `address`, or undefined when there is none yet. */
  openPeer(address: string): Peer | undefined {
    return this.#open.get(address);
  }

  #opened(address: string, p: Promise<Peer>, peer: Peer): void {
    if (this.#peers.get(address) === p && !peer.closed) this.#open.set(address, peer);
    peer.onClose(() => {
      if (this.#peers.get(address) === p) this.#peers.delete(address);
      if (this.#open.get(address) === peer) this.#open.delete(address);
    });
  }

  /** Calls `method` on the object `ref` points to, wherever it is served. */
  async call(ref: Ref, method: string, args: unknown[]): Promise<unknown> {
    const obj = this.local(ref);
    if (obj) return await obj.call(method, args, null);
    const peer = this.#open.get(ref.a) ?? await this.peer(ref.a);
    return await peer.request(ref.i, method, args);
  }

  /** Waits for a spawned child to connect with its one-time token. */
  expectChild(id: string, token: Uint8Array, connected: (peer: Peer) => void): void {
    this.#expected.set(id, { token, connected });
  }

  /** Forgets an expected child that will never connect. */
  forgetChild(id: string): void {
    this.#expected.delete(id);
  }

  /**
   * A link to another thread of this process over `stream` (one end of a `MessagePort`, which only
   * the two threads hold: no handshake), registered under that thread's `address` unless undefined.
   * @param stream The stream.
   * @param address The other thread's address (the parent's is registered by {@linkcode adopt}).
   * @param dispatch Handles what the other side asks (default: our served objects).
   * @returns The link.
   */
  threadPeer(stream: ByteStream, address: string | undefined, dispatch?: Dispatch): Peer {
    const peer = new Peer(
      new Link(stream, MAX_FRAME),
      dispatch ?? ((p, t, m, a) => this.dispatch(p, t, m, a)),
      process.pid,
      true,
    );
    peer.onClose(() => this.#peerClosed(peer));
    if (address !== undefined) this.#registerPeer(address, peer);
    return peer;
  }

  /** Registers an accepted child link under the child's address. */
  #registerPeer(address: string, peer: Peer): void {
    const p = Promise.resolve(peer);
    this.#peers.set(address, p);
    this.#opened(address, p, peer);
  }

  async #accept(stream: Parameters<Parameters<typeof runtime.listen>[1]>[0]): Promise<void> {
    // Unauthenticated connections cost a timer and buffers each: past the cap, close at once. The
    // children we started and wait for get room beyond it (a program may start hundreds at once);
    // a refused peer tries again (#connect).
    if (this.#handshakes >= MAX_PENDING_HANDSHAKES + this.#expected.size) {
      stream.close();
      return;
    }
    this.#handshakes++;
    let result;
    try {
      result = await acceptAuthenticated(stream, (hello) => {
        // The hello is whatever JSON the (not yet authenticated) client sent: check types first.
        if (hello.role === "child") {
          return typeof hello.id === "string" ? this.#expected.get(hello.id)?.token : undefined;
        }
        if (hello.role === "peer") return this.authkey;
        return undefined;
      });
    } catch {
      return; // failed authentication: the link is already closed
    } finally {
      this.#handshakes--;
    }
    const { link, hello } = result;
    // Called as `void this.#accept(s)`: nothing may reject from here on.
    try {
      const pid = Number.isSafeInteger(hello.pid) && hello.pid > 0 ? hello.pid : 0;
      const peer = new Peer(link, (p, t, m, a) => this.dispatch(p, t, m, a), pid);
      peer.onClose(() => this.#peerClosed(peer));
      if (hello.role === "child") {
        const exp = this.#expected.get(hello.id as string);
        this.#expected.delete(hello.id as string);
        if (!exp || pid === 0) return peer.close();
        this.#registerPeer(path.join(this.treeDir, `${pid}.sock`), peer);
        exp.connected(peer);
      } else if (typeof (hello as Hello & { addr?: string }).addr === "string") {
        const addr = (hello as Hello & { addr?: string }).addr!;
        if (!this.#peers.has(addr)) this.#registerPeer(addr, peer);
      }
    } catch {
      link.close();
    }
  }

  async #connect(address: string): Promise<Peer> {
    const hello: Hello & { addr?: string } = { role: "peer", pid: process.pid };
    if (this.#listener) hello.addr = this.address;
    let link;
    for (let attempt = 1;; attempt++) {
      try {
        link = await connectAuthenticated(await runtime.connect(address), this.authkey, hello);
        break;
      } catch (e) {
        // A listener busy with MAX_PENDING_HANDSHAKES handshakes refuses more (on Bun the refusal
        // can reach connect() itself as a reset): wait and try again, about 10 s in all; past that
        // the call rejects with the refusal rather than wait on a listener someone floods.
        const reset = (e as { code?: unknown } | null)?.code === "ECONNRESET";
        if (!(isRefused(e) || reset) || attempt >= _CONNECT_ATTEMPTS) throw e;
        await new Promise((r) => setTimeout(r, Math.min(20 * attempt, 250)));
      }
    }
    const pid = Number(/(\d+)(?:\.t\d+)?\.sock$/.exec(address)?.[1] ?? 0);
    const peer = new Peer(link, (p, t, m, a) => this.dispatch(p, t, m, a), pid);
    peer.onClose(() => this.#peerClosed(peer));
    return peer;
  }

  /** Runs a request addressed to one of our served objects. */
  dispatch(peer: Peer | null, target: string, method: string, args: unknown[]): unknown {
    const obj = this.#served.get(target);
    if (!obj) {
      throw new StateError(
        `Object ${target} is not served by process ${process.pid} (it was closed or its owner restarted)`,
      );
    }
    return obj.call(method, args, peer);
  }

  #peerClosed(peer: Peer): void {
    for (const obj of this.#served.values()) {
      try {
        obj.peerClosed?.(peer);
      } catch { /* keep going */ }
    }
  }
}

/** This process's node. */
export const node: ProcessNode = new ProcessNode();
