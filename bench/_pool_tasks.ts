// Child-side functions for the pool benchmarks (the same as bench/python/peer.py's).
import process from "node:process";

export function noop(..._args: unknown[]): null {
  return null;
}

export function identity<T>(x: T): T {
  return x;
}

export function countLoop(n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += 1;
  return sum;
}

/** Sleeps 1 ms so that one worker cannot take both tasks, then returns its pid. */
export async function pidAfterMs(_x: unknown): Promise<number> {
  await new Promise((r) => setTimeout(r, 1));
  return process.pid;
}
