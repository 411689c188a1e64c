/**
 * A Lua script run by its SHA (`EVALSHA`), sent in full (`EVAL`) only when the server does not know
 * it yet or lost it (a restart). The named primitives use scripts where a method must be atomic
 * (a bounded put, a fenced write, a list insert at an index, a lease).
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { RedisClient } from "./client.ts";

/** One Lua script. */
export class Script {
  readonly #lua: string;
  readonly #sha: string;
  readonly #keys: number;

  /**
   * @param lua The script body.
   * @param keys How many of the arguments are keys (they come first).
   */
  constructor(lua: string, keys: number) {
    this.#lua = lua;
    this.#sha = createHash("sha1").update(lua).digest("hex");
    this.#keys = keys;
  }

  /**
   * Runs the script.
   * @param client The connection.
   * @param args The keys, then the arguments (Buffers travel as bytes).
   * @param binary Replies as Buffers rather than strings.
   * @returns The script's reply.
   * @throws {Error} The script's error reply (`redis.error_reply`), or a connection error.
   */
  async run(client: RedisClient, args: (string | number | Uint8Array)[], binary = false): Promise<unknown> {
    const send = binary ? client.callBuffer : client.call;
    try {
      return await send.call(client, "EVALSHA", this.#sha, this.#keys, ...args);
    } catch (e) {
      if (!/NOSCRIPT/.test((e as Error)?.message ?? "")) throw e;
      return await send.call(client, "EVAL", this.#lua, this.#keys, ...args);
    }
  }
}
