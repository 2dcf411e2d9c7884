/* Draws every dashboard chart from its JSON data block (built on the server with Plotly).
   No inline script: the page's CSP allows scripts from this site only. Without JavaScript
   the tables beside the charts carry the same figures. */
(function () {
  "use strict";
  if (typeof window.Plotly === "undefined") {
    return;
  }
  var config = { displayModeBar: false, responsive: true, displaylogo: false };
  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var block = document.getElementById(element.getAttribute("data-chart"));
    if (!block) {
      return;
    }
    var figure = JSON.parse(block.textContent);
    element.classList.add("dashboard-chart--drawn");
    window.Plotly.newPlot(element, figure.data, figure.layout, config).then(function () {
      element.setAttribute("data-drawn", "true");
    });
  });
})();
