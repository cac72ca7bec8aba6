// The dashboard viewer: asks the server for a plan (variables resolved,
// expressions interpolated, one query window per panel), then runs each
// panel's queries against /api/v1 and draws them.
"use strict";

const $ = (id) => document.getElementById(id);
const MAX_PARALLEL = 4; // queries in flight at once: the lab may share a small machine
const ROW_PX = 30, GAP_PX = 8;
let plan = null;
let generation = 0;

function urlState() {
  const q = new URLSearchParams(location.search);
  const vars = [];
  for (const [k, v] of q) if (k.startsWith("var-")) vars.push([k, v]);
  return {from: q.get("from") || PAGE.timeFrom, to: q.get("to") || PAGE.timeTo, vars};
}

function planUrl(state) {
  const q = new URLSearchParams([["from", state.from], ["to", state.to], ...state.vars]);
  return `/ui/api/dashboards/${encodeURIComponent(PAGE.uid)}?${q}`;
}

function pushState(state) {
  const q = new URLSearchParams([["from", state.from], ["to", state.to], ...state.vars]);
  history.replaceState(null, "", "?" + q.toString());
}

async function load() {
  const state = urlState();
  $("time-from").value = state.from;
  $("time-to").value = state.to;
  $("dashboard-error").hidden = true;
  // "loading" until every panel of this generation is drawn (tests wait on it).
  $("panels").dataset.state = "loading";
  const mine = ++generation;
  try {
    plan = await api(planUrl(state));
  } catch (err) {
    $("dashboard-error").textContent = err.message;
    $("dashboard-error").hidden = false;
    $("panels").dataset.state = "error";
    return;
  }
  if (mine !== generation) return;
  // The server fills in defaults (first option, All): keep them in the URL.
  pushState({from: state.from, to: state.to, vars: plan.query});
  renderVariables();
  renderPanels(mine);
}

function renderVariables() {
  const root = $("variables");
  root.replaceChildren();
  for (const v of plan.variables) {
    if (v.hide === 2) continue;
    const control = v.multi ? multiSelect(v) : singleSelect(v);
    root.append(el("label", {}, v.hide === 1 ? "" : v.label, control,
      v.error ? el("span", {class: "error"}, v.error) : null));
  }
}

function choose(v, picked) {
  const state = urlState();
  state.vars = state.vars.filter(([k]) => k !== `var-${v.name}`)
    .concat(picked.map((p) => [`var-${v.name}`, p]));
  pushState(state);
  load();
}

function singleSelect(v) {
  const select = el("select", {id: `var-${v.name}`, "data-variable": v.name});
  if (v.includeAll) select.append(el("option", {value: "$__all", selected: v.selected.includes("$__all")}, "All"));
  for (const o of v.options) select.append(el("option", {value: o, selected: v.selected.includes(o)}, o));
  select.addEventListener("change", () => choose(v, [select.value]));
  return select;
}

/** A multi-value variable: a drop-down of checkboxes ("All" clears the rest). */
function multiSelect(v) {
  const all = v.selected.includes("$__all");
  const summary = all ? "All" : v.selected.join(" + ") || "None";
  const boxes = el("div", {class: "menu"});
  const items = (v.includeAll ? ["$__all"] : []).concat(v.options);
  for (const o of items) {
    const box = el("input", {type: "checkbox", value: o, checked: all ? o === "$__all" : v.selected.includes(o)});
    box.addEventListener("change", () => {
      let picked = [...boxes.querySelectorAll("input:checked")].map((b) => b.value);
      if (o === "$__all" && box.checked) picked = ["$__all"];
      else picked = picked.filter((p) => p !== "$__all");
      choose(v, picked.length ? picked : v.includeAll ? ["$__all"] : []);
    });
    boxes.append(el("label", {}, box, o === "$__all" ? "All" : o));
  }
  return el("details", {class: "multi", id: `var-${v.name}`, "data-variable": v.name},
    el("summary", {title: summary}, summary), boxes);
}

function legendName(fmt, metric, ref) {
  if (fmt && fmt !== "__auto") return fmt.replace(/\{\{\s*([a-zA-Z_]\w*)\s*\}\}/g, (_, k) => metric[k] || "");
  const name = seriesName(metric);
  return name === "{}" ? ref : name;
}

