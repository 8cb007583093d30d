// The settings page: what this browser says about each permission (the Permissions API's query asks nothing of
// the user and shows no prompt). Without JavaScript the column says "Not decided".
(function () {
  "use strict";
  if (!navigator.permissions || !navigator.permissions.query) return;
  var names = {geolocation: "geolocation", microphone: "microphone", notifications: "notifications"};
  document.querySelectorAll("[data-testid=permissions] tr[data-kind]").forEach(function (row) {
    var name = names[row.dataset.kind];
    if (!name) return;
    var cell = row.querySelector("[data-browser-state]");
    function show(state) {
      cell.dataset.browserState = state;
      cell.querySelectorAll("[data-browser]").forEach(function (s) { s.hidden = s.dataset.browser !== state; });
    }
    navigator.permissions.query({name: name}).then(function (status) {
      show(status.state);
      status.onchange = function () { show(status.state); };
    })["catch"](function () {});
  });
})();
