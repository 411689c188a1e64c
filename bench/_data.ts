// Payloads and the size curve shared by the data scenarios (data_in, data_roundtrip, data_size); the
// JS pools' driver (bench/peers/js_pool.mjs) and bench/python/peer.py use the same numbers.
import { sized } from "./_util.ts";

/** Bytes in a MiB. */
export const MiB: number = 1 << 20;

/** `count` payloads of `size` bytes, written every 512 bytes so every page is really there. */
export function payloads(count: number, size: number): Uint8Array[] {
  return Array.from({ length: count }, () => {
    const u8 = new Uint8Array(size);
    for (let i = 0; i < size; i += 512) u8[i] = i & 255;
    return u8;
  });
}

/** The size curve: 1 KiB … 64 MiB by powers of 4, ≤ 16 MiB of messages a size (2 to 1000 messages). */
export function sizeSteps(): { size: number; count: number }[] {
  const sizes = sized(
    [1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, MiB, 4 * MiB, 16 * MiB, 64 * MiB],
    [1 << 10, 64 << 10, 4 * MiB],
  );
  const budget = sized(16, 4) * MiB;
  return sizes.map((size) => ({ size, count: Math.min(1000, Math.max(2, Math.ceil(budget / size))) }));
}