async function runTarget(panel, t) {
  if (t.instant) {
    const data = await api("/api/v1/query", {query: t.expr, time: panel.end / 1000}, {method: "POST"});
    const rows = data.resultType === "vector" ? data.result
      : data.resultType === "scalar" ? [{metric: {}, value: data.result}] : [];
    return rows.map((r) => ({name: legendName(t.legendFormat, r.metric, t.refId), metric: r.metric,
      points: [[Math.round(r.value[0] * 1000), parseValue(r.value[1])]]}));
  }
  const data = await api("/api/v1/query_range", {
    query: t.expr, start: panel.start / 1000, end: panel.end / 1000, step: panel.step / 1000,
  }, {method: "POST"});
  return matrixToSeries(data.result, (m) => legendName(t.legendFormat, m, t.refId));
}

/** Run jobs with at most MAX_PARALLEL in flight. */
async function pool(jobs) {
  let next = 0;
  const worker = async () => { while (next < jobs.length) await jobs[next++](); };
  await Promise.all(Array.from({length: Math.min(MAX_PARALLEL, jobs.length)}, worker));
}

function renderPanels(mine) {
  const root = $("panels");
  root.replaceChildren();
  const jobs = [];
  for (const p of plan.panels) {
    const g = p.gridPos;
    const col = `${Math.min(g.x, 23) + 1} / span ${Math.max(Math.min(g.w, 24 - Math.min(g.x, 23)), 1)}`;
    if (p.type === "row") {
      root.append(el("div", {class: "row-title", style: "grid-row: span 1"}, p.title));
      continue;
    }
    const body = el("div", {class: "body"});
    const node = el("section", {class: "panel", "data-panel-id": p.id, "data-type": p.type, "data-state": "loading",
      style: `grid-column: ${col}; grid-row: span ${Math.max(g.h, 2)}`},
      el("header", {title: p.description || p.title}, el("span", {}, p.title || "\u00a0"),
        el("span", {class: "muted"}, p.drawn ? "" : p.type)),
      body);
    root.append(node);
    if (!p.drawn || !p.targets.length) {
      node.dataset.state = "done";
      node.dataset.seriesCount = "0";
      body.append(el("div", {class: "nodata"}, p.drawn ? "No queries" : `${p.type} panels are not drawn here`));
      continue;
    }
    jobs.push(async () => {
      if (mine !== generation) return;
      const results = await Promise.allSettled(p.targets.map((t) => runTarget(p, t)));
      const series = results.filter((r) => r.status === "fulfilled").flatMap((r) => r.value);
      const errors = results.filter((r) => r.status === "rejected").map((r) => r.reason.message);
      node.dataset.seriesCount = String(series.length);
      node.dataset.state = errors.length ? "error" : "done";
      body.replaceChildren();
      if (errors.length) body.append(el("div", {class: "error"}, errors.join("\n")));
      const height = Math.max(g.h, 2) * (ROW_PX + GAP_PX) - GAP_PX - 44 - (errors.length ? 40 : 0);
      drawPanel(p, series, body, height);
    });
  }
  pool(jobs).then(() => { if (mine === generation) root.dataset.state = "done"; });
}

function lastValue(s) {
  for (let i = s.points.length - 1; i >= 0; i--) if (!Number.isNaN(s.points[i][1])) return s.points[i][1];
  return null;
}

