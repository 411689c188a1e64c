/**
 * The Redis connections of a cluster handle. The client library, ioredis, is loaded only here, when
 * the Redis backend is first used, so the core package has no dependency: it is an optional peer
 * dependency (`npm install ioredis`).
 *
 * Every connection's socket is unref'ed: an idle connection never holds a program open. What waits
 * on the cluster holds it (`core/hold_alive.ts`), as local pools and queues do.
 *
 * @module
 */
import { holdAlive, releaseAlive } from "../core/hold_alive.ts";
import { AuthenticationError } from "../errors.ts";

/** The part of an ioredis client this backend uses. */
export interface RedisClient {
  /** Sends a command; replies come back as strings (or arrays of them). */
  call: (command: string, ...args: (string | number | Uint8Array)[]) => Promise<unknown>;
  /** Sends a command; replies come back as Buffers. */
  callBuffer: (command: string, ...args: (string | number | Uint8Array)[]) => Promise<unknown>;
  /** Connects (the client is made lazy). */
  connect(): Promise<void>;
  /** Closes at once; commands in flight reject. */
  disconnect: () => void;
  /** "wait", "connecting", "connect", "ready", "reconnecting", "end", ... */
  readonly status: string;
  on(event: string, listener: (...a: unknown[]) => void): unknown;
  off(event: string, listener: (...a: unknown[]) => void): unknown;
  /** The socket (unref'ed once connected). */
  readonly stream?: { unref?: () => unknown };
  /** Registers a Lua script as a command (EVALSHA, with EVAL when the server lost it). */
  defineCommand(name: string, def: { numberOfKeys: number; lua: string }): void;
  /** Subscribes (subscriber connections only). */
  subscribe(...channels: string[]): Promise<unknown>;
  [script: string]: unknown;
}

type _Ctor = new (options: Record<string, unknown>) => RedisClient;
let _ctor: Promise<_Ctor> | undefined;

/** Loads ioredis once (a bare specifier where a package.json resolves it, else Deno's `npm:`). */
function _ioredis(): Promise<_Ctor> {
  _ctor ??= (async () => {
    const specs = ["ioredis", "npm:ioredis@^6"];
    let first: unknown;
    for (const spec of specs) {
      try {
        const mod = await import(spec) as { Redis?: _Ctor; default?: _Ctor };
        const ctor = mod.Redis ?? mod.default;
        if (typeof ctor === "function") return ctor;
      } catch (e) {
        first ??= e;
      }
    }
    throw new Error(
      `The Redis backend needs the ioredis package: run \`npm install ioredis\` (or \`deno add npm:ioredis\`, ` +
        `\`bun add ioredis\`) in your project`,
      { cause: first },
    );
  })();
  _ctor.catch(() => (_ctor = undefined));
  return _ctor;
}

/** Where to connect, parsed from a URL, and how to name the server in messages (no password). */
export interface Endpoint {
  /** ioredis options. */
  options: Record<string, unknown>;
  /** `host:port` or the socket path. */
  shown: string;
}

/**
 * Parses `redis://[user:password@]host[:port][/db]`, `rediss://...` (TLS), or
 * `unix:///path/to/redis.sock[?password=...&db=n]`.
 * @throws {TypeError} If the URL is not one of these.
 */
export function parseUrl(url: string): Endpoint {
  if (typeof url !== "string") throw new TypeError(`connect() expects a Redis URL string, got ${typeof url}`);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TypeError(`connect() expects a Redis URL such as redis://127.0.0.1:6379, got "${url}"`);
  }
  const auth = {
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
  };
  const query = u.searchParams;
  if (query.get("password")) Object.assign(auth, { password: query.get("password") });
  const db = Number(query.get("db") ?? (u.pathname.length > 1 && u.protocol !== "unix:" ? u.pathname.slice(1) : 0));
  if (!Number.isInteger(db) || db < 0) throw new TypeError(`Bad Redis database number in "${url}"`);
  if (u.protocol === "unix:" || u.protocol === "redis+unix:") {
    return { options: { path: decodeURIComponent(u.pathname), db, ...auth }, shown: decodeURIComponent(u.pathname) };
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") {
    throw new TypeError(`connect() expects a redis://, rediss:// or unix:// URL, got ${u.protocol}//`);
  }
  const port = Number(u.port || 6379);
  const host = u.hostname.replace(/^\[|\]$/g, "");
  return {
    options: { host, port, db, ...auth, ...(u.protocol === "rediss:" ? { tls: { servername: host } } : {}) },
    shown: `${u.hostname}:${port}`,
  };
}

