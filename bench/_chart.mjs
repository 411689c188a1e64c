// The benchmark chart: one self-contained SVG (no script, no external font or image), drawn from the
// runner's report. First panel: cpu_bound speedup against worker count per system, median and min–max.
// Second: data_size's round-trip MB/s against payload size (log-log). Last: every scenario's ratio to
// the reference system (Python), median and min–max of the per-round ratios, on a log scale centred
// on 1×, then (when the thread systems ran) each scenario's threads ÷ processes per runtime. The curves
// show multiproc, Python and the JS pools on Node (the pools on Deno and Bun are in the table), so the
// chart stays readable; a thread system is drawn dashed in its runtime's colour.

import { KIND_SCENARIOS } from "./_systems.mjs";
import { formatBytes, formatNumber, formatRatio, samplingLine } from "./_table.mjs";

const WIDTH = 920;
const FONT = "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif";
const INK = "#1f2328";
const MUTED = "#59636e";
const GRID = "#d8dee4";

function esc(text) {
  return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Rounds to 0.1 px: enough for a chart, and keeps the file small and diffable. */
function r1(x) {
  return Math.round(x * 10) / 10;
}

function text(x, y, s, attrs = "") {
  return `<text x="${r1(x)}" y="${r1(y)}" ${attrs}>${esc(s)}</text>`;
}

function line(x1, y1, x2, y2, attrs) {
  return `<line x1="${r1(x1)}" y1="${r1(y1)}" x2="${r1(x2)}" y2="${r1(y2)}" ${attrs}/>`;
}

/** A "nice" upper bound for a linear axis starting at 0, and its tick step. */
function niceAxis(max) {
  const raw = Math.max(max, 1e-9) / 6;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  return { top: Math.ceil(max / step) * step, step };
}

/** Log-axis ticks (… 0.1 0.2 0.5 1 2 5 10 …) covering [lo, hi]. */
function logTicks(lo, hi) {
  const ticks = [];
  for (let e = Math.floor(Math.log10(lo)) - 1; e <= Math.ceil(Math.log10(hi)) + 1; e++) {
    for (const m of [1, 2, 5]) ticks.push(m * 10 ** e);
  }
  const below = ticks.filter((t) => t <= lo * 1.0001).at(-1);
  const above = ticks.find((t) => t >= hi / 1.0001);
  return ticks.filter((t) => t >= below && t <= above).map((t) => Number(t.toPrecision(2)));
}

/** A thread system's line is dashed; everyone else's solid. */
function dash(s) {
  return s.kind === "thread" ? ` stroke-dasharray="6 3"` : "";
}

/** A system's name in a legend: what it runs. */
function legendName(s) {
  if (s.kind === "thread") return s.multiproc ? `${s.name} (Thread)` : `${s.name} (threading)`;
  return s.multiproc ? `${s.name} (multiproc)` : s.reference ? `${s.name} (multiprocessing)` : s.name;
}

/** Legend rows: a swatch and a name per system, then the notation. */
function legend(x, y, systems, { ideal }) {
  const out = [];
  let cy = y;
  for (const s of systems) {
    out.push(line(x, cy, x + 22, cy, `stroke="${s.color}" stroke-width="2.5"${dash(s)}`));
    out.push(`<circle cx="${x + 11}" cy="${cy}" r="3.5" fill="${s.color}"/>`);
    out.push(text(x + 30, cy + 4, legendName(s)));
    cy += 18;
  }
  if (ideal) {
    out.push(line(x, cy, x + 22, cy, `stroke="${MUTED}" stroke-width="1.5" stroke-dasharray="5 4"`));
    out.push(text(x + 30, cy + 4, "ideal: min(workers, CPUs)"));
    cy += 18;
  }
  out.push(line(x + 11, cy - 6, x + 11, cy + 6, `stroke="${INK}" stroke-width="1.2"`));
  out.push(`<circle cx="${x + 11}" cy="${cy}" r="3" fill="${INK}"/>`);
  out.push(text(x + 30, cy + 4, "median, min–max", `class="m"`));
  return { svg: out.join("\n"), bottom: cy + 10 };
}

/** The systems a curve panel draws: multiproc, the reference, and the JS pools on Node. */
function curveSystems(report) {
  return report.systems.filter((s) => !s.pool || s.runtime === "node");
}

function speedupPanel(report, top) {
  const systems = curveSystems(report);
  const entries = report.entries.filter((e) => e.scenario === "cpu_bound" && e.workers);
  const out = [
    text(24, top, "cpu_bound — speedup of Pool.map (ThreadPool.map) over running the tasks one by one", `class="h"`),
  ];
  if (!entries.length) {
    out.push(text(24, top + 24, "(cpu_bound was not run)", `class="m"`));
    return { svg: out.join("\n"), bottom: top + 40 };
  }
  const cpus = report.host.cpus;
  const x0 = 72, x1 = WIDTH - 250, y0 = top + 22, y1 = top + 232;
  const counts = entries.map((e) => e.workers);
  const colW = (x1 - x0) / counts.length;
  const px = (i) => x0 + (i + 0.5) * colW;
  let max = Math.min(Math.max(...counts), cpus);
  for (const e of entries) for (const st of Object.values(e.stats)) max = Math.max(max, st.max);
  const { top: yTop, step } = niceAxis(max * 1.05);
  const py = (v) => y1 - (v / yTop) * (y1 - y0);

  // more workers than CPUs: shaded
  const firstOver = counts.findIndex((w) => w > cpus);
  if (firstOver >= 0) {
    out.push(
      `<rect x="${r1(x0 + firstOver * colW)}" y="${y0}" width="${r1((counts.length - firstOver) * colW)}" ` +
        `height="${y1 - y0}" fill="#f6f8fa"/>`,
    );
    out.push(text(x0 + firstOver * colW + 6, y0 + 14, "more workers than CPUs", `class="m"`));
  }
  for (let v = 0; v <= yTop + 1e-9; v += step) {
    out.push(line(x0, py(v), x1, py(v), `stroke="${GRID}"`));
    out.push(text(x0 - 8, py(v) + 4, formatNumber(Number(v.toPrecision(3))), `text-anchor="end" class="m"`));
  }
  out.push(line(x0, y1, x1, y1, `stroke="${INK}"`));
  counts.forEach((w, i) => out.push(text(px(i), y1 + 18, String(w), `text-anchor="middle"`)));
  out.push(
    text(
      (x0 + x1) / 2,
      y1 + 36,
      `workers: processes (solid) or threads (dashed, and the JS pools) — this machine: ${cpus} CPUs`,
      `text-anchor="middle" class="m"`,
    ),
  );
  out.push(
    text(
      0,
      0,
      "speedup (×)",
      `transform="translate(${x0 - 44} ${(y0 + y1) / 2}) rotate(-90)" text-anchor="middle" class="m"`,
    ),
  );

  // ideal: min(workers, CPUs)
  const ideal = counts.map((w, i) => `${r1(px(i))},${r1(py(Math.min(w, cpus)))}`).join(" ");
  out.push(`<polyline points="${ideal}" fill="none" stroke="${MUTED}" stroke-width="1.5" stroke-dasharray="5 4"/>`);

  const drawn = systems.filter((s) => entries.some((e) => e.stats[s.name]));
  drawSeries(out, drawn, entries, {
    px,
    py,
    spacing: Math.min(10, colW / (drawn.length + 2)),
    stroke: 1.5,
    caps: true,
    radius: 3.5,
    label: (s, e, st) => `${s.name}, ${e.workers} workers: ${formatNumber(st.median)}×` + spreadNote(st),
  });
  const lg = legend(x1 + 28, y0 + 8, drawn, { ideal: true });
  out.push(lg.svg);
  return { svg: out.join("\n"), bottom: Math.max(y1 + 44, lg.bottom) };
}

/** data_size: MB/s against payload size, both axes log; median and min–max per system. */
function sizePanel(report, top) {
  const systems = curveSystems(report);
  const entries = report.entries.filter((e) => e.scenario === "data_size" && e.size);
  const out = [text(24, top, "data_size — round trip through a Pool(2), MB/s against payload size", `class="h"`)];
  if (!entries.length) {
    out.push(text(24, top + 24, "(data_size was not run)", `class="m"`));
    return { svg: out.join("\n"), bottom: top + 40 };
  }
  const x0 = 72, x1 = WIDTH - 250, y0 = top + 22, y1 = top + 262;
  let lo = Infinity, hi = 0;
  for (const e of entries) {
    for (const st of Object.values(e.stats)) lo = Math.min(lo, st.min), hi = Math.max(hi, st.max);
  }
  const ticks = logTicks(Math.max(lo, 1e-3), Math.max(hi, lo * 10));
  const llo = Math.log(ticks[0]), lhi = Math.log(ticks.at(-1));
  const py = (v) => y1 - ((Math.log(v) - llo) / (lhi - llo)) * (y1 - y0);
  const colW = (x1 - x0) / entries.length;
  const px = (i) => x0 + (i + 0.5) * colW;
  for (const t of ticks) {
    out.push(line(x0, py(t), x1, py(t), `stroke="${GRID}"`));
    out.push(text(x0 - 8, py(t) + 4, formatNumber(t), `text-anchor="end" class="m"`));
  }
  out.push(line(x0, y1, x1, y1, `stroke="${INK}"`));
  entries.forEach((e, i) => out.push(text(px(i), y1 + 18, formatBytes(e.size), `text-anchor="middle"`)));
  out.push(text((x0 + x1) / 2, y1 + 36, "payload size (log scale)", `text-anchor="middle" class="m"`));
  out.push(
    text(
      0,
      0,
      "MB/s (log)",
      `transform="translate(${x0 - 50} ${(y0 + y1) / 2}) rotate(-90)" text-anchor="middle" class="m"`,
    ),
  );
  const drawn = systems.filter((s) => entries.some((e) => e.stats[s.name]));
  drawSeries(out, drawn, entries, {
    px,
    py,
    spacing: Math.min(6, colW / (drawn.length + 2)),
    stroke: 1.2,
    caps: false,
    radius: 3,
    label: (s, e, st) => `${s.name}, ${formatBytes(e.size)}: ${formatNumber(st.median)} MB/s` + spreadNote(st),
  });
  const lg = legend(x1 + 28, y0 + 8, drawn, { ideal: false });
  out.push(lg.svg);
  return { svg: out.join("\n"), bottom: Math.max(y1 + 44, lg.bottom) };
}

/** " (min …, max …, n rounds)": a point's spread, for its tooltip. */
function spreadNote(st) {
  return ` (min ${formatNumber(st.min)}, max ${formatNumber(st.max)}, ${st.n} rounds)`;
}

/**
 * One series per system across a panel's columns: a min–max bar (with caps when asked), the median
 * as a dot with its tooltip, and a line through the medians; systems side by side within a column.
 */
function drawSeries(out, drawn, entries, { px, py, spacing, stroke, caps, radius, label }) {
  drawn.forEach((s, j) => {
    const dx = (j - (drawn.length - 1) / 2) * spacing;
    const pts = [];
    const bar = `stroke="${s.color}" stroke-width="${stroke}"`;
    entries.forEach((e, i) => {
      const st = e.stats[s.name];
      if (!st) return;
      const x = px(i) + dx;
      pts.push(`${r1(x)},${r1(py(st.median))}`);
      out.push(line(x, py(st.min), x, py(st.max), bar));
      if (caps) {
        out.push(line(x - 3, py(st.min), x + 3, py(st.min), bar));
        out.push(line(x - 3, py(st.max), x + 3, py(st.max), bar));
      }
      out.push(
        `<circle cx="${r1(x)}" cy="${r1(py(st.median))}" r="${radius}" fill="${s.color}">` +
          `<title>${esc(label(s, e, st))}</title></circle>`,
      );
    });
    out.push(
      `<polyline points="${pts.join(" ")}" fill="none" stroke="${s.color}" stroke-width="2" stroke-opacity="0.8"${
        dash(s)
      }/>`,
    );
  });
}

/** The panel of ratios to Python's multiprocessing: multiproc's processes on each runtime. */
function pythonRatioPanel(report, top) {
  const ref = report.reference;
  return ratioPanel(report, top, {
    ratios: (e) => e.ratios,
    systems: report.systems.filter((s) => s.multiproc && !s.kind),
    title: ref
      ? `Ratio to Python's multiprocessing (spawn) per scenario — right of 1× means multiproc is better`
      : "Ratio to Python",
    empty: ref ? "(no scenario has a ratio)" : "(Python was not run: no ratios)",
    axis: "multiproc ÷ Python, log scale (1× = as fast as Python)",
    of: "of Python",
    // thread_start & co. are here for their threads: their process runs are in the panel below
    rowsOf: (e) => !KIND_SCENARIOS.includes(e.scenario),
  });
}

/** The panel of threads ÷ processes per runtime (multiproc's, and Python's threading). */
function kindRatioPanel(report, top) {
  const threads = report.systems.filter((s) => s.kind === "thread");
  if (!threads.length) return { svg: "", bottom: top - 26 };
  return ratioPanel(report, top, {
    ratios: (e) => e.kindRatios ?? {},
    systems: threads,
    title: "Threads ÷ processes per scenario and runtime — right of 1× means the threads are better",
    empty: "(no scenario ran both kinds)",
    axis: "threads ÷ processes of the same runtime, log scale (1× = as fast as processes)",
    of: "of processes",
    subtitle: `Bars, top to bottom: ${threads.map((s) => s.runtime).join(", ")} in their colours; median of the ` +
      "per-round ratios, whisker min–max; time metrics inverted.",
  });
}

/**
 * Per-scenario ratio bars, one per system: `ratios(entry)[system]` is a spread of per-round ratios.
 * @param {{ ratios: (e: object) => object, systems: object[], title: string, empty: string, axis: string,
 *   of: string, subtitle?: string, rowsOf?: (e: object) => boolean }} what
 */
function ratioPanel(report, top, { ratios, systems, title, empty, axis, of, subtitle, rowsOf = () => true }) {
  const others = systems;
  const out = [text(24, top, title, `class="h"`)];
  // One row per scenario: the size curve's points are in the panel above.
  const rows = report.entries.filter((e) => Object.keys(ratios(e)).length && !e.size && rowsOf(e));
  if (!rows.length) {
    out.push(text(24, top + 24, empty, `class="m"`));
    return { svg: out.join("\n"), bottom: top + 40 };
  }
  out.push(
    text(
      24,
      top + 18,
      subtitle ??
        "Bar: median of the per-round ratios (a round runs every system back to back); whisker: their min–max. " +
          "Time metrics are inverted so that bigger is better.",
      `class="m"`,
    ),
  );
  const drawn = others.filter((s) => rows.some((e) => ratios(e)[s.name]));
  const bh = 9, gap = 2;
  const rowH = Math.max(34, drawn.length * (bh + gap) + 12);
  const labelX = 226, x0 = 236, x1 = WIDTH - 64;
  const y0 = top + 34;
  let lo = 1, hi = 1;
  for (const e of rows) {
    for (const st of Object.values(ratios(e))) {
      lo = Math.min(lo, st.min);
      hi = Math.max(hi, st.max);
    }
  }
  const ticks = logTicks(lo, hi);
  const llo = Math.log(ticks[0]), lhi = Math.log(ticks.at(-1));
  const px = (v) => x0 + ((Math.log(v) - llo) / (lhi - llo)) * (x1 - x0);
  const y1 = y0 + rows.length * rowH;

  rows.forEach((_e, i) => {
    if (i % 2 === 0) {
      out.push(`<rect x="16" y="${y0 + i * rowH}" width="${WIDTH - 32}" height="${rowH}" fill="#f6f8fa"/>`);
    }
  });
  for (const t of ticks) {
    out.push(line(px(t), y0, px(t), y1, t === 1 ? `stroke="${INK}" stroke-width="1.5"` : `stroke="${GRID}"`));
    out.push(text(px(t), y1 + 16, `${formatNumber(t)}×`, `text-anchor="middle" class="m"`));
  }
  out.push(
    text(
      (x0 + x1) / 2,
      y1 + 34,
      axis,
      `text-anchor="middle" class="m"`,
    ),
  );

  rows.forEach((e, i) => {
    const ry = y0 + i * rowH;
    const mid = ry + rowH / 2;
    out.push(text(labelX, mid - 2, e.label, `text-anchor="end"`));
    // the metric is shortened to fit the label column, the unit never is
    const room = 34 - (e.unit ? e.unit.length + 2 : 0);
    const metric = e.metric && e.metric.length > room ? e.metric.slice(0, room - 1) + "…" : e.metric;
    out.push(text(labelX, mid + 12, [metric, e.unit].filter(Boolean).join(", "), `text-anchor="end" class="m"`));
    const barsTop = mid - (drawn.length * (bh + gap) - gap) / 2;
    drawn.forEach((s, j) => {
      const st = ratios(e)[s.name];
      const by = barsTop + j * (bh + gap);
      if (!st) {
        out.push(text(px(1) + 4, by + bh - 1, `${s.name}: no ratio`, `class="m" font-size="9"`));
        return;
      }
      const a = px(Math.min(1, st.median)), b = px(Math.max(1, st.median));
      const tip = `${e.label}, ${s.name}: ${formatRatio(st.median)} ${of} (min ${formatRatio(st.min)}, max ${
        formatRatio(st.max)
      }, ${st.n} rounds)`;
      out.push(
        `<rect x="${r1(a)}" y="${r1(by)}" width="${
          r1(Math.max(b - a, 1))
        }" height="${bh}" fill="${s.color}" fill-opacity="0.85">` +
          `<title>${esc(tip)}</title></rect>`,
      );
      const wy = by + bh / 2;
      out.push(line(px(st.min), wy, px(st.max), wy, `stroke="${INK}" stroke-width="1"`));
      out.push(line(px(st.min), wy - 3, px(st.min), wy + 3, `stroke="${INK}" stroke-width="1"`));
      out.push(line(px(st.max), wy - 3, px(st.max), wy + 3, `stroke="${INK}" stroke-width="1"`));
      out.push(text(Math.max(px(st.max), b) + 5, by + bh - 1, formatRatio(st.median), `class="v"`));
    });
  });
  return { svg: out.join("\n"), bottom: y1 + 44 };
}

/**
 * Renders the report as one SVG document.
 * @param {object} report what bench/run.mjs writes to bench/results/latest.json
 * @returns {string}
 */
export function renderSvg(report) {
  const title = `multiproc benchmarks${report.quick ? " — quick run" : ""}`;
  const versions = Object.entries(report.versions).map(([k, v]) => `${k} ${v}`).join(", ");
  const host = `${report.date.slice(0, 10)} · ${report.host.platform} ${report.host.arch}, ${report.host.cpus} CPUs` +
    (report.host.cpuModel ? ` (${report.host.cpuModel})` : "") + (versions ? ` · ${versions}` : "");
  const head = [
    text(24, 30, title, `class="t"`),
    text(24, 50, host, `class="m"`),
    text(24, 66, `Sampling: ${samplingLine(report)}.`, `class="m"`),
  ];
  let y = 96;
  if (report.quick) {
    head.push(`<rect x="24" y="76" width="${WIDTH - 48}" height="22" rx="3" fill="#fff8c5" stroke="#d4a72c"/>`);
    head.push(
      text(
        32,
        91,
        "Quick run (npm run bench -- --quick): smaller sizes, fewer rounds and scenarios — checks the bench works, not numbers to quote.",
        `class="m"`,
      ),
    );
    y = 122;
  }
  const a = speedupPanel(report, y);
  const c = sizePanel(report, a.bottom + 26);
  const b = pythonRatioPanel(report, c.bottom + 26);
  const k = kindRatioPanel(report, b.bottom + 26);
  const height = Math.ceil(k.bottom + 12);
  const desc =
    `Top: cpu_bound speedup against worker count for ${curveSystems(report).map((s) => s.name).join(", ")}. ` +
    `Middle: data_size round-trip MB/s against payload size. ` +
    `Then: each scenario's ratio to Python's multiprocessing, median and min–max over rounds` +
    (k.svg ? `; last: each scenario's threads ÷ processes per runtime.` : ".");
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" ` +
    `role="img" aria-labelledby="title desc">`,
    `<title id="title">${esc(title)}</title>`,
    `<desc id="desc">${esc(desc)}</desc>`,
    `<style>text{font-family:${FONT};font-size:12px;fill:${INK}}.t{font-size:18px;font-weight:600}` +
    `.h{font-size:14px;font-weight:600}.m{fill:${MUTED};font-size:11px}.v{font-size:10px;fill:${INK}}</style>`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    ...head,
    a.svg,
    c.svg,
    b.svg,
    ...(k.svg ? [k.svg] : []),
    `</svg>`,
    "",
  ].join("\n");
}
