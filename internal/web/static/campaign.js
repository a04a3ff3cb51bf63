// Campaign pages: live counts over server-sent events, the roulette's
// spin, departments filtered by school, and printing. The forms work
// without it.
(function () {
  "use strict";

  var live = document.querySelector("[data-live]");
  if (live && window.EventSource) {
    var source = new EventSource(live.getAttribute("data-live"));
    source.addEventListener("open", function () { live.classList.add("connected"); });
    source.addEventListener("error", function () { live.classList.remove("connected"); });
    source.addEventListener("counts", function (e) {
      var counts = JSON.parse(e.data);
      Object.keys(counts).forEach(function (key) {
        var el = live.querySelector('[data-count="' + key + '"]');
        if (!el || el.textContent === String(counts[key])) return;
        el.textContent = counts[key];
        el.classList.remove("bump");
        void el.offsetWidth; // restart the animation
        el.classList.add("bump");
      });
    });
  }

  // The roulette plays through the JSON API, turns the wheel to the
  // segment the server picked, then shows the stored result page. On any
  // failure the form is submitted normally and the server explains.
  var game = document.querySelector("form[data-roulette]");
  if (game && window.fetch) {
    game.addEventListener("submit", function (e) {
      e.preventDefault();
      var button = game.querySelector("button[type=submit]");
      var wheel = document.getElementById("wheel");
      var labels = Array.prototype.map.call(game.querySelectorAll(".segments li"), function (li) { return li.textContent; });
      button.disabled = true;
      fetch(game.getAttribute("data-roulette"), {
        method: "POST", headers: { "Content-Type": "application/json", "Accept": "application/json" }, body: "{}"
      }).then(function (r) {
        if (!r.ok) throw new Error("play " + r.status);
        return r.json();
      }).then(function (result) {
        var gone = false;
        var done = function () {
          if (gone) return; // the transition's end or the timeout, whichever comes first
          gone = true;
          window.location.assign(game.getAttribute("data-result"));
        };
        // The server names the segment by its place (labels may repeat);
        // when no segment could come up there is nothing to turn to.
        var i = typeof result.segment_index === "number" ? result.segment_index : labels.indexOf(result.segment || "");
        if (i < 0 || i >= labels.length) { done(); return; }
        var slice = 360 / labels.length;
        var turn = 360 * 5 + (360 - (i + 0.5) * slice);
        wheel.addEventListener("transitionend", done, { once: true });
        setTimeout(done, 6000); // in case no transition runs
        wheel.classList.add("spinning");
        wheel.style.transform = "rotate(" + turn + "deg)";
      }).catch(function () {
        button.disabled = false;
        HTMLFormElement.prototype.submit.call(game);
      });
    });
  }

  var school = document.getElementById("school");
  var department = document.getElementById("department");
  if (school && department) {
    var filter = function () {
      Array.prototype.forEach.call(department.options, function (o) {
        var other = o.value !== "" && school.value !== "" && o.getAttribute("data-school") !== school.value;
        o.hidden = other;
        o.disabled = other;
        if (other && o.selected) department.value = "";
      });
    };
    school.addEventListener("change", filter);
    filter();
  }

  document.addEventListener("click", function (e) {
    if (e.target.closest("[data-print]")) window.print();
  });
})();
