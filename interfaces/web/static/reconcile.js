// Reconciliation review: a proposal against a statistical release, item by item
// (the ledger's units and the release's rows side by side), filtered by type and
// town; exclude items, upload the county's mapping, apply, then the release check.

import * as api from "./api.js";
import { t, changeName, kindName } from "./i18n.js";
import { esc, refusalHtml, addDays, announce } from "./dom.js";

// Every unit of the ledger on the day before the release's date and on it: the
// units a proposal names, with their codes and towns, before and after applying.
async function unitsAround(base, day) {
  const trees = await Promise.all([addDays(day, -1), day].map((as_of) => api.get(`${base}/tree`, { as_of })));
  const units = new Map();
  const towns = new Map();
  for (const tree of trees) {
    for (const town of tree.units) {
      units.set(town.id, { ...town, town: town.code });
      if (town.code) towns.set(town.code, town.name);
      for (const unit of town.children) units.set(unit.id, { ...unit, town: town.code });
    }
  }
  return { units, towns };
}

function itemTowns(item, units) {
  const codes = new Set(item.release_rows.map((r) => r.town_code ?? r.code.slice(0, 9)));
  for (const id of item.unit_ids) if (units.get(id)?.town) codes.add(units.get(id).town);
  return codes;
}

function itemRow(item, units, editable) {
  const ledger = item.unit_ids.map((id) => {
    const unit = units.get(id);
    return `<li>${unit ? `${esc(unit.name)} <code>${esc(unit.code ?? "")}</code> <span class="kind k-${esc(unit.kind)}">${esc(kindName(unit.kind))}</span>` : `<code>${esc(id)}</code>`}</li>`;
  }).join("");
  const rows = item.release_rows.map((r) => `<li>${esc(r.name)} <code>${esc(r.code)}</code></li>`).join("");
  return `<tr class="${item.excluded ? "excluded" : ""}">
    <td>${esc(changeName(item.type))}<br><small>${esc(item.type)} · ${esc(item.lineage === "group" ? t("group") : t("exact"))}</small></td>
    <td>${esc(item.confidence.toFixed(2))}</td>
    <td><ul>${ledger}</ul></td><td><ul>${rows}</ul></td>
    <td><ul class="evidence">${item.evidence.map((e) => `<li>${esc(e)}</li>`).join("")}</ul></td>
    <td><input type="checkbox" data-item="${esc(item.item_id)}" ${item.excluded ? "checked" : ""} ${editable ? "" : "disabled"}
      aria-label="${esc(t("excluded"))} ${esc(changeName(item.type))} ${esc(item.item_id)}"></td></tr>`;
}

function checkHtml(check) {
  if (check.matches) return `<p class="ok">${esc(t("matches"))} (${esc(check.release)}, ${esc(check.as_of)})</p>`;
  return `<p>${esc(t("differences"))}: ${check.differences.length}</p><table><thead><tr><th>${esc(t("code"))}</th>
    <th>${esc(t("expected"))}</th><th>${esc(t("found"))}</th></tr></thead><tbody>${check.differences.map((d) =>
    `<tr><td><code>${esc(d.code)}</code></td><td>${esc(JSON.stringify(d.expected))}</td><td>${esc(JSON.stringify(d.found))}</td></tr>`).join("")}</tbody></table>`;
}

