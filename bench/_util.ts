// Shared helpers for bench scenarios: medians, timing, and printing the one JSON line the runner reads.
import process from "node:process";

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
}): void {
  process.stdout.write(JSON.stringify(result) + "\n");
}
