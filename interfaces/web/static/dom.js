// Small helpers: escaping for the HTML the views write, refusals as people read them.

import { t } from "./i18n.js";

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const esc = (value) => String(value ?? "").replace(/[&<>"']/g, (c) => ESCAPES[c]);

export function refusalHtml(error) {
  // A rule's refusal in the rule's own words: its Chinese title and clause.
  const p = error.problem ?? { title: String(error) };
  const rule = p.rule ? `<p><strong>${esc(t("rule"))} ${esc(p.rule)}</strong> ${esc(p.rule_title_zh ?? p.rule_title ?? "")}</p>` : "";
  const clause = p.clause ? `<p class="clause">${esc(t("clause"))}：${esc(p.clause)}</p>` : "";
  const errors = p.errors ? `<ul>${Object.entries(p.errors).map(([f, m]) => `<li>${esc(f)}: ${esc([].concat(m).join("; "))}</li>`).join("")}</ul>` : "";
  return `<div class="refusal" role="alert"><h3>${esc(t("refused"))} (${esc(p.status ?? error.status ?? "")} ${esc(p.title ?? "")})</h3>${rule}${clause}<p>${esc(p.detail ?? "")}</p>${errors}</div>`;
}

export function announce(text) {
  document.getElementById("status").textContent = text;
}

export function addDays(day, days) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}
