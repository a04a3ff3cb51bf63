// A minimal live dashboard over GET /v1/events/{id}/checkins/live. It reads
// the stream with fetch (EventSource cannot send an Authorization header).
(function () {
  "use strict";
  var T = { ko: { live: "게이트 — 실시간", token: "키", event: "행사 ID", watch: "보기", inside: "입장 중", admitted: "입장",
    errors: "거부 (15분)", conflicts: "충돌", alerts: "알림", arrivals: "분당 도착", gate: "게이트", queue: "대기열", wait: "대기",
    online: "온라인", offline: "오프라인" }, en: { online: "Online", offline: "Offline" } };
  var store = window.localStorage, cfg = JSON.parse(store.getItem("usher.scan.cfg") || "{}");
  var lang = store.getItem("usher.scan.lang") || ((navigator.language || "en").toLowerCase().indexOf("ko") === 0 ? "ko" : "en");
  var $ = function (id) { return document.getElementById(id); };
  var en = {};
  document.querySelectorAll("[data-t]").forEach(function (el) { en[el.getAttribute("data-t")] = el.textContent; });
  function translate() {
    document.querySelectorAll("[data-t]").forEach(function (el) { var k = el.getAttribute("data-t"); el.textContent = (lang === "ko" && T.ko[k]) || en[k] || k; });
    $("lang").textContent = lang === "ko" ? "English" : "한국어";
  }
  function net(on) { $("net").dataset.state = on ? "online" : "offline"; $("net").textContent = (T[lang] || T.en)[on ? "online" : "offline"] || (on ? "Online" : "Offline"); }
  function set(id, v) { var el = $(id); el.firstChild.nodeValue = v; }
  function render(s) {
    set("inside", s.inside); set("admitted", s.admitted); set("errors", (s.error_rate * 100).toFixed(1) + "%");
    set("conflicts", s.conflicts); set("alerts", s.open_alerts);
    var tb = $("gates"); tb.innerHTML = "";
    (s.per_gate || []).forEach(function (g) {
      var tr = document.createElement("tr");
      [g.name, g.admitted, g.per_minute.toFixed(1), g.estimated_queue.toFixed(1), Math.round(g.estimated_wait_seconds) + " s" + (g.saturated ? " ⚠" : "")].forEach(function (v) {
        var td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
      });
      tb.appendChild(tr);
    });
    var bars = $("bars"); bars.innerHTML = ""; var max = 1;
    (s.arrivals || []).forEach(function (a) { max = Math.max(max, a.admitted); });
    (s.arrivals || []).forEach(function (a) { var b = document.createElement("span"); b.style.height = (a.admitted / max * 100) + "%"; b.title = a.minute + ": " + a.admitted; bars.appendChild(b); });
  }
  var ctl;
  function watch() {
    if (ctl) ctl.abort();
    ctl = new AbortController();
    fetch("/v1/events/" + encodeURIComponent(cfg.event) + "/checkins/live", { headers: { Authorization: "Bearer " + cfg.token }, signal: ctl.signal }).then(function (r) {
      if (!r.ok) { net(false); return; }
      net(true);
      var rd = r.body.getReader(), dec = new TextDecoder(), buf = "";
      (function pump() {
        rd.read().then(function (x) {
          if (x.done) { net(false); setTimeout(watch, 2000); return; }
          buf += dec.decode(x.value, { stream: true });
          var i;
          while ((i = buf.indexOf("\n\n")) >= 0) {
            var msg = buf.slice(0, i); buf = buf.slice(i + 2);
            msg.split("\n").forEach(function (line) { if (line.indexOf("data: ") === 0) { try { render(JSON.parse(line.slice(6))); } catch (e) {} } });
          }
          pump();
        }, function () { net(false); setTimeout(watch, 2000); });
      })();
    }, function () { net(false); setTimeout(watch, 2000); });
  }
  $("token").value = cfg.token || ""; $("event").value = cfg.event || "";
  $("f").addEventListener("submit", function (e) { e.preventDefault(); cfg.token = $("token").value.trim(); cfg.event = $("event").value.trim(); store.setItem("usher.scan.cfg", JSON.stringify(cfg)); watch(); });
  $("lang").addEventListener("click", function () { lang = lang === "ko" ? "en" : "ko"; store.setItem("usher.scan.lang", lang); translate(); });
  translate(); net(false);
  if (cfg.token && cfg.event) watch();
})();
