// Device assists on the address-book form (jidi.kit.permissions, declared by the address-book feature).
// Nothing here runs a browser permission API until the user clicks an assist and then "Continue" in its explanation
// (JD-6.6b). A refusal disables that one assist (ZK-1.2a). Nothing is stored in the browser.
(function () {
  "use strict";
  var box = document.querySelector("[data-testid=device-assist]");
  var form = document.querySelector("form[data-testid=entry-form]");
  if (!box || !form) return;
  var status = box.querySelector("[data-testid=assist-status]");
  var csrf = form.querySelector("input[name=csrf_token]").value;
  function say(key, extra) {
    var m = box.querySelector("[data-msg=" + key + "]");
    status.textContent = (extra || (m ? m.textContent : "")).trim();
    status.dataset.state = key;
  }
  var Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
  var supported = {
    geolocation: "geolocation" in navigator,
    contacts: "contacts" in navigator && typeof navigator.contacts.select === "function",
    microphone: typeof Recognition === "function"
  };
  var shown = false;
  box.querySelectorAll("button[data-assist]").forEach(function (b) {
    if (supported[b.dataset.assist]) { b.hidden = false; shown = true; }
  });
  if (shown) box.querySelector("[data-testid=assist-buttons]").hidden = false;

  function panel(kind) { return box.querySelector("[data-explain=" + kind + "]"); }
  function disable(kind, why) {
    var b = box.querySelector("button[data-assist=" + kind + "]");
    if (b) { b.disabled = true; b.dataset.state = "off"; }
    say(why);
  }
  box.querySelectorAll("button[data-assist]").forEach(function (b) {
    b.addEventListener("click", function () {  // first say why; the browser is not asked yet
      box.querySelectorAll("[data-explain]").forEach(function (p) { p.hidden = true; });
      panel(b.dataset.assist).hidden = false;
    });
  });
  box.querySelectorAll("button[data-cancel]").forEach(function (b) {
    b.addEventListener("click", function () { panel(b.dataset.cancel).hidden = true; status.textContent = ""; });
  });
  box.querySelectorAll("button[data-continue]").forEach(function (b) {
    b.addEventListener("click", function () {
      var kind = b.dataset["continue"];
      panel(kind).hidden = true;
      run[kind]();
    });
  });

  var run = {
    geolocation: function () {
      navigator.geolocation.getCurrentPosition(function (pos) {
        var body = new URLSearchParams({csrf_token: csrf, latitude: pos.coords.latitude.toFixed(3),
                                        longitude: pos.coords.longitude.toFixed(3)});
        fetch("/address-book/locate", {method: "POST", body: body, credentials: "same-origin"})
          .then(function (r) { return r.json().then(function (j) { return [r.ok, j]; }); })
          .then(function (res) {
            if (!res[0]) { say("failed", res[1].error && res[1].error.message); return; }
            var found = res[1];
            // The server lists a province's districts: choose the province and the district, then ask for the list.
            form.querySelector("select[name=province]").value = found.province;
            var district = form.querySelector("select[name=region_code]");
            district.disabled = false;
            var opt = document.createElement("option");
            opt.value = found.region_code; opt.textContent = found.name; opt.selected = true;
            district.appendChild(opt);
            var step = document.createElement("input");
            step.type = "hidden"; step.name = "action"; step.value = "region";
            form.appendChild(step);
            say("located");
            form.submit();
          })["catch"](function () { say("failed"); });
      }, function (err) {
        if (err.code === err.PERMISSION_DENIED) disable("geolocation", "denied"); else say("failed");
      }, {enableHighAccuracy: false, maximumAge: 60000, timeout: 20000});
    },
    contacts: function () {
      navigator.contacts.select(["name", "tel"], {multiple: false}).then(function (picked) {
        if (!picked || !picked.length) return;
        var c = picked[0];
        if (c.name && c.name[0]) form.querySelector("input[name=name]").value = c.name[0];
        if (c.tel && c.tel[0]) form.querySelector("input[name=phone]").value = c.tel[0].replace(/[\s-]/g, "");
        say("picked");
      })["catch"](function (e) {
        if (e && (e.name === "NotAllowedError" || e.name === "SecurityError")) disable("contacts", "denied"); else say("failed");
      });
    },
    microphone: function () {
      var rec = new Recognition();
      rec.lang = "zh-CN";  // addresses are written in Chinese
      rec.interimResults = false;
      rec.maxAlternatives = 1;
      rec.onresult = function (e) {
        var text = e.results[0][0].transcript;
        var paste = form.querySelector("textarea[name=paste]");
        paste.value = (paste.value ? paste.value + " " : "") + text;
        say("heard");
      };
      rec.onerror = function (e) {
        if (e.error === "not-allowed" || e.error === "service-not-allowed") disable("microphone", "denied"); else say("failed");
      };
      say("listening");
      rec.start();
    }
  };
})();
