import { api, ApiError } from "../api.js";
import { h } from "../format.js";

/**
 * The login: an API key (made with `keys create`) for a session cookie the page cannot read (HttpOnly). The key itself is
 * not kept anywhere by the page. onLoggedIn runs with the server's answer (name, scope, CSRF token).
 */
export function renderLogin(app, { expired = false, onLoggedIn }) {
  const key = h("input", {
    type: "password", name: "key", id: "login-key", autocomplete: "current-password", required: true, spellcheck: false,
    placeholder: "trk_…", "aria-describedby": "login-error",
  });
  const error = h("p", { className: "error", id: "login-error", role: "alert" });
  const submit = h("button", { type: "submit", className: "primary" }, "Log in");
  const form = h("form", { className: "login" },
    h("h1", {}, "Log in to Tickrunner"),
    h("p", { className: "muted" }, expired
      ? "Your session ended (it expired, you logged out, or its key was revoked). Log in again with an API key."
      : "This server asks for an API key. Paste one made with the command line:"),
    h("pre", { className: "hint" }, "dotnet run --project src/Tickrunner.Cli -- keys create --name NAME --scope trade"),
    h("label", { className: "field" }, h("span", {}, "API key"), key),
    error,
    submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    error.textContent = "";
    try {
      const session = await api.login(key.value.trim());
      key.value = "";
      onLoggedIn(session);
    } catch (e) {
      error.textContent = e instanceof ApiError && e.status === 401 ? "That key is not valid or has been revoked." : e.message;
      key.select();
    } finally {
      submit.disabled = false;
    }
  });
  app.replaceChildren(h("section", { className: "card login-card" }, form));
  key.focus();
}
