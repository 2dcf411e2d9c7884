/* Draws every dashboard chart from its data-figure attribute (Plotly JSON built on the server).
   No inline script: the page's CSP allows scripts from this site only. Without JavaScript
   the tables beside the charts carry the same figures. */
(function () {
  "use strict";
  if (typeof window.Plotly === "undefined") {
    return;
  }
  var config = { displayModeBar: false, responsive: true, displaylogo: false };
  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var figure = JSON.parse(element.getAttribute("data-figure"));
    element.classList.add("dashboard-chart--drawn");
    window.Plotly.newPlot(element, figure.data, figure.layout, config).then(function () {
      element.setAttribute("data-drawn", "true");
    });
  });
})();
