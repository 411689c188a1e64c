// No input from any peer can crash a process: bytes from an unauthenticated connection close only
// that connection, and a malformed message from a peer that holds the authkey closes only its own
// link (rejecting that link's pending calls). Each case runs against the root (this test process)
// and against a child, and after each the target still answers on another link.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import { EOFError, Process, Queue } from "../mod.ts";
import { connectAuthenticated, type Hello } from "../src/channel/auth.ts";
import { encode, registerType, setTypeLoader } from "../src/channel/codec.ts";
import { frame } from "../src/channel/frame.ts";
import type { Link } from "../src/channel/link.ts";
import { Peer } from "../src/channel/peer.ts";
import { MAX_PENDING_HANDSHAKES, node } from "../src/core/node.ts";
import { runtime } from "../src/runtime/adapter.ts";
import { fixture, isGone, runScript, tempDir, until, within } from "./_helpers.ts";
import { faults, hostileTarget, putOne, serveTestObject } from "./fixtures/hostile_target.ts";

const _enc = new TextEncoder();

interface Target {
  label: string;
  address: string;
  id: string;
  pid: number;
  /** A good, authenticated link to the target (the test's own). */
  good: Peer;
}

async function goodPeer(address: string): Promise<Peer> {
  const link = await connectAuthenticated(await runtime.connect(address), node.authkey, { role: "peer", pid: 1 });
  return new Peer(link, () => undefined, 0);
}

/** The target answers on the good link and reports no unhandled rejection or uncaught exception. */
async function assertHealthy(t: Target, what: string): Promise<void> {
  if (t.label === "child") assert.ok(!isGone(t.pid), `${what}: the child died`);
  assert.equal(await within(t.good.request(t.id, "echo", [what]), 10_000, `${what}: echo`), what);
  assert.deepEqual(await t.good.request(t.id, "faults", []), [], `${what}: faults in the ${t.label}`);
}

// ---------------------------------------------------------------------------------------------
// Raw (unauthenticated) connections over node:net.

class RawClient {
  sock: net.Socket;
  #data: Buffer[] = [];
  #bytes = 0;
  #wake: (() => void) | undefined;
  closed: Promise<void>;
  isClosed = false;

  constructor(address: string) {
    this.sock = net.createConnection(address);
    this.sock.on("data", (d) => {
      this.#data.push(d);
      this.#bytes += d.length;
      this.#wake?.();
    });
    this.sock.on("error", () => {});
    this.closed = new Promise((r) =>
      this.sock.on("close", () => {
        this.isClosed = true;
        this.#wake?.();
        r();
      })
    );
  }

  /** Resolves once connected, or once closed (a listener past its cap may reset the connection first). */
  connected(): Promise<void> {
    return new Promise((resolve) => {
      this.sock.once("connect", () => resolve());
      void this.closed.then(resolve);
    });
  }

  /** Bytes received and not read yet. */
  get buffered(): number {
    return this.#bytes;
  }

  /** The next `n` bytes (bounded wait). */
  async read(n: number): Promise<Buffer> {
    const end = Date.now() + 10_000;
    while (this.#bytes < n) {
      if (this.isClosed) throw new Error(`connection closed after ${this.#bytes} of ${n} bytes`);
      if (Date.now() > end) throw new Error(`no ${n} bytes within 10 s`);
      await new Promise<void>((r) => {
        this.#wake = r;
        setTimeout(r, 50);
      });
    }
    const all = Buffer.concat(this.#data);
    this.#data = [all.subarray(n)];
    this.#bytes -= n;
    return all.subarray(0, n);
  }

  write(bytes: Uint8Array): Promise<void> {
    return new Promise((r) => this.sock.write(bytes, () => r()));
  }

  /** True when the server closes the connection within `ms`. */
  async closedWithin(ms: number): Promise<boolean> {
    let timer!: ReturnType<typeof setTimeout>;
    const r = await Promise.race([
      this.closed.then(() => true),
      new Promise<boolean>((res) => (timer = setTimeout(() => res(false), ms))),
    ]);
    clearTimeout(timer);
    return r;
  }

  destroy(): void {
    this.sock.destroy();
  }
}

async function hmac(key: Uint8Array, ...parts: Uint8Array[]): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey(
    "raw",
    key as Uint8Array<ArrayBuffer>,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const data = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    data.set(p, o);
    o += p.length;
  }
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, data));
}

