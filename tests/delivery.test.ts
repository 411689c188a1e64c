// The delivery guarantee: once send()/sendBytes()/put() has resolved in a child, the item reaches
// its reader exactly once and in order, however the child ends next (return, close() then return,
// exit(n), an uncaught error, SIGKILL of itself), parent↔child and between siblings.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { type Connection, Empty, EOFError, JoinableQueue, Pipe, Process, Queue, SimpleQueue } from "../mod.ts";
import {
  type Ending,
  EXIT_CODE,
  type Kind,
  readPipesUntilEof,
  sendThenEnd,
  takeCounts,
} from "./fixtures/delivery_tasks.ts";
import { within } from "./_helpers.ts";

const COUNT = 2000;
const ROUNDS = 3;
const ENDINGS: Ending[] = ["return", "close", "exit", "throw", "kill"];
const ALL = Array.from({ length: COUNT }, (_, i) => i);

function start(target: (...a: any[]) => unknown, args: unknown[]): Process {
  const p = new Process({ target, args });
  p.start();
  return p;
}

async function stop(ps: Process[]): Promise<void> {
  for (const p of ps) {
    if (p.exitCode === null) p.kill();
    await p.join();
  }
}

/** Reads a pipe end until EOF (each message within 20 s). */
async function readPipe(kind: Kind, r: Connection<number>): Promise<number[]> {
  const got: number[] = [];
  for (;;) {
    try {
      if (kind === "sendBytes") {
        got.push(new DataView((await within(r.recvBytes(), 60_000, "recvBytes")).buffer).getUint32(0));
      } else got.push(await within(r.recv(), 60_000, "recv"));
    } catch (e) {
      if (e instanceof EOFError) return got;
      throw e;
    }
  }
}

function makeQueue(kind: Kind): Queue<number> | SimpleQueue<number> {
  return kind === "Queue"
    ? new Queue<number>()
    : kind === "JoinableQueue"
    ? new JoinableQueue<number>()
    : new SimpleQueue<number>();
}

/** Takes `COUNT` items (each within 20 s), then checks nothing more is there. */
async function readQueue(q: Queue<number> | SimpleQueue<number>): Promise<number[]> {
  const got: number[] = [];
  for (let i = 0; i < COUNT; i++) got.push(await within(q.get(), 60_000, `get() of item ${i}`));
  await new Promise((r) => setTimeout(r, 100)); // a duplicate would have arrived behind the last item
  assert.equal(await q.empty(), true, "an item arrived twice");
  return got;
}

describe("Delivery", () => {
  for (const kind of ["send", "sendBytes"] as const) {
    test(`Connection.${kind}() that resolved in a child reaches the parent exactly once, in order, however the child ends`, async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const pipes = ENDINGS.map(() => Pipe<number>({ duplex: false }));
        const ps = ENDINGS.map((ending, i) => start(sendThenEnd, [kind, pipes[i][1], COUNT, ending]));
        try {
          for (const [, w] of pipes) w.close();
          const got = await Promise.all(pipes.map(([r]) => readPipe(kind, r)));
          for (let i = 0; i < ENDINGS.length; i++) {
            assert.deepEqual(
              got[i],
              ALL,
              `round ${round}, child ends by ${ENDINGS[i]}: got ${got[i].length} of ${COUNT}`,
            );
            await within(ps[i].join(), 60_000, "join");
            assert.equal(ps[i].exitCode, EXIT_CODE[ENDINGS[i]], `child ends by ${ENDINGS[i]}`);
          }
        } finally {
          await stop(ps);
          for (const [r] of pipes) r.close();
        }
      }
    });
  }

  for (const kind of ["Queue", "JoinableQueue", "SimpleQueue"] as const) {
    test(`${kind}.put() that resolved in a child reaches the parent exactly once, in order, however the child ends`, async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const qs = ENDINGS.map(() => makeQueue(kind));
        const ps = ENDINGS.map((ending, i) => start(sendThenEnd, [kind, qs[i], COUNT, ending]));
        try {
          const got = await Promise.all(qs.map((q) => readQueue(q)));
          for (let i = 0; i < ENDINGS.length; i++) {
            assert.deepEqual(got[i], ALL, `round ${round}, child ends by ${ENDINGS[i]}`);
            await within(ps[i].join(), 60_000, "join");
            assert.equal(ps[i].exitCode, EXIT_CODE[ENDINGS[i]], `child ends by ${ENDINGS[i]}`);
          }
        } finally {
          await stop(ps);
          for (const q of qs) q.close();
        }
      }
    });
  }

  test("Connection.send() between siblings: every message a child sent reaches its sibling exactly once, in order, however the sender ends", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const pipes = ENDINGS.map(() => Pipe<number>({ duplex: false }));
      const out = new Queue<number[][]>();
      const reader = start(readPipesUntilEof, [pipes.map(([r]) => r), out]);
      const senders = ENDINGS.map((ending, i) => start(sendThenEnd, ["send", pipes[i][1], COUNT, ending]));
      try {
        for (const [r, w] of pipes) {
          r.close();
          w.close();
        }
        const got = await within(out.get(), 100_000, "the sibling reader");
        for (let i = 0; i < ENDINGS.length; i++) {
          assert.deepEqual(
            got[i],
            ALL,
            `round ${round}, sender ends by ${ENDINGS[i]}: got ${got[i].length} of ${COUNT}`,
          );
          await within(senders[i].join(), 60_000, "join");
          assert.equal(senders[i].exitCode, EXIT_CODE[ENDINGS[i]]);
        }
        await within(reader.join(), 60_000, "join");
        assert.equal(reader.exitCode, 0);
      } finally {
        await stop([...senders, reader]);
        out.close();
      }
    }
  });

  test("Queue.put() between siblings: every item a child put reaches its sibling exactly once, in order, however the producer ends", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const qs = ENDINGS.map(() => new Queue<number>());
      const out = new Queue<number[][]>();
      const reader = start(takeCounts, [qs, COUNT, out]);
      const senders = ENDINGS.map((ending, i) => start(sendThenEnd, ["Queue", qs[i], COUNT, ending]));
      try {
        const got = await within(out.get(), 100_000, "the sibling consumer");
        for (let i = 0; i < ENDINGS.length; i++) {
          assert.deepEqual(got[i], ALL, `round ${round}, producer ends by ${ENDINGS[i]}`);
          await within(senders[i].join(), 60_000, "join");
          assert.equal(senders[i].exitCode, EXIT_CODE[ENDINGS[i]]);
        }
        await within(reader.join(), 60_000, "join");
        assert.equal(reader.exitCode, 0);
        await new Promise((r) => setTimeout(r, 100)); // a duplicate would have arrived behind the last item
        for (const q of qs) await assert.rejects(q.getNowait(), Empty, "an item arrived twice");
      } finally {
        await stop([...senders, reader]);
        for (const q of qs) q.close();
        out.close();
      }
    }
  });
});
