// Usher pages: the phone menu, copy buttons and confirmations. Everything
// works without it except these three conveniences.
(function () {
  "use strict";

  var toggle = document.getElementById("menu-toggle");
  if (toggle) {
    toggle.addEventListener("click", function () {
      var open = document.body.classList.toggle("nav-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  document.addEventListener("click", function (e) {
    var button = e.target.closest("[data-copy]");
    if (!button) return;
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) return;
    var label = button.textContent;
    var done = function () {
      button.textContent = button.getAttribute("data-copied") || label;
      setTimeout(function () { button.textContent = label; }, 2000);
    };
    var fallback = function () {
      field.select();
      try { document.execCommand("copy"); done(); } catch (err) { /* the text stays selected */ }
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, fallback);
    } else {
      fallback();
    }
  });

  document.addEventListener("submit", function (e) {
    var message = e.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) e.preventDefault();
  });
})();

// Events and tickets: the message template's live preview and the waiting
// page's polling. Both only improve pages that work without them.
(function () {
  "use strict";

  var form = document.querySelector("form[data-preview]");
  if (form) {
    var timer = null;
    var show = function (res) {
      var err = document.getElementById("preview-error");
      err.hidden = !res.error;
      err.textContent = res.error || "";
      if (!res.error) {
        document.getElementById("preview-subject").textContent = res.subject;
        document.getElementById("preview-body").textContent = res.body;
      }
    };
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        fetch(form.getAttribute("data-preview"), {
          method: "POST", credentials: "same-origin",
          body: new URLSearchParams(new FormData(form))
        }).then(function (r) { return r.json(); }).then(show, function () { /* keep the last preview */ });
      }, 300);
    });
  }

  var queue = document.getElementById("queue");
  if (queue && queue.getAttribute("data-token")) {
    var token = queue.getAttribute("data-token");
    var start = parseInt(queue.getAttribute("data-start"), 10) || 0;
    var byId = function (id) { return document.getElementById(id); };
    // The estimated wait in words, as the server writes it (queueWait).
    var wait = function (sec) {
      var say = function (name) {
        var args = [].slice.call(arguments, 1), text = queue.getAttribute("data-wait-" + name);
        args.forEach(function (n) { text = text.replace("%d", n); });
        return text;
      };
      if (sec < 60) return say("s", Math.max(sec, 0));
      var min = Math.ceil(sec / 60);
      return min < 60 ? say("m", min) : say("h", Math.floor(min / 60), min % 60);
    };
    var update = function (s) {
      if (s.status === "active") {
        window.location.replace("/e/" + encodeURIComponent(queue.getAttribute("data-event")) +
          "/register?t=" + encodeURIComponent(token));
        return true;
      }
      if (s.status === "expired") {
        byId("queue-note").textContent = queue.getAttribute("data-expired");
        byId("queue-figures").hidden = true;
        byId("queue-progress").hidden = true;
        byId("queue-again").hidden = false;
        return true;
      }
      if (s.opens_at) return false; // places are drawn at the opening
      var draw = byId("queue-draw");
      if (draw) draw.hidden = true;
      if (s.position > start) start = s.position;
      byId("queue-position").textContent = s.position;
      byId("queue-eta").textContent = wait(s.eta_seconds);
      byId("queue-eta").classList.remove("when");
      byId("queue-eta-label").textContent = queue.getAttribute("data-eta-label");
      byId("queue-progress").value = start > 0 ? Math.round(100 * (start - s.position) / start) : 0;
      return false;
    };
    var poll = function () {
      fetch("/v1/public/queue/" + encodeURIComponent(token), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (s) { if (!s || !update(s)) setTimeout(poll, 3000); },
              function () { setTimeout(poll, 5000); });
    };
    // The server pushes each change as a Server-Sent Event; the browser
    // reconnects a broken stream by itself. Without EventSource, or when
    // the server refuses the stream (too many open), the page polls.
    if (window.EventSource) {
      var es = new EventSource("/v1/public/queue/" + encodeURIComponent(token) + "/events");
      es.addEventListener("status", function (e) {
        if (update(JSON.parse(e.data))) es.close();
      });
      es.onerror = function () {
        if (es.readyState === EventSource.CLOSED) setTimeout(poll, 1000);
      };
    } else {
      setTimeout(poll, 1000);
    }
  }
})();

