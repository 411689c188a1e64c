// A cluster's Pool and ProcessPoolExecutor against a real redis-server and two worker-node
// processes: semantics, and the guarantees under attack (a node SIGKILLed or frozen mid-run, Redis
// restarted mid-run, forged entries, wrong password, a module a node lacks).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import process from "node:process";
import { AuthenticationError, StateError, TimeoutError, WorkerLostError } from "../mod.ts";
import { type Cluster, connect } from "../redis.ts";
import { Sealer } from "../src/redis/sealed.ts";
import { openClient, parseUrl } from "../src/redis/client.ts";
import { moduleKey } from "../src/redis/module_key.ts";
import { add, boom, echo, logRun, pidThenSleep, slowPid, square } from "./fixtures/redis_tasks.ts";
import { notServed } from "./fixtures/redis_unserved.ts";
import { fixture, scriptCommand, tempDir, until, waitForFile, within } from "./_helpers.ts";
import { REDIS_SERVER, startRedis, type TestRedis } from "./_redis.ts";

const AUTHKEY = "test-authkey-0123456789abcdef";
const TASKS = new URL("./fixtures/redis_tasks.ts", import.meta.url).href;

interface NodeProc {
  child: ChildProcess;
  name: string;
  pids: number[];
  exited: Promise<number | null>;
}

/** Starts a worker node process and waits for its "ready" line. */
async function startNode(
  redis: TestRedis,
  dir: ReturnType<typeof tempDir>,
  name: string,
  extra: Record<string, unknown> = {},
): Promise<NodeProc> {
  const config = dir.file(`${name}.json`);
  fs.writeFileSync(config, JSON.stringify({ url: redis.url, authkey: AUTHKEY, processes: 1, name, ...extra }), {
    mode: 0o600,
  });
  const [cmd, args] = scriptCommand(fixture("redis_node.ts"), [config]);
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr!.on("data", (d) => (err += d));
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  const line = await within(
    new Promise<string>((resolve, reject) => {
      child.stdout!.on("data", (d) => {
        out += d;
        const m = /ready (\S+) (\S+)/.exec(out);
        if (m) resolve(m[2]);
      });
      child.on("exit", (code) => reject(new Error(`node ${name} exited with ${code}: ${err}`)));
    }),
    30_000,
    `node ${name} ready`,
  );
  return { child, name, pids: line.split(",").map(Number), exited };
}

async function stopNode(n: NodeProc): Promise<void> {
  if (n.child.exitCode !== null || n.child.signalCode !== null) return;
  n.child.kill("SIGKILL");
  await n.exited;
  // Its local workers die with it (they watch their parent); wait until they are gone.
  for (const pid of n.pids) {
    await until(() => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    }, 10_000);
  }
}