function drawPanel(p, series, body, height) {
  if (!series.length) {
    body.append(el("div", {class: "nodata"}, "No data"));
    return;
  }
  const fmt = (v) => formatValue(v, p.unit, p.decimals);
  if (p.type === "timeseries") {
    drawChart(body, series, {start: p.start, end: p.end, step: p.step, unit: p.unit, decimals: p.decimals,
      min: p.min, max: p.max, height: Math.max(height - (series.length > 1 ? 40 : 20), 80), label: p.title});
  } else if (p.type === "stat") {
    // Several series share the panel side by side, in a smaller font.
    const wrap = el("div", {class: "stats"});
    const size = series.length > 1 ? " small" : "";
    for (const s of series.slice(0, 6)) {
      wrap.append(el("div", {class: "stat-item"}, el("div", {class: "stat" + size}, fmt(lastValue(s))),
        series.length > 1 ? el("div", {class: "stat-name"}, s.name) : null));
    }
    body.append(wrap);
  } else if (p.type === "gauge") {
    const wrap = el("div", {style: "display:flex;flex-wrap:wrap;justify-content:space-around"});
    for (const s of series.slice(0, 6)) wrap.append(gauge(p, s, lastValue(s), Math.min(height, 180), series.length > 1));
    body.append(wrap);
  } else if (p.type === "bargauge") {
    const [lo, hi] = bounds(p, series);
    for (const s of series) {
      const v = lastValue(s);
      const frac = v === null ? 0 : Math.min(Math.max((v - lo) / (hi - lo || 1), 0), 1);
      body.append(el("div", {class: "muted"}, `${s.name}: `, el("b", {}, fmt(v))),
        el("div", {class: "bar"}, el("div", {style: `width:${(frac * 100).toFixed(1)}%`})));
    }
  } else if (p.type === "table") {
    const labelKeys = [...new Set(series.flatMap((s) => Object.keys(s.metric || {})))]
      .filter((k) => k !== "__name__").sort();
    body.append(el("table", {class: "data"},
      el("thead", {}, el("tr", {}, ...labelKeys.map((k) => el("th", {}, k)), el("th", {}, "Value"))),
      el("tbody", {}, series.map((s) => el("tr", {},
        ...labelKeys.map((k) => el("td", {}, (s.metric || {})[k] || "")),
        el("td", {class: "value"}, fmt(lastValue(s))))))));
  }
}

function bounds(p, series) {
  const lo = p.min ?? 0;
  let hi = p.max;
  if (hi === null || hi === undefined) {
    hi = p.unit === "percentunit" ? 1 : p.unit === "percent" ? 100 : null;
    if (hi === null) hi = Math.max(...series.map((s) => lastValue(s) || 0), 1);
  }
  return [lo, hi];
}

function gauge(p, s, v, size, named) {
  const [lo, hi] = bounds(p, [s]);
  const frac = v === null ? 0 : Math.min(Math.max((v - lo) / (hi - lo || 1), 0), 1);
  const w = Math.max(size * 1.4, 120), r = w / 2 - 10, cx = w / 2, cy = r + 8;
  const at = (f) => {
    const a = Math.PI * (1 - f);
    return `${(cx + r * Math.cos(a)).toFixed(1)},${(cy - r * Math.sin(a)).toFixed(1)}`;
  };
  const color = frac > 0.9 ? "#c62828" : frac > 0.75 ? "#d6a100" : "#19a979";
  return el("div", {style: "text-align:center"},
    el("svg:svg", {width: w, height: cy + 10, viewBox: `0 0 ${w} ${cy + 10}`},
      el("svg:path", {d: `M${at(0)} A${r},${r} 0 0 1 ${at(1)}`, stroke: "#e6e9ee", "stroke-width": 14, fill: "none"}),
      frac > 0 ? el("svg:path", {d: `M${at(0)} A${r},${r} 0 0 1 ${at(frac)}`, stroke: color,
        "stroke-width": 14, fill: "none", class: "gauge-value"}) : null,
      el("svg:text", {x: cx, y: cy - 4, "text-anchor": "middle", "font-size": 20, "font-weight": 600},
        formatValue(v, p.unit, p.decimals))),
    named ? el("div", {class: "stat-name"}, s.name) : null);
}

function applyTime(from, to) {
  const state = urlState();
  state.from = from || state.from;
  state.to = to || state.to;
  pushState(state);
  load();
}

$("refresh").addEventListener("click", () => applyTime($("time-from").value.trim(), $("time-to").value.trim()));
$("time-quick").addEventListener("change", (e) => {
  if (e.target.value) applyTime(e.target.value, "now");
  e.target.value = "";
});
for (const id of ["time-from", "time-to"]) {
  $(id).addEventListener("keydown", (e) => { if (e.key === "Enter") $("refresh").click(); });
}
load();
