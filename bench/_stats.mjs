// Sample statistics for the bench runner: median with min–max spread, and per-round paired ratios.

/** Median of a non-empty list of numbers. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Median, min, max and count of the numbers in `xs` (holes and non-finite values, i.e. failed
 * rounds, are left out); undefined when there are none.
 */
export function spread(xs) {
  const ok = xs.filter((x) => typeof x === "number" && Number.isFinite(x));
  if (!ok.length) return undefined;
  return { n: ok.length, median: median(ok), min: Math.min(...ok), max: Math.max(...ok) };
}

/**
 * Ratio of `ours` to `theirs` oriented so that > 1 means `ours` is better:
 * ours/theirs when higher is better, theirs/ours when lower is better.
 */
export function betterRatio(ours, theirs, higherIsBetter) {
  if (!Number.isFinite(ours) || !Number.isFinite(theirs) || ours <= 0 || theirs <= 0) return undefined;
  return higherIsBetter ? ours / theirs : theirs / ours;
}

/**
 * The ratio of two systems round by round: the runner runs every system once per round, back to back,
 * so a round's two samples saw the same machine load. Rounds where either failed are left out.
 * @param {(number|undefined)[]} ours samples by round
 * @param {(number|undefined)[]} theirs samples by round, already in `ours`' unit
 */
export function pairedRatios(ours, theirs, higherIsBetter) {
  const out = [];
  for (let i = 0; i < Math.min(ours.length, theirs.length); i++) {
    const r = ours[i] === undefined || theirs[i] === undefined
      ? undefined
      : betterRatio(ours[i], theirs[i], higherIsBetter);
    out.push(r);
  }
  return out;
}
