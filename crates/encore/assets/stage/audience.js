// A quiet audience: a few silhouettes in the dark, each with a warm glow behind it that follows
// the flow of the take (the server's `flow`, 0 to 1), brightening while the words come and
// dimming gently through a long hesitation. Kept sparse on purpose: the teaching happens in the
// report, after the take. Decorative, so hidden from screen readers.

import { svg } from "./dom.js";

const SEATS = [
  // x, y (head centre), scale, how strongly this one reacts
  [60, 70, 0.9, 0.8], [150, 60, 1.05, 1.0], [245, 72, 0.85, 0.7], [335, 58, 1.1, 0.95],
  [430, 70, 0.92, 0.85], [520, 62, 1.0, 0.9], [610, 74, 0.86, 0.75],
];

export function audience() {
  const glows = [];
  const picture = svg("svg", { class: "audience", viewBox: "0 0 670 140", "aria-hidden": "true", focusable: "false" },
    svg("defs", {}, svg("radialGradient", { id: "audience-glow" },
      svg("stop", { offset: "0", "stop-color": "#ffcf7a", "stop-opacity": "0.85" }),
      svg("stop", { offset: "0.55", "stop-color": "#ffcf7a", "stop-opacity": "0.18" }),
      svg("stop", { offset: "1", "stop-color": "#ffcf7a", "stop-opacity": "0" }),
    )),
    SEATS.map(([x, y, scale]) => {
      const glow = svg("circle", { class: "glow", cx: x, cy: y + 18, r: 58 * scale, fill: "url(#audience-glow)", opacity: 0.15 });
      glows.push(glow);
      return svg("g", {},
        glow,
        svg("g", { class: "person", transform: `translate(${x} ${y}) scale(${scale})` },
          svg("circle", { cx: 0, cy: 0, r: 15 }),
          svg("path", { d: "M-34 80 C-34 40 -20 22 0 22 C20 22 34 40 34 80 Z" }),
        ),
      );
    }),
  );
  let last = 0.3;
  return {
    element: picture,
    /** The flow of the take, 0 to 1. */
    setFlow(flow) {
      last = Math.max(0, Math.min(1, flow));
      glows.forEach((glow, i) => {
        const reach = SEATS[i][3];
        glow.setAttribute("opacity", (0.1 + 0.8 * last * reach).toFixed(3));
      });
    },
    /** Everyone brightens at once (the end of a good take). */
    cheer() {
      glows.forEach((glow) => glow.setAttribute("opacity", "0.95"));
      setTimeout(() => this.setFlow(last), 2500);
    },
  };
}
