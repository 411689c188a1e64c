// Formatting shared by the bench runner: numbers, ratios, units and the Markdown report.
// Plain JavaScript so it runs on any Node >= 20 without a TypeScript step.

import { KIND_SCENARIOS } from "./_systems.mjs";

const TIME_UNITS = { ns: 1e-9, "µs": 1e-6, "μs": 1e-6, us: 1e-6, ms: 1e-3, s: 1 };
const LOWER_IS_BETTER = /^(ns|µs|μs|us|ms|s)(\/op)?$/;

/** Whether a unit is one where smaller numbers are better (time per operation). */
export function lowerIsBetterUnit(unit) {
  return LOWER_IS_BETTER.test(String(unit ?? "").trim());
}

/**
 * Converts `value` from unit `from` to unit `to` when both are time units
 * (optionally with the same "/op"-style suffix); returns undefined when they cannot be compared.
 */
export function convertUnit(value, from, to) {
  if (from === to) return value;
  const split = (u) => {
    const m = /^([^/]+)(\/.*)?$/.exec(String(u ?? "").trim());
    return m ? [m[1], m[2] ?? ""] : [u, ""];
  };
  const [fb, fs] = split(from);
  const [tb, ts] = split(to);
  if (fs !== ts || !(fb in TIME_UNITS) || !(tb in TIME_UNITS)) return undefined;
  return (value * TIME_UNITS[fb]) / TIME_UNITS[tb];
}

/** A number in at most ~4 characters of precision: 0.523, 86.7, 1,213, 169k, 4.15M. */
export function formatNumber(value) {
  if (value === undefined || value === null || Number.isNaN(value)) return "—";
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1e5) {
    const [div, suffix] = abs >= 1e9 ? [1e9, "G"] : abs >= 1e6 ? [1e6, "M"] : [1e3, "k"];
    return `${Number((value / div).toPrecision(3))}${suffix}`;
  }
  if (abs >= 1000) return Math.round(value).toLocaleString("en-US");
  if (abs === 0) return "0";
  return String(Number(value.toPrecision(3)));
}

/**
 * "4.1–4.52M", "100–200k", "557k–1.03M": a k/M/G shared by both ends is written once, and a lower
 * end too small for one of its own takes the upper end's.
 */
export function formatRange(min, max) {
  const a = formatNumber(min), b = formatNumber(max);
  const sa = /[kMG]$/.exec(a)?.[0], sb = /[kMG]$/.exec(b)?.[0];
  if (sa && sa === sb) return `${a.slice(0, -1)}–${b}`;
  if (!sa && sb && Number.isFinite(min)) return `${Number((min / { k: 1e3, M: 1e6, G: 1e9 }[sb]).toPrecision(3))}–${b}`;
  return `${a}–${b}`;
}

/** A byte count as "1 KiB", "256 KiB", "4 MiB". */
export function formatBytes(n) {
  for (const [div, unit] of [[1 << 30, "GiB"], [1 << 20, "MiB"], [1 << 10, "KiB"]]) {
    if (n >= div) return `${Number((n / div).toPrecision(3))} ${unit}`;
  }
  return `${n} B`;
}

/** A ratio as "1.52×", or "—" when there is none. */
export function formatRatio(ratio) {
  if (ratio === undefined || !Number.isFinite(ratio)) return "—";
  return `${ratio >= 100 ? ratio.toFixed(0) : ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}×`;
}

/** A ratio spread as "1.21× (1.10–1.30)". */
export function formatRatioSpread(s) {
  if (!s) return "—";
  const bare = (r) => formatRatio(r).slice(0, -1);
  return s.n > 1 ? `${formatRatio(s.median)} (${bare(s.min)}–${bare(s.max)})` : formatRatio(s.median);
}

/** A sample spread as "4.33M (4.1–4.52M)", marked with the count of good rounds when some failed. */
export function formatSpread(s, rounds) {
  if (!s) return "—";
  const core = s.n > 1 ? `${formatNumber(s.median)} (${formatRange(s.min, s.max)})` : formatNumber(s.median);
  return s.n < rounds ? `${core} [${s.n}/${rounds}]` : core;
}

