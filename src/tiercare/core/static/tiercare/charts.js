/* tiercare's charts, drawn by ECharts from data the page carries (no inline script: the Content-Security-Policy
 * allows scripts from our static files only). Each chart is an element with data-chart="<kind>" and
 * data-source="<id of a json_script element>"; the kinds below read the rest from data- attributes. When every chart
 * is drawn the body gets data-charts-ready="1" (browser tests wait for it). */
(function () {
  "use strict";

  function readJson(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function draw(el, option) {
    var chart = echarts.init(el, null, {renderer: "svg"});
    chart.setOption(Object.assign({animation: false}, option));
    window.addEventListener("resize", function () { chart.resize(); });
  }

  var kinds = {
    // data-key: the series in the source ({labels, values}); its title is source.titles[key].
    bar: function (el, data, font) {
      var key = el.dataset.key;
      var series = data[key];
      var rotateAfter = parseInt(el.dataset.rotateAfter || "6", 10);
      draw(el, {title: {text: data.titles[key], textStyle: font}, tooltip: {}, textStyle: font,
        xAxis: {type: "category", data: series.labels,
          axisLabel: {interval: 0, rotate: series.labels.length > rotateAfter ? 30 : 0}},
        yAxis: {type: "value", minInterval: el.dataset.integer ? 1 : 0},
        series: [{type: "bar", data: series.values, itemStyle: {color: "#0b6e4f"}}]});
    },
    // data-key: a list of {name, value}; its title is source.titles[key].
    pie: function (el, data, font) {
      var key = el.dataset.key;
      draw(el, {title: {text: data.titles[key], textStyle: font}, tooltip: {}, textStyle: font,
        series: [{type: "pie", radius: "60%", data: data[key]}]});
    },
    // The chronic-care control trend: rows of {month, hypertension, diabetes_t2}; labels in data-title,
    // data-label-hypertension and data-label-diabetes.
    "control-trend": function (el, trend, font) {
      function column(name) { return trend.map(function (r) { return r[name] === undefined ? null : r[name]; }); }
      draw(el, {textStyle: font, tooltip: {trigger: "axis"}, legend: {},
        title: {text: el.dataset.title, textStyle: font},
        xAxis: {type: "category", data: trend.map(function (r) { return r.month; })},
        yAxis: {type: "value", min: 0, max: 100},
        series: [{name: el.dataset.labelHypertension, type: "line", data: column("hypertension")},
                 {name: el.dataset.labelDiabetes, type: "line", data: column("diabetes_t2")}]});
    },
    // A program's KPI: data-key names it in the source ({title, months, target, actual, labels}); target vs actual.
    "kpi-line": function (el, data, font) {
      var k = data[el.dataset.key];
      draw(el, {textStyle: font, tooltip: {trigger: "axis"}, legend: {},
        title: {text: k.title, textStyle: font},
        xAxis: {type: "category", data: k.months},
        yAxis: {type: "value"},
        series: [{name: k.labels.target, type: "line", data: k.target, lineStyle: {type: "dashed"}},
                 {name: k.labels.actual, type: "line", data: k.actual, connectNulls: false}]});
    },
    // Hard-case metrics against the Champlain BASE reference; axis labels in data-label-hours and data-label-avoided.
    "consult-benchmark": function (el, m) {
      function pct(share) { return share === null ? null : Math.round(share * 100); }
      draw(el, {tooltip: {}, legend: {},
        xAxis: {type: "category", data: [el.dataset.labelHours, el.dataset.labelAvoided]},
        yAxis: {type: "value"},
        series: [
          {name: "tiercare", type: "bar", data: [m.median_hours_to_first_answer, pct(m.share_referral_avoided)]},
          {name: "Champlain BASE", type: "bar",
           data: [m.reference.median_hours_to_first_answer, pct(m.reference.share_referral_avoided)]}]});
    }
  };

  function drawAll() {
    var font = {fontFamily: getComputedStyle(document.body).fontFamily};
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var kind = kinds[el.dataset.chart];
      var data = readJson(el.dataset.source);
      if (kind && data !== null) { kind(el, data, font); }
    });
    document.body.dataset.chartsReady = "1";
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
