// Pipe, Connection and wait(): parent↔child, siblings, grandchildren, ends passed inside messages.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { BufferTooShort, Connection, EOFError, Pipe, Process, StateError, wait } from "../mod.ts";
import {
  echo,
  echoBytes,
  echoOnce,
  forward,
  readOneThenHandBack,
  relayToGrandchild,
  sendAndClose,
} from "./fixtures/pipes.ts";

const VALUES: unknown[] = [
  0,
  -0,
  1.5,
  NaN,
  Infinity,
  "",
  "héllo",
  true,
  false,
  null,
  undefined,
  2n ** 70n,
  [1, [2, [3]]],
  { a: { b: [1, "x"] } },
  new Map<unknown, unknown>([[1, { x: 1 }]]),
  new Set([1, "a"]),
  new Date(12345),
  /ab+c/gi,
  new Uint8Array([1, 2, 3]),
  new Float64Array([1.5, -2]),
  new ArrayBuffer(4),
  new RangeError("bad"),
];

function start(target: (...a: any[]) => unknown, args: unknown[]): Process {
  const p = new Process({ target, args });
  p.start();
  return p;
}

async function stop(...ps: Process[]): Promise<void> {
  for (const p of ps) {
    if (p.exitCode === null) p.kill();
    await p.join();
  }
}

