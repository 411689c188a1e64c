// The cluster's named primitives (Queue, JoinableQueue, dict, list, Namespace, Lock, Semaphore,
// Event) over a real redis-server, used from separate processes (tests/fixtures/redis_prims_agent.ts):
// semantics, a consumer killed while it holds an item, a lock holder killed or frozen past its lease
// (fencing), forged values.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import { createInterface } from "node:readline";
import { randomBytes } from "node:crypto";
import process from "node:process";
import { type Cluster, connect, StaleTokenError } from "../redis.ts";
import { AuthenticationError, Empty, Full, StateError, TimeoutError } from "../mod.ts";
import { fixture, scriptCommand, tempDir, within } from "./_helpers.ts";
import { REDIS_SERVER, startRedis, type TestRedis } from "./_redis.ts";

const AUTHKEY = "prims-test-authkey-0123456789abcdef";

/** A fixture process that runs commands on its own cluster connection. */
class Agent {
  readonly child: ChildProcess;
  stderr = "";
  #next = 1;
  #pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  #ready: Promise<number>;

  constructor(configFile: string) {
    const [cmd, args] = scriptCommand(fixture("redis_prims_agent.ts"), [configFile]);
    this.child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
    this.child.stderr!.on("data", (d) => (this.stderr += d));
    this.child.once("exit", (code, signal) => {
      for (const p of this.#pending.values()) p.reject(new Error(`agent exited (${signal ?? code})`));
      this.#pending.clear();
    });
    let ready!: (pid: number) => void;
    this.#ready = new Promise((r) => (ready = r));
    createInterface({ input: this.child.stdout! }).on("line", (line) => {
      const m = JSON.parse(line);
      if (m.ready) return ready(m.ready);
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      if (m.ok) p.resolve(m.v);
      else p.reject(Object.assign(new Error(m.message), { name: m.name }));
    });
  }

  ready(): Promise<number> {
    return within(this.#ready, 20_000, `agent start (stderr: ${this.stderr})`);
  }

  /** Sends a command; resolves with its answer (the first, for commands that answer early). */
  send(op: string, args: Record<string, unknown> = {}, ms = 20_000): Promise<any> {
    const id = this.#next++;
    const answer = new Promise((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    this.child.stdin!.write(JSON.stringify({ id, op, ...args }) + "\n");
    return within(answer, ms, `agent ${op} (stderr: ${this.stderr})`);
  }

  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = new Promise((r) => this.child.once("exit", r));
    this.child.kill(signal);
    await within(gone, 10_000, "agent exit");
  }

  /** Sends a signal (process.kill: Deno's ChildProcess.kill() does not send SIGCONT). */
  signal(signal: "SIGSTOP" | "SIGCONT"): void {
    try {
      process.kill(this.child.pid!, signal);
    } catch { /* gone */ }
  }

  /** Ends its stdin (it closes its connection and exits), or kills it after 10 s. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = new Promise((r) => this.child.once("exit", r));
    this.signal("SIGCONT"); // in case a test left it stopped
    this.child.stdin!.end();
    try {
      await within(gone, 10_000, "agent exit");
    } catch {
      await this.kill();
    }
  }
}

describe("cluster named primitives", { skip: !REDIS_SERVER && "redis-server is not installed" }, () => {
  let redis: TestRedis;
  const tmp = tempDir();
  const agents: Agent[] = [];
  const clusters: Cluster[] = [];

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await Promise.all(agents.map((a) => a.close()));
    for (const c of clusters) await c.close();
    await redis?.stop();
    tmp.cleanup();
  });

  /** A fresh namespace, and a cluster handle and `n` agents on it. */
  async function setup(n: number, authkey = AUTHKEY): Promise<{ cluster: Cluster; agents: Agent[]; ns: string }> {
    const ns = `t${randomBytes(4).toString("hex")}`;
    const file = tmp.file(`${ns}.json`);
    fs.writeFileSync(file, JSON.stringify({ url: redis.url, authkey, namespace: ns }), { mode: 0o600 });
    const cluster = await connect(redis.url, { authkey, namespace: ns });
    clusters.push(cluster);
    const mine: Agent[] = [];
    for (let i = 0; i < n; i++) {
      const a = new Agent(file);
      agents.push(a);
      mine.push(a);
    }
    await Promise.all(mine.map((a) => a.ready()));
    return { cluster, agents: mine, ns };
  }

  test("Queue: items put by one process come out in order in another; Empty, Full, qsize", async () => {
    const { cluster, agents: [producer, consumer] } = await setup(2);
    const items = Array.from({ length: 20 }, (_, i) => ({ n: i, tag: `item-${i}` }));
    const got = consumer.send("get", { q: "jobs", n: 20, timeout: 10_000 });
    await producer.send("put", { q: "jobs", items });
    assert.deepEqual(await got, items);
    const q = cluster.Queue<number>("jobs", 2);
    assert.equal(await q.empty(), true);
    await assert.rejects(q.getNowait(), Empty);
    await assert.rejects(q.get({ timeout: 50 }), Empty);
    await q.put(1);
    await q.putNowait(2);
    assert.equal(await q.qsize(), 2);
    assert.equal(await q.full(), true);
    await assert.rejects(q.putNowait(3), Full);
    await assert.rejects(q.put(3, { timeout: 50 }), Full);
    // A put waiting for a slot is admitted when a consumer elsewhere takes an item.
    const waiting = q.put(3, { timeout: 10_000 });
    assert.deepEqual(await consumer.send("get", { q: "jobs" }), [1]);
    await within(waiting, 10_000, "blocked put");
    assert.deepEqual(await consumer.send("get", { q: "jobs", n: 2 }), [2, 3]);
    await q.put(4);
    await producer.send("put", { q: "jobs", items: [5, 0] });
    const seen: number[] = [];
    for await (const x of q) {
      if (x === 0) q.close();
      else seen.push(x);
    }
    assert.deepEqual(seen, [4, 5]);
    await assert.rejects(q.get(), StateError);
  });

  test("Queue: an item survives a consumer SIGKILLed while blocked in get() or right after it read the item", async () => {
    const { cluster, agents: [blocked, reader, other] } = await setup(3);
    const q = cluster.Queue<string>("work");
    // Blocked in get(), no item yet: killed; the next item goes to a live consumer.
    const never = blocked.send("get", { q: "work", timeout: 30_000 });
    await new Promise((r) => setTimeout(r, 200));
    await blocked.kill();
    await assert.rejects(never, /agent exited/);
    await q.put("first");
    assert.deepEqual(await other.send("get", { q: "work", timeout: 10_000 }), ["first"]);
    // Read but not yet acknowledged: the reader stops inside get(), and is killed there.
    await q.put("second");
    assert.equal(await reader.send("hangAfterRead", { q: "work" }), "read");
    await reader.kill();
    assert.equal(await q.qsize(), 1); // still in the stream, pending for the dead consumer
    const t0 = performance.now();
    assert.deepEqual(await other.send("get", { q: "work", timeout: 10_000 }), ["second"]);
    assert.ok(performance.now() - t0 < 9000);
    await assert.rejects(q.get({ timeout: 100 }), Empty); // delivered once
    assert.equal(await q.qsize(), 0);
  });

  test("Queue: forged items (raw bytes, or sealed with another authkey) are refused, not decoded", async () => {
    const { cluster, agents: [consumer], ns } = await setup(1);
    const stream = cluster._core.key("q", "inbox", "s");
    // A raw entry with a codec-looking body and no valid MAC.
    await cluster._core.cmd.call("XADD", stream, "*", "d", Buffer.concat([Buffer.alloc(32), Buffer.from("evil")]));
    await cluster._core.cmd.call("XADD", stream, "*", "x", "no item field");
    // An entry sealed with another authkey (another cluster on the same Redis and namespace).
    const intruder = await connect(redis.url, { authkey: "another-authkey-0123456789abcdef", namespace: ns });
    clusters.push(intruder);
    await intruder.Queue("inbox").put("from an intruder");
    await cluster.Queue("inbox").put("genuine");
    assert.deepEqual(await consumer.send("get", { q: "inbox", timeout: 10_000 }), ["genuine"]);
    assert.equal(await cluster.Queue("inbox").qsize(), 0); // the forged entries were dropped
    assert.match(consumer.stderr, /refused an item of queue inbox: .*not signed with the cluster's authkey/);
    assert.equal((consumer.stderr.match(/refused an item/g) ?? []).length, 3);
  });

  test("JoinableQueue: join() in one process resolves once another has called taskDone() for every item", async () => {
    const { cluster, agents: [joiner, worker] } = await setup(2);
    const q = cluster.JoinableQueue<number>("batch");
    await q.put(1);
    await q.put(2);
    const joined = joiner.send("join", { q: "batch" });
    assert.deepEqual(await worker.send("get", { q: "batch", n: 2, joinable: true }), [1, 2]);
    await worker.send("taskDone", { q: "batch" });
    const early = await Promise.race([joined.then(() => "joined"), new Promise((r) => setTimeout(r, 300, "waiting"))]);
    assert.equal(early, "waiting"); // one task still unfinished
    const beforeLast = Date.now();
    await worker.send("taskDone", { q: "batch" });
    assert.ok((await joined) >= beforeLast - 50);
    await q.join();
    await assert.rejects(q.taskDone(), StateError);
  });

  test("Lock: a SIGKILLed holder's lock is acquired by another process once its lease runs out; tokens increase", async () => {
    const { cluster, agents: [holder] } = await setup(1);
    const [ok, token] = await holder.send("acquire", { lock: "res", lease: 1000 });
    assert.equal(ok, true);
    const lock = cluster.Lock("res");
    assert.equal(await lock.locked(), true);
    assert.equal(await lock.acquire({ block: false }), false);
    await assert.rejects(lock.hold({ timeout: 1500 }), TimeoutError); // renewed: held past its lease
    await holder.kill();
    const t0 = performance.now();
    assert.equal(await lock.acquire({ timeout: 10_000 }), true);
    assert.ok(performance.now() - t0 < 5000);
    assert.ok(lock.token! > token);
    await lock.release();
    await assert.rejects(lock.release(), StateError);
    {
      await using _ = await lock.hold();
      assert.equal(await lock.locked(), true);
    }
    assert.equal(await lock.locked(), false);
  });

  test("Lock: a frozen holder whose lease ran out cannot write with its stale fencing token", async () => {
    const { cluster, agents: [old] } = await setup(1);
    const [ok, oldToken] = await old.send("acquire", { lock: "owner", lease: 500 });
    assert.equal(ok, true);
    await old.send("fencedSet", { dict: "state", key: "v", value: "old", lock: "owner" });
    old.signal("SIGSTOP"); // stops renewing: its lease runs out
    const lock = cluster.Lock("owner");
    assert.equal(await lock.acquire({ timeout: 10_000 }), true);
    assert.ok(lock.token! > oldToken);
    const state = cluster.dict<string>("state");
    await state.set("v", "new", { fence: lock });
    old.signal("SIGCONT");
    await assert.rejects(
      old.send("fencedSet", { dict: "state", key: "v", value: "late", lock: "owner" }),
      (e: Error) => e.name === "StaleTokenError" && /token \d+: it has seen token \d+/.test(e.message),
    );
    await assert.rejects(old.send("release", { lock: "owner" }), (e: Error) => e.name === "StateError");
    assert.equal(await state.get("v"), "new");
    assert.equal(await lock.locked(), true); // the old holder's release did not free the new holder's lock
    await assert.rejects(state.set("v", "x", { fence: oldToken }), StaleTokenError);
    await lock.release();
  });

  test("Semaphore: slots are shared across processes and a dead holder's slot comes back after its lease", async () => {
    const { cluster, agents: [holder] } = await setup(1);
    assert.equal(await holder.send("semAcquire", { sem: "slots", value: 2, lease: 800 }), true);
    const sem = cluster.Semaphore("slots", 2);
    assert.equal(await sem.getValue(), 1);
    assert.equal(await sem.acquire({ block: false }), true);
    assert.equal(await sem.acquire({ timeout: 50 }), false);
    await holder.kill();
    assert.equal(await sem.acquire({ timeout: 10_000 }), true);
    assert.equal(await sem.getValue(), 0);
    await sem.release(2);
    assert.equal(await sem.getValue(), 2);
    await sem.release(); // like Python: above the initial value
    assert.equal(await sem.getValue(), 3);
    await assert.rejects(cluster.Semaphore("none", 0).hold({ block: false }), TimeoutError);
  });

  test("Event: wait() in one process is woken by set() in another", async () => {
    const { cluster, agents: [waiter] } = await setup(1);
    const ev = cluster.Event("go");
    assert.equal(await ev.isSet(), false);
    const waited = waiter.send("wait", { event: "go", timeout: 20_000 });
    await new Promise((r) => setTimeout(r, 300));
    const setAt = Date.now();
    await ev.set();
    const [woke, at] = await waited;
    assert.equal(woke, true);
    assert.ok(at >= setAt - 50);
    assert.equal(await ev.wait(0), true);
    await ev.clear();
    assert.deepEqual((await waiter.send("wait", { event: "go", timeout: 100 }))[0], false);
  });

  test("dict, list and namespace: writes in one process are read in another", async () => {
    const { cluster, agents: [writer] } = await setup(1);
    const d = cluster.dict<number>("d");
    await d.set("z", 0);
    assert.deepEqual(await writer.send("dict", { dict: "d", set: { b: 2, a: 1 } }), { z: 0, b: 2, a: 1 });
    assert.deepEqual(await d.keys(), ["z", "b", "a"]); // insertion order
    assert.equal(await d.get("a"), 1);
    assert.equal(await d.get("missing"), undefined);
    assert.equal(await d.has("b"), true);
    assert.equal(await d.size(), 3);
    assert.equal(await d.delete("z"), true);
    assert.equal(await d.delete("z"), false);
    assert.deepEqual(await d.entries(), [["b", 2], ["a", 1]]);
    assert.deepEqual(await d.values(), [2, 1]);
    await d.clear();
    assert.deepEqual(await d.toObject(), {});

    const l = cluster.list<string>("l");
    await l.append("x");
    assert.equal(await writer.send("list", { list: "l", items: ["a", "b"], at: 1, insert: "i" }), "x");
    assert.deepEqual(await l.toArray(), ["i", "a", "b"]);
    assert.equal(await l.get(-1), "b");
    await l.set(-1, "B");
    await l.insert(-1, "mid");
    assert.equal(await l.pop(1), "a");
    assert.deepEqual(await l.toArray(), ["i", "mid", "B"]);
    await assert.rejects(l.get(3), RangeError);
    await assert.rejects(l.pop(-4), RangeError);
    assert.equal(await l.length(), 3);
    await l.clear();
    await assert.rejects(l.pop(), /empty list/);

    await writer.send("namespace", { ns: "run", key: "phase", value: "done" });
    const run = cluster.namespace("run");
    assert.equal(await run.get("phase"), "done");
    await run.set("n", 1);
    assert.deepEqual(await run.toObject(), { phase: "done", n: 1 });
    assert.equal(await cluster.dict("run").get("phase"), undefined); // a namespace is not a dict of that name
  });

  test("dict and list: a forged value written raw into Redis is refused, not decoded", async () => {
    const { cluster } = await setup(0);
    const d = cluster.dict<string>("cfg");
    await d.set("good", "yes");
    await d.set("other", "copied");
    const hash = cluster._core.key("dict", "cfg", "h");
    const order = cluster._core.key("dict", "cfg", "o");
    await cluster._core.cmd.call("HSET", hash, "bad", Buffer.concat([Buffer.alloc(32), Buffer.from("x")]));
    await cluster._core.cmd.call("ZADD", order, "99", "bad");
    // A genuine value moved to another key does not open there: the MAC covers the key.
    const genuine = await cluster._core.cmd.callBuffer("HGET", hash, "good");
    await cluster._core.cmd.call("HSET", hash, "other", genuine as Uint8Array);
    const warned: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((s: string) => (warned.push(String(s)), true)) as typeof process.stderr.write;
    try {
      await assert.rejects(d.get("bad"), AuthenticationError);
      await assert.rejects(d.get("other"), AuthenticationError);
      assert.deepEqual(await d.toObject(), { good: "yes" });
      const l = cluster.list<string>("lst");
      await l.append("ok");
      await cluster._core.cmd.call("RPUSH", cluster._core.key("list", "lst"), "garbage");
      assert.deepEqual(await l.toArray(), ["ok"]);
      await assert.rejects(l.get(1), AuthenticationError);
    } finally {
      process.stderr.write = write;
    }
    assert.equal(warned.filter((w) => /refused/.test(w)).length, 3);
  });

  test("Queue.get() blocked across a Redis restart gets an item put after it; a lock lost with Redis is reported at release()", async () => {
    const { cluster } = await setup(0);
    const q = cluster.Queue<string>("survivor");
    const lock = cluster.Lock("gone", { lease: 1000 });
    assert.equal(await lock.acquire(), true);
    await q.put("before");
    assert.equal(await q.get(), "before");
    const waiting = q.get({ timeout: 20_000 });
    await new Promise((r) => setTimeout(r, 200));
    await redis.restart(200); // persistence off: Redis comes back empty
    await q.put("after");
    assert.equal(await within(waiting, 20_000, "get across the restart"), "after");
    await assert.rejects(lock.release(), (e: Error) => e instanceof StateError && /no longer held/.test(e.message));
    assert.equal(await lock.acquire({ block: false }), true);
    await lock.release();
  });
});
