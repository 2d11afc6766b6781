// The county on a date: towns and their village-level units, kinds shown by word
// and colour, 联居 with their member villages, counts per kind, search.

import * as api from "./api.js";
import { t, kindName, VILLAGE_KINDS } from "./i18n.js";
import { esc, announce } from "./dom.js";

function matches(unit, needle) {
  return !needle || unit.name.includes(needle) || (unit.code ?? "").startsWith(needle);
}

function badge(kind) {
  return `<span class="kind k-${esc(kind)}">${esc(kindName(kind))}</span>`;
}

function unitLink(unit) {
  return `<a href="#" data-unit="${esc(unit.id)}">${esc(unit.name)}</a>`;
}

function villageItem(unit, names) {
  const code = unit.code ? ` <code>${esc(unit.code)}</code>` : "";
  const members = unit.kind === "federation"
    ? `<div class="members">${esc(t("members"))}：${esc((names.get(unit.id) ?? []).join("、") || t("none"))}</div>`
    : "";
  return `<li class="unit">${badge(unit.kind)} ${unitLink(unit)}${code}${members}</li>`;
}

export function treeHtml(towns, needle) {
  // A federation's members are villages of its town with its id, on the date.
  const members = new Map();
  for (const town of towns) {
    for (const unit of town.children) {
      if (unit.federation_id) {
        if (!members.has(unit.federation_id)) members.set(unit.federation_id, []);
        members.get(unit.federation_id).push(unit.name);
      }
    }
  }
  const parts = [];
  for (const town of towns) {
    const shown = matches(town, needle) ? town.children : town.children.filter((u) => matches(u, needle));
    if (needle && !shown.length && !matches(town, needle)) continue;
    const code = town.code ? ` <code>${esc(town.code)}</code>` : "";
    parts.push(`<li class="town"><details open><summary>${badge(town.kind)} ${unitLink(town)}${code}
      <span class="count">(${town.children.length})</span></summary>
      <ul>${shown.map((u) => villageItem(u, members)).join("")}</ul></details></li>`);
  }
  return parts.length ? `<ul class="tree">${parts.join("")}</ul>` : `<p>${esc(t("noMatch"))}</p>`;
}

function countsHtml(towns) {
  const counts = Object.fromEntries(VILLAGE_KINDS.map((k) => [k, 0]));
  for (const town of towns) for (const unit of town.children) counts[unit.kind] = (counts[unit.kind] ?? 0) + 1;
  const cells = [[t("towns"), towns.length], ...VILLAGE_KINDS.map((k) => [kindName(k), counts[k]])];
  return `<dl class="counts" aria-label="${esc(t("counts"))}">${cells.map(([label, n]) =>
    `<div><dt>${esc(label)}</dt><dd>${n}</dd></div>`).join("")}</dl>`;
}

export async function renderTree(root, { state, base, go }) {
  const tree = await api.get(`${base}/tree`, { as_of: state.as_of, known_at: state.known_at });
  root.innerHTML = `
    <h2>${esc(t("tree"))} · ${esc(tree.as_of)}</h2>
    ${countsHtml(tree.units)}
    <form class="search" role="search"><label for="q">${esc(t("search"))}</label>
      <input id="q" type="search" value="${esc(state.q)}"></form>
    <div id="tree"></div>`;
  const holder = root.querySelector("#tree");
  holder.innerHTML = treeHtml(tree.units, state.q);
  performance.mark("tree-rendered");
  announce(`${tree.as_of}`);
  const search = root.querySelector("#q");
  search.addEventListener("input", () => {
    // Filtered in place: the URL follows without a new request.
    holder.innerHTML = treeHtml(tree.units, search.value.trim());
    history.replaceState(null, "", `?${new URLSearchParams({ ...Object.fromEntries(
      Object.entries(state).filter(([, v]) => v)), q: search.value.trim() })}`);
  });
  root.querySelector(".search").addEventListener("submit", (event) => event.preventDefault());
  holder.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-unit]");
    if (!link) return;
    event.preventDefault();
    go({ view: "unit", unit: link.dataset.unit });
  });
}
