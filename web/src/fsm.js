import { h } from "./format.js";

const STATES = ["Idle", "Analyzing", "InPosition"];
const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attributes = {}, text) {
  const element = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attributes)) element.setAttribute(k, v);
  if (text) element.textContent = text;
  return element;
}

/** The state machine as three boxes with the runner's transitions between them; set(state) lights one. */
export function stateMachineView() {
  const root = svg("svg", { viewBox: "0 0 360 120", class: "fsm", role: "img", "aria-label": "state machine" });
  const defs = svg("defs");
  const marker = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: "auto-start-reverse" });
  marker.append(svg("path", { d: "M0,0 L10,5 L0,10 z", class: "arrowhead" }));
  defs.append(marker);
  root.append(defs);
  const edges = [
    ["M92,38 L133,38", "start"], ["M133,58 L92,58", "cancel"],
    ["M227,38 L268,38", "enter"], ["M60,30 C 60,-8 300,-8 300,30", "enter"],
    ["M300,70 C 300,118 60,118 60,70", "exit / stop / target"],
  ];
  for (const [d] of edges) root.append(svg("path", { d, class: "edge", "marker-end": "url(#arrow)" }));
  const boxes = {};
  STATES.forEach((state, i) => {
    const x = 10 + i * 125;
    const group = svg("g", { class: "state", "data-state": state });
    group.append(svg("rect", { x, y: 28, width: 92, height: 40, rx: 8 }));
    group.append(svg("text", { x: x + 46, y: 53, "text-anchor": "middle" }, state));
    root.append(group);
    boxes[state] = group;
  });
  const wrapper = h("div", { className: "fsm-wrap", "data-testid": "fsm" }, root);
  return {
    element: wrapper,
    set(state) {
      for (const [name, group] of Object.entries(boxes)) group.classList.toggle("current", name === state);
      wrapper.dataset.current = state;
    },
  };
}
