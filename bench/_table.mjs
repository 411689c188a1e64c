// Formatting shared by the bench runner: numbers, ratios, units and the Markdown report.
// Plain JavaScript so it runs on any Node >= 20 without a TypeScript step.

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

/**
 * Ratio of `ours` to `theirs` oriented so that > 1 means `ours` is better:
 * ours/theirs when higher is better, theirs/ours when lower is better.
 */
export function betterRatio(ours, theirs, higherIsBetter) {
  if (!Number.isFinite(ours) || !Number.isFinite(theirs) || ours <= 0 || theirs <= 0) return undefined;
  return higherIsBetter ? ours / theirs : theirs / ours;
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

/** A ratio as "1.52×", or "—" when there is none. */
export function formatRatio(ratio) {
  if (ratio === undefined || !Number.isFinite(ratio)) return "—";
  return `${ratio >= 100 ? ratio.toFixed(0) : ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}×`;
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

function cellFor(result) {
  if (!result) return "—";
  if (result.skipped) return "—";
  if (result.error) return result.timedOut ? "timeout" : "error";
  return formatNumber(result.value);
}

/**
 * Renders the whole report (title, host line, table, legend, errors) from the runner's results object.
 * The table has one row per scenario: value per runtime and for Python, then the ratio to Python per
 * runtime, then, when any scenario reports `peers`, one value column and one ratio column per peer name.
 */
export function renderMarkdown(report) {
  const runtimes = report.runtimes;
  const peerNames = [...new Set(report.scenarios.flatMap((s) =>
    Object.values(s.results).flatMap((r) => Object.keys(r?.peers ?? {}))
  ))].sort();
  const headers = ["scenario", "metric", "unit", ...runtimes];
  const align = ["l", "l", "l", ...runtimes.map(() => "r")];
  const ts = runtimes.filter((r) => r !== "python");
  if (runtimes.includes("python")) {
    for (const r of ts) { headers.push(`${r} vs py`); align.push("r"); }
  }
  for (const p of peerNames) {
    headers.push(`${p} (${ts.join("/")})`, `vs ${p}`);
    align.push("r", "r");
  }
  const rows = report.scenarios.map((s) => {
    const row = [s.scenario, s.metric ?? "—", s.unit ?? "—", ...runtimes.map((r) => cellFor(s.results[r]))];
    if (runtimes.includes("python")) {
      for (const r of ts) row.push(formatRatio(s.ratios?.[r]));
    }
    for (const p of peerNames) {
      row.push(ts.map((r) => formatNumber(s.results[r]?.peers?.[p])).join(" / "));
      row.push(ts.map((r) => formatRatio(s.peerRatios?.[r]?.[p])).join(" / "));
    }
    return row;
  });

  const out = [];
  out.push(`# multiproc benchmarks`, "");
  out.push(`${report.date} — ${report.host.platform} ${report.host.arch}, ${report.host.cpus} CPUs` +
    (report.host.cpuModel ? ` (${report.host.cpuModel})` : ""), "");
  const versions = Object.entries(report.versions).map(([k, v]) => `${k} ${v}`).join(", ");
  if (versions) out.push(`Runtimes: ${versions}.`, "");
  out.push(markdownTable(headers, rows, align), "");
  out.push(
    "Ratios are oriented so that **> 1 means multiproc is better**: multiproc ÷ other for " +
      "higher-is-better metrics (throughput), other ÷ multiproc for lower-is-better ones (latency, time). " +
      "`vs py` compares with Python's multiprocessing (spawn start method) measured in the same run.",
  );
  if (peerNames.length) {
    out.push("");
    out.push(
      `Peer columns (${peerNames.map((p) => `\`${p}\``).join(", ")}) are what the scenario itself measured ` +
        `without multiproc on each runtime (e.g. \`raw\`: the runtime's own spawn of an empty script), ` +
        `listed ${ts.join(" / ")}; \`vs\` is multiproc against that peer, same orientation.`,
    );
  }
  const problems = report.scenarios.flatMap((s) =>
    Object.entries(s.results).filter(([, r]) => r?.error).map(([r, res]) => `- ${s.scenario} on ${r}: ${res.error}`)
  );
  if (problems.length) out.push("", "Failures:", "", ...problems);
  return out.join("\n") + "\n";
}