const _challenge = async (c: RawClient) => (await c.read(36)).subarray(4);
const _hello = (h: unknown) => _enc.encode(typeof h === "string" ? h : JSON.stringify(h));

interface PreAuthCase {
  name: string;
  /** Talks to the server; the server must close the connection unless `weClose`. */
  run(c: RawClient): Promise<void>;
  /** The case ends by closing from our side (the server has nothing to refuse yet). */
  weClose?: boolean;
}

const preAuthCases: PreAuthCase[] = [
  { name: "random garbage", run: (c) => c.write(crypto.getRandomValues(new Uint8Array(4096))) },
  {
    name: "00 00 then 00 00 in a second write, then garbage",
    run: async (c) => {
      await c.write(new Uint8Array([0, 0]));
      await new Promise((r) => setTimeout(r, 30));
      await c.write(new Uint8Array([0, 0]));
      await new Promise((r) => setTimeout(r, 30));
      await c.write(new Uint8Array([0, 0, 0, 0]));
      await c.write(new Uint8Array([0xff, 0xff, 0xff, 0xff]));
    },
  },
  { name: "zero-length frames", run: (c) => c.write(new Uint8Array(12)) },
  { name: "a header of 0xFFFFFFFF", run: (c) => c.write(new Uint8Array([255, 255, 255, 255, 1, 2, 3])) },
  { name: "an oversized hello", run: (c) => c.write(frame(_hello({ role: "peer", pid: 1, pad: "x".repeat(5000) }))) },
  {
    name: "a hello that is not JSON",
    run: async (c) => {
      await _challenge(c);
      await c.write(frame(_hello("{not json")));
      await c.write(frame(new Uint8Array(64)));
    },
  },
  ...["42", "null", "[1,2]", '"peer"', '{"role":{"toString":1},"id":{"toString":1},"pid":"x"}'].map((text) => ({
    name: `a hello of ${text}`,
    run: async (c: RawClient) => {
      await _challenge(c);
      await c.write(frame(_hello(text)));
      await c.write(frame(new Uint8Array(64)));
    },
  })),
  {
    name: 'a hello with role "child" and an unknown id',
    run: async (c) => {
      const s = await _challenge(c);
      const hello = _hello({ role: "child", id: "no-such-child", pid: 12345 });
      const answer = new Uint8Array(64);
      answer.set(await hmac(node.authkey, s, hello)); // even the tree's key must not pass for a child id
      await c.write(frame(hello));
      await c.write(frame(answer));
    },
  },
  {
    name: "a wrong HMAC",
    run: async (c) => {
      const s = await _challenge(c);
      const hello = _hello({ role: "peer", pid: 1 });
      const answer = new Uint8Array(64);
      answer.set(await hmac(crypto.getRandomValues(new Uint8Array(32)), s, hello));
      await c.write(frame(hello));
      await c.write(frame(answer));
    },
  },
  {
    name: "the right length of garbage",
    run: async (c) => {
      await _challenge(c);
      await c.write(frame(_hello({ role: "peer", pid: 1 })));
      await c.write(frame(crypto.getRandomValues(new Uint8Array(64))));
    },
  },
  {
    name: "an answer of the wrong length",
    run: async (c) => {
      const s = await _challenge(c);
      const hello = _hello({ role: "peer", pid: 1 });
      await c.write(frame(hello));
      await c.write(frame(await hmac(node.authkey, s, hello)));
    },
  },
  {
    name: "nothing at all",
    weClose: true,
    run: async (c) => {
      await _challenge(c);
      await new Promise((r) => setTimeout(r, 100));
    },
  },
  {
    name: "a half-close after part of a hello",
    weClose: true,
    run: async (c) => {
      await _challenge(c);
      await c.write(new Uint8Array([0, 0, 0, 9, 123]));
      c.sock.end();
      await new Promise((r) => setTimeout(r, 100));
    },
  },
];

