// REST helpers: JSON in and out; failures become ApiError with the server's problem+json details.

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
    this.errors = problem?.errors || {};
    this.diagnostics = problem?.diagnostics || [];
  }
}

async function request(method, path, body) {
  const init = { method, headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, { detail: `The server cannot be reached (${e.message}).` });
  }
  if (response.status === 204) return null;
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export const api = {
  health: () => request("GET", "/api/health"),
  runners: () => request("GET", "/api/runners"),
  runner: (id) => request("GET", `/api/runners/${encodeURIComponent(id)}`),
  history: (id, count = 500) => request("GET", `/api/runners/${encodeURIComponent(id)}/history?count=${count}`),
  trades: (id) => request("GET", `/api/runners/${encodeURIComponent(id)}/trades`),
  recentEvents: (id, limit = 200) => request("GET", `/api/runners/${encodeURIComponent(id)}/events?limit=${limit}`),
  createRunner: (body) => request("POST", "/api/runners", body),
  removeRunner: (id) => request("DELETE", `/api/runners/${encodeURIComponent(id)}`),
  steer: (id, verb) => request("POST", `/api/runners/${encodeURIComponent(id)}/${verb}`),
  symbols: () => request("GET", "/api/symbols"),
  strategies: () => request("GET", "/api/strategies"),
  strategy: (name) => request("GET", `/api/strategies/${encodeURIComponent(name)}`),
  uploadStrategy: (name, code) => request("POST", "/api/strategies", { name, code }),
  updateStrategy: (name, code) => request("PUT", `/api/strategies/${encodeURIComponent(name)}`, { code }),
  deleteStrategy: (name) => request("DELETE", `/api/strategies/${encodeURIComponent(name)}`),
  validateStrategy: (name, code) => request("POST", `/api/strategies/${encodeURIComponent(name)}/validate`, { code }),
};
