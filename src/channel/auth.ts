/**
 * Mutual challenge-response authentication (HMAC-SHA256), like Python's `authkey` handshake.
 * Nothing but the handshake may cross a link before both sides have proved they hold the key.
 *
 * 1. server → client: 32 random bytes (challenge S)
 * 2. client → server: a hello (JSON: who it is), then HMAC(key, S ‖ hello) ‖ 32 random bytes (challenge C)
 * 3. server → client: "OK" ‖ HMAC(key, C), or "NO" and the link is closed
 *
 * @module
 */
import { clearTimeout, setTimeout } from "node:timers";
import type { ByteStream } from "../runtime/adapter.ts";
import { AuthenticationError } from "../errors.ts";
import { MAX_FRAME } from "./frame.ts";
import { Link } from "./link.ts";
import { hmacSha256 as _hmac, randomBytes } from "../runtime/crypto.ts";

const _HANDSHAKE_FRAME = 1024;
// How long either side waits for the other's next handshake frame. A child of a loaded 2-core machine
// (dozens of children starting at once) was refused at 10 s while honest; an idle connection costs
// little meanwhile (the listener caps pending handshakes and the timer keeps no program alive).
const _HANDSHAKE_TIMEOUT = 60_000;
const _enc = new TextEncoder();
const _dec = new TextDecoder();

/** What a connecting client says about itself. */
export interface Hello {
  /** "child" for a freshly spawned child (keyed by its one-time token), "peer" for any other process. */
  role: "child" | "peer";
  /** The child id when role is "child". */
  id?: string;
  /** The connecting process's pid. */
  pid: number;
}

/** Constant-time comparison. */
function _equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

// Each runtime's cheapest route at start-up (runtime/crypto.ts: plain JavaScript over /dev/urandom on
// Node/Linux, Web Crypto elsewhere).
export { randomBytes };

/**
 * Reads frames one at a time off a link during the handshake; `done()` hands unread frames back;
 * `timedOut()` tells whether this side gave up waiting (and closed the link itself).
 */
function _nextFrame(
  link: Link,
  lastFrame = 0,
  timeout = _HANDSHAKE_TIMEOUT,
): { next: () => Promise<Uint8Array>; done: () => void; timedOut: () => boolean } {
  const queue: Uint8Array[] = [];
  let expired = false;
  let waiter: ((f: Uint8Array | null) => void) | undefined;
  let seen = 0;
  link.onFrame((f) => {
    if (waiter) {
      const w = waiter;
      waiter = undefined;
      w(f);
    } else queue.push(f);
    // Frames the other side pipelines behind its last handshake frame (a child's setup message)
    // may be big: lift the handshake limit now, not after the (async) check of that frame.
    if (++seen === lastFrame) link.setMaxFrame(MAX_FRAME);
  });
  link.onClose(() => waiter?.(null));
  const done = () => link.onFrame(undefined, queue.splice(0));
  const next = () =>
    new Promise<Uint8Array>((resolve, reject) => {
      const q = queue.shift();
      if (q) return resolve(q);
      if (link.closed) return reject(new AuthenticationError("Connection closed during authentication"));
      const timer = setTimeout(() => {
        waiter = undefined;
        expired = true;
        link.close();
        reject(new AuthenticationError("Authentication timed out"));
      }, timeout);
      // A handshake in progress must not keep the program alive (node:timers' handle has unref()
      // on all three runtimes; Deno's global setTimeout returns a bare number).
      timer.unref();
      waiter = (f) => {
        clearTimeout(timer);
        if (f) resolve(f);
        else reject(new AuthenticationError("Connection closed during authentication"));
      };
    });
  return { next, done, timedOut: () => expired };
}

/**
 * Server side. `keyFor` picks the key from the client's hello (undefined → reject).
 * Resolves with the authenticated link and the hello; rejects (and closes) on failure.
 */
export async function acceptAuthenticated(
  stream: ByteStream,
  keyFor: (hello: Hello) => Uint8Array | undefined,
): Promise<{ link: Link; hello: Hello }> {
  const link = new Link(stream, _HANDSHAKE_FRAME);
  const { next, done } = _nextFrame(link);
  try {
    const challenge = randomBytes(32);
    link.send(challenge);
    const helloBytes = await next();
    const answer = await next();
    let hello: Hello;
    try {
      hello = JSON.parse(_dec.decode(helloBytes));
    } catch {
      throw new AuthenticationError("Malformed hello");
    }
    const key = typeof hello === "object" && hello !== null && !Array.isArray(hello) ? keyFor(hello) : undefined;
    if (!key || answer.length !== 64 || !_equal(answer.subarray(0, 32), await _hmac(key, challenge, helloBytes))) {
      link.send(_enc.encode("NO"));
      throw new AuthenticationError("Peer failed authentication");
    }
    const reply = new Uint8Array(34);
    reply.set(_enc.encode("OK"));
    reply.set(await _hmac(key, answer.subarray(32)), 2);
    link.send(reply);
    link.setMaxFrame(MAX_FRAME);
    done();
    return { link, hello };
  } catch (e) {
    link.close();
    throw e;
  }
}

const _refused = new WeakSet<object>();

/**
 * True for {@linkcode connectAuthenticated}'s error when the server closed the connection before
 * it sent its challenge: a listener with too many handshakes under way does that, so trying again
 * a little later may succeed.
 */
export function isRefused(e: unknown): boolean {
  return typeof e === "object" && e !== null && _refused.has(e);
}

/**
 * Client side: proves we hold `key` and checks that the server does too.
 * @param options `timeout`: ms to wait for each of the server's handshake frames (default 10 s).
 */
export async function connectAuthenticated(
  stream: ByteStream,
  key: Uint8Array,
  hello: Hello,
  options: { timeout?: number } = {},
): Promise<Link> {
  const link = new Link(stream, _HANDSHAKE_FRAME);
  const { next, done, timedOut } = _nextFrame(link, 2, options.timeout);
  // The caller waits for this connection: keep the program alive until the handshake ends (the
  // timeout's timer does not, and the server side must not either).
  link.hold();
  try {
    let challenge: Uint8Array;
    try {
      challenge = await next();
    } catch (e) {
      // Closed by the server before its challenge; not our own timeout (a slow server is not a
      // refusal, and retrying would only pile more work on it).
      if (link.closed && e instanceof AuthenticationError && !timedOut()) {
        const refused = new AuthenticationError(
          "The server closed the connection before authentication began (too many connections at once?)",
        );
        _refused.add(refused);
        throw refused;
      }
      throw e;
    }
    const helloBytes = _enc.encode(JSON.stringify(hello));
    const mine = randomBytes(32);
    const answer = new Uint8Array(64);
    answer.set(await _hmac(key, challenge, helloBytes));
    answer.set(mine, 32);
    link.send(helloBytes);
    link.send(answer);
    const reply = await next();
    if (
      reply.length !== 34 || _dec.decode(reply.subarray(0, 2)) !== "OK" ||
      !_equal(reply.subarray(2), await _hmac(key, mine))
    ) {
      throw new AuthenticationError("Server failed authentication (wrong authkey?)");
    }
    link.setMaxFrame(MAX_FRAME);
    // Frames the server pipelined after its reply wait in the link for the caller's handler.
    done();
    return link;
  } catch (e) {
    link.close();
    throw e;
  } finally {
    link.release();
  }
}