// ---------------------------------------------------------------------------------------------
// Malformed messages from a peer that holds the authkey.

/** Codec bytes of `[0, <id nested depth deep>, "t", "m", []]`, built by hand (encode refuses such depth). */
function deepIdRequest(depth: number): Uint8Array {
  const out = new Uint8Array(depth + 9);
  out.set([0x01, 0xa5, 0x00]);
  out.fill(0xa1, 3, 3 + depth);
  out.set([0x00, 0x81, 0x74, 0x81, 0x6d, 0xa0], 3 + depth);
  return out;
}

/** Codec bytes of a value of a registered type nobody registered ("Nope"). */
const _unknownType = new Uint8Array([0x01, 0xd8, 0x84, 0x4e, 0x6f, 0x70, 0x65, 0x00]);

interface MessageCase {
  name: string;
  /** The frames to send; `id` is the target's pending request to us, `obj` the served object's id. */
  frames(id: number, obj: string): Uint8Array[];
}

const hostileToString = { toString: 5 };
const messageCases: MessageCase[] = [
  {
    name: "a request whose method is an object with a non-function toString",
    frames: (_, o) => [encode([0, 1, o, hostileToString, []])],
  },
  { name: "a request whose target is an object", frames: () => [encode([0, 1, hostileToString, "echo", []])] },
  { name: "a notification whose method is an object", frames: (_, o) => [encode([3, o, hostileToString, []])] },
  { name: "a notification whose args are not an array", frames: (_, o) => [encode([3, o, "echo", "args"])] },
  { name: "a request whose args are not an array", frames: (_, o) => [encode([0, 1, o, "echo", { length: 1 }])] },
  { name: "a request id nested 3,000 deep", frames: () => [deepIdRequest(3000)] },
  { name: "a request id nested 200,000 deep", frames: () => [deepIdRequest(200_000)] },
  { name: "a request id of 2**60", frames: (_, o) => [encode([0, 2 ** 60, o, "echo", [1]])] },
  { name: "a request id of -1", frames: (_, o) => [encode([0, -1, o, "echo", [1]])] },
  { name: "a request id of 1.5", frames: (_, o) => [encode([0, 1.5, o, "echo", [1]])] },
  { name: "a request id that is a string", frames: (_, o) => [encode([0, "1", o, "echo", [1]])] },
  { name: "a request id of NaN", frames: (_, o) => [encode([0, NaN, o, "echo", [1]])] },
  { name: "a request with too few items", frames: (_, o) => [encode([0, 1, o])] },
  { name: "a request with too many items", frames: (_, o) => [encode([0, 1, o, "echo", [1], "more"])] },
  { name: "an empty array", frames: () => [encode([])] },
  { name: "an unknown type tag 9", frames: () => [encode([9, 1, 2])] },
  { name: "a type tag that is a string", frames: () => [encode(["0", 1, "x", "echo", []])] },
  { name: "a string instead of an array", frames: () => [encode("hello")] },
  { name: "a number instead of an array", frames: () => [encode(42)] },
  { name: "an object instead of an array", frames: () => [encode({ 0: 0, 1: 1, length: 5 })] },
  { name: "a response without a value", frames: (id) => [encode([1, id])] },
  { name: "a response whose id is an object", frames: () => [encode([1, { id: 1 }, "v"])] },
  {
    name: "a failure for a pending id whose error record is malformed",
    frames: (id) => [encode([2, id, { name: 5 }])],
  },
  {
    name: "a failure for a pending id whose error props are null",
    frames: (id) => [encode([2, id, { name: "E", message: "m", props: null }])],
  },
  { name: "a failure for a pending id whose error is a number", frames: (id) => [encode([2, id, 7])] },
  { name: "an empty frame", frames: () => [new Uint8Array(0)] },
  { name: "bytes that are not codec bytes", frames: () => [new Uint8Array([0xff, 0x13, 0x37])] },
  { name: "a truncated message", frames: (_, o) => [encode([0, 1, o, "echo", ["a long enough string"]]).slice(0, 12)] },
  {
    name: "an unknown registered type followed by a request with an object method",
    frames: (_, o) => [_unknownType, encode([0, 1, o, hostileToString, []]), encode([3, o, hostileToString, []])],
  },
  { name: "an unknown registered type followed by garbage", frames: () => [_unknownType, new Uint8Array([0xff])] },
];

