// The ship page's live estimate: as the form changes, ask /ship/estimate (the same check as the "calculate" button,
// which works without this script) and show the price and the expected delivery day. Nothing is kept or sent elsewhere.
(function () {
  "use strict";
  var form = document.getElementById("ship-form");
  if (!form || !window.fetch) return;
  var box = form.querySelector("[data-testid=ship-estimate]");
  var timer = null, seq = 0;
  function show(rows) {
    var dl = document.createElement("dl");
    dl.className = "kv";
    rows.forEach(function (row) {
      var dt = document.createElement("dt"), dd = document.createElement("dd");
      dt.textContent = row[0];
      dd.textContent = row[1];
      if (row[2]) dd.setAttribute("data-testid", row[2]);
      dl.appendChild(dt);
      dl.appendChild(dd);
    });
    var old = box.querySelector("dl, [data-testid=estimate-empty], .error");
    if (old) old.replaceWith(dl); else box.insertBefore(dl, box.querySelector(".hint"));
  }
  function update() {
    var data = new FormData(form), mine = ++seq;
    if (!data.get("weight_kg")) return;
    fetch(form.getAttribute("data-estimate-url"), {method: "POST", body: data, credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (e) {
        if (mine !== seq) return;
        var labels = box.getAttribute("data-labels").split("|");
        if (e.error) {
          var p = document.createElement("p");
          p.className = "error";
          p.textContent = e.error;
          var old = box.querySelector("dl, [data-testid=estimate-empty], .error");
          if (old) old.replaceWith(p);
          return;
        }
        show([[labels[0], e.freight, "estimate-freight"], [labels[1], e.insurance, "estimate-insurance"],
              [labels[2], e.total, "estimate-total"], [labels[3], e.estimated_delivery, "estimate-delivery"]]);
      })
      .catch(function () {});
  }
  form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(update, 300); });
  form.addEventListener("change", function () { clearTimeout(timer); timer = setTimeout(update, 100); });
  update();
})();
