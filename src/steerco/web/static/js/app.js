/* steerco pages: charts (ECharts), the strategy map and the dependency explorer
   (Cytoscape + dagre). Data comes from <script type="application/json"> blocks. */
(function () {
  "use strict";

  var COLOURS = {
    on_track: "#2e9e5b", achieved: "#17663a", at_risk: "#e3a008", off_track: "#d93f34",
    missed: "#a1231b", stale: "#8371c2", no_data: "#9aa5b4"
  };
  var SYMBOLS = { on_track: "●", achieved: "✓", at_risk: "▲", off_track: "■", missed: "✕",
    stale: "◷", no_data: "○" };
  var LABELS = { on_track: "On track", achieved: "Achieved", at_risk: "At risk",
    off_track: "Off track", missed: "Missed", stale: "Stale", no_data: "No data" };

  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  /* The rule of steerco.kit.numbers.number: three significant digits, the integer part
     never cut, compact from a million (so a chart reads like the page around it). */
  function fmt(v) {
    if (v === null || v === undefined || !isFinite(v)) { return "—"; }
    var a = Math.abs(v);
    if (a >= 1e15) { return v.toExponential(2).replace("e+", "e"); }
    var scales = [[1e12, " T"], [1e9, " B"], [1e6, " M"]];
    for (var i = 0; i < scales.length; i++) {
      if (a >= scales[i][0]) { return fmt(v / scales[i][0]) + scales[i][1]; }
    }
    var d = a === 0 ? 0 : Math.max(0, Math.min(10, 2 - Math.floor(Math.log10(a))));
    return v.toLocaleString("en", { maximumFractionDigits: d });
  }

  /* ---- auto-submitting filters ---- */
  function autosubmit(root) {
    root.querySelectorAll("[data-autosubmit]").forEach(function (el) {
      el.addEventListener("change", function () { el.form.submit(); });
    });
  }

  /* ---- charts ---- */
  function metricOption(d) {
    var series = [];
    series.push({ name: "Plan", type: "line", data: d.plan, showSymbol: false,
      lineStyle: { type: "dashed", width: 1.5, color: "#8895a7" }, z: 1 });
    if (d.cone) {
      series.push({ name: "95% range", type: "line", data: d.cone.lower95, stack: "c95",
        lineStyle: { opacity: 0 }, showSymbol: false, tooltip: { show: false } });
      series.push({ name: "95% range", type: "line", data: d.cone.span95, stack: "c95",
        lineStyle: { opacity: 0 }, showSymbol: false, areaStyle: { color: "rgba(47,111,179,0.12)" } });
      series.push({ name: "80% range", type: "line", data: d.cone.lower80, stack: "c80",
        lineStyle: { opacity: 0 }, showSymbol: false, tooltip: { show: false } });
      series.push({ name: "80% range", type: "line", data: d.cone.span80, stack: "c80",
        lineStyle: { opacity: 0 }, showSymbol: false, areaStyle: { color: "rgba(47,111,179,0.25)" } });
      series.push({ name: "Forecast", type: "line", data: d.cone.point, showSymbol: true,
        symbolSize: 6, lineStyle: { color: "#2f6fb3", type: "dotted", width: 2 }, itemStyle: { color: "#2f6fb3" } });
    }
    series.push({ name: "Actual", type: "line", data: d.actual, showSymbol: d.actual.length < 40,
      symbolSize: 4, lineStyle: { color: "#1b2430", width: 2 }, itemStyle: { color: "#1b2430" },
      markLine: d.target ? { symbol: "none", silent: true, label: { formatter: "Target " + fmt(d.target.value), position: "insideEndTop", color: "#17663a" },
        lineStyle: { color: "#17663a", type: "solid", width: 1 }, data: [{ yAxis: d.target.value }] } : undefined, z: 3 });
    return {
      animation: false, grid: { left: 52, right: 18, top: 30, bottom: 28 },
      legend: { top: 0, right: 0, itemWidth: 14, textStyle: { fontSize: 11 },
        data: ["Actual", "Plan", "Forecast", "80% range", "95% range"] },
      tooltip: { trigger: "axis", valueFormatter: function (v) { return fmt(v) + (d.unit ? " " + d.unit : ""); } },
      xAxis: { type: "time", axisLabel: { fontSize: 11 } },
      yAxis: { type: "value", scale: true, axisLabel: { fontSize: 11, formatter: fmt },
        splitLine: { lineStyle: { color: "#eef1f5" } } },
      series: series,
      aria: { enabled: true, label: { description: d.description || "" } }
    };
  }

  function budgetOption(d) {
    return {
      animation: false, grid: { left: 60, right: 16, top: 30, bottom: 28 },
      legend: { top: 0, right: 0, textStyle: { fontSize: 11 } },
      tooltip: { trigger: "axis", valueFormatter: fmt },
      xAxis: { type: "category", data: d.periods, axisLabel: { fontSize: 11 } },
      yAxis: { type: "value", axisLabel: { fontSize: 11, formatter: fmt }, splitLine: { lineStyle: { color: "#eef1f5" } } },
      series: [
        { name: "Planned (cumulative)", type: "line", data: d.planned, showSymbol: false, lineStyle: { color: "#8895a7", type: "dashed" }, itemStyle: { color: "#8895a7" } },
        { name: "Actual (cumulative)", type: "line", data: d.actual, showSymbol: false, lineStyle: { color: "#2f6fb3", width: 2 }, itemStyle: { color: "#2f6fb3" }, areaStyle: { color: "rgba(47,111,179,0.08)" } }
      ],
      aria: { enabled: true, label: { description: d.description || "" } }
    };
  }

  function charts(root) {
    if (!window.echarts) { return; }
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.ready) { return; }
      var d = data(el.dataset.chart);
      if (!d) { return; }
      el.dataset.ready = "1";
      var chart = window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption(d.kind === "budget" ? budgetOption(d) : metricOption(d));
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  /* ---- strategy map ---- */
  function strategyMap() {
    var el = document.getElementById("strategy-map");
    if (!el || !window.cytoscape) { return; }
    var tip = document.getElementById("map-tip");
    var cy = window.cytoscape({
      container: el, elements: data(el.dataset.map), layout: { name: "preset", fit: true, padding: 24 },
      minZoom: 0.2, maxZoom: 2.5, wheelSensitivity: 0.3, autoungrabify: true,
      style: [
        { selector: "node.band", style: { "background-color": "#f1f4f8", "border-width": 0,
          label: "data(label)", "text-valign": "top", "text-halign": "center", "font-size": 15,
          "font-weight": 700, color: "#4a5566", padding: 16, shape: "round-rectangle" } },
        { selector: "node.objective, node.aggregate", style: {
          shape: "round-rectangle", width: 190, height: 58, label: "data(label)",
          "text-wrap": "ellipsis", "text-max-width": 172, "font-size": 12, color: "#1b2430",
          "text-valign": "center", "background-color": "#fff", "border-width": 3,
          "border-color": function (n) { return COLOURS[n.data("status")] || "#9aa5b4"; } } },
        { selector: "node.objective", style: { "text-wrap": "wrap", "text-max-width": 172 } },
        { selector: "node.aggregate", style: { "border-style": "double", "border-width": 5,
          "background-color": "#f7f9fc", "font-weight": 700 } },
        { selector: "node.objective, node.aggregate", style: {
          "background-fill": "linear-gradient", "background-gradient-stop-colors": function (n) {
            return (COLOURS[n.data("status")] || "#9aa5b4") + " #ffffff #ffffff"; },
          "background-gradient-stop-positions": "0 6 100", "background-gradient-direction": "to-right" } },
        { selector: "edge.align", style: { width: 1.5, "line-color": "#b4bfcd", "curve-style": "bezier",
          "target-arrow-shape": "triangle", "target-arrow-color": "#b4bfcd", "arrow-scale": 0.8 } },
        { selector: "edge.causal", style: { width: 2, "line-color": "#c0587e", "line-style": "dashed",
          "curve-style": "unbundled-bezier", "target-arrow-shape": "vee", "target-arrow-color": "#c0587e" } },
        { selector: "node.hover", style: { "border-color": "#1a66d2", "border-width": 4 } }
      ]
    });
    cy.on("mouseover", "node.objective, node.aggregate", function (e) {
      var n = e.target, d = n.data(), p = e.renderedPosition || n.renderedPosition();
      n.addClass("hover");
      tip.innerHTML = "";
      var strong = document.createElement("strong");
      strong.textContent = d.label;
      var st = document.createElement("div");
      st.textContent = (SYMBOLS[d.status] || "") + " " + (LABELS[d.status] || d.status) +
        (d.kind === "aggregate" ? " (group)" : "");
      var why = document.createElement("div");
      why.textContent = d.reason;
      tip.appendChild(strong); tip.appendChild(st); tip.appendChild(why);
      tip.style.left = Math.min(p.x + 16, el.clientWidth - 330) + "px";
      tip.style.top = (p.y + 16) + "px";
      tip.style.display = "block";
      el.style.cursor = "pointer";
    });
    cy.on("mouseout", "node", function (e) { e.target.removeClass("hover"); tip.style.display = "none"; el.style.cursor = ""; });
    cy.on("tap", "node.objective, node.aggregate", function (e) { window.location.href = e.target.data("href"); });
    window.steercoMap = cy;
  }

  /* ---- dependency explorer ---- */
  function explorer() {
    var el = document.getElementById("dep-graph");
    if (!el || !window.cytoscape) { return; }
    // cytoscape-dagre registers itself on the global cytoscape when loaded after it.
    var hasDagre = typeof window.dagre !== "undefined";
    var elements = data(el.dataset.graph) || [];
    var cy = window.cytoscape({
      container: el, elements: elements, layout: { name: "preset" },
      minZoom: 0.2, maxZoom: 2.5, wheelSensitivity: 0.3, autoungrabify: true,
      style: [
        { selector: "node", style: { shape: "round-rectangle", width: 168, height: 40, label: "data(label)",
          "font-size": 13, "text-wrap": "ellipsis", "text-max-width": 156, "text-valign": "center",
          "min-zoomed-font-size": 0,
          "background-color": "#fff", "border-width": 2, "border-color": "#8895a7", color: "#1b2430" } },
        { selector: "node.late", style: { "border-color": "#d93f34" } },
        { selector: "node.done", style: { "border-color": "#2e9e5b", "background-color": "#f1faf4" } },
        { selector: "node.outside", style: { opacity: 0.55, "border-style": "dashed" } },
        { selector: "edge", style: { width: 1.5, "line-color": "#b4bfcd", "curve-style": "bezier",
          "target-arrow-shape": "triangle", "target-arrow-color": "#b4bfcd" } },
        { selector: "edge.broken", style: { "line-color": "#d93f34", "target-arrow-color": "#d93f34", "line-style": "dashed", width: 2 } },
        { selector: "node.picked", style: { "border-color": "#1a66d2", "border-width": 5, "background-color": "#e8f1fb" } },
        { selector: "node.moved", style: { "background-color": "#fff1d6", "border-color": "#e3a008", "border-width": 4 } },
        { selector: "edge.newly-broken", style: { "line-color": "#a1231b", "target-arrow-color": "#a1231b", width: 4, "line-style": "solid" } },
        { selector: ".faded", style: { opacity: 0.25 } }
      ]
    });
    // Fit the whole network into the panel, between two limits: a small network is not
    // blown up (at most 1.2×), and a big one is never shrunk below the zoom at which its
    // 13 px labels still read as 9 px (0.7×): then the items in scope are centred and
    // people pan, zoom or press "Fit all" for the rest.
    var LEGIBLE = 0.7, LARGEST = 1.2;
    function fitted(all) {
      cy.resize();
      cy.fit(undefined, 24);
      if (cy.zoom() > LARGEST) { cy.zoom(LARGEST); cy.center(); }
      if (!all && cy.zoom() < LEGIBLE) {
        cy.zoom(LEGIBLE);
        var core = cy.nodes().not(".outside");
        cy.center(core.length ? core : cy.nodes());
      }
    }
    // Lay the network out left to right and top to bottom, and keep the direction that
    // fills the panel better (the larger zoom that fits it whole).
    function lay(dir) {
      cy.layout(hasDagre ? { name: "dagre", rankDir: dir, nodeSep: 16, rankSep: 48, fit: false }
        : { name: "breadthfirst", directed: true, fit: false }).run();
      var bb = cy.elements().boundingBox();
      return Math.min(el.clientWidth / Math.max(bb.w, 1), el.clientHeight / Math.max(bb.h, 1));
    }
    if (hasDagre) {
      var lr = lay("LR"), tb = lay("TB");
      if (lr > tb) { lay("LR"); }
    } else {
      lay();
    }
    fitted(false);
    var fit = document.getElementById("graph-fit");
    if (fit) { fit.addEventListener("click", function () { fitted(true); }); }
    var zin = document.getElementById("graph-zoom-in");
    var zout = document.getElementById("graph-zoom-out");
    function zoomBy(f) {
      cy.zoom({ level: Math.max(cy.minZoom(), Math.min(cy.maxZoom(), cy.zoom() * f)),
        renderedPosition: { x: el.clientWidth / 2, y: el.clientHeight / 2 } });
    }
    if (zin) { zin.addEventListener("click", function () { zoomBy(1.25); }); }
    if (zout) { zout.addEventListener("click", function () { zoomBy(0.8); }); }
    var select = document.getElementById("slip-milestone");
    cy.on("tap", "node", function (e) {
      var id = e.target.id();
      if (select && select.querySelector('option[value="' + id + '"]')) {
        select.value = id;
        cy.nodes().removeClass("picked");
        e.target.addClass("picked");
      }
    });
    window.steercoGraph = cy;
  }

  function highlightRipple() {
    var cy = window.steercoGraph;
    var d = data("ripple-data");
    if (!cy || !d) { return; }
    cy.elements().removeClass("moved newly-broken faded picked");
    var moved = cy.collection();
    d.moved.forEach(function (id) { var n = cy.getElementById(id); if (n.length) { n.addClass("moved"); moved = moved.union(n); } });
    d.broken.forEach(function (id) { var e = cy.getElementById(id); if (e.length) { e.addClass("newly-broken"); moved = moved.union(e); } });
    var picked = cy.getElementById(d.picked);
    if (picked.length) { picked.addClass("picked"); moved = moved.union(picked); }
    if (moved.length) {
      cy.elements().not(moved).not(moved.connectedEdges()).addClass("faded");
      cy.animate({ fit: { eles: moved, padding: 40 } }, { duration: 250 });
    }
  }

  // Editable tables (the plan editor): "Remove" clears its row, "Add a row" copies
  // the last row empty. One listener on the document survives htmx swaps.
  function tableRows() {
    document.addEventListener("click", function (e) {
      var t = e.target.closest && e.target.closest("[data-clear-row], [data-add-row]");
      if (!t) return;
      if (t.hasAttribute("data-clear-row")) {
        t.closest("tr").querySelectorAll("input").forEach(function (i) { i.value = ""; });
        return;
      }
      var body = document.getElementById(t.getAttribute("data-add-row"));
      var last = body && body.lastElementChild;
      if (!last) return;
      var row = last.cloneNode(true);
      var n = body.children.length + 1;
      row.querySelectorAll("input").forEach(function (i) {
        i.value = "";
        i.setAttribute("aria-label", i.getAttribute("aria-label").replace(/\d+$/, n));
      });
      var b = row.querySelector("[data-clear-row]");
      if (b) b.setAttribute("aria-label", b.getAttribute("aria-label").replace(/\d+$/, n));
      body.appendChild(row);
      row.querySelector("input").focus();
    });
  }

  /* ---- the top bar's menus (<details>): one open at a time, closed by Escape (focus
     back on its summary) or by a click outside ---- */
  function navMenus() {
    var menus = document.querySelectorAll("[data-navmenu]");
    menus.forEach(function (m) {
      m.addEventListener("toggle", function () {
        if (!m.open) { return; }
        menus.forEach(function (o) { if (o !== m) { o.open = false; } });
      });
    });
    document.addEventListener("keydown", function (e) {
      if (e.key !== "Escape") { return; }
      menus.forEach(function (m) {
        if (m.open) { m.open = false; m.querySelector("summary").focus(); }
      });
    });
    document.addEventListener("click", function (e) {
      menus.forEach(function (m) { if (m.open && !m.contains(e.target)) { m.open = false; } });
    });
  }

  function init(root) {
    autosubmit(root);
    charts(root);
  }

  // A form with data-max-bytes (Admin → Import) refuses a file over the limit before
  // uploading it, with the server's own message (data-max-message); the server checks too.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    var max = form && form.getAttribute && Number(form.getAttribute("data-max-bytes"));
    if (!max) return;
    var input = form.querySelector("input[type=file]");
    var file = input && input.files && input.files[0];
    if (!file || file.size <= max) return;
    e.preventDefault();
    e.stopPropagation();
    var err = form.querySelector("[data-size-error]");
    if (err) {
      // As the server says it: "“plan.xlsx” is 63 MB; the limit is 50 MB. …"
      var mb = file.size / 1048576;
      var size = mb < 0.1 ? file.size + " bytes"
        : (mb >= 100 ? Math.round(mb) : Math.round(mb * 10) / 10) + " MB";
      err.textContent = "“" + file.name + "” is " + size + form.getAttribute("data-max-message");
      err.hidden = false;
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", err.id);
    }
  }, true);

  document.addEventListener("DOMContentLoaded", function () {
    init(document);
    navMenus();
    tableRows();
    strategyMap();
    explorer();
    document.body.addEventListener("htmx:afterSettle", function (e) {
      init(e.target);
      highlightRipple();
    });
  });
})();
