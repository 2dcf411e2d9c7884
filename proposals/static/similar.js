// While the title is typed, list existing ideas that look like it (progressive enhancement:
// without JavaScript the form shows them in a step before submitting).
(function () {
  "use strict";
  var box = document.getElementById("similar-live");
  var title = document.getElementById("title");
  if (!box || !title || !window.fetch) { return; }
  var timer = null;
  var last = "";

  function show(ideas) {
    box.textContent = "";
    if (!ideas.length) { return; }
    var heading = document.createElement("p");
    heading.textContent = box.getAttribute("data-heading");
    var list = document.createElement("ul");
    ideas.forEach(function (idea) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = idea.url;
      link.textContent = idea.title;
      item.appendChild(link);
      item.appendChild(document.createTextNode(" (" + idea.status + ")"));
      list.appendChild(item);
    });
    box.appendChild(heading);
    box.appendChild(list);
  }

  function lookUp() {
    var text = title.value.trim();
    if (text === last) { return; }
    last = text;
    if (text.length < 3) { show([]); return; }
    var url = box.getAttribute("data-url") + "?title=" + encodeURIComponent(text);
    var exclude = box.getAttribute("data-exclude");
    if (exclude) { url += "&exclude=" + encodeURIComponent(exclude); }
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : { ideas: [] }; })
      .then(function (data) { if (text === last) { show(data.ideas || []); } })
      .catch(function () { show([]); });
  }

  title.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(lookUp, 300);
  });
})();