function escapeCell(text) {
  return String(text).replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** A GitHub-flavoured Markdown table; `align` holds "l" or "r" per column. */
export function markdownTable(headers, rows, align = []) {
  const line = (cells) => `| ${cells.map(escapeCell).join(" | ")} |`;
  const rule = headers.map((_, i) => (align[i] === "r" ? "---:" : "---"));
  return [line(headers), `|${rule.join("|")}|`, ...rows.map(line)].join("\n");
}

/** One line saying how the samples were taken, for the Markdown report and the chart. */
export function samplingLine(report) {
  const names = report.systems.map((s) => s.name);
  const base = report.systems.filter((s) => !s.pool && !s.kind).map((s) => s.name);
  const threads = report.systems.filter((s) => s.kind).length;
  const pools = report.systems.filter((s) => s.pool).length;
  const order = names.length > 7
    ? [
      base.join(", "),
      ...(threads ? [`${threads} thread system${threads > 1 ? "s" : ""}`] : []),
      ...(pools ? [`${pools} JS pool${pools > 1 ? "s" : ""}`] : []),
    ].join(", ")
    : names.join(", ");
  const warm = report.warmup
    ? ` after ${report.warmup} discarded warm-up round${report.warmup > 1 ? "s" : ""}`
    : ", no warm-up round";
  return `${report.rounds} round${
    report.rounds > 1 ? "s" : ""
  }${warm}; each round runs every system once (${order}); ` +
    `median (min–max) over rounds`;
}

/**
 * Renders the whole report (title, host line, table, legend, peers, failures) from the runner's report.
 * One row per entry (a scenario, or a scenario at one worker count): median (min–max) per system, then
 * the ratio to the reference system (Python) per other system.
 */
export function renderMarkdown(report) {
  const main = report.systems.filter((s) => !s.pool && !s.kind);
  const pools = report.systems.filter((s) => s.pool).map((s) => s.name);
  const names = main.map((s) => s.name);
  const ref = report.reference;
  const others = main.filter((s) => s.multiproc).map((s) => s.name);
  const vsPool = others.filter((r) => report.entries.some((e) => e.poolRatios?.[r]));
  const headers = ["scenario", "unit", ...names];
  const align = ["l", "l", ...names.map(() => "r")];
  if (ref) { for (const r of others) headers.push(`${r} vs ${shortName(ref)}`), align.push("r"); }
  for (const r of vsPool) headers.push(`${r} vs best JS pool`), align.push("r");
  const rows = report.entries.filter((e) => !KIND_SCENARIOS.includes(e.scenario)).map((e) => {
    const row = [e.label, e.unit ?? "—", ...names.map((r) => cellFor(e, r, report))];
    if (ref) { for (const r of others) row.push(formatRatioSpread(e.ratios[r])); }
    for (const r of vsPool) row.push(formatRatioSpread(e.poolRatios?.[r]));
    return row;
  });

  const out = [];
  out.push(`# multiproc benchmarks${report.quick ? " (quick run)" : ""}`, "");
  out.push(
    `${report.date} — ${report.host.platform} ${report.host.arch}, ${report.host.cpus} CPUs` +
      (report.host.cpuModel ? ` (${report.host.cpuModel})` : ""),
    "",
  );
  const versions = Object.entries(report.versions).map(([k, v]) => `${k} ${v}`).join(", ");
  if (versions) out.push(`Runtimes: ${versions}.`, "");
  out.push(`Sampling: ${samplingLine(report)}.`, "");
  if (report.quick) {
    out.push(
      `**Quick run** (\`npm run bench -- --quick\`): smaller sizes and fewer rounds, to check the bench works; ` +
        `not numbers to quote.`,
      "",
    );
  }
  out.push(markdownTable(headers, rows, align), "");
  if (vsPool.length) {
    out.push(
      "`vs best JS pool` compares with the fastest of piscina, tinypool and workerpool on the same runtime, round " +
        "by round (their copying figure for the data scenarios), oriented the same way (> 1: multiproc is better).",
      "",
    );
  }
  if (ref) {
    out.push(
      `\`vs ${shortName(ref)}\` compares with Python's multiprocessing (spawn start method) and is oriented so that ` +
        "**> 1 means multiproc is better**: multiproc ÷ Python for higher-is-better metrics (throughput, speedup), " +
        "Python ÷ multiproc for lower-is-better ones (latency, time). It is the median of the per-round ratios " +
        "(each round runs both back to back, under the same machine load), with their min–max.",
    );
  }
  if (pools.length) out.push("", ...poolTable(report, pools));
  out.push(...threadTable(report));
  const samples = cpuSamples(report, report.systems.filter((s) => !s.pool).map((s) => s.name));
  if (samples.length) out.push("", "cpu_bound, every sample (round by round):", "", ...samples);
  const peerLines = [];
  const withThreads = report.systems.filter((s) => !s.pool).map((s) => s.name);
  for (const e of report.entries) {
    for (const [p, bySystem] of Object.entries(e.peers ?? {})) {
      const sys = withThreads.filter((r) => bySystem[r]);
      if (!sys.length) continue;
      // tree_rss's peers are other quantities (one idle worker, an empty program): no ratio.
      const ratio = e.scenario === "tree_rss"
        ? ""
        : `; multiproc vs ${p}: ${sys.map((r) => formatRatio(e.peerRatios?.[p]?.[r]?.median)).join(" / ")}`;
      peerLines.push(
        `- \`${e.label}\` ${p} (${sys.join(" / ")}): ${sys.map((r) => formatNumber(bySystem[r].median)).join(" / ")} ` +
          `${e.unit ?? ""}${ratio}`,
      );
    }
  }
  if (peerLines.length) {
    out.push(
      "",
      "Peers measured by the scenario itself in the same program, without multiproc (`raw`: the runtime's own " +
        "spawn of an empty script — its start of a worker thread on one for the thread systems — or a bare Unix " +
        "socket round trip; tree_rss: one idle worker's RSS, and the " +
        "runtime's RSS running an empty program; lock_uncontended: two awaited resolved promises and a CAS), " +
        "medians over rounds:",
      "",
      ...peerLines,
    );
  }
  if (report.targets?.length) out.push("", ...targetLines(report));
  if (report.failures.length) {
    out.push(
      "",
      "Failures:",
      "",
      ...report.failures.map((f) => `- ${f.scenario} on ${f.system}, round ${f.round}: ${f.error}`),
    );
  }
  return out.join("\n") + "\n";
}

/** The JS pools' table: their median (min–max) per entry they ran, and their transfer-list figure. */
function poolTable(report, pools) {
  const rows = [];
  for (const e of report.entries) {
    if (!pools.some((p) => e.stats[p] || e.status?.[p])) continue;
    rows.push([e.label, e.unit ?? "—", ...pools.map((p) => cellFor(e, p, report))]);
    const transfer = e.peers?.transfer;
    if (transfer && pools.some((p) => transfer[p])) {
      rows.push([
        `${e.label} + transfer`,
        e.unit ?? "—",
        ...pools.map((p) => formatSpread(transfer[p], report.rounds)),
      ]);
    }
  }
  if (!rows.length) return [];
  return [
    "JavaScript thread pools (bench/peers/js_pool.mjs; `<pool>@<runtime>` off Node), 2 workers, median (min–max). " +
    "They copy unless the row says `+ transfer` (the same payloads handed over with transfer lists):",
    "",
    markdownTable(["scenario", "unit", ...pools], rows, ["l", "l", ...pools.map(() => "r")]),
  ];
}

/** The runtimes of the thread systems in the report, in its order (node, deno, bun, python). */
function threadRuntimes(report) {
  return report.systems.filter((s) => s.kind === "thread").map((s) => ({
    runtime: s.runtime,
    threads: s.name,
    processes: report.systems.find((p) => p.runtime === s.runtime && !p.kind && !p.pool)?.name,
    pools: report.systems.filter((p) => p.pool && p.runtime === s.runtime).map((p) => p.name),
  }));
}

/** The JS pool with the best median in `stats` among `pools`, as "piscina 152k", or "—". */
function bestPool(stats, pools, higherIsBetter) {
  const ran = pools.filter((p) => stats?.[p]);
  if (!ran.length) return "—";
  const best = ran.reduce((a, b) =>
    (higherIsBetter ? stats[b].median > stats[a].median : stats[b].median < stats[a].median) ? b : a
  );
  return `${best.split("@")[0]} ${formatNumber(stats[best].median)}`;
}

/**
 * The Threads table: per scenario with a thread twin and per runtime, multiproc's threads against its
 * processes and against the best JS pool of that runtime (each the median of round-by-round ratios),
 * and Python's threading against its multiprocessing. data_size shows its 4 MiB point (the chart has
 * the curve); data_in and data_roundtrip get a "+ transfer" row when anyone moved the payloads.
 */
function threadTable(report) {
  const kinds = threadRuntimes(report);
  if (!kinds.length) return [];
  const rows = [];
  const shown = report.entries.filter((e) =>
    (!e.size || e.size === 4 << 20) && kinds.some((k) => e.stats[k.threads] || e.status?.[k.threads])
  );
  for (const e of shown) {
    for (const k of kinds) {
      if (!e.samples[k.threads]) continue; // the thread system has no twin of this scenario
      rows.push([
        e.label,
        k.runtime,
        e.unit ?? "—",
        cellFor(e, k.threads, report),
        k.processes ? cellFor(e, k.processes, report) : "—",
        formatRatioSpread(e.kindRatios?.[k.threads]),
        bestPool(e.stats, k.pools, e.higherIsBetter),
        formatRatioSpread(e.poolRatios?.[k.threads]),
      ]);
    }
    const transfer = e.peers?.transfer;
    if (!transfer || !/^data_(in|roundtrip)$/.test(e.scenario)) continue;
    for (const k of kinds.filter((x) => transfer[x.threads] || x.pools.some((p) => transfer[p]))) {
      rows.push([
        `${e.label} + transfer`,
        k.runtime,
        e.unit ?? "—",
        formatSpread(transfer[k.threads], report.rounds),
        "—",
        "—",
        bestPool(transfer, k.pools, e.higherIsBetter),
        formatRatioSpread(e.transferPoolRatios?.[k.threads]),
      ]);
    }
  }
  if (!rows.length) return [];
  return [
    "",
    "## Threads",
    "",
    "Threads against processes, and against the JS thread pools, per runtime: multiproc's `Thread` / " +
    "`ThreadPool(2)` (the `<runtime>-threads` systems) beside its `Process` / `Pool(2)`, and Python's " +
    "`threading` / `multiprocessing.pool.ThreadPool` beside its `multiprocessing`, median (min–max). " +
    "`threads vs processes` and `vs best JS pool` are medians (min–max) of the round-by-round ratios, " +
    "> 1: the threads are better. thread_start, threads_100, queue_threads and lock_threads run the " +
    "same program with each kind (their process figure is spawn's, scale's, queue_throughput's and " +
    "lock_contended's work).",
    "",
    markdownTable(
      [
        "scenario",
        "runtime",
        "unit",
        "threads",
        "processes",
        "threads vs processes",
        "best JS pool",
        "vs best JS pool",
      ],
      rows,
      ["l", "l", "l", "r", "r", "r", "r", "r"],
    ),
  ];
}

/** Every cpu_bound sample at each worker count, per system: its target holds for every one. */
function cpuSamples(report, names) {
  const out = [];
  for (const e of report.entries.filter((x) => x.scenario === "cpu_bound" && x.workers)) {
    const parts = names.filter((n) => e.samples[n])
      .map((n) => `${n} ${e.samples[n].map((v) => (v === undefined ? "✗" : v.toFixed(2))).join(", ")}`);
    if (parts.length) out.push(`- ${e.label}: ${parts.join("; ")}`);
  }
  return out;
}

/** The Targets section: one line per target, met / missed per runtime with the measured value. */
function targetLines(report) {
  const out = ["## Targets", "", "The issues' targets, on this run's medians (✅ met, ❌ missed, — not measured):"];
  const skipped = [];
  let issue = null;
  for (const t of report.targets) {
    const results = Object.entries(t.results);
    if (!results.some(([, r]) => r)) {
      skipped.push(t.text);
      continue;
    }
    if (t.issue !== issue) out.push("", `Issue ${t.issue ?? 10}:`, "");
    issue = t.issue;
    const parts = results.map(([rt, r]) => (r ? `${rt} ${r.met ? "✅" : "❌"} ${r.measured}` : `${rt} —`));
    out.push(`- ${t.text}: ${parts.join(" · ")}`);
  }
  if (skipped.length) out.push("", `Not measured in this run: ${skipped.join("; ")}.`);
  if (report.unmeasuredTargets?.length) {
    out.push("", `Not measured by the bench yet: ${report.unmeasuredTargets.join("; ")}.`);
  }
  return out;
}

function shortName(name) {
  return name === "python" ? "py" : name;
}

function cellFor(entry, system, report) {
  const st = entry.stats[system];
  if (st) return formatSpread(st, report.rounds);
  const why = entry.status?.[system];
  return why === "failed" ? "error" : why === "timeout" ? "timeout" : "—";
}
