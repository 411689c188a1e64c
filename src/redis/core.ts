/**
 * What every part of a cluster handle shares: the command connection, the blocking connections
 * (one per blocked call, reused), the sealer, key names, reconnection and outage tracking, and
 * wake-ups over pub/sub for waiters (locks, events, joins).
 *
 * Key names: `mp:{<namespace>/<kind>/<name>}:<part>`. The braces are a Redis Cluster hash tag, so
 * each object's keys sit in one slot (its Lua scripts touch several) while different objects spread
 * over the cluster's shards.
 *
 * @module
 */
import process from "node:process";
import { holdAlive, releaseAlive } from "../core/hold_alive.ts";
import { type Endpoint, openClient, type RedisClient } from "./client.ts";
import { Sealer } from "./sealed.ts";

/** How long a reconnection may take before calls in flight reject (ms), by default. */
export const RECONNECT_TIMEOUT = 30_000;

/** The shared state of one cluster handle. */
export class ClusterCore {
  /** The command connection (never blocked). */
  readonly cmd: RedisClient;
  /** Seals and opens values. */
  readonly sealer: Sealer;
  /** The namespace. */
  readonly namespace: string;
  /** The server, as shown in messages. */
  readonly shown: string;
  /** How long calls wait for a lost server before they reject (ms). */
  readonly reconnectTimeout: number;
  #endpoint: Endpoint;
  #idle: RedisClient[] = [];
  #all = new Set<RedisClient>();
  #reconnect = new Set<() => void>();
  #outage = new Set<(e: Error) => void>();
  #watch: ReturnType<typeof setInterval> | undefined;
  #downSince = 0;
  #closed = false;
  #sub: Promise<RedisClient> | undefined;
  #waiters = new Map<string, Set<() => void>>();

