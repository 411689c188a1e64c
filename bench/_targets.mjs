// The targets of issues 10 (processes) and 11 (threads), checked against a run's report: each is met,
// missed, or not measured in this run (its scenario or system was not run). bench/_table.mjs prints
// them as the "Targets" section of the report. Medians throughout, except issue 10's cpu_bound target,
// which holds for every sample. Issue 11's are about the `<runtime>-threads` systems: against the JS
// pools of the same runtime and against the runtime's processes, as ratios taken round by round.

import { formatNumber, formatRatio } from "./_table.mjs";

const RUNTIMES = ["node", "deno", "bun"];

function entry(report, id) {
  return report.entries.find((e) => e.id === id);
}

/** The median of multiproc on `rt` over `other` system's samples, paired round by round (> 1: multiproc better). */
function pairedVs(e, rt, other) {
  const a = e?.samples?.[rt], b = e?.samples?.[other];
  if (!a || !b) return undefined;
  const rs = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] > 0 && b[i] > 0) rs.push(e.higherIsBetter ? a[i] / b[i] : b[i] / a[i]);
  }
  if (!rs.length) return undefined;
  rs.sort((x, y) => x - y);
  const m = rs.length >> 1;
  return rs.length % 2 ? rs[m] : (rs[m - 1] + rs[m]) / 2;
}

/** The piscina system on runtime `rt` ("piscina" on Node, "piscina@deno" elsewhere). */
function piscinaOn(rt) {
  return rt === "node" ? "piscina" : `piscina@${rt}`;
}

/** The thread system of runtime `rt`. */
function threads(rt) {
  return `${rt}-threads`;
}

/**
 * Several checks as one target (data_in and data_roundtrip): met when every measured one is,
 * undefined when none is measured.
 * @param {[string, { measured: string, met: boolean } | undefined][]} parts label and result
 */
function allOf(parts) {
  const got = parts.filter(([, r]) => r);
  if (!got.length) return undefined;
  return { measured: got.map(([label, r]) => `${label} ${r.measured}`).join(", "), met: got.every(([, r]) => r.met) };
}

