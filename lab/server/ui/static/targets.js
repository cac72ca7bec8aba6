// The Targets page: /api/v1/targets grouped by scrape pool.
"use strict";

let targetsData = null;

function targetRow(t) {
  const last = Date.parse(t.lastScrape);
  const never = !t.lastScrape || t.lastScrape.startsWith("0001-");
  return el("tr", {class: "target", "data-health": t.health},
    el("td", {}, el("a", {href: t.scrapeUrl}, t.scrapeUrl)),
    el("td", {}, el("span", {class: `badge ${t.health}`}, t.health)),
    el("td", {}, labelChips(t.labels)),
    el("td", {title: never ? "" : t.lastScrape}, never ? "never" : ago(last)),
    el("td", {class: "value"}, never ? "" : formatValue(t.lastScrapeDuration, "s")),
    el("td", {class: "error-cell"}, t.lastError ? el("span", {class: "badge err"}, "error") : "",
      t.lastError ? " " + t.lastError : ""));
}

function renderTargets() {
  const root = document.getElementById("targets");
  const unhealthy = document.getElementById("unhealthy-only").checked;
  const needle = document.getElementById("target-search").value.toLowerCase();
  const pools = new Map();
  for (const t of targetsData.activeTargets || []) {
    if (unhealthy && t.health === "up") continue;
    const hay = (t.scrapeUrl + " " + JSON.stringify(t.labels)).toLowerCase();
    if (needle && !hay.includes(needle)) continue;
    if (!pools.has(t.scrapePool)) pools.set(t.scrapePool, []);
    pools.get(t.scrapePool).push(t);
  }
  root.replaceChildren();
  if (!(targetsData.activeTargets || []).length) {
    root.append(el("p", {class: "muted"}, "No targets: the configuration has no scrape jobs."));
    return;
  }
  for (const [pool, targets] of [...pools.entries()].sort()) {
    const up = targets.filter((t) => t.health === "up").length;
    root.append(el("details", {class: "group card", open: true},
      el("summary", {}, el("h2", {}, pool),
        el("span", {class: `badge ${up === targets.length ? "up" : "down"}`}, `${up}/${targets.length} up`)),
      el("div", {class: "body"}, el("table", {class: "data"},
        el("thead", {}, el("tr", {}, ...["Endpoint", "State", "Labels", "Last scrape", "Duration", "Error"]
          .map((h) => el("th", {}, h)))),
        el("tbody", {}, targets.map(targetRow))))));
  }
  const dropped = (targetsData.droppedTargets || []).length;
  if (dropped) root.append(el("p", {class: "muted"}, `${dropped} dropped by relabelling.`));
}

async function loadTargets() {
  try {
    targetsData = await api("/api/v1/targets");
    renderTargets();
  } catch (err) {
    document.getElementById("targets").replaceChildren(el("div", {class: "error"}, err.message));
  }
}

document.getElementById("unhealthy-only").addEventListener("change", () => targetsData && renderTargets());
document.getElementById("target-search").addEventListener("input", () => targetsData && renderTargets());
loadTargets();
