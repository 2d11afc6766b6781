// A unit on the date: its facts, its history as a timeline, its lineage as a
// graph (a group's lineage drawn as one group), its bodies and roster.

import * as api from "./api.js";
import { t, kindName, changeName } from "./i18n.js";
import { esc } from "./dom.js";

function lineageColumn(entries, heading) {
  // One box per change; a change with group lineage is one group of units.
  const byChange = new Map();
  for (const entry of entries) {
    if (!byChange.has(entry.change_id)) byChange.set(entry.change_id, []);
    byChange.get(entry.change_id).push(entry);
  }
  const boxes = [...byChange.values()].map((group) => {
    const first = group[0];
    const isGroup = group.some((e) => e.lineage === "group");
    const units = group.map((e) => `<li>${e.tenant ? `<span class="tenant">${esc(e.tenant)}</span> ` : ""}
      <a href="#" data-unit="${esc(e.unit_id)}">${esc(e.name)}</a> <span class="kind k-${esc(e.kind)}">${esc(kindName(e.kind))}</span></li>`);
    return `<div class="change-box${isGroup ? " group" : ""}" role="group"
        aria-label="${esc(changeName(first.change_type))} ${esc(first.effective_date)}">
      <div class="change-head">${esc(changeName(first.change_type))} · ${esc(first.effective_date)}
        ${isGroup ? `<span class="group-tag">${esc(t("group"))}</span>` : ""}</div>
      <ul>${units.join("")}</ul></div>`;
  });
  return `<section class="lineage-col"><h4>${esc(heading)}</h4>${boxes.join("") || `<p>${esc(t("none"))}</p>`}</section>`;
}

function timeline(items) {
  return `<ol class="timeline">${items.map((item) => {
    const authority = item.data?.authority;
    const doc = authority?.document_no ? `${authority.document_no}${authority.issued_by ? ` · ${authority.issued_by}` : ""}` : "";
    return `<li><time datetime="${esc(item.effective_date)}">${esc(item.effective_date)}</time>
      <strong>${esc(item.type)}</strong>
      <span class="meta">${esc(t("recordedAt"))} ${esc(item.recorded_at)} · ${esc(item.actor)}</span>
      ${doc ? `<span class="doc">${esc(t("document"))}：${esc(doc)}</span>` : ""}</li>`;
  }).join("")}</ol>`;
}

function rosterHtml(roster) {
  if (!roster.bodies.length) return `<p>${esc(t("none"))}</p>`;
  return roster.bodies.map((body) => `<section class="body"><h4>${esc(body.name ?? body.type)} <small>${esc(body.type)}</small></h4>
    <ul>${body.posts.map((p) => `<li>${esc(p.role)}：${esc(p.person_name ?? "—")}${p.full_time ? " ★" : ""} (${esc(p.since)})</li>`).join("") || `<li>${esc(t("none"))}</li>`}</ul></section>`).join("");
}

export async function renderUnit(root, { state, base, go }) {
  if (!state.unit) {
    root.innerHTML = `<p>${esc(t("tree"))} →</p>`;
    return;
  }
  const when = { as_of: state.as_of, known_at: state.known_at };
  const path = `${base}/units/${state.unit}`;
  const [unit, history, lineage, roster] = await Promise.all([
    api.get(path, when), api.get(`${path}/history`, when), api.get(`${path}/lineage`, when),
    api.get(`${path}/roster`, when)]);
  const population = unit.population;
  root.innerHTML = `
    <h2><span class="kind k-${esc(unit.kind)}">${esc(kindName(unit.kind))}</span> ${esc(unit.name)}</h2>
    <section><h3>${esc(t("facts"))} · ${esc(state.as_of)}</h3>
      <dl class="facts">
        <dt>${esc(t("code"))}</dt><dd>${esc(unit.code ?? "—")}</dd>
        <dt>${esc(t("status"))}</dt><dd>${esc(unit.status)}</dd>
        <dt>${esc(t("established"))}</dt><dd>${esc(unit.established_on ?? "—")}</dd>
        <dt>${esc(t("ceased"))}</dt><dd>${esc(unit.ceased_on ?? "—")}</dd>
        <dt>${esc(t("population"))}</dt><dd>${[population.households, population.residents, population.floating].map((n) => esc(n ?? "—")).join(" / ")}</dd>
        <dt>${esc(t("bodies"))}</dt><dd>${unit.bodies.map((b) => esc(b.name ?? b.type)).join("、") || esc(t("none"))}</dd>
      </dl></section>
    <section id="lineage"><h3>${esc(t("lineage"))}</h3>
      <div class="lineage">${lineageColumn(lineage.predecessors, t("predecessors"))}
        <div class="lineage-self" aria-current="true">${esc(unit.name)}</div>
        ${lineageColumn(lineage.successors, t("successors"))}</div></section>
    <section><h3>${esc(t("roster"))}</h3>${rosterHtml(roster)}</section>
    <section><h3>${esc(t("history"))}</h3>${timeline(history.items)}</section>`;
  root.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-unit]");
    if (!link) return;
    event.preventDefault();
    go({ unit: link.dataset.unit });
  });
}
