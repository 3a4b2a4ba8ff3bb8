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

// A dashboard session's changes carry its CSRF token (the cookie alone would be sent by any page's request too). When a
// request is refused for want of a session, the page shows the login (main.js installs what happens).
let csrfToken = null;
let unauthorized = () => {};
export const setCsrfToken = (token) => { csrfToken = token; };
export const onUnauthorized = (handler) => { unauthorized = handler; };
const SAFE = new Set(["GET", "HEAD"]);

async function request(method, path, body) {
  const init = { method, headers: { Accept: "application/json" } };
  if (csrfToken && !SAFE.has(method)) init.headers["X-CSRF-Token"] = csrfToken;
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
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    // not JSON (a proxy's error page): the status says enough
  }
  if (response.status === 401 && !path.startsWith("/api/auth/")) unauthorized(data);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export const api = {
  session: () => request("GET", "/api/auth/session"),
  login: (key) => request("POST", "/api/auth/login", { key }),
  logout: () => request("POST", "/api/auth/logout"),
  audit: ({ since, limit, before_id } = {}) => request("GET", `/api/audit?${query({ since, limit, before_id })}`),
  health: () => request("GET", "/api/health"),
  runners: () => request("GET", "/api/runners"),
  runner: (id) => request("GET", `/api/runners/${encodeURIComponent(id)}`),
  history: (id, count = 500) => request("GET", `/api/runners/${encodeURIComponent(id)}/history?count=${count}`),
  trades: (id, { limit, offset, from, to } = {}) => request("GET", `/api/runners/${encodeURIComponent(id)}/trades?${query({ limit, offset, from, to })}`),
  tradeTotals: (id) => request("GET", `/api/runners/${encodeURIComponent(id)}/trades/totals`),
  recentEvents: (id, limit = 200) => request("GET", `/api/runners/${encodeURIComponent(id)}/events?limit=${limit}`),
  createRunner: (body) => request("POST", "/api/runners", body),
  removeRunner: (id) => request("DELETE", `/api/runners/${encodeURIComponent(id)}`),
  reloadRunner: (id) => request("POST", `/api/runners/${encodeURIComponent(id)}/reload`),
  steer: (id, verb) => request("POST", `/api/runners/${encodeURIComponent(id)}/${verb}`),
  changeRisk: (id, limits) => request("PATCH", `/api/runners/${encodeURIComponent(id)}/risk`, limits),
  enter: (id, body) => request("POST", `/api/runners/${encodeURIComponent(id)}/enter`, body),
  exit: (id) => request("POST", `/api/runners/${encodeURIComponent(id)}/exit`),
  engine: () => request("GET", "/api/engine"),
  halt: (flatten) => request("POST", "/api/engine/halt", { flatten }),
  resume: () => request("POST", "/api/engine/resume"),
  symbols: () => request("GET", "/api/symbols"),
  portfolio: () => request("GET", "/api/portfolio"),
  portfolioEquity: (points) => request("GET", `/api/portfolio/equity?${query({ points })}`),
  plots: (id, { interval, from, to, limit } = {}) => request("GET", `/api/runners/${encodeURIComponent(id)}/plots?${query({ interval, from, to, limit })}`),
  candles: (symbol, { interval, from, to, limit } = {}) => request("GET", `/api/symbols/${encodeURIComponent(symbol)}/candles?${query({ interval, from, to, limit })}`),
  strategies: () => request("GET", "/api/strategies"),
  strategy: (name) => request("GET", `/api/strategies/${encodeURIComponent(name)}`),
  uploadStrategy: (name, code) => request("POST", "/api/strategies", { name, code }),
  updateStrategy: (name, code) => request("PUT", `/api/strategies/${encodeURIComponent(name)}`, { code }),
  deleteStrategy: (name) => request("DELETE", `/api/strategies/${encodeURIComponent(name)}`),
  validateStrategy: (name, code) => request("POST", `/api/strategies/${encodeURIComponent(name)}/validate`, { code }),
  datasets: () => request("GET", "/api/datasets"),
  dataset: (id) => request("GET", `/api/datasets/${encodeURIComponent(id)}`),
  datasetBars: (id, from, to, limit) => request("GET", `/api/datasets/${encodeURIComponent(id)}/bars?${query({ from, to, limit })}`),
  deleteDataset: (id) => request("DELETE", `/api/datasets/${encodeURIComponent(id)}`),
  backtests: (limit = 200) => request("GET", `/api/backtests?limit=${limit}`),
  backtest: (id) => request("GET", `/api/backtests/${encodeURIComponent(id)}`),
  backtestTrades: (id, { offset, limit, from, to } = {}) => request("GET", `/api/backtests/${encodeURIComponent(id)}/trades?${query({ offset, limit, from, to })}`),
  backtestEquity: (id, points) => request("GET", `/api/backtests/${encodeURIComponent(id)}/equity?${query({ points })}`),
  backtestMonthly: (id) => request("GET", `/api/backtests/${encodeURIComponent(id)}/monthly`),
  submitBacktest: (body) => request("POST", "/api/backtests", body),
  cancelBacktest: (id) => request("POST", `/api/backtests/${encodeURIComponent(id)}/cancel`),
  deleteBacktest: (id) => request("DELETE", `/api/backtests/${encodeURIComponent(id)}`),
  optimizations: (limit = 200) => request("GET", `/api/optimizations?limit=${limit}`),
  optimization: (id) => request("GET", `/api/optimizations/${encodeURIComponent(id)}`),
  optimizationTrials: (id, { sort, order, offset, limit } = {}) => request("GET", `/api/optimizations/${encodeURIComponent(id)}/trials?${query({ sort, order, offset, limit })}`),
  optimizationEquity: (id, points) => request("GET", `/api/optimizations/${encodeURIComponent(id)}/walk-forward/equity?${query({ points })}`),
  submitOptimization: (body) => request("POST", "/api/optimizations", body),
  cancelOptimization: (id) => request("POST", `/api/optimizations/${encodeURIComponent(id)}/cancel`),
  deleteOptimization: (id) => request("DELETE", `/api/optimizations/${encodeURIComponent(id)}`),
};

function query(parameters) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(parameters)) if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  return search.toString();
}

/**
 * Uploads a CSV file as a dataset (the body is the file itself, streamed by the browser). XMLHttpRequest rather than fetch:
 * only it reports upload progress. onProgress(fraction) runs as bytes leave; resolves with the server's answer.
 */
export function uploadDataset(file, parameters, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/datasets?${query({ ...parameters, file_name: file.name })}`);
    xhr.setRequestHeader("Accept", "application/json");
    if (csrfToken) xhr.setRequestHeader("X-CSRF-Token", csrfToken);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress?.(e.loaded / e.total); };
    xhr.onerror = () => reject(new ApiError(0, { detail: "The upload failed: the server cannot be reached." }));
    xhr.onload = () => {
      let data = null;
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        // a proxy's HTML error page: keep the status
      }
      if (xhr.status === 401) unauthorized(data);
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else reject(new ApiError(xhr.status, data));
    };
    xhr.send(file);
  });
}
