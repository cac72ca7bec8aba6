// Shared helpers for the promlab UI pages: DOM building, the API client,
// and value/time formatting. Plain browser JS, no build step.
"use strict";

const PAGE = JSON.parse(document.getElementById("page-data").textContent);

/** el("div", {class: "x"}, child, "text") -> an element; attrs starting with
 *  "on" become listeners. Text is always set as text, never as HTML. */
function el(tag, attrs, ...children) {
  const node = tag.startsWith("svg:")
    ? document.createElementNS("http://www.w3.org/2000/svg", tag.slice(4))
    : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

class ApiError extends Error {
  constructor(type, message, status) {
    super(message);
    this.type = type;
    this.status = status;
  }
}

/** GET/POST the Prometheus API; resolves to `data`, rejects with ApiError. */
async function api(path, params, {method = "GET", signal} = {}) {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (Array.isArray(v)) v.forEach((x) => body.append(k, x));
    else if (v !== undefined && v !== null && v !== "") body.append(k, v);
  }
  const init = {method, signal, headers: {Accept: "application/json"}};
  let url = path;
  if (method === "POST") {
    init.body = body;
  } else if ([...body].length) {
    url += (url.includes("?") ? "&" : "?") + body.toString();
  }
  const resp = await fetch(url, init);
  let json;
  try {
    json = await resp.json();
  } catch (e) {
    throw new ApiError("bad_response", `HTTP ${resp.status}: not JSON`, resp.status);
  }
  if (json.status !== "success") {
    throw new ApiError(json.errorType || "error", json.error || `HTTP ${resp.status}`, resp.status);
  }
  json.data.__warnings = json.warnings || [];
  return json.data;
}

const DURATION_UNITS = [["y", 31536e6], ["w", 6048e5], ["d", 864e5], ["h", 36e5], ["m", 6e4], ["s", 1e3], ["ms", 1]];

/** "1h30m" -> ms (Prometheus duration notation); null if it is not one. */
function parseDuration(text) {
  const m = /^((\d+)y)?((\d+)w)?((\d+)d)?((\d+)h)?((\d+)m)?((\d+)s)?((\d+)ms)?$/.exec((text || "").trim());
  if (!m || !(text || "").trim()) return null;
  let ms = 0;
  for (let i = 0; i < 7; i++) if (m[2 + 2 * i]) ms += Number(m[2 + 2 * i]) * DURATION_UNITS[i][1];
  return ms;
}

function formatDuration(ms) {
  if (!ms) return "0s";
  let out = "";
  for (const [u, size] of DURATION_UNITS) {
    if (ms >= size) { out += Math.floor(ms / size) + u; ms %= size; }
  }
  return out;
}

function pad(n, w = 2) { return String(n).padStart(w, "0"); }

/** UTC "2026-03-02 13:05:00": the lab's data lives in UTC. */
function formatTime(ms) {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** "3m 12s ago" relative to the server's clock. */
function ago(ms, now = PAGE.nowMs) {
  const d = now - ms;
  if (!isFinite(d)) return "";
  const abs = Math.abs(d);
  let text;
  if (abs < 1000) text = `${abs}ms`;
  else if (abs < 60e3) text = `${(abs / 1e3).toFixed(1)}s`;
  else if (abs < 36e5) text = `${Math.floor(abs / 6e4)}m ${Math.floor((abs % 6e4) / 1e3)}s`;
  else if (abs < 864e5) text = `${Math.floor(abs / 36e5)}h ${Math.floor((abs % 36e5) / 6e4)}m`;
  else text = `${Math.floor(abs / 864e5)}d ${Math.floor((abs % 864e5) / 36e5)}h`;
  return d >= 0 ? `${text} ago` : `in ${text}`;
}

function parseValue(v) {
  if (v === "NaN") return NaN;
  if (v === "+Inf") return Infinity;
  if (v === "-Inf") return -Infinity;
  return Number(v);
}

const SI = [[1e15, "P"], [1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"]];
const IEC = [[2 ** 50, "PiB"], [2 ** 40, "TiB"], [2 ** 30, "GiB"], [2 ** 20, "MiB"], [2 ** 10, "KiB"]];

function trim(x, decimals) {
  if (decimals !== null && decimals !== undefined) return x.toFixed(decimals);
  const a = Math.abs(x);
  const s = a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : a >= 1 ? x.toFixed(2) : x.toPrecision(3);
  return s.includes(".") && !s.includes("e") ? s.replace(/\.?0+$/, "") : s;
}

/** A value in a Grafana unit (the common ones), for axes, stats and tables. */
function formatValue(v, unit, decimals) {
  if (v === null || v === undefined) return "–";
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "+Inf" : "-Inf";
  const scaled = (table, suffix) => {
    for (const [size, u] of table) if (Math.abs(v) >= size) return trim(v / size, decimals) + " " + u + suffix;
    return null;
  };
  switch (unit) {
    case "percentunit": return trim(v * 100, decimals) + "%";
    case "percent": return trim(v, decimals) + "%";
    case "bytes": case "decbytes": return scaled(IEC, "") || trim(v, decimals) + " B";
    case "Bps": case "binBps": return scaled(IEC, "/s") || trim(v, decimals) + " B/s";
    case "bps": return (scaled(SI, "b/s") || trim(v, decimals) + " b/s");
    case "s": {
      const a = Math.abs(v);
      if (a === 0) return "0 s";
      if (a < 1e-3) return trim(v * 1e6, decimals) + " µs";
      if (a < 1) return trim(v * 1e3, decimals) + " ms";
      if (a < 60) return trim(v, decimals) + " s";
      if (a < 3600) return trim(v / 60, decimals) + " min";
      if (a < 86400) return trim(v / 3600, decimals) + " hour";
      return trim(v / 86400, decimals) + " day";
    }
    case "ms": return formatValue(v / 1000, "s", decimals);
    case "reqps": return (scaled(SI, "") || trim(v, decimals)) + " req/s";
    case "ops": return (scaled(SI, "") || trim(v, decimals)) + " ops/s";
    case "pps": return (scaled(SI, "") || trim(v, decimals)) + " p/s";
    case "none": return trim(v, decimals);
    default: {
      const s = scaled(SI, "");
      return s ? s.replace(" ", "") : trim(v, decimals);
    }
  }
}

/** `name{a="1", b="2"}` */
function seriesName(metric) {
  const name = metric.__name__ || "";
  const rest = Object.keys(metric).filter((k) => k !== "__name__").sort()
    .map((k) => `${k}="${metric[k]}"`);
  return rest.length ? `${name}{${rest.join(", ")}}` : name || "{}";
}

function labelChips(labels, skip = []) {
  return Object.keys(labels || {}).filter((k) => !skip.includes(k)).sort()
    .map((k) => el("span", {class: "chip"}, `${k}="${labels[k]}"`));
}

function showClock() {
  const node = document.getElementById("server-time");
  if (node) node.textContent = "server time " + formatTime(PAGE.nowMs) + " UTC";
}
showClock();
