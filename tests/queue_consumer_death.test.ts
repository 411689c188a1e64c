// The consumer-death guarantee: SIGKILLed consumers lose no queue item; the only items the queue can
// hand out a second time are items of a killed consumer's last lease that its get() had returned:
// a suffix of what it took, at most one batch (1024 items) per kill.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { Empty, Process, Queue } from "../mod.ts";
import { tempDir, until } from "./_helpers.ts";
import { consumeToLog, produceTagged } from "./fixtures/delivery_tasks.ts";

const PRODUCERS = 4;
const CONSUMERS = 4;
const PER_PRODUCER = 500;
const KILL_AT = [300, 800, 1300]; // kill a consumer once this many items were taken in all
const ROUNDS = 3;
const MAX_BATCH = 1024; // queue.ts: the largest lease a consumer fetches at once

function start(target: (...a: any[]) => unknown, args: unknown[]): Process {
  const p = new Process({ target, args });
  p.start();
  return p;
}

/** The complete lines of a consumer's log (a line cut by SIGKILL was not written whole: ignored). */
function lines(file: string): string[] {
  let text = "";
  try {
    text = fs.readFileSync(file, "utf8");
  } catch { /* not created yet */ }
  const all = text.split("\n");
  all.pop(); // "" after the last newline, or a cut line
  return all;
}

test("Queue under consumer death: 4 producers, 4 consumers, 3 SIGKILLed: no item lost, only the last lease of a killed consumer is handed out again", async () => {
  for (let round = 0; round < ROUNDS; round++) {
    const tmp = tempDir();
    const q = new Queue<[number, number] | null>();
    const producers = Array.from({ length: PRODUCERS }, (_, tag) => start(produceTagged, [q, tag, PER_PRODUCER]));
    let n = 0;
    const consumers: Array<{ p: Process; log: string }> = [];
    const startConsumer = () => {
      const log = tmp.file(`consumer-${n++}.log`);
      consumers.push({ p: start(consumeToLog, [q, log]), log });
    };
    for (let i = 0; i < CONSUMERS; i++) startConsumer();
    const killed: Array<{ p: Process; log: string }> = [];
    const taken = () => consumers.reduce((sum, c) => sum + lines(c.log).length, 0);
    try {
      for (const [k, threshold] of KILL_AT.entries()) {
        assert.ok(
          await until(() => taken() >= threshold, 90_000),
          `round ${round}: consumers took ${taken()} items, not ${threshold}, in 90 s`,
        );
        // Kill the consumer that took an item last: it is the likeliest to be inside a lease.
        const live = consumers.filter((c) => !killed.includes(c));
        const victim = live.reduce(
          (a, b) =>
            (fs.statSync(b.log, { throwIfNoEntry: false })?.mtimeMs ?? 0) >
                (fs.statSync(a.log, { throwIfNoEntry: false })?.mtimeMs ?? 0)
              ? b
              : a,
          live[k % live.length],
        );
        victim.p.kill();
        killed.push(victim);
        await victim.p.join();
        assert.equal(victim.p.exitCode, -9);
        startConsumer(); // keep 4 consumers running
      }
      for (const p of producers) {
        await p.join(90_000);
        assert.equal(p.exitCode, 0);
      }
      for (let i = 0; i < CONSUMERS; i++) await q.put(null);
      for (const c of consumers) {
        if (killed.includes(c)) continue;
        await c.p.join(90_000);
        assert.equal(c.p.exitCode, 0, "a consumer did not finish within 90 s");
      }

      const seen = new Map<string, number>();
      for (const c of consumers) {
        const last = new Array<number>(PRODUCERS).fill(-1);
        for (const line of lines(c.log)) {
          const [tag, i] = line.split(" ").map(Number);
          assert.ok(
            i > last[tag],
            `round ${round}: a consumer got producer ${tag}'s item ${i} after ${last[tag]} (FIFO per producer)`,
          );
          last[tag] = i;
          seen.set(line, (seen.get(line) ?? 0) + 1);
        }
      }
      const missing: string[] = [];
      for (let tag = 0; tag < PRODUCERS; tag++) {
        for (let i = 0; i < PER_PRODUCER; i++) if (!seen.has(`${tag} ${i}`)) missing.push(`${tag} ${i}`);
      }
      assert.deepEqual(missing, [], `round ${round}: items lost`);
      // The documented bound: an item is returned again only if a killed consumer's get() returned
      // it from its last lease before the acknowledgement left. Those items are the end of what that
      // consumer took (acks leave in order, and every fetch carries the acks before it) and at most
      // one batch; a consumer that was not killed never shares an item with another live consumer.
      const logs = new Map(consumers.map((c) => [c, lines(c.log)]));
      const elsewhere = (c: { log: string }) => new Set(consumers.filter((o) => o !== c).flatMap((o) => logs.get(o)!));
      // Each killed consumer's re-handed items: the longest end of its log whose items someone else
      // also got (a killed consumer may itself have taken items re-handed from an earlier kill).
      const rehanded = new Map<string, number>();
      for (const c of killed) {
        const mine = logs.get(c)!;
        const others = elsewhere(c);
        let k = mine.length;
        while (k > 0 && others.has(mine[k - 1])) k--;
        const tail = mine.slice(k);
        assert.ok(
          tail.length <= MAX_BATCH,
          `round ${round}: ${tail.length} items of one killed consumer handed out again`,
        );
        for (const item of tail) rehanded.set(item, (rehanded.get(item) ?? 0) + 1);
      }
      for (const [item, count] of seen) {
        if (count > 1) {
          assert.ok(
            count <= 1 + (rehanded.get(item) ?? 0),
            `round ${round}: item ${item} was returned ${count} times, but only ${
              rehanded.get(item) ?? 0
            } killed consumer(s) had it at the end of a lease`,
          );
        }
      }
      const duplicates = [...seen.values()].reduce((sum, n) => sum + n - 1, 0);
      console.log(
        `consumer death round ${round}: ${duplicates} of ${
          PRODUCERS * PER_PRODUCER
        } items handed out twice (killed consumers' last leases)`,
      );
      await new Promise((r) => setTimeout(r, 50));
      await assert.rejects(q.getNowait(), Empty);
    } finally {
      for (const p of [...producers, ...consumers.map((c) => c.p)]) {
        if (p.exitCode === null) p.kill();
        await p.join();
      }
      q.close();
      tmp.cleanup();
    }
  }
});
