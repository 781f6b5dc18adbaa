// modelport dashboard: the traffic charts (uPlot). The rest of the live updates is htmx polling.
// Fetches only this server's /ui/deployments/NAME/traffic.json; no other host is ever contacted.
"use strict";
(function () {
  var COLORS = ["#1f6feb", "#cf222e", "#1a7f37", "#9a6700", "#8250df", "#0a7ea4"];
  var REFRESH_MS = 2000;

  function seriesFor(doc, metric) {
    var data = [doc.time];
    var series = [{}];
    var scale = metric === "error_rate" ? 100 : 1;  // drawn in percent
    doc.versions.forEach(function (v, i) {
      data.push(v[metric].map(function (x) { return x == null ? null : x * scale; }));
      series.push({ label: "v" + v.version, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: false,
                    value: function (u, x) { return x == null ? "—" : x.toFixed(2); } });
    });
    return { data: data, series: series, key: doc.versions.map(function (v) { return v.version; }).join(",") };
  }

  function Chart(el, metric, title) {
    this.el = el; this.metric = metric; this.title = title; this.plot = null; this.key = null;
  }
  Chart.prototype.update = function (doc) {
    var s = seriesFor(doc, this.metric);
    if (this.plot && this.key === s.key) { this.plot.setData(s.data); return; }
    if (this.plot) { this.plot.destroy(); }
    this.el.textContent = "";
    this.key = s.key;
    var width = Math.max(320, this.el.clientWidth - 10);
    this.plot = new uPlot({ title: this.title, width: width, height: 200, series: s.series,
                            scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, Math.max(max || 0, 1)]; } } },
                            axes: [{}, { size: 60 }] }, s.data, this.el);
    this.el.dataset.ready = "true";
  };

  function start(section) {
    var url = section.getAttribute("data-traffic");
    var charts = Array.prototype.map.call(section.querySelectorAll(".chart[data-metric]"), function (el) {
      return new Chart(el, el.getAttribute("data-metric"), el.getAttribute("data-title"));
    });
    function refresh() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (doc) { if (doc) { charts.forEach(function (c) { c.update(doc); }); } })
        .catch(function () { /* the server restarted or the network blinked: try again next time */ })
        .finally(function () { window.setTimeout(refresh, REFRESH_MS); });
    }
    refresh();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("section.charts[data-traffic]").forEach(start);
  });
})();