async function showProposal(root, { state, base, go, canEdit }) {
  const path = `${base}/reconciliations/${state.proposal}`;
  let proposal = await api.get(path);
  const { units, towns } = await unitsAround(base, proposal.effective_date);
  const types = [...new Set(proposal.items.map((i) => i.type))].sort();
  const holder = document.createElement("section");
  holder.id = "proposal";
  root.append(holder);

  const draw = (outcome = "") => {
    const editable = canEdit && proposal.status === "proposed";
    const shown = proposal.items.filter((item) => (!state.type || item.type === state.type)
      && (!state.town || itemTowns(item, units).has(state.town)));
    holder.innerHTML = `
      <h3>${esc(t("proposalOf"))} ${esc(proposal.release)} · ${esc(t("effectiveDate"))} ${esc(proposal.effective_date)} · ${esc(proposal.status)}</h3>
      <p class="summary">${Object.entries(proposal.summary).map(([k, n]) => `${esc(changeName(k))} ${n}`).join(" · ")}</p>
      <form class="filters">
        <label for="filter-type">${esc(t("type"))}</label>
        <select id="filter-type"><option value="">${esc(t("allTypes"))}</option>${types.map((ty) =>
          `<option value="${esc(ty)}" ${ty === state.type ? "selected" : ""}>${esc(changeName(ty))}</option>`).join("")}</select>
        <label for="filter-town">${esc(t("towns"))}</label>
        <select id="filter-town"><option value="">${esc(t("allTowns"))}</option>${[...towns].map(([code, name]) =>
          `<option value="${esc(code)}" ${code === state.town ? "selected" : ""}>${esc(name)} ${esc(code)}</option>`).join("")}</select>
      </form>
      <table class="items"><caption>${esc(t("items"))}: ${shown.length} / ${proposal.items.length}</caption>
        <thead><tr><th>${esc(t("type"))}</th><th>${esc(t("confidence"))}</th><th>${esc(t("ledgerUnits"))}</th>
        <th>${esc(t("releaseRows"))}</th><th>${esc(t("evidence"))}</th><th>${esc(t("excluded"))}</th></tr></thead>
        <tbody>${shown.map((item) => itemRow(item, units, editable)).join("")}</tbody></table>
      ${editable ? `<form class="mapping"><label for="mapping">${esc(t("mapping"))}</label>
        <input id="mapping" type="file" accept=".csv,text/csv"></form>
        <button type="button" id="apply">${esc(t("apply"))}</button>` : ""}
      <div id="outcome">${outcome}</div>`;
    holder.querySelector("#filter-type").addEventListener("change", (e) => go({ type: e.target.value }, { replace: true }));
    holder.querySelector("#filter-town").addEventListener("change", (e) => go({ town: e.target.value }, { replace: true }));
    holder.querySelectorAll("input[data-item]").forEach((box) => box.addEventListener("change", async () => {
      try {
        const item = await api.patch(`${path}/items/${box.dataset.item}`, { excluded: box.checked });
        proposal.items = proposal.items.map((i) => (i.item_id === item.item_id ? item : i));
        draw();
      } catch (error) {
        draw(refusalHtml(error));
      }
    }));
    holder.querySelector("#mapping")?.addEventListener("change", async (event) => {
      try {
        proposal = await api.putCsv(`${path}/mapping`, await event.target.files[0].text());
        draw();
      } catch (error) {
        draw(refusalHtml(error));
      }
    });
    holder.querySelector("#apply")?.addEventListener("click", async () => {
      try {
        const result = await api.post(`${path}/apply`);
        proposal = await api.get(path);
        const check = await api.get(`${base}/releases/${proposal.release}/check`);
        draw(`<section class="applied" role="status"><h3>${esc(t("applied"))}</h3>
          <p>${esc(t("changesRecorded"))}: ${result.change_ids.length}</p>
          <h3>${esc(t("check"))}</h3>${checkHtml(check)}</section>`);
        announce(t("applied"));
      } catch (error) {
        draw(refusalHtml(error));
      }
    });
  };
  draw();
  if (proposal.status !== "proposed") {
    const check = await api.get(`${base}/releases/${proposal.release}/check`);
    holder.querySelector("#outcome").innerHTML = `<h3>${esc(t("check"))}</h3>${checkHtml(check)}`;
  }
}

export async function renderReconcile(root, ctx) {
  const { state, base, go, canEdit } = ctx;
  const [releases, proposals] = await Promise.all([api.get("/v1/releases"), api.get(`${base}/reconciliations`)]);
  root.innerHTML = `<h2>${esc(t("reconcile"))}</h2>
    ${canEdit ? `<form class="propose"><label for="release">${esc(t("release"))}</label>
      <select id="release">${releases.items.map((r) => `<option value="${r.year}" ${String(r.year) === state.release ? "selected" : ""}>${r.year} (${esc(r.as_of)})</option>`).join("")}</select>
      <button type="submit">${esc(t("propose"))}</button></form>` : `<p>${esc(t("readOnly"))}</p>`}
    <div id="propose-outcome"></div>
    <h3>${esc(t("proposals"))}</h3>
    <ul class="proposals">${proposals.items.map((p) => `<li><a href="#" data-proposal="${esc(p.id)}"
      ${p.id === state.proposal ? 'aria-current="true"' : ""}>${esc(p.release)} · ${esc(p.status)} · ${esc(p.created_at)}</a></li>`).join("") || `<li>${esc(t("none"))}</li>`}</ul>`;
  root.querySelector(".propose")?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const release = Number(root.querySelector("#release").value);
    try {
      const proposal = await api.post(`${base}/reconciliations`, { release });
      go({ proposal: proposal.id, release: String(release), type: "", town: "" });
    } catch (error) {
      root.querySelector("#propose-outcome").innerHTML = refusalHtml(error);
    }
  });
  root.querySelector(".proposals").addEventListener("click", (event) => {
    const link = event.target.closest("a[data-proposal]");
    if (!link) return;
    event.preventDefault();
    go({ proposal: link.dataset.proposal, type: "", town: "" });
  });
  if (state.proposal) await showProposal(root, ctx);
}
