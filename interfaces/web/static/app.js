// The county explorer. The URL holds the state (view, dates, search, unit,
// proposal, filters), so a view can be sent to a colleague; the session cookie
// holds who is signed in.

import * as api from "./api.js";
import { setLanguage, t, language } from "./i18n.js";
import { esc, refusalHtml, addDays } from "./dom.js";
import { renderTree } from "./tree.js";
import { renderUnit } from "./unit.js";
import { renderTime } from "./time.js";
import { renderReconcile } from "./reconcile.js";

const FIRST_DAY = "2010-01-01";
const todayInChina = () => new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);

let who = null;

function readState() {
  const q = new URLSearchParams(location.search);
  return Object.fromEntries(["view", "as_of", "known_at", "q", "unit", "release", "proposal",
    "type", "town", "lang"].map((k) => [k, q.get(k) ?? ""]));
}

// Change the state: the URL first (pushed, or replaced for a slider's moves), then the view.
export function go(changes, { replace = false } = {}) {
  const state = { ...readState(), ...changes };
  const query = new URLSearchParams(Object.entries(state).filter(([, v]) => v)).toString();
  history[replace ? "replaceState" : "pushState"](null, "", `${location.pathname}?${query}`);
  render();
}

function views() {
  if (who.role === "city") return ["time"];
  return ["tree", "unit", "time", "reconcile"];
}

function renderChrome(state) {
  document.getElementById("title").textContent = t("title");
  document.title = t("title");
  document.getElementById("language").textContent = t("language");
  const signOut = document.getElementById("sign-out");
  signOut.textContent = t("signOut");
  signOut.hidden = !who;
  const form = document.getElementById("sign-in");
  form.hidden = Boolean(who);
  document.getElementById("sign-in-title").textContent = t("signIn");
  document.getElementById("sign-in-button").textContent = t("signIn");
  document.getElementById("key-label").textContent = t("key");
  document.getElementById("key-hint").textContent = t("keyHint");
  const nav = document.getElementById("nav");
  nav.hidden = !who;
  if (!who) {
    document.getElementById("who").textContent = "";
    return;
  }
  const place = who.tenant_code ? `${who.tenant_name ?? ""} ${who.tenant_code}` : `${t("city")} ${who.city_code}`;
  document.getElementById("who").textContent = `${place} · ${t("role")}: ${who.role}`;
  nav.innerHTML = views().map((v) =>
    `<a href="?${esc(new URLSearchParams({ ...state, view: v }).toString())}" data-view="${v}"
        ${state.view === v ? 'aria-current="page"' : ""}>${esc(t(v))}</a>`).join("");
}

// The date bar shared by the county's views: a slider and a date field for as_of,
// a field for known_at.
function dateBar(state) {
  const today = todayInChina();
  const span = Math.round((Date.parse(today) - Date.parse(FIRST_DAY)) / 864e5);
  const at = Math.round((Date.parse(state.as_of) - Date.parse(FIRST_DAY)) / 864e5);
  const bar = document.createElement("form");
  bar.className = "dates";
  bar.innerHTML = `
    <label for="as-of">${esc(t("asOf"))}</label>
    <input id="as-of-slider" type="range" min="0" max="${span}" value="${Math.min(Math.max(at, 0), span)}"
           aria-label="${esc(t("slider"))}" aria-valuetext="${esc(state.as_of)}">
    <input id="as-of" type="date" min="${FIRST_DAY}" value="${esc(state.as_of)}" required>
    <label for="known-at">${esc(t("knownAt"))}</label>
    <input id="known-at" type="datetime-local" step="1" value="${esc(state.known_at.replace(/Z$/, ""))}">`;
  const slider = bar.querySelector("#as-of-slider");
  const field = bar.querySelector("#as-of");
  let pending = null;
  slider.addEventListener("input", () => {
    field.value = addDays(FIRST_DAY, Number(slider.value));
    slider.setAttribute("aria-valuetext", field.value);
    clearTimeout(pending);
    pending = setTimeout(() => go({ as_of: field.value }, { replace: true }), 250);
  });
  field.addEventListener("change", () => { if (field.value) go({ as_of: field.value }); });
  bar.querySelector("#known-at").addEventListener("change", (event) => {
    // The field is read as UTC, as the API's recorded times are.
    go({ known_at: event.target.value ? `${event.target.value}Z` : "" });
  });
  bar.addEventListener("submit", (event) => event.preventDefault());
  return bar;
}

async function render() {
  const state = readState();
  setLanguage(state.lang || "zh");
  if (who && !views().includes(state.view)) state.view = views()[0];
  state.as_of ||= todayInChina();
  renderChrome(state);
  const root = document.getElementById("view");
  root.replaceChildren();
  if (!who) return;
  const ctx = { state, who, go, base: `/v1/tenants/${who.tenant_code}`, canEdit: ["admin", "editor"].includes(who.role) };
  if (state.view !== "reconcile") root.append(dateBar(state));
  const body = document.createElement("div");
  body.id = "body";
  root.append(body);
  try {
    await { tree: renderTree, unit: renderUnit, time: renderTime, reconcile: renderReconcile }[state.view](body, ctx);
  } catch (error) {
    body.innerHTML = refusalHtml(error);
  }
}

async function start() {
  document.getElementById("sign-in").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = document.getElementById("key");
    const error = document.getElementById("sign-in-error");
    try {
      who = await api.signIn(input.value);
      input.value = "";  // the key is gone from the page once exchanged
      error.replaceChildren();
      go({ view: views()[0] });
    } catch (refusal) {
      error.innerHTML = refusalHtml(refusal);
    }
  });
  document.getElementById("sign-out").addEventListener("click", async () => {
    await api.signOut();
    who = null;
    render();
  });
  document.getElementById("language").addEventListener("click", () =>
    go({ lang: language() === "zh" ? "en" : "zh" }, { replace: true }));
  document.getElementById("nav").addEventListener("click", (event) => {
    const link = event.target.closest("a[data-view]");
    if (!link) return;
    event.preventDefault();
    go({ view: link.dataset.view });
  });
  window.addEventListener("popstate", render);
  who = await api.resume();
  await render();
}

start();
