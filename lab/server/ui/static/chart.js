// A small hand-written SVG line chart: nice axis ticks, gaps where samples
// are missing, a hover crosshair with a tooltip and a clickable legend.
"use strict";

const PALETTE = ["#2f6fdb", "#e8743b", "#19a979", "#ed4a7b", "#945ecf", "#13a4b4",
  "#d6a100", "#6c8893", "#c33c54", "#5899da", "#8a6d3b", "#3f9d3f"];

function niceNumber(x, round) {
  const exp = Math.floor(Math.log10(x));
  const f = x / 10 ** exp;
  let nf;
  if (round) nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
  else nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
  return nf * 10 ** exp;
}

/** ~count ticks covering [lo, hi], at 1/2/5 x 10^k. */
function linearTicks(lo, hi, count) {
  const span = niceNumber(hi - lo || Math.abs(hi) || 1, false);
  const step = niceNumber(span / Math.max(count - 1, 1), true);
  const start = Math.floor(lo / step) * step;
  const ticks = [];
  // Up to the first tick at or above hi, so the top of the data has a label.
  for (let v = start; v < hi + step; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

const TIME_STEPS = [1e3, 5e3, 15e3, 30e3, 6e4, 3e5, 6e5, 9e5, 18e5, 36e5, 72e5, 108e5, 216e5, 432e5, 864e5,
  1728e5, 6048e5];

function timeTicks(start, end, count) {
  const want = (end - start) / Math.max(count, 1);
  const step = TIME_STEPS.find((s) => s >= want) || TIME_STEPS[TIME_STEPS.length - 1];
  const ticks = [];
  for (let t = Math.ceil(start / step) * step; t <= end; t += step) ticks.push(t);
  return {ticks, step};
}

function timeLabel(t, step) {
  const d = new Date(t);
  const hm = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  if (step < 6e4) return `${hm}:${pad(d.getUTCSeconds())}`;
  if (step >= 864e5 || (d.getUTCHours() === 0 && d.getUTCMinutes() === 0)) {
    return `${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` + (step >= 864e5 ? "" : ` ${hm}`);
  }
  return hm;
}

/**
 * drawChart(container, series, opts)
 *   series: [{name, points: [[t_ms, value], ...]}]
 *   opts: {start, end, step, unit, decimals, height, min, max, legend: true}
 * Returns the <svg>.
 */
function drawChart(container, series, opts = {}) {
  container.replaceChildren();
  container.classList.add("chart");
  const width = Math.max(container.clientWidth || 600, 200);
  const height = opts.height || 260;
  const pad = {left: 56, right: 16, top: 8, bottom: 22};
  const plotH = height - pad.top - pad.bottom;
  let start = opts.start, end = opts.end;
  let lo = Infinity, hi = -Infinity;
  for (const s of series) {
    for (const [t, v] of s.points) {
      if (start === undefined || t < start) start = start === undefined ? t : Math.min(start, t);
      if (end === undefined || t > end) end = end === undefined ? t : Math.max(end, t);
      if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    }
  }
  if (!series.length || lo === Infinity) {
    container.append(el("div", {class: "nodata"}, "No data"));
    return null;
  }
  if (opts.min !== null && opts.min !== undefined) lo = opts.min;
  else if (lo > 0 && lo < hi * 0.5) lo = 0; // anchor mostly-positive data at zero
  if (opts.max !== null && opts.max !== undefined) hi = opts.max;
  if (hi === lo) { hi += Math.abs(hi) * 0.1 || 1; lo -= Math.abs(lo) * 0.1 || 0; }
  const yTicks = linearTicks(lo, hi, Math.max(3, Math.floor(plotH / 40)));
  lo = Math.min(lo, yTicks[0]);
  hi = Math.max(hi, yTicks[yTicks.length - 1]);
  // Room for the longest tick label (about 6.5 px per character at 11 px).
  const longest = Math.max(...yTicks.map((v) => formatValue(v, opts.unit, null).length));
  pad.left = Math.max(pad.left, Math.ceil(longest * 6.5) + 12);
  if (end <= start) end = start + 1;
  const plotW = width - pad.left - pad.right;
  const x = (t) => pad.left + ((t - start) / (end - start)) * plotW;
  const y = (v) => pad.top + (1 - (v - lo) / (hi - lo)) * plotH;

  const svg = el("svg:svg", {viewBox: `0 0 ${width} ${height}`, height, role: "img",
    "aria-label": opts.label || "graph"});
  const grid = el("svg:g", {class: "grid"});
  const axis = el("svg:g", {class: "axis"});
  for (const v of yTicks) {
    if (v < lo || v > hi) continue;
    grid.append(el("svg:line", {x1: pad.left, x2: width - pad.right, y1: y(v), y2: y(v)}));
    axis.append(el("svg:text", {x: pad.left - 6, y: y(v) + 4, "text-anchor": "end"},
      formatValue(v, opts.unit, null)));
  }
  const {ticks, step: tstep} = timeTicks(start, end, Math.max(2, Math.floor(plotW / 110)));
  for (const t of ticks) {
    grid.append(el("svg:line", {x1: x(t), x2: x(t), y1: pad.top, y2: pad.top + plotH}));
    axis.append(el("svg:text", {x: x(t), y: height - 6, "text-anchor": "middle"}, timeLabel(t, tstep)));
  }
  svg.append(grid, axis);

  // A gap longer than 1.5 steps (a missing sample) breaks the line.
  const gap = (opts.step || 0) * 1.5;
  const lines = el("svg:g", {class: "lines"});
  series.forEach((s, i) => {
    s.color = s.color || PALETTE[i % PALETTE.length];
    let d = "", prevT = null;
    for (const [t, v] of s.points) {
      if (!Number.isFinite(v)) { prevT = null; continue; }
      const cmd = prevT === null || (gap && t - prevT > gap) ? "M" : "L";
      d += `${cmd}${x(t).toFixed(1)},${y(Math.min(Math.max(v, lo), hi)).toFixed(1)}`;
      prevT = t;
    }
    // A lone point would be invisible as a path: draw it as a tiny segment.
    if (d && !d.includes("L")) d = d.replace(/M([\d.]+),([\d.]+)$/, "M$1,$2h2");
    const path = el("svg:path", {class: "line", d, stroke: s.color, "data-series": s.name,
      "data-points": s.points.length});
    s.path = path;
    lines.append(path);
  });
  svg.append(lines);

  const hover = el("svg:line", {class: "hover-line", y1: pad.top, y2: pad.top + plotH, visibility: "hidden"});
  const overlay = el("svg:rect", {x: pad.left, y: pad.top, width: plotW, height: plotH, fill: "transparent"});
  svg.append(hover, overlay);
  container.append(svg);
  const tip = el("div", {class: "tooltip", hidden: true});
  container.append(tip);

  overlay.addEventListener("mousemove", (ev) => {
    const rect = svg.getBoundingClientRect();
    const px = ((ev.clientX - rect.left) / rect.width) * width;
    const t = start + ((px - pad.left) / plotW) * (end - start);
    const rows = [];
    let snapT = null;
    for (const s of series) {
      if (s.hidden || !s.points.length) continue;
      const p = nearest(s.points, t);
      if (snapT === null || Math.abs(p[0] - t) < Math.abs(snapT - t)) snapT = p[0];
      rows.push([s, p[1]]);
    }
    if (snapT === null) return;
    hover.setAttribute("x1", x(snapT));
    hover.setAttribute("x2", x(snapT));
    hover.setAttribute("visibility", "visible");
    rows.sort((a, b) => (b[1] || 0) - (a[1] || 0));
    tip.replaceChildren(el("div", {class: "muted"}, formatTime(snapT)),
      ...rows.slice(0, 10).map(([s, v]) => el("div", {},
        el("span", {class: "sw", style: `background:${s.color}`}), `${s.name}: `,
        el("b", {}, formatValue(v, opts.unit, opts.decimals)))),
      rows.length > 10 ? el("div", {class: "muted"}, `… ${rows.length - 10} more`) : null);
    tip.hidden = false;
    const left = (x(snapT) / width) * rect.width;
    tip.style.left = (left > rect.width / 2 ? left - tip.offsetWidth - 12 : left + 12) + "px";
    tip.style.top = "8px";
  });
  overlay.addEventListener("mouseleave", () => {
    hover.setAttribute("visibility", "hidden");
    tip.hidden = true;
  });

  if (opts.legend !== false) {
    const legend = el("div", {class: "legend"});
    for (const s of series) {
      const item = el("span", {class: "item", title: s.name},
        el("span", {class: "sw", style: `background:${s.color}`}), s.name);
      item.addEventListener("click", () => {
        s.hidden = !s.hidden;
        item.classList.toggle("off", s.hidden);
        s.path.style.display = s.hidden ? "none" : "";
      });
      legend.append(item);
    }
    container.append(legend);
  }
  return svg;
}

function nearest(points, t) {
  let lo = 0, hi = points.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (points[mid][0] < t) lo = mid; else hi = mid;
  }
  return Math.abs(points[lo][0] - t) <= Math.abs(points[hi][0] - t) ? points[lo] : points[hi];
}

/** Prometheus matrix -> chart series (values parsed, names from labels or a legend). */
function matrixToSeries(result, nameOf = seriesName) {
  return result.map((r) => ({
    name: nameOf(r.metric),
    metric: r.metric,
    points: (r.values || []).map(([t, v]) => [Math.round(t * 1000), parseValue(v)]),
  }));
}
