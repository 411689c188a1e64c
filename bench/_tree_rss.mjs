// Peak resident memory of a process tree, sampled from /proc by bench/run.mjs while a tree_rss
// program runs: every ~10 ms the VmRSS of the program and all its descendants (found through
// /proc/<pid>/task/<tid>/children) is summed, and the largest sum is kept. Linux only: elsewhere the
// sampler reports nothing and the scenario's value stays what the program printed.
import { readdirSync, readFileSync } from "node:fs";

function vmRssKiB(pid) {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0; // exited between listing and reading
  }
}

function childrenOf(pid) {
  const out = [];
  let tids;
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      for (const c of readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").trim().split(/\s+/)) {
        if (c) out.push(Number(c));
      }
    } catch { /* thread gone */ }
  }
  return out;
}

/** The tree's RSS now, in KiB: `root` and every descendant. */
export function treeRssKiB(root) {
  let total = 0;
  const seen = new Set();
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop();
    if (seen.has(pid)) continue;
    seen.add(pid);
    total += vmRssKiB(pid);
    stack.push(...childrenOf(pid));
  }
  return total;
}

/**
 * Starts sampling the tree under `pid` every `intervalMs`; `stop()` returns the peak in MiB (undefined
 * when nothing could be read, e.g. not Linux).
 */
export function sampleTreeRss(pid, intervalMs = 10) {
  let peak = 0;
  let samples = 0;
  const tick = () => {
    const kib = treeRssKiB(pid);
    if (kib > 0) samples++;
    if (kib > peak) peak = kib;
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return samples ? { peakMiB: peak / 1024, samples } : undefined;
    },
  };
}