const _AUTH = /WRONGPASS|NOAUTH|invalid password|invalid username-password|NOPERM/i;

/**
 * Opens one connection and waits until it is ready. It reconnects by itself afterwards (backing off
 * up to 500 ms), and commands issued while it is down wait for the reconnection, or reject after
 * `maxRetriesPerRequest` attempts.
 * @param endpoint Where.
 * @param name The connection's client name (`CLIENT LIST` shows it).
 * @returns The ready connection.
 * @throws {AuthenticationError} If the server refuses the URL's credentials.
 * @throws {Error} If the server cannot be reached, or ioredis is not installed.
 */
export async function openClient(endpoint: Endpoint, name: string): Promise<RedisClient> {
  const Redis = await _ioredis();
  let ready = false;
  let last: Error | undefined;
  const client = new Redis({
    ...endpoint.options,
    connectionName: name,
    protocol: 2,
    lazyConnect: true,
    maxRetriesPerRequest: 40,
    // Until the first connection succeeds, a failure is the caller's answer: no retries.
    retryStrategy: (n: number) => ready ? Math.min(25 * n, 500) : null,
    // A READONLY reply (a replica promoted away) or a lost connection reconnects.
    reconnectOnError: (e: Error) => /READONLY/.test(e.message) ? 2 : false,
  });
  // ioredis reports connection errors as events; unheard, they would be printed.
  client.on("error", (e) => (last = e as Error));
  client.on("connect", () => client.stream?.unref?.());
  holdAlive();
  try {
    await client.connect();
    await client.call("PING");
  } catch (e) {
    client.disconnect();
    const cause = last ?? e as Error;
    const why = cause?.message ?? String(cause);
    if (_AUTH.test(why) || _AUTH.test((e as Error)?.message ?? "")) {
      throw new AuthenticationError(
        `Redis at ${endpoint.shown} refused the credentials: ${why.replace(/\.$/, "")}. ` +
          `Put the right password (and user) in the URL: redis://user:password@host:port`,
        { cause },
      );
    }
    throw new Error(
      `Cannot connect to Redis at ${endpoint.shown}: ${why}. Is redis-server running there, and reachable?`,
      { cause },
    );
  } finally {
    releaseAlive();
  }
  ready = true;
  // The socket is unref'ed: a command in flight holds the program instead. A command still waiting
  // in ioredis' offline queue when the client is closed is never settled by ioredis (seen while
  // it was reconnecting), so closing rejects every command in flight here.
  let closed!: (e: Error) => void;
  const ended = new Promise<never>((_, reject) => (closed = reject));
  ended.catch(() => {});
  const disconnect = client.disconnect.bind(client);
  client.disconnect = () => {
    closed(new Error("Connection is closed."));
    disconnect();
  };
  for (const method of ["call", "callBuffer"] as const) {
    const send = client[method].bind(client);
    client[method] = async (...a) => {
      holdAlive();
      try {
        return await Promise.race([send(...a), ended]);
      } finally {
        releaseAlive();
      }
    };
  }
  return client;
}

/**
 * Whether a command failed because the connection was lost or closed (not a reply error): the
 * caller retries such a command once the connection is back.
 */
export function isConnectionError(e: unknown): boolean {
  const m = (e as Error)?.message ?? "";
  return /Connection is closed|ECONNRESET|ECONNREFUSED|EPIPE|Stream isn't writeable|max retries|ETIMEDOUT|LOADING/i
    .test(m);
}
