// Pool scheduling: long tasks are spread over the workers even after a burst of tiny tasks taught a
// worker to queue deeply; no long task waits behind a busy worker while another worker is idle.
// Asserted structurally from the pids and start/end times the tasks report, never by speed.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Pool } from "../mod.ts";
import { busySpan, napPid, whichPid } from "./fixtures/pool_balance_tasks.ts";

type Span = [number, number, number];
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
/** Slack for a round trip to a worker on a loaded 2-core box. */
const SLACK = 150;

/**
 * Runs `scenario` and checks `verdict` on its spans, up to 3 times: passes at the first run that
 * passes. The scheduling faults this file guards against are decisions, made the same way on
 * every run (before the fix every run failed); a box that starves a process for longer than SLACK
 * makes a single run's timestamps look like one, and a rerun tells the two apart.
 */
async function onSomeRun(scenario: () => Promise<Span[]>, verdict: (spans: Span[]) => void): Promise<void> {
  for (let attempt = 1;; attempt++) {
    const spans = await scenario();
    try {
      return verdict(spans);
    } catch (e) {
      if (attempt === 3) throw e;
    }
  }
}

/** Runs `durations` as one batch of applyAsync calls; returns each task's [pid, start, end]. */
async function batch(pool: Pool, durations: number[]): Promise<Span[]> {
  return await Promise.all(durations.map((ms) => pool.applyAsync(busySpan, [ms]).get()));
}

/** Waits until both workers have run a task (a worker may take a while to start on a loaded box). */
async function bothReady(pool: Pool): Promise<void> {
  const seen = new Set<number>();
  const deadline = Date.now() + 30_000;
  while (seen.size < 2 && Date.now() < deadline) {
    for (const p of await Promise.all([0, 1].map(() => pool.applyAsync(napPid, [100]).get()))) seen.add(p);
  }
  assert.equal(seen.size, 2, "both workers ran a task");
}

/** Per pid, its spans in start order. */
function byWorker(spans: Span[]): Map<number, Span[]> {
  const m = new Map<number, Span[]>();
  for (const s of spans) m.set(s[0], [...(m.get(s[0]) ?? []), s]);
  for (const l of m.values()) l.sort((a, b) => a[1] - b[1]);
  return m;
}

/** No task started later than SLACK after some worker of `pids` went idle while it waited. */
function assertNoIdleWait(spans: Span[], pids: number[]): void {
  const t0 = Math.min(...spans.map((s) => s[1]));
  for (const s of spans) {
    for (const p of pids) {
      // When did worker p become free before s started (it ran nothing between then and s's start)?
      const mine = spans.filter((x) => x[0] === p && x !== s);
      const freeSince = Math.max(t0, ...mine.filter((x) => x[2] <= s[1]).map((x) => x[2]));
      const busyAt = mine.some((x) => x[1] < s[1] && x[2] > freeSince && x[1] >= freeSince);
      if (!busyAt && s[1] - freeSince > SLACK) {
        assert.fail(
          `a task started at +${s[1] - t0} ms on pid ${s[0]} although pid ${p} was idle from +${freeSince - t0} ms: ${
            JSON.stringify(spans.map((x) => [x[0], x[1] - t0, x[2] - t0]))
          }`,
        );
      }
    }
  }
}

/** Equal long tasks split evenly over 2 workers, and none waited while a worker was idle. */
function assertEvenSplit(spans: Span[], pids: number[]): void {
  assertNoIdleWait(spans, pids);
  const counts = [...byWorker(spans).values()].map((l) => l.length).sort();
  assert.deepEqual(counts, [2, 2], `tasks per worker: ${JSON.stringify(spans)}`);
}

describe("Pool scheduling", () => {
  test("Pool: after one worker served many tiny calls, 4 long tasks on 2 workers run 2 on each", async () => {
    await using pool = new Pool(2);
    await bothReady(pool);
    await onSomeRun(async () => {
      // Sequential calls all go to the same idle worker: it learns that tasks are tiny.
      for (let i = 0; i < 200; i++) await pool.apply(whichPid, [i]);
      return await batch(pool, [300, 300, 300, 300]);
    }, (spans) => assertEvenSplit(spans, pool._pids));
  });

  test("Pool: a function taught to be tiny, then called with long tasks, still splits them 2 and 2", async () => {
    await using pool = new Pool(2);
    await bothReady(pool);
    await onSomeRun(async () => {
      await pool.map(busySpan, Array(3000).fill(0), { chunksize: 1 });
      return await batch(pool, [300, 300, 300, 300]);
    }, (spans) => assertEvenSplit(spans, pool._pids));
  });

  test("Pool: no task waits behind a long one while another worker is idle", async () => {
    await using pool = new Pool(2);
    await bothReady(pool);
    await onSomeRun(async () => {
      // Many tiny tasks on both workers: both learn to queue deeply.
      await pool.map(whichPid, range(3000), { chunksize: 1 });
      return await batch(pool, [700, 100, 100, 100, 100, 100]);
    }, (spans) => assertNoIdleWait(spans, pool._pids));
  });

  test("Pool.map(chunksize 1): long tasks after a warm-up map are spread evenly", async () => {
    await using pool = new Pool(2);
    await pool.map(whichPid, range(2000), { chunksize: 1 });
    await bothReady(pool);
    await onSomeRun(async () => {
      await pool.map(whichPid, range(2000), { chunksize: 1 });
      return await pool.map(busySpan, [300, 300, 300, 300], { chunksize: 1 }) as Span[];
    }, (spans) => assertEvenSplit(spans, pool._pids));
  });
});
