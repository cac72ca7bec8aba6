// The Alerts page: /api/v1/alerts (pending and firing), grouped by alert name.
"use strict";

let alertsData = [];

function alertCard(name, alerts) {
  const firing = alerts.filter((a) => a.state === "firing").length;
  const state = firing ? "firing" : "pending";
  return el("details", {class: "group card alert-group", open: true, "data-alertname": name, "data-state": state},
    el("summary", {}, el("h2", {}, name), el("span", {class: `badge ${state}`}, state),
      el("span", {class: "muted"}, `${alerts.length} active`)),
    el("div", {class: "body"}, el("table", {class: "data"},
      el("thead", {}, el("tr", {}, ...["State", "Labels", "Active since", "Value", "Annotations"]
        .map((h) => el("th", {}, h)))),
      el("tbody", {}, alerts.map((a) => el("tr", {class: "alert", "data-state": a.state},
        el("td", {}, el("span", {class: `badge ${a.state}`}, a.state)),
        el("td", {}, labelChips(a.labels, ["alertname"])),
        el("td", {title: a.activeAt}, a.activeAt ? formatTime(Date.parse(a.activeAt)) + " UTC" : "",
          a.activeAt ? el("div", {class: "muted"}, ago(Date.parse(a.activeAt))) : null),
        el("td", {class: "value"}, a.value),
        el("td", {}, kv(a.annotations))))))));
}

function kv(obj) {
  const keys = Object.keys(obj || {}).sort();
  if (!keys.length) return null;
  return el("dl", {class: "kv"}, keys.map((k) => [el("dt", {}, k), el("dd", {}, obj[k])]));
}

function renderAlerts() {
  const root = document.getElementById("alerts");
  const shown = new Set([...document.querySelectorAll("#alert-filters input:checked")].map((i) => i.dataset.state));
  for (const s of ["firing", "pending"]) {
    document.getElementById(`count-${s}`).textContent = alertsData.filter((a) => a.state === s).length;
  }
  const groups = new Map();
  for (const a of alertsData) {
    if (!shown.has(a.state)) continue;
    const name = a.labels.alertname || "(no alertname)";
    if (!groups.has(name)) groups.set(name, []);
    groups.get(name).push(a);
  }
  root.replaceChildren();
  if (!alertsData.length) {
    root.append(el("p", {class: "muted"}, "No alerts are pending or firing."));
    return;
  }
  // Firing groups first, then by name.
  const order = [...groups.entries()].sort(([an, aa], [bn, ba]) => {
    const af = aa.some((a) => a.state === "firing"), bf = ba.some((a) => a.state === "firing");
    return af === bf ? an.localeCompare(bn) : af ? -1 : 1;
  });
  for (const [name, alerts] of order) root.append(alertCard(name, alerts));
}

async function loadAlerts() {
  try {
    const data = await api("/api/v1/alerts");
    alertsData = data.alerts || [];
    renderAlerts();
  } catch (err) {
    document.getElementById("alerts").replaceChildren(el("div", {class: "error"}, err.message));
  }
}

for (const box of document.querySelectorAll("#alert-filters input")) box.addEventListener("change", renderAlerts);
loadAlerts();