let fakeCounter = 0;

/**
 * Connects as a key holder that also claims a listening address, so the target routes its calls
 * for that address over this very link; makes the target call us (a pending call on this link).
 */
async function hostilePeer(
  t: Target,
): Promise<{ link: Link; closed: Promise<void>; pendingCall: Promise<unknown>; requestId: number }> {
  const fake = `${node.treeDir}/${900000 + ++fakeCounter}.sock`;
  const hello: Hello & { addr: string } = { role: "peer", pid: 1, addr: fake };
  const link = await connectAuthenticated(await runtime.connect(t.address), node.authkey, hello);
  const closed = new Promise<void>((r) => link.onClose(r));
  let gotRequest!: (f: Uint8Array) => void;
  const request = new Promise<Uint8Array>((r) => (gotRequest = r));
  link.onFrame((f) => gotRequest(f.slice()));
  // The target calls the "fake" address: that call goes over our link and waits for our answer.
  const pendingCall = t.good.request(t.id, "callPeer", [fake]);
  const req = await within(request, 10_000, "the target's call to the hostile peer");
  // [0, id, ...]: the id is a small integer right after the array header (codec bytes 01 a5 00 <id>).
  assert.deepEqual([...req.subarray(0, 3)], [0x01, 0xa5, 0x00]);
  const requestId = req[3];
  assert.ok(requestId < 0x80, "a small request id");
  return { link, closed, pendingCall, requestId };
}

const _LABELS = ["root", "child"] as const;
const target = (label: "root" | "child"): Target => (label === "root" ? root! : child!);

let root: Target | undefined;
let child: Target | undefined;
let childProcess: Process | undefined;
let tmp: ReturnType<typeof tempDir>;

/** Starts a child that serves the test object; a good link to it. */
async function startChild(name: string): Promise<{ t: Target; p: Process }> {
  const info = tmp.file(`${name}.json`);
  const p = new Process({ target: hostileTarget, args: [info] });
  await p.start();
  assert.ok(await until(() => fs.existsSync(info), 60_000), "the child reports its address");
  const c = JSON.parse(fs.readFileSync(info, "utf8"));
  assert.equal(
    c.queueTypeLoaded,
    false,
    "the child has not loaded the library's types (so a Queue in a message stalls it)",
  );
  return { t: { label: "child", address: c.address, id: c.id, pid: c.pid, good: await goodPeer(c.address) }, p };
}

async function stopChild(t: Target, p: Process): Promise<void> {
  await t.good.request(t.id, "stop", []).catch(() => {});
  t.good.close();
  await p.join(10_000);
  if (p.exitCode === null) p.kill();
  await p.join(5_000);
  assert.equal(p.exitCode, 0);
}

before(async () => {
  tmp = tempDir();
  const served = serveTestObject();
  await node.listening();
  root = { label: "root", address: node.address, id: served.id, pid: process.pid, good: await goodPeer(node.address) };
  const c = await startChild("child");
  child = c.t;
  childProcess = c.p;
});

after(async () => {
  try {
    if (child && childProcess) await stopChild(child, childProcess);
    root?.good.close();
  } finally {
    tmp.cleanup();
  }
});