describe("cluster Pool over Redis", { skip: REDIS_SERVER ? false : "redis-server is not installed" }, () => {
  let redis: TestRedis;
  let dir: ReturnType<typeof tempDir>;
  let nodes: NodeProc[] = [];
  let cluster: Cluster;

  before(async () => {
    redis = await startRedis();
    dir = tempDir();
    nodes = await Promise.all([startNode(redis, dir, "a"), startNode(redis, dir, "b")]);
    cluster = await connect(redis.url, { authkey: AUTHKEY });
  });

  after(async () => {
    await cluster?.close();
    for (const n of nodes) await stopNode(n);
    await redis?.stop();
    dir?.cleanup();
  });

  test("map, starmap, imap, apply and applyAsync run on the nodes; errors keep name and message", async () => {
    await using pool = new cluster.Pool(2);
    const xs = Array.from({ length: 300 }, (_, i) => i);
    assert.deepEqual(await pool.map(square, xs), xs.map((x) => x * x));
    assert.deepEqual(await pool.starmap(add, [[1, 2], [3, 4]]), [3, 7]);
    const seen: number[] = [];
    for await (const y of pool.imap(square, [1, 2, 3])) seen.push(y);
    assert.deepEqual(seen, [1, 4, 9]);
    assert.equal(await pool.apply(add, [20, 22]), 42);
    let called = 0;
    assert.equal(await pool.applyAsync(square, [5], { callback: () => called++ }).get(), 25);
    assert.equal(called, 1);
    const values = { d: new Date(5), m: new Map([[1, "x"]]), b: new Uint8Array([1, 2]), big: 10n };
    assert.deepEqual(await pool.apply(echo, [values]), values);
    await assert.rejects(pool.apply(boom, ["no luck"]), (e: Error) => {
      assert.equal(e.name, "TaskFailed");
      assert.equal(e.message, "no luck");
      return true;
    });
  });

  test("both nodes take work", async () => {
    await using pool = new cluster.Pool(2);
    const results = await pool.map(slowPid, Array(8).fill(150), { chunksize: 1 });
    const pids = new Set(results.map((r) => r[1]));
    const nodePids = new Set(nodes.flatMap((n) => n.pids));
    for (const p of pids) assert.ok(nodePids.has(p), `pid ${p} is a node's worker`);
    assert.equal(pids.size, 2, `both nodes' workers ran tasks: ${[...pids]}`);
  });

  test("load: 20,000 one-item tasks and 2,000 concurrent applies, every result once", async () => {
    await using pool = new cluster.Pool(2);
    const xs = Array.from({ length: 20_000 }, (_, i) => i);
    const ys = await within(pool.map(square, xs, { chunksize: 1 }), 60_000, "20k-task map");
    assert.deepEqual(ys, xs.map((x) => x * x));
    const seen = new Set<number>();
    for await (const y of pool.imapUnordered(square, xs.slice(0, 2000))) {
      assert.ok(!seen.has(y), `result ${y} arrived once`);
      seen.add(y);
    }
    assert.equal(seen.size, 2000);
    const sums = await Promise.all(xs.slice(0, 2000).map((x) => pool.apply(add, [x, 1])));
    assert.deepEqual(sums, xs.slice(0, 2000).map((x) => x + 1));
  });

  test("ProcessPoolExecutor: submit, map, shutdown", async () => {
    const ex = new cluster.ProcessPoolExecutor({ maxWorkers: 2 });
    assert.equal(await ex.submit(square, 9), 81);
    const out: number[] = [];
    for await (const v of ex.map(square, [1, 2, 3])) out.push(v);
    assert.deepEqual(out, [1, 4, 9]);
    await ex.shutdown();
    assert.throws(() => ex.submit(square, 1), StateError);
  });

  test("timeout and signal settle the call at once; the task's late result is dropped", async () => {
    await using pool = new cluster.Pool(2);
    await assert.rejects(pool.apply(slowPid, [800, "late"], { timeout: 100 }), (e: Error) => {
      assert.ok(e instanceof TimeoutError);
      assert.match(e.message, /timed out after 100 ms; a task a worker node had taken runs to its end there/);
      return true;
    });
    const stop = new AbortController();
    const aborted = pool.map(slowPid, [800, 800], { chunksize: 1, signal: stop.signal });
    setTimeout(() => stop.abort(new Error("stopped by the caller")), 100);
    await assert.rejects(aborted, /stopped by the caller/);
    // The abandoned tasks finish on the nodes; later calls get their own results only.
    assert.deepEqual(await within(pool.map(square, [5, 6], { chunksize: 1 }), 10_000, "map after"), [25, 36]);
    assert.equal(await pool.apply(square, [3]), 9);
  });

  test("a function that is not exported from a module is refused at the call", async () => {
    await using pool = new cluster.Pool(1);
    await assert.rejects(pool.apply((x: number) => x, [1]), /exported from a module the worker nodes load/);
  });

  test("a task whose module a node does not serve fails with a clear error; the node goes on", async () => {
    await using pool = new cluster.Pool(2);
    await assert.rejects(pool.apply(notServed, [1]), (e: Error) => {
      assert.match(e.message, /does not serve the module tests\/fixtures\/redis_unserved\.ts/);
      assert.match(e.message, /--module tests\/fixtures\/redis_unserved\.ts/);
      return true;
    });
    assert.equal(await pool.apply(square, [12]), 144);
    assert.equal(moduleKey(TASKS), "tests/fixtures/redis_tasks.ts");
  });

  test("wrong password: AuthenticationError at connect; no server: a clear error", async () => {
    await assert.rejects(connect(redis.badUrl, { authkey: AUTHKEY }), (e: Error) => {
      assert.ok(e instanceof AuthenticationError);
      assert.match(e.message, /refused the credentials: WRONGPASS/);
      assert.doesNotMatch(e.message, new RegExp(redis.password));
      return true;
    });
    await assert.rejects(
      connect("redis://127.0.0.1:1", { authkey: AUTHKEY }),
      /Cannot connect to Redis at 127\.0\.0\.1:1: .*ECONNREFUSED/,
    );
    await assert.rejects(connect(redis.url, { authkey: "short" }), RangeError);
    await assert.rejects(connect(redis.url, {} as never), /needs options\.authkey/);
    await assert.rejects(connect("http://x", { authkey: AUTHKEY }), TypeError);
  });

  test("forged and garbage task entries are refused undecoded; forged results are dropped", async () => {
    const raw = await openClient(parseUrl(redis.url), "test-raw");
    const marker = dir.file("forged-ran");
    try {
      const stream = cluster._core.key("pool", "tasks");
      const forger = new Sealer(new TextEncoder().encode("another-key-0123456789abcdef"), "default");
      const entry = { c: "0000000000000000", t: [[1, "tests/fixtures/redis_tasks.ts", "touch", 0, [marker]]] };
      const { Buffer } = await import("node:buffer");
      await raw.callBuffer("XADD", stream, "*", "t", forger.seal("task", entry));
      await raw.callBuffer("XADD", stream, "*", "t", Buffer.from([1, 2, 3, 4]));
      await raw.callBuffer("XADD", stream, "*", "x", Buffer.from("no t field"));
      // Signed with the right key but for another purpose: also refused.
      await raw.callBuffer("XADD", stream, "*", "t", cluster._core.sealer.seal("result", entry));
      await using pool = new cluster.Pool(2);
      // The nodes are alive and serve real tasks after the forged entries.
      assert.deepEqual(await pool.map(square, [1, 2, 3, 4], { chunksize: 1 }), [1, 4, 9, 16]);
      for (let i = 0; i < 100 && Number(await raw.call("XLEN", stream)) > 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(Number(await raw.call("XLEN", stream)), 0, "refused entries are deleted");
      assert.equal(fs.existsSync(marker), false, "a forged task never ran");
      for (const n of nodes) assert.equal(n.child.exitCode, null, `node ${n.name} is still running`);

      // Results: a forged batch (another key), a batch sealed for another purpose, and garbage, pushed
      // to a waiting caller's result list before its real result, are dropped; the real one wins.
      const slow = pool.apply(slowPid, [300, "real"]);
      // The caller's id is in its liveness marker, mp:{default/pool/alive:<id>}.
      const prefix = cluster._core.key("pool", "alive:").slice(0, -1);
      const markers = await raw.call("KEYS", `${prefix}*`) as string[];
      assert.equal(markers.length, 1, `one pool alive: ${markers}`);
      const results = cluster._core.key("pool", `r:${markers[0].slice(prefix.length, -1)}`);
      await raw.callBuffer("RPUSH", results, forger.seal("result", [[1, true, ["forged", 0]]]));
      await raw.callBuffer("RPUSH", results, cluster._core.sealer.seal("task", [[1, true, ["wrong purpose", 0]]]));
      await raw.callBuffer("RPUSH", results, Buffer.from("garbage"));
      assert.equal((await within(slow, 10_000, "the real result"))[0], "real");
    } finally {
      raw.disconnect();
    }
  });

  test("a result batch moved from one caller's list into another's is refused there", async () => {
    // Caller A's task runs, but A stops reading (terminate): its result batch stays in A's list.
    const a = new cluster.Pool(2);
    a.apply(echo, ["A's value"]).catch(() => {});
    await a.terminate();
    const prefix = cluster._core.key("pool", "r:").slice(0, -1);
    let aList: string[] = [];
    for (let i = 0; i < 100 && aList.length === 0; i++) {
      aList = await cluster._core.cmd.call("KEYS", `${prefix}*`) as string[];
      if (aList.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(aList.length, 1, "A's result list holds its batch");
    // Caller B's first task has the same id as A's; someone with Redis access moves A's batch over.
    await using b = new cluster.Pool(2);
    const mine = b.apply(slowPid, [500, "B's value"]);
    const alive = cluster._core.key("pool", "alive:").slice(0, -1);
    const bId = (await cluster._core.cmd.call("KEYS", `${alive}*`) as string[])[0].slice(alive.length, -1);
    const moved = await cluster._core.cmd.callBuffer("LPOP", aList[0]);
    await cluster._core.cmd.callBuffer("RPUSH", cluster._core.key("pool", `r:${bId}`), moved as Uint8Array);
    assert.equal((await within(mine, 10_000, "B's own result"))[0], "B's value");
  });

  test("a node frozen past its lease: its tasks run again elsewhere; each caller gets one result", async () => {
    const log = dir.file("frozen.log");
    fs.writeFileSync(log, "");
    await using pool = new cluster.Pool(2);
    const calls = new Map<string, number>();
    const tags = Array.from({ length: 6 }, (_, i) => `t${i}`);
    const results = tags.map((tag) =>
      pool.applyAsync(logRun, [log, tag, 400], { callback: () => calls.set(tag, (calls.get(tag) ?? 0) + 1) })
    );
    await new Promise((r) => setTimeout(r, 150));
    const frozen = nodes[0];
    for (const pid of [frozen.child.pid!, ...frozen.pids]) process.kill(pid, "SIGSTOP");
    try {
      const values = await within(Promise.all(results.map((r) => r.get())), 20_000, "results while a node is frozen");
      assert.equal(values.length, 6);
    } finally {
      for (const pid of [frozen.child.pid!, ...frozen.pids]) process.kill(pid, "SIGCONT");
    }
    // The frozen node wakes, finishes its copies and sends their results: the caller drops them.
    await until(() => fs.readFileSync(log, "utf8").trim().split("\n").length > 6, 5_000);
    await new Promise((r) => setTimeout(r, 500));
    const runs = fs.readFileSync(log, "utf8").trim().split("\n");
    assert.ok(runs.length > 6, `some task ran twice (${runs.length} runs): the test exercised duplicates`);
    for (const tag of tags) assert.equal(calls.get(tag), 1, `${tag}'s callback ran once`);
  });

  test("a node SIGKILLed mid-run: its tasks run on the other node; no result lost or doubled", async () => {
    const log = dir.file("killed.log");
    fs.writeFileSync(log, "");
    await using pool = new cluster.Pool(2);
    const calls = new Map<string, number>();
    const tags = Array.from({ length: 8 }, (_, i) => `k${i}`);
    const results = tags.map((tag) =>
      pool.applyAsync(logRun, [log, tag, 300], { callback: () => calls.set(tag, (calls.get(tag) ?? 0) + 1) })
    );
    await new Promise((r) => setTimeout(r, 100));
    const victim = nodes[1];
    const t0 = Date.now();
    await stopNode(victim);
    const pids = await within(Promise.all(results.map((r) => r.get())), 20_000, "results after a node was killed");
    const took = Date.now() - t0;
    const survivor = new Set(nodes[0].pids);
    assert.ok(pids.some((p) => survivor.has(p)));
    for (const tag of tags) assert.equal(calls.get(tag), 1, `${tag} settled once`);
    process.stderr.write(`# all tasks done ${took} ms after the kill\n`);
    nodes[1] = await startNode(redis, dir, "b2");
  });

  test("Redis restarted mid-run (persistence off): every pending task completes, once", async () => {
    const log = dir.file("restart.log");
    fs.writeFileSync(log, "");
    await using pool = new cluster.Pool(2);
    const calls = new Map<string, number>();
    const tags = Array.from({ length: 10 }, (_, i) => `r${i}`);
    const results = tags.map((tag) =>
      pool.applyAsync(logRun, [log, tag, 200], { callback: () => calls.set(tag, (calls.get(tag) ?? 0) + 1) })
    );
    await new Promise((r) => setTimeout(r, 100));
    await redis.restart(300);
    const values = await within(Promise.all(results.map((r) => r.get())), 30_000, "results after a Redis restart");
    assert.equal(values.length, 10);
    for (const tag of tags) assert.equal(calls.get(tag), 1, `${tag} settled once`);
    // The nodes serve new work on the restarted server.
    assert.deepEqual(await within(pool.map(square, [1, 2, 3]), 20_000, "map after restart"), [1, 4, 9]);
  });

  test("a node's local worker SIGKILLed mid-task: that task rejects with WorkerLostError; the node goes on", async () => {
    await using pool = new cluster.Pool(2);
    const file = dir.file("worker.pid");
    const task = pool.apply(pidThenSleep, [file, 10_000]);
    const pid = Number(await waitForFile(file, 10_000));
    process.kill(pid, "SIGKILL");
    await assert.rejects(within(task, 10_000, "the killed worker's task"), WorkerLostError);
    assert.deepEqual(await within(pool.map(square, [1, 2, 3, 4], { chunksize: 1 }), 10_000, "map after"), [
      1,
      4,
      9,
      16,
    ]);
  });

  test("Redis gone for good: calls in flight reject after reconnectTimeout, none hang", async () => {
    const c2 = await connect(redis.url, { authkey: AUTHKEY, reconnectTimeout: 1000 });
    try {
      const pool = new c2.Pool(1);
      const first = pool.apply(slowPid, [5000, "long"]);
      await new Promise((r) => setTimeout(r, 200));
      await redis.kill();
      await assert.rejects(within(first, 30_000, "apply with Redis down"), /unreachable/);
      await redis.start();
      await pool.terminate();
    } finally {
      await c2.close();
    }
  });
});
