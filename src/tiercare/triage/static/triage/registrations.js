/* The registrations-per-episode chart (issue 17): an ECharts line per center and network-wide, the simulated year
 * with and without triage (dashed), and the seed's 2.6 (a flat line). Data from the page's json_script; labels
 * from data- attributes (no inline script: the Content-Security-Policy allows our static files only). Sets
 * body data-registrations-ready="1" when drawn (browser tests wait for it). */
(function () {
  "use strict";

  function drawAll() {
    var el = document.getElementById("registrations-chart");
    var source = el && document.getElementById(el.dataset.source);
    if (!el || !source || typeof echarts === "undefined") { return; }
    var d = JSON.parse(source.textContent);
    var font = {fontFamily: getComputedStyle(document.body).fontFamily};
    var series = d.centers.map(function (c) {
      return {name: c.name, type: "line", data: c.values, connectNulls: true};
    });
    series.push({name: el.dataset.labelNetwork, type: "line", data: d.network, lineStyle: {width: 3}, connectNulls: true});
    series.push({name: el.dataset.labelWithout, type: "line", data: d.without_triage, lineStyle: {type: "dashed"}});
    series.push({name: el.dataset.labelWith, type: "line", data: d.with_triage, lineStyle: {type: "dashed"}});
    series.push({name: el.dataset.labelSeed, type: "line", symbol: "none", lineStyle: {type: "dotted", color: "#b00020"},
      itemStyle: {color: "#b00020"}, data: d.months.map(function () { return d.seed; })});
    var chart = echarts.init(el, null, {renderer: "svg"});
    chart.setOption({animation: false, textStyle: font, tooltip: {trigger: "axis"},
      title: {text: el.dataset.title, textStyle: font}, legend: {top: 28, type: "scroll"},
      grid: {top: 80}, xAxis: {type: "category", data: d.months}, yAxis: {type: "value", min: 0},
      series: series});
    window.addEventListener("resize", function () { chart.resize(); });
    document.body.dataset.registrationsReady = "1";
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