describe("Connection", () => {
  test("Pipe() duplex ends send and receive both ways in one process", async () => {
    const [a, b] = Pipe();
    assert.ok(a instanceof Connection && a.readable && a.writable && b.readable && b.writable);
    await a.send("to b");
    await b.send("to a");
    assert.equal(await b.recv(), "to b");
    assert.equal(await a.recv(), "to a");
    a.close();
    b.close();
  });

  test("Connection.send() and recv() carry every structured-clone value to a child and back", async () => {
    const [a, b] = Pipe();
    const p = start(echo, [b]);
    b.close();
    try {
      for (const v of VALUES) await a.send(v);
      for (const v of VALUES) assert.deepEqual(await a.recv(), v);
      a.close();
      await p.join();
      assert.equal(p.exitCode, 0);
    } finally {
      await stop(p);
    }
  });

  test("Connection.send() rejects with TypeError for an unsendable value and the pipe keeps working", async () => {
    const [a, b] = Pipe();
    await assert.rejects(a.send({ f: () => 1 } as unknown), TypeError);
    await a.send(1);
    assert.equal(await b.recv(), 1);
    a.close();
    b.close();
  });

  test("Pipe({ duplex: false }) returns [receiver, sender] and the wrong direction throws", async () => {
    const [rx, tx] = Pipe({ duplex: false });
    assert.equal(rx.readable, true);
    assert.equal(rx.writable, false);
    assert.equal(tx.readable, false);
    assert.equal(tx.writable, true);
    await assert.rejects(rx.send(1), StateError);
    await assert.rejects(tx.recv(), StateError);
    await assert.rejects(tx.poll(), StateError);
    await tx.send("one way");
    assert.equal(await rx.recv(), "one way");
    rx.close();
    tx.close();
  });

  test("Connection.recv() keeps messages whole, in order, empty ones included", async () => {
    const [rx, tx] = Pipe({ duplex: false });
    const p = start(echoBytes, [tx, [[], [1], [], [2, 3, 4], []]]);
    tx.close();
    try {
      const got: number[][] = [];
      for (let i = 0; i < 5; i++) got.push([...await rx.recvBytes()]);
      assert.deepEqual(got, [[], [1], [], [2, 3, 4], []]);
      await assert.rejects(rx.recv(), EOFError);
    } finally {
      rx.close();
      await stop(p);
    }
  });

  test("Connection.recv() rejects with EOFError once the peer closed and the buffer is drained", async () => {
    const [a, b] = Pipe();
    await b.send("last");
    b.close();
    assert.equal(await a.poll(), true);
    assert.equal(await a.recv(), "last");
    await assert.rejects(a.recv(), EOFError);
    await assert.rejects(a.recv(), EOFError);
    a.close();
    await assert.rejects(a.recv(), StateError);
    assert.equal(a.closed, true);
  });

  test("Connection.sendBytes() sends a slice and rejects out-of-range offset and size", async () => {
    const [a, b] = Pipe();
    const buf = new Uint16Array([1, 2, 3, 4]); // 8 bytes
    await a.sendBytes(buf, 2, 4);
    assert.deepEqual([...await b.recvBytes()], [...new Uint8Array(buf.buffer, 2, 4)]);
    await a.sendBytes(buf.buffer, 6);
    assert.equal((await b.recvBytes()).length, 2);
    await a.sendBytes(buf, 8);
    assert.equal((await b.recvBytes()).length, 0);
    await assert.rejects(a.sendBytes(buf, -1), RangeError);
    await assert.rejects(a.sendBytes(buf, 9), RangeError);
    await assert.rejects(a.sendBytes(buf, 4, 5), RangeError);
    await assert.rejects(a.sendBytes(buf, 0, -1), RangeError);
    await assert.rejects(a.sendBytes("text" as unknown as Uint8Array), TypeError);
    a.close();
    b.close();
  });

  test("Connection.recvBytes(maxLength) rejects a longer message and closes the end", async () => {
    const [a, b] = Pipe();
    await a.sendBytes(new Uint8Array(10));
    await assert.rejects(b.recvBytes(4), RangeError);
    assert.equal(b.closed, true);
    a.close();
  });

  test("Connection.recvBytesInto() fills the buffer or rejects with BufferTooShort carrying the message", async () => {
    const [a, b] = Pipe();
    await a.sendBytes(new Uint8Array([9, 8, 7]));
    const buf = new Uint8Array(5);
    assert.equal(await b.recvBytesInto(buf, 2), 3);
    assert.deepEqual([...buf], [0, 0, 9, 8, 7]);
    await a.sendBytes(new Uint8Array([1, 2, 3, 4]));
    const err = await b.recvBytesInto(new Uint8Array(8), 6).then(() => null, (e) => e);
    assert.ok(err instanceof BufferTooShort);
    assert.deepEqual([...err.data], [1, 2, 3, 4]);
    await assert.rejects(b.recvBytesInto(buf, 6), RangeError);
    a.close();
    b.close();
  });

  test("Connection.poll() answers at once without timeout or with a negative one, and waits with one", async () => {
    const [a, b] = Pipe();
    assert.equal(await b.poll(), false);
    assert.equal(await b.poll(-5), false);
    const t0 = Date.now();
    assert.equal(await b.poll(100), false);
    assert.ok(Date.now() - t0 >= 90);
    setTimeout(() => void a.send("x"), 30);
    assert.equal(await b.poll(5000), true);
    assert.equal(await b.recv(), "x");
    a.close();
    b.close();
  });

  test("Connection carries 16 MiB messages intact both ways with a child", async () => {
    const [a, b] = Pipe();
    const p = start(echo, [b]);
    b.close();
    try {
      const big = new Uint8Array(16 * 1024 * 1024);
      for (let i = 0; i < big.length; i += 4093) big[i] = i & 0xff;
      await a.sendBytes(big);
      const back = await a.recvBytes();
      assert.equal(back.length, big.length);
      assert.ok(Buffer.compare(back, big) === 0);
      a.close();
      await p.join();
    } finally {
      await stop(p);
    }
  });

  test("Connection async iteration ends at EOF", async () => {
    const [rx, tx] = Pipe({ duplex: false });
    const p = start(sendAndClose, [tx, [1, 2, 3]]);
    tx.close();
    try {
      const got: unknown[] = [];
      for await (const v of rx) got.push(v);
      assert.deepEqual(got, [1, 2, 3]);
    } finally {
      rx.close();
      await stop(p);
    }
  });

  test("Connection works between siblings (producer and consumer children)", async () => {
    const [rx, tx] = Pipe({ duplex: false });
    const [done, doneTx] = Pipe({ duplex: false });
    const prod = start(sendAndClose, [tx, ["a", "b", "c"]]);
    const cons = start(forward, [rx, doneTx]);
    rx.close();
    tx.close();
    doneTx.close();
    try {
      assert.deepEqual(await done.recv(), ["a", "b", "c"]);
    } finally {
      done.close();
      await stop(prod, cons);
    }
  });

  test("Connection ends travel inside messages and reach a grandchild", async () => {
    const [a, b] = Pipe();
    const [ctl, ctlChild] = Pipe();
    const p = start(relayToGrandchild, [ctlChild]);
    ctlChild.close();
    try {
      await ctl.send({ nested: [b] });
      b.close();
      await a.send("via grandchild");
      assert.equal(await a.recv(), "via grandchild");
      a.close();
      await p.join();
      assert.equal(p.exitCode, 0);
    } finally {
      ctl.close();
      await stop(p);
    }
  });

  test("wait() returns ready connections and exited processes, and [] after a timeout", async () => {
    const [a, b] = Pipe();
    const [c, d] = Pipe();
    // The child exits when told to (not after a fixed sleep, which a slow parent could outlast).
    const [go, childGo] = Pipe();
    const p = start(echoOnce, [childGo]);
    try {
      assert.deepEqual(await wait([b, d, p], 50), []);
      await a.send(1);
      assert.deepEqual(await wait([b, d, p]), [b]);
      await b.recv();
      await go.send("exit");
      const ready = await wait([b, d, p], 60_000);
      assert.deepEqual(ready, [p]);
      d.close();
      assert.deepEqual(await wait([c], 5000), [c]); // EOF counts as ready
    } finally {
      for (const e of [a, b, c, d, go, childGo]) e.close();
      await stop(p);
    }
  });
});

describe("Connection handed on", () => {
  test("Connection passed on by a reader after reading part of the queued messages delivers the rest in order", async () => {
    const [a, b] = Pipe<number>();
    const [back, backChild] = Pipe<[number, Connection<number>]>();
    for (let i = 1; i <= 10; i++) await a.send(i);
    const p = new Process({ target: readOneThenHandBack, args: [b, backChild] });
    p.start();
    b.close();
    backChild.close();
    try {
      const [first, end] = await back.recv();
      assert.equal(first, 1);
      const rest: number[] = [];
      for (let i = 2; i <= 10; i++) {
        assert.ok(await end.poll(5000), `message ${i} is still there to read`);
        rest.push(await end.recv());
      }
      assert.deepEqual(rest, [2, 3, 4, 5, 6, 7, 8, 9, 10]);
      assert.equal(await end.poll(), false);
      end.close();
    } finally {
      await p.join();
      a.close();
      back.close();
    }
  });
});