describe("unauthenticated bytes", () => {
  for (const label of _LABELS) {
    test(`bytes from an unauthenticated connection close only that connection (${label})`, async () => {
      const t = target(label);
      for (const c of preAuthCases) {
        const raw = new RawClient(t.address);
        await raw.connected();
        await c.run(raw);
        if (c.weClose) raw.destroy();
        else assert.ok(await raw.closedWithin(10_000), `${c.name}: the ${t.label} closes the connection`);
        raw.destroy();
        await assertHealthy(t, `${t.label}, after ${c.name}`);
      }
    });
  }
});

describe("malformed messages from a key holder", () => {
  for (const label of _LABELS) {
    test(`a malformed message closes only its link and rejects that link's pending calls (${label})`, async () => {
      const t = target(label);
      for (const c of messageCases) {
        const h = await hostilePeer(t);
        for (const f of c.frames(h.requestId, t.id)) h.link.send(f);
        h.link.flush();
        await within(h.closed, 10_000, `${t.label}, ${c.name}: the target closes the link`);
        assert.equal(
          await within(h.pendingCall, 10_000, `${t.label}, ${c.name}: the pending call`),
          "EOFError",
          `${t.label}, ${c.name}`,
        );
        await assertHealthy(t, `${t.label}, after ${c.name}`);
      }
    });
  }

  test("a pending call of the root over a link that breaks rejects with EOFError", async () => {
    // The same, seen from the caller's side in this process: node.call() itself rejects.
    const fake = `${node.treeDir}/${900000 + ++fakeCounter}.sock`;
    const hello: Hello & { addr: string } = { role: "peer", pid: 1, addr: fake };
    const link = await connectAuthenticated(await runtime.connect(node.address), node.authkey, hello);
    link.onFrame((f) => {
      // Answer the request with a malformed error record for its id.
      link.send(encode([2, f[3], { name: 5 }]));
    });
    await assert.rejects(node.call({ a: fake, i: "x" }, "m", []), EOFError);
    assert.deepEqual(faults, []);
  });

  test("a throwing dispatch and an unsendable result come back as errors on the same link", async () => {
    for (const t of _LABELS.map(target)) {
      await assert.rejects(t.good.request(t.id, "throws", []), { name: "RangeError", message: "thrown by dispatch" });
      await assert.rejects(t.good.request(t.id, "unsendable", []), { name: "TypeError", message: /Cannot send value/ });
      await assertHealthy(t, `${t.label}, after errors`);
    }
  });

  test("frames that wait for missing types are handled before the link's close handlers run (root)", async () => {
    // A type loader held shut by the test: the close surely arrives while the frames wait.
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    class Late {}
    setTypeLoader(() =>
      gate.then(() => registerType({ tag: "test.Late", cls: Late, reduce: () => 0, rebuild: () => new Late() }))
    );
    const t = root!;
    await t.good.request(t.id, "getLog", []); // drop what earlier tests logged
    const link = await connectAuthenticated(await runtime.connect(t.address), node.authkey, { role: "peer", pid: 1 });
    // [3, id, "log", [<a "test.Late" object>]], by hand: this process cannot encode the type yet.
    const id = _enc.encode(t.id);
    link.send(
      new Uint8Array([
        0x01,
        0xa4,
        0x03,
        0x80 | id.length,
        ...id,
        0x83,
        ..._enc.encode("log"),
        0xa1,
        0xd8,
        0x89,
        ..._enc.encode("test.Late"),
        0x00,
      ]),
    );
    link.send(encode([3, t.id, "log", [1]]));
    link.send(encode([3, t.id, "log", [2]]));
    link.close();
    await new Promise((r) => setTimeout(r, 300)); // the EOF reaches the other end meanwhile
    assert.deepEqual(await t.good.request(t.id, "getLog", []), [], "nothing ran while the types were missing");
    open();
    assert.deepEqual(await waitLog(t, 4), ["Late", 1, 2, "closed"]);
    await assertHealthy(t, "root, after a stalled close");
  });

  test("frames that wait for the library's types are handled before the link's close (child, the library's own loader)", async () => {
    const { t, p } = await startChild("stall");
    try {
      const q = new Queue();
      const link = await connectAuthenticated(await runtime.connect(t.address), node.authkey, { role: "peer", pid: 1 });
      // The Queue makes the child load the library's types first; the close arrives while it loads.
      link.send(encode([3, t.id, "log", [q]]));
      link.send(encode([3, t.id, "log", [1]]));
      link.send(encode([3, t.id, "log", [2]]));
      link.close();
      assert.deepEqual(await waitLog(t, 4), ["Queue", 1, 2, "closed"]);
      await assertHealthy(t, "child, after a stalled close");
      q.close();
    } finally {
      await stopChild(t, p);
    }
  });
});