  /**
   * @param cmd The command connection, ready.
   * @param endpoint Where to open more.
   * @param key The authkey.
   * @param namespace The namespace.
   * @param reconnectTimeout See {@linkcode reconnectTimeout}.
   */
  constructor(cmd: RedisClient, endpoint: Endpoint, key: Uint8Array, namespace: string, reconnectTimeout: number) {
    this.cmd = cmd;
    this.#endpoint = endpoint;
    this.sealer = new Sealer(key, namespace);
    this.namespace = namespace;
    this.shown = endpoint.shown;
    this.reconnectTimeout = reconnectTimeout;
    this.#all.add(cmd);
    // The first "ready" came before this constructor: every later one is a reconnection.
    cmd.on("ready", () => {
      this.#downSince = 0;
      for (const f of [...this.#reconnect]) f();
    });
    cmd.on("close", () => {
      this.#downSince ||= Date.now();
      this.#watchOutage();
    });
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * A key of this namespace.
   * @param kind The object's kind (`pool`, `q`, `lock`, ...).
   * @param name The object's name.
   * @param part A sub-key of the object, if any.
   */
  key(kind: string, name: string, part?: string): string {
    return `mp:{${this.namespace}/${kind}/${name}}${part === undefined ? "" : `:${part}`}`;
  }

  /** A connection for one blocking command; give it back with {@linkcode release}. */
  async blocking(): Promise<RedisClient> {
    const c = this.#idle.pop();
    if (c) return c;
    const fresh = await openClient(this.#endpoint, `multiproc:${process.pid}:block`);
    if (this.#closed) {
      fresh.disconnect();
      throw new Error("The cluster connection was closed");
    }
    this.#all.add(fresh);
    return fresh;
  }

  /** Returns a blocking connection (kept for reuse, up to 8 idle). */
  release(c: RedisClient): void {
    if (this.#closed || this.#idle.length >= 8 || c.status === "end") {
      this.#all.delete(c);
      c.disconnect();
    } else this.#idle.push(c);
  }

  /**
   * Runs `f` after every reconnection of the command connection.
   * @returns A function that stops it.
   */
  onReconnect(f: () => void): () => void {
    this.#reconnect.add(f);
    return () => this.#reconnect.delete(f);
  }

  /**
   * Runs `f` when the server has been unreachable for longer than {@linkcode reconnectTimeout}
   * (once per outage), or when the cluster is closed: what waits on the server rejects then.
   * @returns A function that stops it.
   */
  onOutage(f: (e: Error) => void): () => void {
    this.#outage.add(f);
    return () => this.#outage.delete(f);
  }

  /** While the server is down, checks every 100 ms whether the outage has lasted too long. */
  #watchOutage(): void {
    if (this.#watch !== undefined || this.#closed) return;
    this.#watch = setInterval(() => {
      if (this.#downSince === 0 || this.#closed) {
        clearInterval(this.#watch);
        this.#watch = undefined;
        return;
      }
      if (this.downFor() <= this.reconnectTimeout) return;
      clearInterval(this.#watch);
      this.#watch = undefined;
      const err = new Error(
        `Redis at ${this.shown} is unreachable (for ${this.downFor()} ms, longer than reconnectTimeout ` +
          `${this.reconnectTimeout} ms)`,
      );
      for (const f of [...this.#outage]) f(err);
    }, 100);
    // Only what waits on the server (which holds the program itself) needs the check.
    (this.#watch as { unref?: () => void }).unref?.();
  }

  /** How long the server has been unreachable (ms), 0 when it is up. */
  downFor(): number {
    return this.#downSince === 0 ? 0 : Date.now() - this.#downSince;
  }

  /** Reports something dropped (a forged value, a failed send) on stderr. */
  warn(message: string): void {
    process.stderr.write(`multiproc/redis: ${message}\n`);
  }

  /**
   * Wakes the waiters on `key` in every process of the cluster.
   * @param key The key whose state changed.
   */
  async wake(key: string): Promise<void> {
    await this.cmd.call("PUBLISH", `mp:${this.namespace}:wake`, key);
  }

  /**
   * Waits until {@linkcode wake} is called for `key`, or `ms` pass. Callers check their condition
   * before and after, so a wake-up lost to a reconnection costs at most `ms`.
   * @param key The key.
   * @param ms The longest wait.
   */
  async waitWake(key: string, ms: number): Promise<void> {
    await this.#subscriber();
    holdAlive();
    try {
      await new Promise<void>((resolve) => {
        let set = this.#waiters.get(key);
        if (!set) this.#waiters.set(key, set = new Set());
        const done = () => {
          clearTimeout(timer);
          set!.delete(done);
          if (set!.size === 0) this.#waiters.delete(key);
          resolve();
        };
        const timer = setTimeout(done, Math.max(0, ms));
        set.add(done);
      });
    } finally {
      releaseAlive();
    }
  }

  #subscriber(): Promise<RedisClient> {
    this.#sub ??= (async () => {
      const s = await openClient(this.#endpoint, `multiproc:${process.pid}:sub`);
      this.#all.add(s);
      s.on("message", (_channel, key) => {
        for (const f of [...(this.#waiters.get(key as string) ?? [])]) f();
      });
      // After a reconnection ioredis subscribes again; waiters re-check on their timeout.
      await s.subscribe(`mp:${this.namespace}:wake`);
      return s;
    })();
    this.#sub.catch(() => (this.#sub = undefined));
    return this.#sub;
  }

  /** Closes every connection; calls in flight reject. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const c of this.#all) c.disconnect();
    this.#all.clear();
    this.#idle = [];
    for (const set of this.#waiters.values()) for (const f of [...set]) f();
    const err = new Error("The cluster connection was closed");
    for (const f of [...this.#outage]) f(err);
  }
}

/** Opens the command connection and makes the core. */
export async function openCore(
  endpoint: Endpoint,
  key: Uint8Array,
  namespace: string,
  reconnectTimeout: number = RECONNECT_TIMEOUT,
): Promise<ClusterCore> {
  const cmd = await openClient(endpoint, `multiproc:${process.pid}:cmd`);
  return new ClusterCore(cmd, endpoint, key, namespace, reconnectTimeout);
}
