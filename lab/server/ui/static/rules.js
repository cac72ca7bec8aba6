// The Rules page: /api/v1/rules, one card per group.
"use strict";

function kv(obj) {
  const keys = Object.keys(obj || {}).sort();
  if (!keys.length) return null;
  return el("dl", {class: "kv"}, keys.map((k) => [el("dt", {}, k), el("dd", {}, obj[k])]));
}

function queryLink(expr) {
  return el("a", {href: "/query?" + new URLSearchParams({"g0.expr": expr, "g0.tab": "graph"})},
    el("pre", {class: "expr"}, expr));
}

function ruleRow(r) {
  const alerting = r.type === "alerting";
  const head = alerting
    ? [el("b", {}, "alert: "), r.name, " ", r.state ? el("span", {class: `badge ${r.state}`}, r.state) : null]
    : [el("b", {}, "record: "), r.name];
  return el("tr", {class: "rule", "data-type": r.type},
    el("td", {},
      el("div", {}, head),
      queryLink(r.query),
      alerting && r.duration ? el("div", {class: "muted"}, `for: ${formatDuration(r.duration * 1000)}`) : null,
      alerting && r.keepFiringFor ? el("div", {class: "muted"},
        `keep_firing_for: ${formatDuration(r.keepFiringFor * 1000)}`) : null,
      r.labels && Object.keys(r.labels).length ? el("div", {}, labelChips(r.labels)) : null,
      alerting ? kv(r.annotations) : null),
    el("td", {}, el("span", {class: `badge ${r.health === "ok" ? "ok" : r.health === "err" ? "err" : "unknown"}`},
      r.health || "unknown"), r.lastError ? el("div", {class: "error"}, r.lastError) : null),
    el("td", {}, alerting ? `${(r.alerts || []).length} active` : ""),
    el("td", {title: r.lastEvaluation || ""}, r.lastEvaluation && !r.lastEvaluation.startsWith("0001-")
      ? ago(Date.parse(r.lastEvaluation)) : "never"),
    el("td", {class: "value"}, r.evaluationTime !== undefined ? formatValue(r.evaluationTime, "s") : ""));
}

async function loadRules() {
  const root = document.getElementById("rules");
  try {
    const data = await api("/api/v1/rules");
    root.replaceChildren();
    if (!data.groups.length) {
      root.append(el("p", {class: "muted"}, "No rule groups are loaded."));
      return;
    }
    for (const g of data.groups) {
      root.append(el("details", {class: "group card", open: true},
        el("summary", {}, el("h2", {}, g.name), el("span", {class: "muted"}, g.file),
          el("span", {class: "muted"}, `every ${formatDuration((g.interval || 0) * 1000)}`),
          g.lastEvaluation ? el("span", {class: "muted"}, `evaluated ${ago(Date.parse(g.lastEvaluation))}`) : null),
        el("div", {class: "body"}, el("table", {class: "data"},
          el("thead", {}, el("tr", {}, ...["Rule", "Health", "Alerts", "Last evaluation", "Eval time"]
            .map((h) => el("th", {}, h)))),
          el("tbody", {}, g.rules.map(ruleRow))))));
    }
  } catch (err) {
    root.replaceChildren(el("div", {class: "error"}, err.message));
  }
}

loadRules();
