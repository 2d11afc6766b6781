// Over time: village-level units by kind, changes by type, coverage and staffing
// per year, and the compliance findings of the date; for a city key, the city's sums.

import * as api from "./api.js";
import { t, kindName, changeName, VILLAGE_KINDS } from "./i18n.js";
import { esc } from "./dom.js";

const YEARS = [2016, 2017, 2018, 2019, 2020, 2021, 2022, 2023];
const yearEnd = (year) => `${year}-12-31`;

// A stacked bar per year, drawn in SVG, with its figures as a table beside it
// (what a screen reader reads, and what a person copies).
function chart(title, series, format = (n) => String(n)) {
  const totals = YEARS.map((_, i) => series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0));
  const top = Math.max(...totals, 1e-9);
  const width = 44, gap = 14, height = 160;
  const bars = YEARS.map((year, i) => {
    let y = height;
    const x = i * (width + gap) + 30;
    const parts = series.map((s, k) => {
      const h = ((s.values[i] ?? 0) / top) * (height - 10);
      y -= h;
      return h > 0 ? `<rect x="${x}" y="${y.toFixed(1)}" width="${width}" height="${h.toFixed(1)}" class="s${k % 8}"><title>${esc(s.name)} ${year}: ${esc(format(s.values[i]))}</title></rect>` : "";
    }).join("");
    return `${parts}<text x="${x + width / 2}" y="${height + 16}" text-anchor="middle">${year}</text>`;
  }).join("");
  const legend = series.map((s, k) => `<li><span class="swatch s${k % 8}"></span>${esc(s.name)}</li>`).join("");
  const rows = series.map((s) => `<tr><th scope="row">${esc(s.name)}</th>${s.values.map((v) => `<td>${esc(format(v ?? 0))}</td>`).join("")}</tr>`).join("");
  return `<figure class="chart"><figcaption>${esc(title)}</figcaption>
    <svg viewBox="0 0 ${YEARS.length * (width + gap) + 40} ${height + 24}" role="img" aria-label="${esc(title)}">${bars}</svg>
    <ul class="legend">${legend}</ul>
    <table><thead><tr><td></td>${YEARS.map((y) => `<th scope="col">${y}</th>`).join("")}</tr></thead><tbody>${rows}</tbody></table></figure>`;
}

function changesChart(report) {
  const types = Object.keys(report.by_type);
  return chart(t("changesByYear"), types.map((type) => ({
    name: changeName(type),
    values: YEARS.map((year) => report.by_year.find((y) => y.year === year)?.by_type[type] ?? 0),
  })));
}

const percent = (n) => `${Math.round((n ?? 0) * 1000) / 10}%`;

async function renderCity(root, { who }) {
  const base = `/v1/cities/${who.city_code}/reports`;
  const [coverage, changes] = await Promise.all([
    Promise.all(YEARS.map((year) => api.get(`${base}/coverage`, { as_of: yearEnd(year) }))),
    api.get(`${base}/changes`, { from: "2015-12-31", to: yearEnd(YEARS.at(-1)) })]);
  root.innerHTML = `<h2>${esc(t("cityView"))} ${esc(who.city_code)}</h2>
    <p>${esc(t("counties"))}：${esc(coverage.at(-1).counties.join("、"))}</p>
    ${chart(t("coverage"), [{ name: t("coverage"), values: coverage.map((c) => c.coverage_ratio) }], percent)}
    ${changesChart(changes)}`;
}

export async function renderTime(root, ctx) {
  if (ctx.who.role === "city") return renderCity(root, ctx);
  const { state, base } = ctx;
  const known = { known_at: state.known_at };
  const [trees, coverage, staffing, changes, compliance] = await Promise.all([
    Promise.all(YEARS.map((y) => api.get(`${base}/tree`, { as_of: yearEnd(y), ...known }))),
    Promise.all(YEARS.map((y) => api.get(`${base}/reports/coverage`, { as_of: yearEnd(y), ...known }))),
    Promise.all(YEARS.map((y) => api.get(`${base}/reports/staffing`, { as_of: yearEnd(y), ...known }))),
    api.get(`${base}/reports/changes`, { from: "2015-12-31", to: yearEnd(YEARS.at(-1)) }),
    api.get(`${base}/reports/compliance`, { as_of: state.as_of, ...known })]);
  const byKind = VILLAGE_KINDS.map((kind) => ({
    name: kindName(kind),
    values: trees.map((tree) => tree.units.reduce((n, town) => n + town.children.filter((u) => u.kind === kind).length, 0)),
  }));
  const findings = compliance.findings.map((f) => `<tr><td>${esc(f.rule)}</td><td>${esc(f.severity)}</td>
    <td>${esc(f.clause ?? "")}</td><td lang="zh-CN">${esc(f.message_zh ?? f.message)}</td></tr>`).join("");
  root.innerHTML = `<h2>${esc(t("time"))}</h2>
    ${chart(t("villagesByKind"), byKind)}
    ${changesChart(changes)}
    ${chart(t("coverage"), [{ name: t("coverage"), values: coverage.map((c) => c.coverage_ratio) }], percent)}
    ${chart(t("shortfall"), [{ name: t("shortfall"), values: staffing.map((s) => s.items.reduce((n, i) => n + Math.max(i.shortfall ?? 0, 0), 0)) }])}
    <section><h3>${esc(t("compliance"))} · ${esc(state.as_of)}</h3>
    ${findings ? `<table class="findings"><thead><tr><th>${esc(t("rule"))}</th><th>${esc(t("severity"))}</th><th>${esc(t("clause"))}</th><th>${esc(t("message"))}</th></tr></thead><tbody>${findings}</tbody></table>` : `<p>${esc(t("noFindings"))}</p>`}
    </section>`;
}
