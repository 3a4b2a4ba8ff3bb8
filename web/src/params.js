import { h } from "./format.js";

/**
 * Typed inputs for a strategy's declared parameters (GET /api/strategies/{name} → params): a number input with the
 * declaration's min, max and step, or a select of the choices. Empty means "the default" (shown as the placeholder).
 * values() gives only what was set, as the API's `params` object.
 */
export function parameterInputs(declared) {
  const inputs = declared.map((p) => {
    const input = p.kind === "choice"
      ? h("select", { name: `params.${p.name}`, "data-param": p.name },
        h("option", { value: "" }, `default (${p.default})`),
        p.choices.map((c) => h("option", { value: JSON.stringify(c) }, String(c))))
      : h("input", {
        name: `params.${p.name}`, "data-param": p.name, type: "number", placeholder: String(p.default),
        min: p.min ?? undefined, max: p.max ?? undefined, step: p.step ?? "any",
      });
    const range = p.kind === "choice" ? "" : `${p.min}–${p.max}${p.step ? ` step ${p.step}` : ""}`;
    const element = h("label", { className: "field", dataset: { field: `params.${p.name}` } },
      h("span", {}, p.name), input, h("small", { className: "hint" }, range || p.kind), h("small", { className: "error" }));
    return { p, input, element };
  });
  return {
    elements: inputs.map((i) => i.element),
    values() {
      const values = {};
      for (const { p, input } of inputs) {
        if (input.value === "") continue;
        values[p.name] = p.kind === "choice" ? JSON.parse(input.value) : Number(input.value);
      }
      return Object.keys(values).length ? values : undefined;
    },
  };
}

/** "fast=12, slow=30" for a params object; "defaults" when there is none. */
export function describeParams(params) {
  const entries = Object.entries(params ?? {});
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(", ") : "defaults";
}
