// The REST API with the session cookie: the key is sent once, to /session, and
// never kept; writes carry the session's CSRF token, held in memory only.

let csrfToken = null;

export class Refusal extends Error {
  // A problem+json answer: title, detail, and for a rule's refusal its id,
  // Chinese title and clause.
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

async function call(method, path, body, contentType = "application/json") {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = csrfToken ?? "";
  if (body !== undefined) headers["Content-Type"] = contentType;
  const payload = body === undefined || contentType !== "application/json" ? body : JSON.stringify(body);
  const response = await fetch(path, { method, headers, body: payload, credentials: "same-origin" });
  if (response.status === 204) return null;
  const data = await response.json().catch(() => ({ title: response.statusText }));
  if (!response.ok) throw new Refusal(response.status, data);
  return data;
}

export const get = (path, params = {}) => {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v)).toString();
  return call("GET", query ? `${path}?${query}` : path);
};
export const post = (path, body) => call("POST", path, body);
export const patch = (path, body) => call("PATCH", path, body);
export const putCsv = (path, text) => call("PUT", path, text, "text/csv");

export async function signIn(key) {
  const who = await call("POST", "/session", { key });
  csrfToken = who.csrf_token;
  return who;
}

export async function resume() {
  try {
    const who = await call("GET", "/session");
    csrfToken = who.csrf_token;
    return who;
  } catch (error) {
    if (error.status === 401) return null;
    throw error;
  }
}

export async function signOut() {
  await call("DELETE", "/session");
  csrfToken = null;
}
