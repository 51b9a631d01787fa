// onering verify --html: lays out the checker's result (the JSON in
// #onering-data) as lanes of intervals. It computes nothing about the
// verdict; where a linearization point is drawn inside its interval is
// only presentation (any point consistent with the order would do).
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("onering-data").textContent);
  const SVG = "http://www.w3.org/2000/svg";
  const app = document.getElementById("app");

  function el(tag, attrs, parent, text) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function sv(tag, attrs, parent, text) {
    const e = document.createElementNS(SVG, tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }

  // Header: the verdict, and the one sentence saying what breaks.
  const header = el("header", {}, app);
  const h1 = el("h1", {}, header);
  el("span", { class: "verdict " + data.verdict }, h1,
    data.verdict === "not-linearizable" ? "NOT linearizable" :
    data.verdict === "linearizable" ? "linearizable" : "no verdict");
  el("code", {}, h1, data.name);
  el("span", { class: "meta" }, h1, "  under profile " + data.profile);
  el("p", { class: "headline", id: "headline" }, header, data.headline);
  el("div", { class: "meta" }, header,
    data.calls + " calls in " + data.parts + (data.parts === 1 ? " part" : " parts") +
    " (a part: one source as one port sees it), checked in " +
    data.seconds.toFixed(3) + " s");

  const main = el("main", {}, app);
  for (const n of data.notes) el("p", { class: "note" }, main, n);
  if (data.views.length === 0) {
    el("p", { class: "note" }, main, "Nothing to draw.");
    document.body.dataset.rendered = "1";
    return;
  }
  const controls = el("div", { class: "controls" }, main);
  let select = null;
  if (data.views.length > 1) {
    const lab = el("label", {}, controls, "part ");
    select = el("select", { id: "part" }, lab);
    data.views.forEach((v, i) => el("option", { value: i }, select, v.title));
  } else {
    el("strong", {}, controls, data.views[0].title);
  }
  const legend = el("div", { class: "legend" }, controls);
  el("span", { class: "l-ok" }, legend, "linearized (number: its place in the order)");
  if (data.verdict === "not-linearizable") {
    el("span", { class: "l-bad" }, legend, "stuck: cannot be placed");
    el("span", { class: "l-win" }, legend, "in the failing window, not placed");
  }
  el("span", { class: "l-other" }, legend, "not placed");
  el("span", { class: "l-open" }, legend, "never returned");

  const layout = el("div", { class: "layout" }, main);
  const left = el("div", {}, layout);
  const tl = el("div", { class: "card timeline", id: "timeline" }, left);
  const stepsCard = el("div", { class: "card steps" }, left);
  const side = el("aside", { class: "card side", id: "details" }, layout);

  function stateList(parent, title, lines, other) {
    const box = el("div", { class: "state" }, parent);
    el("h3", {}, box, title);
    const ul = el("ul", {}, box);
    for (const l of lines) {
      el("li", { class: other && !other.includes(l) ? "changed" : "" }, ul, l);
    }
    if (other) {
      for (const l of other) if (!lines.includes(l)) el("li", { class: "gone" }, ul, l);
    }
    return box;
  }

  function draw(view) {
    tl.textContent = "";
    // The lane names stay put while the lanes scroll.
    const names = sv("svg", { class: "names", width: 112, height: 10 }, tl);
    const scroller = el("div", { class: "scroller" }, tl);
    stepsCard.textContent = "";
    const byId = new Map(view.drawn.map((c) => [c.id, c]));
    const stepOf = new Map(view.steps.map((s, i) => [s.id, i]));
    // `s.n`: the step's place in the whole order (the page may carry only
    // the steps of the calls it draws); `view.placed`: how many in all.

    // Rows: a lane per thread; calls that overlap on one lane (steps no
    // user thread made) get sub-rows.
    const rowsOf = view.lanes.map(() => []);
    for (const c of view.drawn) {
      const end = c.end === null ? Infinity : c.end;
      const rows = rowsOf[c.lane];
      let r = rows.findIndex((last) => last <= c.start);
      if (r < 0) { r = rows.length; rows.push(0); }
      rows[r] = end;
      c.row = r;
    }
    const ROW = 46, PAD = 14, LEFT = 112, TOP = 40;
    const laneTop = [];
    let y = TOP;
    view.lanes.forEach((_, i) => { laneTop.push(y); y += PAD * 2 + ROW * Math.max(1, rowsOf[i].length); });
    const height = y + 22;
    // The axis keeps only the order of stamps, so each stamp gets the room
    // its calls' labels need: a stamp's position is the furthest that
    // some call ending there must be from its own start.
    const CH = 7.0, MIN = 22, LABEL = 20;
    const need = new Array(view.ticks + 2).fill(0);
    const ending = new Map();
    for (const c of view.drawn) {
      const e = c.end === null ? view.ticks : c.end;
      if (!ending.has(e)) ending.set(e, []);
      ending.get(e).push(c);
    }
    const pos = [0];
    for (let r = 1; r <= view.ticks; r++) {
      let x = pos[r - 1] + MIN;
      for (const c of ending.get(r) || []) {
        x = Math.max(x, pos[c.start] + Math.min(c.text.length, 44) * CH + LABEL);
      }
      pos.push(x);
    }
    const avail = Math.max(480, scroller.clientWidth - 40);
    // Squeeze (labels then clip) rather than scroll, down to 60%.
    const scale = Math.max(0.6, avail / (pos[view.ticks] + 60));
    // Fractional ranks (linearization points) fall between two stamps.
    const X = (r) => {
      const a = Math.min(Math.floor(r), view.ticks);
      const b = pos[a + 1] === undefined ? pos[a] + MIN : pos[a + 1];
      return 14 + (pos[a] + (r - a) * (b - pos[a])) * scale;
    };
    const width = X(view.ticks) + 70;
    const svg = sv("svg", { width: width, height: height, id: "lanes", role: "img" }, scroller);
    names.setAttribute("width", LEFT);
    names.setAttribute("height", height);

    view.lanes.forEach((name, i) => {
      const h = PAD * 2 + ROW * Math.max(1, rowsOf[i].length);
      sv("rect", { class: "lane-band" + (i % 2 ? " odd" : ""), x: 0, y: laneTop[i], width: width, height: h }, svg);
      sv("rect", { class: "lane-band" + (i % 2 ? " odd" : ""), x: 0, y: laneTop[i], width: LEFT, height: h }, names);
      sv("text", { class: "lane-label", x: 12, y: laneTop[i] + h / 2 + 4, "data-lane": i }, names, name);
    });
    sv("line", { class: "axis", x1: LEFT - 1, y1: TOP - 6, x2: LEFT - 1, y2: height - 18 }, names);
    sv("text", { class: "tick", x: 14, y: height - 5 }, svg,
      "time → (stamps in order; gaps mean nothing)");

    const rectY = (c) => laneTop[c.lane] + PAD + c.row * ROW + 8;
    const RH = ROW - 14;
    // The order's path goes under the calls, its numbered points over them.
    const under = sv("g", { class: "under" }, svg);
    for (const c of view.drawn) {
      const x0 = X(c.start) + 2;
      const x1 = (c.end === null ? X(view.ticks) + 50 : X(c.end)) - 2;
      const cls = c.stuck ? "bad" : c.order !== null ? "ok" : c.window ? "win" : "other";
      const g = sv("g", {
        class: "call " + cls + (c.end === null ? " open" : ""),
        id: "call-" + c.id, "data-id": c.id, "data-line": c.line,
      }, svg);
      sv("rect", { class: "box", x: x0, y: rectY(c), width: Math.max(6, x1 - x0), height: RH }, g);
      const clip = sv("svg", { x: x0 + 6, y: rectY(c), width: Math.max(0, x1 - x0 - 10), height: RH }, g);
      sv("text", { x: 0, y: RH / 2 + 6 }, clip, c.text);
      sv("title", {}, g, "line " + c.line + ": " + c.text);
      g.addEventListener("mouseenter", () => focus(c.id));
    }

    // The linearization: a point inside each placed call's interval, in
    // order, joined by a path.
    const pts = [];
    let p = -Infinity;
    for (const s of view.steps) {
      const c = byId.get(s.id);
      if (!c) continue;
      let q = Math.max(p + 0.12, c.start + 0.3);
      if (c.end !== null) q = Math.min(q, c.end - 0.3);
      p = q;
      pts.push([X(q), rectY(c), s.n, s.id]);
    }
    if (pts.length > 1) {
      sv("polyline", { class: "lin-path", points: pts.map((t) => t[0] + "," + t[1]).join(" ") }, under);
    }
    if (view.stuck) {
      const c = byId.get(view.stuck.id);
      if (c) {
        const xs = c.end === null ? X(view.ticks) : X(c.end);
        sv("line", { class: "stuck-line", x1: xs, y1: TOP - 10, x2: xs, y2: height - 20 }, svg);
        sv("text", {
          class: "stuck-flag", id: "stuck-flag",
          x: Math.max(240, xs - 6), y: TOP - 14, "text-anchor": "end",
        }, svg, "stuck: line " + c.line + " cannot be linearized");
        const sx = X(c.start) + 8, sy = rectY(c) + RH / 2;
        if (pts.length) {
          const last = pts[pts.length - 1];
          sv("path", { class: "stuck-path", d: "M" + last[0] + "," + last[1] + " L" + sx + "," + sy }, svg);
        }
        sv("circle", { class: "stuck-dot", cx: sx, cy: sy, r: 4 }, svg);
      }
    }
    for (const [x, yy, n, id] of pts) {
      const parked = view.steps.some((s) => s.id === id && s.parked);
      const g = sv("g", { class: "lin-point" + (parked ? " parked" : ""), "data-order": n }, svg);
      const w = Math.max(16, 7 + 6.2 * String(n).length);
      sv("rect", { class: "lin-dot", x: x - w / 2, y: yy - 8, width: w, height: 16, rx: 8, ry: 8 }, g);
      sv("text", { class: "lin-num", x: x, y: yy + 3.5, "text-anchor": "middle" }, g, String(n));
      g.addEventListener("mouseenter", () => focus(id));
    }

    // The order as a list.
    el("h2", {}, stepsCard, data.verdict === "not-linearizable"
      ? "Longest partial linearization (" + (view.placed - view.parked) + " calls" +
        (view.parked ? ", " + view.parked + " blocking wait" + (view.parked > 1 ? "s" : "") + " parked" : "") +
        "), then the stuck call"
      : "Linearization (" + view.placed + " calls)");
    if (view.total > view.drawn.length) {
      el("p", { class: "note" }, stepsCard, "The lanes show " + view.drawn.length + " of the " +
        view.total + " calls (those closest to where it gets stuck); --json lists them all.");
    }
    const ol = el("ul", { id: "steps" }, stepsCard);
    view.steps.forEach((s) => {
      const li = el("li", { "data-id": s.id }, ol);
      el("span", { class: "num" }, li, s.n + ".");
      el("span", { class: "ln" }, li, "line " + s.line + " · " + s.thread + " · ");
      li.appendChild(document.createTextNode(s.text + (s.parked ? " (parked)" : "")));
      li.addEventListener("mouseenter", () => focus(s.id));
    });
    if (view.stuck) {
      const li = el("li", { class: "stuck", "data-id": view.stuck.id }, ol);
      el("span", { class: "num" }, li, "✗");
      el("span", { class: "ln" }, li, "line " + view.stuck.line + " · " + view.stuck.thread + " · ");
      li.appendChild(document.createTextNode(view.stuck.text + ": cannot be placed"));
      li.addEventListener("mouseenter", () => focus(view.stuck.id));
    }

    // The details of one call: what it is, and the model state around it.
    function focus(id) {
      for (const e of document.querySelectorAll(".focus")) e.classList.remove("focus");
      const g = document.getElementById("call-" + id);
      if (g) g.classList.add("focus");
      for (const li of ol.querySelectorAll("li")) {
        if (Number(li.dataset.id) === id) li.classList.add("focus");
      }
      side.textContent = "";
      document.body.dataset.focus = id;
      const c = byId.get(id);
      const i = stepOf.get(id);
      const s = i === undefined ? null : view.steps[i];
      const text = c ? c.text : s ? s.text : "";
      el("h2", {}, side, "Call");
      el("p", { class: "what" }, side, text);
      if (c) {
        el("div", { class: "where" }, side, "line " + c.line + " · " + view.lanes[c.lane] +
          " · stamps " + c.call + ".." + (c.ret === null ? "(never returned)" : c.ret));
      }
      if (view.stuck && view.stuck.id === id) {
        el("p", { class: "why", id: "stuck-why" }, side, view.stuck.refused
          ? "The model refuses it after the longest partial linearization: " + view.stuck.refused
          : "No order of the calls, each within its interval, lets it return what it returned.");
        if (s) el("p", { class: "where" }, side, "(it parked, as a blocking wait, at step " + s.n + ")");
        if (view.stuck.state) {
          stateList(side, "model state after the longest partial linearization", view.stuck.state, null);
        }
      } else if (s) {
        el("p", { class: "where" }, side, "step " + s.n + " of " + view.placed +
          " in the " + (data.verdict === "not-linearizable" ? "longest partial " : "") + "linearization" +
          (s.parked ? " (a blocking wait that parked here)" : ""));
        stateList(side, "model state before", s.before, null);
        stateList(side, "model state after (changes marked)", s.after, s.before);
      } else {
        el("p", { class: "where" }, side, "not in the longest partial linearization");
      }
    }
    // `#line=N` in the address focuses the call on line N.
    const m = /line=(\d+)/.exec(location.hash);
    const byLine = m && view.drawn.find((c) => c.line === Number(m[1]));
    const first = byLine ? byLine.id : view.stuck ? view.stuck.id
      : view.steps.length ? view.steps[0].id : null;
    if (first !== null) {
      focus(first);
      // Bring the stuck call, or the one the address names, into view (a
      // linearization opens at its start).
      const c = (byLine || view.stuck) ? byId.get(first) : null;
      if (c) scroller.scrollLeft = Math.max(0, X(c.start) - scroller.clientWidth * 0.6);
    }
  }

  draw(data.views[0]);
  if (select) select.addEventListener("change", () => draw(data.views[Number(select.value)]));
  window.addEventListener("resize", () => draw(data.views[select ? Number(select.value) : 0]));
  document.body.dataset.rendered = "1";
})();
