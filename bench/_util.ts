// Shared helpers for bench scenarios: sizes, medians, and printing the one JSON line the runner reads.
import process from "node:process";

/**
 * True when the runner asked for the quick profile (`npm run bench -- --quick` sets BENCH_QUICK=1):
 * every scenario keeps its shape and drops its sizes, as bench/python/peer.py does under the same flag.
 */
export const QUICK: boolean = process.env.BENCH_QUICK === "1";

/** `full` in a normal run, `quick` under BENCH_QUICK=1. */
export function sized<T>(full: T, quick: T): T {
  return QUICK ? quick : full;
}

/** Median of a list of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Prints the result line for bench/run.mjs. */
export function report(result: {
  scenario: string;
  metric: string;
  value: number;
  unit: string;
  higherIsBetter: boolean;
  extra?: Record<string, unknown>;
  peers?: Record<string, number>;
  byWorkers?: Record<string, number>;
  bySize?: Record<string, number>;
}): void {
  process.stdout.write(JSON.stringify(result) + "\n");
}
