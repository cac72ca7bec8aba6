// The Query page: an expression, an instant table and a range graph over
// /api/v1/query and /api/v1/query_range; state lives in the URL (g0.*) so a
// query can be linked to (rules' generator URLs point here).
"use strict";

const LOADED_AT = Date.now();
const $ = (id) => document.getElementById(id);
const state = {expr: "", tab: "table", range: "1h", end: "", step: ""};
let inflight = null;

function serverNow() {
  // The page carries the server's clock (it may be virtual); advance it with ours.
  return PAGE.nowMs + (Date.now() - LOADED_AT);
}

function readUrl() {
  const q = new URLSearchParams(location.search);
  state.expr = q.get("g0.expr") || "";
  const tab = q.get("g0.tab");
  state.tab = tab === "0" || tab === "graph" ? "graph" : "table";
  state.range = q.get("g0.range_input") || "1h";
  state.end = q.get("g0.end_input") || "";
  state.step = q.get("g0.step_input") || "";
}

function writeUrl() {
  const q = new URLSearchParams();
  q.set("g0.expr", state.expr);
  q.set("g0.tab", state.tab);
  q.set("g0.range_input", state.range);
  if (state.end) q.set("g0.end_input", state.end);
  if (state.step) q.set("g0.step_input", state.step);
  history.replaceState(null, "", "?" + q.toString());
}

function endMs() {
  if (!state.end) return serverNow();
  const t = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(state.end) ? state.end : state.end + "Z");
  if (Number.isNaN(t)) throw new ApiError("bad_data", `cannot read end time "${state.end}"`);
  return t;
}

function showError(err) {
  const box = $("query-error");
  box.replaceChildren(el("b", {}, err.type ? `${err.type}: ` : "Error: "), err.message);
  // Parse errors carry "line:col:"; point at the spot in the expression.
  const m = /(\d+):(\d+): parse error/.exec(err.message);
  if (m) {
    const line = state.expr.split("\n")[Number(m[1]) - 1];
    if (line !== undefined) {
      const col = Math.max(Number(m[2]) - 1, 0);
      box.append(el("pre", {id: "error-position"}, line + "\n",
        el("span", {class: "caret"}, " ".repeat(col) + "^")));
    }
  }
  box.hidden = false;
  $("panel-table").hidden = true;
  $("panel-graph").hidden = true;
}

function clearMessages() {
  $("query-error").hidden = true;
  selectTab(state.tab);
  $("query-warnings").hidden = true;
  $("query-stats").textContent = "";
}

function showWarnings(data) {
  const w = data.__warnings || [];
  if (w.length) {
    $("query-warnings").textContent = w.join("\n");
    $("query-warnings").hidden = false;
  }
}

function selectTab(tab) {
  state.tab = tab;
  for (const b of document.querySelectorAll(".tabs button")) {
    b.setAttribute("aria-selected", String(b.dataset.tab === tab));
  }
  $("panel-table").hidden = tab !== "table";
  $("panel-graph").hidden = tab !== "graph";
}

async function execute() {
  state.expr = $("expr").value.trim();
  state.range = $("range").value.trim() || "1h";
  state.end = $("end").value.trim();
  state.step = $("step").value.trim();
  writeUrl();
  clearMessages();
  if (!state.expr) return;
  if (inflight) inflight.abort();
  inflight = new AbortController();
  const started = performance.now();
  try {
    const n = state.tab === "graph" ? await runGraph(inflight.signal) : await runTable(inflight.signal);
    $("query-stats").textContent =
      `Load time: ${Math.round(performance.now() - started)} ms · Result series: ${n}`;
  } catch (err) {
    if (err.name === "AbortError") return;
    showError(err);
  }
}

async function runTable(signal) {
  const params = {query: state.expr};
  if (state.end) params.time = (endMs() / 1000).toFixed(3);
  const data = await api("/api/v1/query", params, {method: "POST", signal});
  showWarnings(data);
  const body = $("result-table").tBodies[0];
  body.replaceChildren();
  const rows = [];
  if (data.resultType === "vector") {
    for (const r of data.result) {
      rows.push([seriesName(r.metric), r.value ? r.value[1] : r.histogram ? "histogram" : ""]);
    }
  } else if (data.resultType === "matrix") {
    for (const r of data.result) {
      rows.push([seriesName(r.metric), (r.values || []).map(([t, v]) => `${v} @${t}`).join("\n")]);
    }
  } else {
    rows.push([data.resultType, data.result[1]]);
  }
  if (!rows.length) body.append(el("tr", {}, el("td", {class: "muted", colspan: 2}, "Empty query result")));
  for (const [name, value] of rows) {
    body.append(el("tr", {}, el("td", {class: "series-name"}, name), el("td", {class: "value"}, value)));
  }
  return rows.length;
}

async function runGraph(signal) {
  const range = parseDuration(state.range);
  if (!range) throw new ApiError("bad_data", `cannot read range "${state.range}" (e.g. 1h, 30m)`);
  const end = endMs();
  const start = end - range;
  let step = state.step ? parseDuration(state.step) : null;
  if (state.step && !step) throw new ApiError("bad_data", `cannot read resolution "${state.step}"`);
  step = step || Math.max(Math.floor(range / 250 / 1000), 1) * 1000;
  const data = await api("/api/v1/query_range", {
    query: state.expr, start: (start / 1000).toFixed(3), end: (end / 1000).toFixed(3), step: step / 1000,
  }, {method: "POST", signal});
  showWarnings(data);
  const series = data.resultType === "matrix" ? matrixToSeries(data.result) : [];
  drawChart($("graph"), series, {start, end, step, height: 340, label: state.expr});
  return series.length;
}

function init() {
  readUrl();
  $("expr").value = state.expr;
  $("range").value = state.range;
  $("end").value = state.end;
  $("step").value = state.step;
  selectTab(state.tab);
  $("query-form").addEventListener("submit", (e) => { e.preventDefault(); execute(); });
  $("expr").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); execute(); }
  });
  for (const b of document.querySelectorAll(".tabs button")) {
    b.addEventListener("click", () => { selectTab(b.dataset.tab); execute(); });
  }
  for (const id of ["range", "end", "step"]) {
    $(id).addEventListener("change", () => { if (state.tab === "graph") execute(); });
  }
  if (state.expr) execute();
  else $("expr").focus();
}

init();
