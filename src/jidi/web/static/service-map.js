// The service-point map (jidi.stations, ZK-1.2.2). "Show the nearest to me" first says why; only "Continue" asks the
// browser for the position (declared by the stations feature for this page). The position stays in this page: it is
// drawn on the map and used to sort the list, never sent anywhere, and forgotten when the page is left.
(function () {
  "use strict";
  var box = document.querySelector("[data-testid=locate]");
  var svg = document.querySelector("[data-testid=service-map]");
  if (!box || !svg || !("geolocation" in navigator)) return;
  box.hidden = false;
  var explain = box.querySelector("[data-testid=locate-explain]");
  var status = box.querySelector("[data-testid=locate-status]");
  function say(key) { var m = box.querySelector("[data-msg=" + key + "]"); status.textContent = m ? m.textContent : ""; status.dataset.state = key; }
  box.querySelector("[data-testid=locate-button]").addEventListener("click", function () { explain.hidden = false; });
  box.querySelector("[data-testid=locate-cancel]").addEventListener("click", function () { explain.hidden = true; });
  box.querySelector("[data-testid=locate-continue]").addEventListener("click", function () {
    explain.hidden = true;
    navigator.geolocation.getCurrentPosition(function (pos) { show(pos.coords.latitude, pos.coords.longitude); say("located"); },
      function (err) {
        if (err.code === err.PERMISSION_DENIED) { box.querySelector("[data-testid=locate-button]").disabled = true; say("denied"); }
        else say("failed");
      }, {enableHighAccuracy: false, maximumAge: 60000, timeout: 20000});
  });
  function show(lat, lng) {
    var d = svg.dataset, w = 640, h = 420, pad = +d.pad;
    var south = +d.south, west = +d.west, north = +d.north, east = +d.east;
    var k = Math.cos((south + north) / 2 * Math.PI / 180);
    var sx = (east - west) * k, sy = north - south, scale = Math.min((w - 2 * pad) / sx, (h - 2 * pad) / sy);
    var x = (w - sx * scale) / 2 + (lng - west) * k * scale, y = (h - sy * scale) / 2 + (north - lat) * scale;
    var you = svg.querySelector("[data-testid=map-you]");
    if (x >= 0 && x <= w && y >= 0 && y <= h) { you.setAttribute("cx", x); you.setAttribute("cy", y); you.setAttribute("visibility", "visible"); }
    var list = document.querySelector("[data-testid=points]");
    var items = Array.prototype.slice.call(list.children);
    items.forEach(function (li) {
      var dy = (+li.dataset.lat - lat) * 111320, dx = (+li.dataset.lng - lng) * 111320 * Math.cos(lat * Math.PI / 180);
      li.dataset.distance = Math.round(Math.sqrt(dx * dx + dy * dy));
      li.querySelector("[data-testid=distance]").textContent = " · " + (li.dataset.distance >= 1000 ? (li.dataset.distance / 1000).toFixed(1) + " km" : li.dataset.distance + " m");
    });
    items.sort(function (a, b) { return a.dataset.distance - b.dataset.distance; }).forEach(function (li) { list.appendChild(li); });
  }
})();