/** Opens more idle connections than a listener admits; resolves once each got its challenge or was closed. */
async function floodOf(address: string): Promise<RawClient[]> {
  const flood: RawClient[] = [];
  for (let i = 0; i < MAX_PENDING_HANDSHAKES + 20; i++) flood.push(new RawClient(address));
  await Promise.all(flood.map((c) => c.connected()));
  const answered = (c: RawClient) => c.isClosed || c.buffered >= 36;
  assert.ok(await until(() => flood.every(answered), 10_000), "every connection was answered or closed");
  assert.equal(flood.filter((c) => c.isClosed).length, 20, "the connections past the cap are closed");
  return flood;
}

async function waitLog(t: Target, n: number): Promise<unknown[]> {
  const got: unknown[] = [];
  const end = Date.now() + 10_000;
  while (got.length < n && Date.now() < end) {
    // Other links of this test close too ("closed" entries from earlier cases were read before).
    got.push(...(await t.good.request(t.id, "getLog", [])) as unknown[]);
    if (got.length < n) await new Promise((r) => setTimeout(r, 50));
  }
  return got;
}

describe("pending handshakes", () => {
  test(`a listener takes at most ${MAX_PENDING_HANDSHAKES} handshakes at once; children and retrying peers still get in`, async () => {
    assert.ok(await until(() => node.pendingHandshakes === 0, 10_000), "earlier handshakes are over");
    const flood = await floodOf(node.address);
    try {
      // Each admitted connection gets its 32-byte challenge; the ones past the cap are closed unanswered.
      assert.equal(flood.filter((c) => !c.isClosed).length, MAX_PENDING_HANDSHAKES);
      // A child this process started gets room beyond the cap, even while the flood holds it.
      const q = new Queue<number>();
      const p = new Process({ target: putOne, args: [q] });
      await p.start();
      assert.equal(await q.get({ timeout: 20_000 }), 41);
      await p.join(10_000);
      assert.equal(p.exitCode, 0);
    } finally {
      for (const c of flood) c.destroy();
    }
    // A peer refused by a full listener tries again and gets in once the flood is gone.
    const t = child!;
    const busy = await floodOf(t.address);
    // Another spelling of the child's address: a link of its own, not the one the child opened.
    const peer = node.peer(t.address.replace(/\/([^/]+)$/, "/./$1"));
    let settled = false;
    peer.then(() => (settled = true), () => (settled = true));
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(settled, false, "no link while the listener is full");
    for (const c of busy) c.destroy();
    const p = await within(peer, 10_000, "the retrying peer");
    assert.equal(await p.request(t.id, "echo", ["in"]), "in");
    p.close();
    await assertHealthy(root!, "root, after a flood of idle connections");
    await assertHealthy(t, "child, after a flood of idle connections");
  });

  test("idle unauthenticated connections do not keep a program alive", async () => {
    const started = Date.now();
    const r = await runScript(fixture("idle_handshakes.ts"), [], { timeout: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /admitted 64, refused 16/);
    // The handshake timeout is 10 s: an exit well before it means no timer held the program.
    assert.ok(Date.now() - started < 8000, `the program took ${Date.now() - started} ms to end`);
  });
});