/** Issue 10's targets: multiproc's processes. */
const ISSUE_10 = [
  {
    text: "data_roundtrip ≥ 1500 MB/s (4 MiB both ways)",
    check: (r, rt) => atLeast(entry(r, "data_roundtrip")?.stats[rt]?.median, 1500, " MB/s"),
  },
  {
    text: "data_in ≥ 1500 MB/s",
    check: (r, rt) => atLeast(entry(r, "data_in")?.stats[rt]?.median, 1500, " MB/s"),
  },
  {
    text: "data_roundtrip ≥ 3× Python",
    check: (r, rt) => atLeast(entry(r, "data_roundtrip")?.ratios[rt]?.median, 3, "×"),
  },
  {
    text: "data_roundtrip ≥ the best JS pool copying",
    check: (r, rt) => atLeast(entry(r, "data_roundtrip")?.poolRatios?.[rt]?.median, 1, "×"),
  },
  { text: "map ≥ 10M items/s", check: (r, rt) => atLeast(entry(r, "map")?.stats[rt]?.median, 10e6, " items/s") },
  { text: "map ≥ 1.5× Python", check: (r, rt) => atLeast(entry(r, "map")?.ratios[rt]?.median, 1.5, "×") },
  {
    text: "map ≥ the best hand-chunked JS pool",
    check: (r, rt) => atLeast(entry(r, "map")?.poolRatios?.[rt]?.median, 1, "×"),
  },
  { text: "dispatch ≥ 2× Python", check: (r, rt) => atLeast(entry(r, "dispatch")?.ratios[rt]?.median, 2, "×") },
  {
    text: "dispatch ≥ 2× piscina (same runtime)",
    check: (r, rt) => atLeast(pairedVs(entry(r, "dispatch"), rt, piscinaOn(rt)), 2, "×"),
  },
  {
    text: "pool_start ≤ 100 ms on Node, ≤ 60 ms on Deno and Bun (cold)",
    check: (r, rt) => atMost(entry(r, "pool_start")?.stats[rt]?.median, rt === "node" ? 100 : 60, " ms"),
  },
  {
    text: "spawn: Process start+join ≤ 1.5× the raw empty-script spawn",
    check: (r, rt) => {
      const e = entry(r, "spawn");
      const ours = e?.stats[rt]?.median, raw = e?.peers?.raw?.[rt]?.median;
      return ours && raw ? atMost(ours / raw, 1.5, "× raw") : undefined;
    },
  },
  {
    text: "tree_rss during dispatch ≤ 180 MiB (Node)",
    runtimes: ["node"],
    check: (r, rt) => atMost(entry(r, "tree_rss")?.stats[rt]?.median, 180, " MiB"),
  },
  {
    text: "idle worker RSS ≤ the runtime's empty-script RSS + 20 MiB",
    check: (r, rt) => {
      const e = entry(r, "tree_rss");
      const idle = e?.peers?.["idle worker"]?.[rt]?.median, empty = e?.peers?.["empty script"]?.[rt]?.median;
      return idle && empty ? atMost(idle - empty, 20, " MiB over empty") : undefined;
    },
  },
  {
    text: "cpu_bound, 2 workers: every sample ≥ 1.85×",
    check: (r, rt) => atLeast(entry(r, "cpu_bound/2")?.stats[rt]?.min, 1.85, "× (lowest sample)"),
  },
  {
    text: "cpu_bound on all N cores ≥ 0.9 × N",
    check: (r, rt) => atLeast(entry(r, `cpu_bound/${r.host.cpus}`)?.stats[rt]?.median, 0.9 * r.host.cpus, "×"),
  },
  {
    text: "pipe_rtt ≤ 1.1× the raw Unix-socket round trip",
    check: (r, rt) => {
      const e = entry(r, "pipe_rtt");
      const ours = e?.stats[rt]?.median, raw = e?.peers?.raw?.[rt]?.median;
      return ours && raw ? atMost(ours / raw, 1.1, "× raw") : undefined;
    },
  },
  {
    text: "lock_uncontended: await acquire(); await release() ≤ 1.2× two awaited resolved promises + a CAS",
    check: (r, rt) => {
      const e = entry(r, "lock_uncontended");
      const ours = e?.stats[rt]?.median, floor = e?.peers?.["promises+CAS"]?.[rt]?.median;
      return ours && floor ? atMost(ours / floor, 1.2, "× the floor") : undefined;
    },
  },
  {
    text: "scale: starting 100 processes ≤ Python's time (opt-in scenario)",
    check: (r, rt) => atLeast(entry(r, "scale")?.ratios[rt]?.median, 1, "× Python"),
  },
  {
    text: "manager_dict ≥ 1.5× Python",
    check: (r, rt) => atLeast(entry(r, "manager_dict")?.ratios[rt]?.median, 1.5, "×"),
  },
];