// Proofs: a phone's photo of a student ID is often several megabytes, over
// the server's limit. Before the form is sent, a large photo is drawn onto a
// canvas and put back into the file field as a JPEG: at most 1600 pixels a
// side first, smaller and more compressed while it is still too large.
// Without this script (or for a PDF) the file is sent as chosen, and the
// server says when it is too large.
(function () {
  "use strict";

  var form = document.querySelector("form[data-proof]");
  if (!form || !window.DataTransfer || !HTMLCanvasElement.prototype.toBlob) return;
  var input = form.querySelector("input[type=file]");
  var limit = 900 * 1000;
  var tries = [[1600, 0.85], [1280, 0.75], [1024, 0.6], [800, 0.5]];
  var shrunk = false;
  form.addEventListener("submit", function (e) {
    var file = input.files && input.files[0];
    if (shrunk || !file || file.size <= limit || !/^image\//.test(file.type)) return;
    e.preventDefault();
    var button = form.querySelector("button[type=submit]");
    var label = button.textContent;
    button.disabled = true;
    button.textContent = form.getAttribute("data-proof");
    var img = new Image();
    var url = URL.createObjectURL(file);
    var done = function () {
      URL.revokeObjectURL(url);
      shrunk = true;
      button.disabled = false;
      button.textContent = label;
      if (form.requestSubmit) form.requestSubmit(button); else form.submit();
    };
    var attempt = function (i) {
      var side = tries[i][0], quality = tries[i][1];
      var scale = Math.min(1, side / Math.max(img.naturalWidth, img.naturalHeight));
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(img.naturalWidth * scale));
      canvas.height = Math.max(1, Math.round(img.naturalHeight * scale));
      canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
      canvas.toBlob(function (blob) {
        if (blob && blob.size > limit && i + 1 < tries.length) {
          attempt(i + 1);
          return;
        }
        if (blob) {
          var dt = new DataTransfer();
          dt.items.add(new File([blob], file.name.replace(/\.[^.]*$/, "") + ".jpg", { type: "image/jpeg" }));
          input.files = dt.files;
        }
        done();
      }, "image/jpeg", quality);
    };
    img.onload = function () { attempt(0); };
    img.onerror = done; // not a picture the browser can read: send it as it is
    img.src = url;
  });
})();

// Seat map: every few seconds, while the page is in view, the seats others
// took since it was loaded are greyed out (and ones freed again offered), so
// that a buyer rarely picks a seat that is gone. The public seat list is
// served from memory, so thousands of open pages cost little. Without this
// script the hold itself says when a seat was taken.
(function () {
  "use strict";

  var map = document.getElementById("seatmap");
  if (!map || !map.getAttribute("data-event") || !window.fetch) return;
  var every = parseInt(map.getAttribute("data-poll"), 10) || 3000;
  // The seats' boxes by seat id, found once: looking each seat up in the
  // page on every refresh cost seconds on a map of thousands of seats.
  var inputs = {};
  [].forEach.call(map.querySelectorAll('input[name="seat"]'), function (input) { inputs[input.value] = input; });
  var apply = function (seats) {
    seats.forEach(function (s) {
      var input = inputs[s.id];
      if (!input) return;
      var taken = s.status !== "available";
      if (taken === input.disabled) return;
      input.disabled = taken;
      if (taken) input.checked = false;
      input.parentNode.classList.toggle("taken", taken);
    });
  };
  var poll = function () {
    if (document.hidden) { setTimeout(poll, every); return; }
    fetch("/v1/public/events/" + encodeURIComponent(map.getAttribute("data-event")) + "/seats", { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) { if (body && body.data) apply(body.data); setTimeout(poll, every); },
            function () { setTimeout(poll, 2 * every); });
  };
  setTimeout(poll, every);
})();
