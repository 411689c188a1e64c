/**
 * Values in Redis carry a MAC: Redis is shared infrastructure, so nothing read from it is decoded,
 * let alone run, unless it was written by a holder of the cluster's authkey. A sealed value is the
 * HMAC-SHA256 (32 bytes) of the namespace, the value's purpose (e.g. `task`, `q:jobs`) and the
 * encoded value, followed by the encoded value. Binding the purpose stops an entry signed for one
 * key from being replayed into another.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createHmac, timingSafeEqual } from "node:crypto";
import { decode, encode } from "../channel/codec.ts";
import { AuthenticationError } from "../errors.ts";

const _MAC = 32;

/** Seals and opens the values of one namespace under one authkey. */
export class Sealer {
  #key: Uint8Array;
  #ns: string;

  /**
   * @param key The authkey.
   * @param namespace The cluster's namespace.
   */
  constructor(key: Uint8Array, namespace: string) {
    this.#key = key;
    this.#ns = namespace;
  }

  #mac(purpose: string, body: Uint8Array): Uint8Array {
    return createHmac("sha256", this.#key).update(`${this.#ns}\0${purpose}\0`).update(body).digest();
  }

  /**
   * Encodes and signs a value.
   * @param purpose What the value is for (its key or role).
   * @param value Any value the codec sends.
   * @returns MAC then body (a Buffer: the Redis client sends Buffers as bytes).
   * @throws {TypeError} If the value cannot be sent.
   */
  seal(purpose: string, value: unknown): Uint8Array {
    const body = encode(value);
    const out = Buffer.allocUnsafe(_MAC + body.length);
    out.set(this.#mac(purpose, body), 0);
    out.set(body, _MAC);
    return out;
  }

  /**
   * Checks the MAC, then decodes.
   * @param purpose What the value must have been sealed for.
   * @param bytes What Redis returned.
   * @returns The value.
   * @throws {AuthenticationError} If the bytes were not sealed with this authkey for this purpose.
   */
  open(purpose: string, bytes: unknown): unknown {
    if (!(bytes instanceof Uint8Array) || bytes.length < _MAC) {
      throw new AuthenticationError(`A value for ${purpose} in Redis is not signed with the cluster's authkey`);
    }
    const body = bytes.subarray(_MAC);
    if (!timingSafeEqual(bytes.subarray(0, _MAC), this.#mac(purpose, body))) {
      throw new AuthenticationError(
        `A value for ${purpose} in Redis is not signed with the cluster's authkey (forged, or written with another key)`,
      );
    }
    return decode(body);
  }
}
