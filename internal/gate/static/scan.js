// Usher scanner page: served by `usher serve` at /scan and by a gate node
// at /. It keeps its settings and the scans it could not send in
// localStorage, so it keeps working through network loss.
(function () {
  "use strict";
  var T = {
    en: { title: "Scanner", settings: "Settings", setup: "Set up this scanner", token: "Gate key or device token",
      event: "Event ID", loadGates: "Load gates", gate: "Gate", direction: "Direction", "in": "In", out: "Out",
      start: "Start scanning", scanHint: "Scan a ticket or type its code, then Enter", check: "Check", camera: "Camera",
      online: "Online", offline: "Offline", queued: "queued", admitted: "WELCOME", refused: "STOP", saved: "SAVED",
      savedReason: "No network: the scan is kept and sent later", noCamera: "This browser cannot use the camera; use a scanner or type the code.",
      already_checked_in: "Already checked in", wrong_gate: "Wrong gate", invalid_ticket: "Not a valid ticket",
      ticket_revoked: "Ticket revoked", not_valid_yet: "Not valid yet", gate_closed: "Gate closed", not_inside: "Not inside",
      unauthorized: "The key is not valid", noGates: "No gates found", idempotency_key_reused: "Scan id used before" },
    ko: { title: "스캐너", settings: "설정", setup: "스캐너 설정", token: "게이트 키 또는 기기 토큰",
      event: "행사 ID", loadGates: "게이트 불러오기", gate: "게이트", direction: "방향", "in": "입장", out: "퇴장",
      start: "스캔 시작", scanHint: "티켓을 스캔하거나 코드를 입력한 뒤 Enter", check: "확인", camera: "카메라",
      online: "온라인", offline: "오프라인", queued: "대기", admitted: "입장 가능", refused: "입장 불가", saved: "저장됨",
      savedReason: "네트워크 없음: 스캔을 저장했다가 나중에 전송합니다", noCamera: "이 브라우저는 카메라를 쓸 수 없습니다. 스캐너나 직접 입력을 사용하세요.",
      already_checked_in: "이미 입장함", wrong_gate: "다른 게이트", invalid_ticket: "유효하지 않은 티켓",
      ticket_revoked: "취소된 티켓", not_valid_yet: "아직 유효하지 않음", gate_closed: "게이트 닫힘", not_inside: "입장 기록 없음",
      unauthorized: "키가 유효하지 않습니다", noGates: "게이트가 없습니다", idempotency_key_reused: "이미 쓰인 스캔 ID" }
  };
  var store = window.localStorage;
  var cfg = JSON.parse(store.getItem("usher.scan.cfg") || "{}");
  var queue = JSON.parse(store.getItem("usher.scan.queue") || "[]");
  var lang = store.getItem("usher.scan.lang") || ((navigator.language || "en").toLowerCase().indexOf("ko") === 0 ? "ko" : "en");
  var online = navigator.onLine;
  var $ = function (id) { return document.getElementById(id); };
  function t(k) { return (T[lang] && T[lang][k]) || T.en[k] || k; }
  function save() { store.setItem("usher.scan.cfg", JSON.stringify(cfg)); store.setItem("usher.scan.queue", JSON.stringify(queue)); }
  function translate() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-t]").forEach(function (el) { el.textContent = t(el.getAttribute("data-t")); });
    $("lang").textContent = lang === "ko" ? "English" : "한국어";
    showNet();
  }
  function showNet() {
    $("net").dataset.state = online ? "online" : "offline";
    $("net").textContent = online ? t("online") : t("offline");
    $("queue").textContent = queue.length ? queue.length + " " + t("queued") : "";
  }
  function uid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }
  if (!cfg.device) { cfg.device = "web-" + uid().slice(0, 8); save(); }

  function api(method, path, body) {
    return fetch(path, { method: method, headers: { "Content-Type": "application/json", "Authorization": "Bearer " + cfg.token },
      body: body ? JSON.stringify(body) : undefined }).then(function (r) {
      return r.text().then(function (txt) { var j = {}; try { j = JSON.parse(txt); } catch (e) {} return { status: r.status, body: j }; });
    });
  }

  // The beep: WebAudio, no sound files.
  var audio;
  function beep(ok) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var o = audio.createOscillator(), g = audio.createGain();
      o.frequency.value = ok ? 880 : 220; o.type = ok ? "sine" : "square";
      g.gain.value = 0.2; o.connect(g); g.connect(audio.destination);
      o.start(); o.stop(audio.currentTime + (ok ? 0.15 : 0.45));
    } catch (e) {}
  }

  var hideTimer;
  function show(kind, verdict, reason, who, what) {
    var el = $("result");
    el.className = kind; el.hidden = false;
    el.querySelector(".verdict").textContent = verdict;
    el.querySelector(".reason").textContent = reason || "";
    el.querySelector(".who").textContent = who || "";
    el.querySelector(".what").textContent = what || "";
    beep(kind === "ok");
    clearTimeout(hideTimer);
    hideTimer = setTimeout(function () { el.hidden = true; $("code").focus(); }, kind === "ok" ? 1200 : 2500);
  }
  function log(kind, text) {
    var li = document.createElement("li"); li.className = kind;
    li.textContent = new Date().toLocaleTimeString() + "  " + text;
    var ol = $("log"); ol.insertBefore(li, ol.firstChild);
    while (ol.children.length > 30) ol.removeChild(ol.lastChild);
  }

  function answer(scan, r) {
    if (r.status === 200) {
      var tk = r.body.ticket || {};
      show("ok", t("admitted"), "", tk.attendee_name, tk.ticket_type_name || tk.ticket_type_id);
      log("ok", t("admitted") + " " + (tk.attendee_name || ""));
    } else {
      var code = r.body.code || "error";
      show("no", t("refused"), t(code), "", r.body.detail || "");
      log("no", t(code) + " — " + (r.body.detail || ""));
    }
  }

  // answered reports whether a response is the check-in's own answer. A
  // proxy's 502–504, an overloaded server (429, 5xx) or a rejected key is
  // no answer yet: the scan stays queued and is sent again with its scan_id.
  function answered(r) { return r.status < 500 && r.status !== 408 && r.status !== 429 && r.status !== 401; }

  function submit(code) {
    code = (code || "").trim();
    if (!code) return;
    var scan = { code: code, gate_id: cfg.gate, direction: cfg.direction || "in", scan_id: uid(), device_id: cfg.device, scanned_at: new Date().toISOString() };
    function keep() {
      // No answer at all: keep the scan with its scan_id; sending it again
      // later cannot count it twice.
      setOnline(false);
      queue.push(scan); save(); showNet();
      show("wait", t("saved"), t("savedReason"));
      log("wait", t("saved"));
    }
    api("POST", "/v1/checkins", scan).then(function (r) {
      if (r.status === 401) { setOnline(true); answer(scan, r); return; }
      if (!answered(r)) { keep(); return; }
      setOnline(true);
      answer(scan, r);
    }, keep);
  }

  function setOnline(v) { if (online !== v) { online = v; showNet(); } }

  var flushing = false;
  function flush() {
    if (flushing || !queue.length || !cfg.token) return;
    flushing = true;
    var scan = queue[0];
    api("POST", "/v1/checkins", scan).then(function (r) {
      if (!answered(r)) { setOnline(r.status === 401); flushing = false; return; }
      setOnline(true);
      queue.shift(); save(); showNet();
      log(r.status === 200 ? "ok" : "no", (r.status === 200 ? t("admitted") : t(r.body.code)) + " (" + t("queued") + ")");
      flushing = false;
      flush();
    }, function () { setOnline(false); flushing = false; });
  }
  function probe() {
    // A gate node reports whether it reaches the server; the server
    // itself answers /healthz.
    fetch("/status", { cache: "no-store" }).then(function (r) {
      if (r.status === 200) return r.json().then(function (s) { setOnline(!!s.online); if (!cfg.event && s.event_id) { cfg.event = s.event_id; save(); } });
      return fetch("/healthz", { cache: "no-store" }).then(function (h) { setOnline(h.ok); });
    }, function () { setOnline(false); }).then(flush);
  }

  function loadGates() {
    cfg.token = $("token").value.trim(); cfg.event = $("event").value.trim(); save();
    $("setup-error").textContent = "";
    return api("GET", "/v1/events/" + encodeURIComponent(cfg.event) + "/gates").then(function (r) {
      var sel = $("gate"); sel.innerHTML = "";
      if (r.status !== 200) { $("setup-error").textContent = t(r.body.code === "unauthorized" ? "unauthorized" : "noGates") + " " + (r.body.detail || ""); return; }
      (r.body.data || []).forEach(function (g) {
        var o = document.createElement("option"); o.value = g.id; o.textContent = g.name + " (" + g.kind + ")";
        if (g.id === cfg.gate) o.selected = true;
        sel.appendChild(o);
      });
      if (!sel.options.length) $("setup-error").textContent = t("noGates");
    }, function () { $("setup-error").textContent = t("offline"); });
  }

  function openSetup() {
    $("setup").hidden = false; $("scanner").hidden = true;
    $("token").value = cfg.token || ""; $("event").value = cfg.event || "";
    $("direction").value = cfg.direction || "in";
    if (cfg.token && cfg.event) loadGates();
  }
  function openScanner() {
    $("setup").hidden = true; $("scanner").hidden = false;
    var sel = $("gate");
    $("gate-label").textContent = cfg.gateName || cfg.gate || "";
    $("code").focus();
  }

  // The camera: BarcodeDetector where the browser has one; otherwise frames
  // go to the server (or node), which decodes the QR in Go.
  var stream;
  function serverDetect(v) {
    var c = $("canvas"), w = Math.min(v.videoWidth || 640, 800), h = Math.round(w * (v.videoHeight || 480) / (v.videoWidth || 640));
    c.width = w; c.height = h; c.getContext("2d").drawImage(v, 0, 0, w, h);
    return new Promise(function (resolve) {
      c.toBlob(function (blob) {
        if (!blob) return resolve([]);
        fetch("/v1/scan/decode", { method: "POST", headers: { "Content-Type": "image/jpeg", "Authorization": "Bearer " + cfg.token }, body: blob })
          .then(function (r) { return r.ok ? r.json() : {}; }).then(function (j) { resolve(j.code ? [{ rawValue: j.code }] : []); }, function () { resolve([]); });
      }, "image/jpeg", 0.7);
    });
  }
  function camera() {
    if (stream) { stream.getTracks().forEach(function (tr) { tr.stop(); }); stream = null; $("video").hidden = true; return; }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { log("no", t("noCamera")); return; }
    var native = "BarcodeDetector" in window ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
    var detect = native ? function (v) { return native.detect(v); } : serverDetect;
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (s) {
      stream = s; var v = $("video"); v.srcObject = s; v.hidden = false; v.play();
      var last = "", lastAt = 0;
      (function tick() {
        if (!stream) return;
        detect(v).then(function (codes) {
          if (codes.length) {
            var c = codes[0].rawValue, now = Date.now();
            if (c !== last || now - lastAt > 3000) { last = c; lastAt = now; submit(c); }
          }
        }).catch(function () {}).then(function () { setTimeout(tick, native ? 250 : 700); });
      })();
    }, function (e) { log("no", String(e)); });
  }

  $("setup-form").addEventListener("submit", function (e) {
    e.preventDefault();
    cfg.token = $("token").value.trim(); cfg.event = $("event").value.trim();
    cfg.gate = $("gate").value; cfg.direction = $("direction").value;
    var opt = $("gate").selectedOptions[0]; cfg.gateName = opt ? opt.textContent : cfg.gate;
    if (!cfg.gate) { $("setup-error").textContent = t("noGates"); return; }
    save(); openScanner();
  });
  $("load-gates").addEventListener("click", loadGates);
  $("scan-form").addEventListener("submit", function (e) { e.preventDefault(); var c = $("code").value; $("code").value = ""; submit(c); });
  $("camera-btn").addEventListener("click", camera);
  $("settings-btn").addEventListener("click", openSetup);
  $("lang").addEventListener("click", function () { lang = lang === "ko" ? "en" : "ko"; store.setItem("usher.scan.lang", lang); translate(); });
  $("result").addEventListener("click", function () { $("result").hidden = true; $("code").focus(); });
  // A keyboard-wedge scanner types into whatever has focus: keep it on the input.
  document.addEventListener("click", function (e) { if (!$("scanner").hidden && e.target.tagName !== "BUTTON" && e.target.tagName !== "SELECT") $("code").focus(); });
  setInterval(function () { if (!$("scanner").hidden && document.activeElement !== $("code") && document.activeElement.tagName !== "SELECT") $("code").focus(); }, 1000);
  window.addEventListener("online", function () { setOnline(true); flush(); });
  window.addEventListener("offline", function () { setOnline(false); });
  setInterval(probe, 3000);

  translate();
  if (cfg.token && cfg.gate) openScanner(); else openSetup();
  probe();
})();