/** Issue 11's targets: multiproc's threads (Thread, ThreadPool). */
const ISSUE_11 = [
  {
    text: "Thread start+join of an empty target ≤ 15 ms on Node, ≤ 10 ms on Deno and Bun",
    check: (r, rt) => atMost(entry(r, "thread_start")?.stats[threads(rt)]?.median, rt === "node" ? 15 : 10, " ms"),
  },
  {
    text: "100 threads started and joined (seed 003) in ≤ 1/5 of 100 processes' time",
    check: (r, rt) => atLeast(entry(r, "threads_100")?.kindRatios?.[threads(rt)]?.median, 5, "× faster"),
  },
  {
    text: "ThreadPool(2) dispatch ≥ 2× the best JS pool",
    check: (r, rt) => atLeast(entry(r, "dispatch")?.poolRatios?.[threads(rt)]?.median, 2, "×"),
  },
  {
    text: "ThreadPool(2) map ≥ the best hand-chunked JS pool",
    check: (r, rt) => atLeast(entry(r, "map")?.poolRatios?.[threads(rt)]?.median, 1, "×"),
  },
  {
    text: "ThreadPool(2) 4 MiB payloads with transfer ≥ the best JS pool with transfer lists",
    check: (r, rt) =>
      allOf(["data_in", "data_roundtrip"].map((id) => [
        id,
        atLeast(entry(r, id)?.transferPoolRatios?.[threads(rt)]?.median, 1, "×"),
      ])),
  },
  {
    text: "ThreadPool(2) 4 MiB payloads without transfer ≥ the best JS pool copying",
    check: (r, rt) =>
      allOf(["data_in", "data_roundtrip"].map((id) => [
        id,
        atLeast(entry(r, id)?.poolRatios?.[threads(rt)]?.median, 1, "×"),
      ])),
  },
  {
    text: "ThreadPool(2) startup ≤ the best JS pool",
    check: (r, rt) => atLeast(entry(r, "pool_start")?.poolRatios?.[threads(rt)]?.median, 1, "×"),
  },
  {
    text: "ThreadPool(2) tree RSS during dispatch ≤ the best JS pool",
    check: (r, rt) => atLeast(entry(r, "tree_rss")?.poolRatios?.[threads(rt)]?.median, 1, "×"),
  },
  {
    text: "Queue between two threads ≥ 1M small items/s",
    check: (r, rt) => atLeast(entry(r, "queue_threads")?.stats[threads(rt)]?.median, 1e6, " items/s"),
  },
  {
    text: "Lock between threads costs what it costs between processes (lock_threads ≥ 0.9× processes' ops/s)",
    check: (r, rt) => atLeast(entry(r, "lock_threads")?.kindRatios?.[threads(rt)]?.median, 0.9, "× processes"),
  },
  {
    text: "cpu_bound on 2 threads: speedup ≥ 1.85",
    check: (r, rt) => atLeast(entry(r, "cpu_bound/2")?.stats[threads(rt)]?.median, 1.85, "×"),
  },
];

/**
 * Each target as a function of (report, runtime) → { measured, met } or undefined (not measured).
 * `runtimes` lists where it applies; `issue` is the issue that set it.
 */
export const TARGETS = [
  ...ISSUE_10.map((t) => ({ ...t, issue: 10 })),
  ...ISSUE_11.map((t) => ({ ...t, issue: 11 })),
];

/** Targets the bench does not measure yet, listed so the section shows the whole issue. */
export const UNMEASURED = [
  "sibling pipe round trip ≤ 1.1× raw (pipe_rtt measures parent↔child only)",
];

function show(v, unit) {
  return unit.startsWith("×") ? `${formatRatio(v)}${unit.slice(1)}` : `${formatNumber(v)}${unit}`;
}

function atLeast(v, bound, unit) {
  return v === undefined || !Number.isFinite(v) ? undefined : { measured: show(v, unit), met: v >= bound };
}

function atMost(v, bound, unit) {
  return v === undefined || !Number.isFinite(v) ? undefined : { measured: show(v, unit), met: v <= bound };
}

/**
 * Every target on every runtime it applies to that this report ran.
 * @returns {{ issue: number, text: string, results: Record<string, { measured: string, met: boolean } | null> }[]}
 */
export function evaluateTargets(report) {
  const ran = RUNTIMES.filter((rt) => report.systems.some((s) => s.name === rt || s.name === threads(rt)));
  return TARGETS.map((t) => ({
    issue: t.issue,
    text: t.text,
    results: Object.fromEntries(
      ran.filter((rt) => !t.runtimes || t.runtimes.includes(rt)).map((rt) => [rt, t.check(report, rt) ?? null]),
    ),
  }));
}
