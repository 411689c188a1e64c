// Channel: framing, authentication of every connection, and robustness against garbage.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { AuthenticationError } from "../mod.ts";
import { frame, FrameError, FrameReader } from "../src/channel/frame.ts";
import { connectAuthenticated, isRefused, randomBytes } from "../src/channel/auth.ts";
import * as net from "node:net";
import * as os from "node:os";
import { Peer } from "../src/channel/peer.ts";
import { node } from "../src/core/node.ts";
import { runtime } from "../src/runtime/adapter.ts";

const echo = {
  call: (
    method: string,
    args: unknown[],
  ) => (method === "echo" ? args[0] : Promise.reject(new RangeError(`no method ${method}`))),
};

async function connectPeer(key: Uint8Array): Promise<Peer> {
  const ref = node.serve(echo);
  await node.listening();
  const link = await connectAuthenticated(await runtime.connect(ref.a), key, { role: "peer", pid: 1 });
  return new Peer(link, () => undefined, 0);
}

describe("FrameReader", () => {
  test("FrameReader.push() splits merged frames and joins split ones, empty frames included", () => {
    const r = new FrameReader();
    const bytes = new Uint8Array([
      ...frame(new Uint8Array([1, 2, 3])),
      ...frame(new Uint8Array()),
      ...frame(new Uint8Array([9])),
    ]);
    const out: number[][] = [];
    for (let i = 0; i < bytes.length; i += 2) for (const f of r.push(bytes.subarray(i, i + 2))) out.push([...f]);
    assert.deepEqual(out, [[1, 2, 3], [], [9]]);
    assert.deepEqual(r.push(bytes).map((f) => [...f]), [[1, 2, 3], [], [9]]);
  });

  test("FrameReader.push() rejects a frame over the size limit", () => {
    const r = new FrameReader(16);
    assert.throws(() => r.push(frame(new Uint8Array(17))), FrameError);
  });
});

describe("authenticated connections", () => {
  test("a peer holding the authkey can call a served object", async () => {
    const peer = await connectPeer(node.authkey);
    const ref = node.serve(echo);
    assert.deepEqual(await peer.request(ref.i, "echo", [{ a: [1n, new Map([[1, 2]])] }]), {
      a: [1n, new Map([[1, 2]])],
    });
    await assert.rejects(peer.request(ref.i, "nope", []), RangeError);
    peer.close();
  });

  test("a peer with the wrong key is dropped with AuthenticationError before it can send a message", async () => {
    await assert.rejects(connectPeer(randomBytes(32)), AuthenticationError);
    // The server keeps serving others.
    const ok = await connectPeer(node.authkey);
    ok.close();
  });

  test("garbage and oversized frames close that connection without crashing the process", async () => {
    await node.listening();
    for (const junk of [new Uint8Array([255, 255, 255, 255, 1, 2, 3]), randomBytes(4096)]) {
      const s = await runtime.connect(node.address);
      s.ref();
      const closed = new Promise<void>((r) => s.onClose(r));
      s.onData(() => {});
      s.write(junk);
      await closed;
    }
    const peer = await connectPeer(node.authkey);
    const ref = node.serve(echo);
    assert.equal(await peer.request(ref.i, "echo", ["still serving"]), "still serving");
    peer.close();
  });

  test("an authenticated peer sending an undecodable message is dropped; others are unaffected", async () => {
    const peer = await connectPeer(node.authkey);
    peer.hold();
    const closed = new Promise<void>((r) => peer.onClose(r));
    peer.sendEncoded(new Uint8Array([0xff, 0xfe, 0xfd]));
    await closed;
    const other = await connectPeer(node.authkey);
    const ref = node.serve(echo);
    assert.equal(await other.request(ref.i, "echo", [1]), 1);
    other.close();
  });

  test("sockets live in a private 0700 directory", async () => {
    await node.listening();
    const dir = path.dirname(node.address);
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    assert.equal(fs.statSync(node.address).mode & 0o077, 0);
  });
});

describe("connectAuthenticated", () => {
  test("connectAuthenticated() tells a server that refused (closed before its challenge) from one too slow to answer", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mp-test-"));
    const held: net.Socket[] = [];
    const server = net.createServer((s) => {
      if (held.length === 0) held.push(s); // the first connection: accepted, never answered
      else s.destroy(); // later ones: closed at once, like a listener at its handshake cap
    });
    const address = path.join(dir, "s.sock");
    await new Promise<void>((r) => server.listen(address, r));
    try {
      const slow = await connectAuthenticated(
        await runtime.connect(address),
        randomBytes(32),
        { role: "peer", pid: 1 },
        { timeout: 200 },
      )
        .then(() => undefined, (e) => e);
      assert.ok(slow instanceof AuthenticationError, String(slow));
      assert.match(slow.message, /timed out/);
      assert.equal(isRefused(slow), false, "our own timeout is not a refusal");
      const refused = await connectAuthenticated(await runtime.connect(address), randomBytes(32), {
        role: "peer",
        pid: 1,
      }, { timeout: 5000 })
        .then(() => undefined, (e) => e);
      assert.ok(refused instanceof AuthenticationError, String(refused));
      assert.equal(isRefused(refused), true, refused.message);
    } finally {
      for (const s of held) s.destroy();
      await new Promise((r) => server.close(r));
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
